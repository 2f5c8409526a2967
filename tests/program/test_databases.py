"""Dynamic database credentials in the dev stack: the engine, exact grants, and each method's wiring."""

import pytest

from tests.program.harness import Run, demo_secret_values, run_program, stack_config

CREDS = "database/creds/app-readonly"
STATEMENTS = [
    """CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';""",
    'GRANT SELECT ON items TO "{{name}}";',
]


def test_the_engine_mount_is_tuned(dev: Run) -> None:
    mount = dev.recorder.by_name("db-database-mount").inputs
    assert mount == {
        "path": "database",
        "type": "database",
        "defaultLeaseTtlSeconds": 3600,
        "maxLeaseTtlSeconds": 86400,
    }


def test_the_connection_is_verified_and_allows_exactly_its_roles(dev: Run) -> None:
    connection = dev.recorder.by_name("db-database-connection-app")
    assert connection.inputs == {
        "backend": "database",
        "name": "app",
        "allowedRoles": ["app-readonly"],
        "verifyConnection": True,
        "postgresql": {
            "connectionUrl": "postgresql://{{username}}:{{password}}@postgres.default.svc:5432/app?sslmode=disable",
            "username": "vault-admin",
            "password": "app-admin-password",
        },
    }
    assert connection.secret_inputs == {"postgresql"}
    # rotateRoot: only Vault knows the password afterwards; a changed config value must not overwrite it.
    assert connection.ignore_changes == ["postgresql.password"]
    mount = dev.recorder.by_name("db-database-mount")
    assert mount.urn in connection.dependencies


def test_rotate_root_is_one_call_after_the_connection(dev: Run) -> None:
    rotate = dev.recorder.by_name("db-database-connection-app-rotate-root")
    assert rotate.inputs == {
        "path": "database/rotate-root/app",
        "dataJson": "{}",
        "disableRead": True,
        "disableDelete": True,
    }
    assert dev.recorder.by_name("db-database-connection-app").urn in rotate.dependencies


def test_the_role_creates_users_with_the_declared_statements_and_ttls(dev: Run) -> None:
    role = dev.recorder.by_name("db-database-role-app-readonly")
    assert role.inputs == {
        "backend": "database",
        "name": "app-readonly",
        "dbName": "app",
        "creationStatements": STATEMENTS,
        "defaultTtl": 3600,
        "maxTtl": 86400,
    }
    assert dev.recorder.by_name("db-database-connection-app").urn in role.dependencies


@pytest.mark.parametrize("method", ["csi", "injector", "vso"])
def test_each_app_may_read_exactly_its_credentials(dev: Run, method: str) -> None:
    policy = dev.recorder.by_name(f"app-default-db-{method}-policy").inputs
    assert policy == {"name": f"db-{method}-app", "policy": f'path "{CREDS}" {{\n  capabilities = ["read"]\n}}\n'}


@pytest.mark.parametrize(
    "waiting",
    # VSO's workload waits for the synced Secret's resource, which waits for the role.
    ["app-default-db-csi-workload", "app-default-db-injector-workload", "app-default-db-vso-dynamic-db-creds"],
)
def test_what_reads_the_credentials_waits_for_the_role(dev: Run, waiting: str) -> None:
    role = dev.recorder.by_name("db-database-role-app-readonly")
    assert role.urn in dev.recorder.by_name(waiting).dependencies


def test_csi_reads_the_path_once_into_two_files(dev: Run) -> None:
    parameters = dev.recorder.by_name("app-default-db-csi-spc").inputs["spec"]["parameters"]
    assert parameters["objects"] == (
        f'- objectName: "db-creds-username"\n  secretPath: "{CREDS}"\n  secretKey: "username"\n'
        f'- objectName: "db-creds-password"\n  secretPath: "{CREDS}"\n  secretKey: "password"\n'
    )


def test_injector_renders_one_credential_and_revokes_it_on_shutdown(dev: Run) -> None:
    template = dev.recorder.by_name("app-default-db-injector-workload").inputs["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    prefix = "vault.hashicorp.com/"
    assert annotations[f"{prefix}agent-inject-secret-db-creds.txt"] == CREDS
    assert annotations[f"{prefix}agent-inject-template-db-creds.txt"] == (
        f'{{{{- with secret "{CREDS}" -}}}}\nusername={{{{ .Data.username }}}}\npassword={{{{ .Data.password }}}}\n'
        "{{- end }}\n"
    )
    assert annotations[f"{prefix}agent-revoke-on-shutdown"] == "true"


def test_vso_syncs_a_dynamic_secret_that_restarts_the_workload(dev: Run) -> None:
    dynamic = dev.recorder.by_name("app-default-db-vso-dynamic-db-creds").inputs
    assert dynamic["metadata"] == {"name": "db-creds", "namespace": "default"}
    assert dynamic["spec"] == {
        "vaultAuthRef": "db-vso",
        "mount": "database",
        "path": "creds/app-readonly",
        "renewalPercent": 67,
        "destination": {"name": "db-creds", "create": True, "transformation": {}},
        "rolloutRestartTargets": [{"kind": "Deployment", "name": "db-vso"}],
    }
    pod = dev.recorder.by_name("app-default-db-vso-workload").inputs["spec"]["template"]["spec"]
    assert pod["volumes"] == [{"name": "db-0", "secret": {"secretName": "db-creds"}}]
    assert pod["containers"][0]["volumeMounts"] == [
        {"name": "db-0", "mountPath": "/etc/database/db-creds", "readOnly": True}
    ]


def test_without_rotate_root_a_changed_password_is_written() -> None:
    config = stack_config("dev")
    config["vault-k8s:databases"][0]["connections"][0]["rotateRoot"] = False
    config["vault-k8s:secretValues"] = demo_secret_values(config)
    run = run_program(config, secret_keys=["vault-k8s:secretValues"])
    connection = run.recorder.by_name("db-database-connection-app")
    assert connection.ignore_changes == []
    assert run.recorder.of_type("vault:generic/endpoint:Endpoint") == []
