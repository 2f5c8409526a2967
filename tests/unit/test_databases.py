"""Database declarations: refused before any resource, naming the key; and what each method derives from them."""

from __future__ import annotations

from typing import Any

import pytest

from derive.annotations import PREFIX, database_template, injector_annotations
from derive.custom_resources import csi_objects, vault_dynamic_secret_spec
from derive.policies import Grant, app_grants
from derive.workloads import delivery_command
from stackconfig.models import DatabaseRef
from tests.unit import app, load_stack
from tests.unit.test_models import Mutation, parses, problems


def _db(r: dict[str, Any]) -> dict[str, Any]:
    database: dict[str, Any] = r["databases"][0]
    return database


def _role(r: dict[str, Any]) -> dict[str, Any]:
    role: dict[str, Any] = _db(r)["roles"][0]
    return role


def _connection(r: dict[str, Any]) -> dict[str, Any]:
    connection: dict[str, Any] = _db(r)["connections"][0]
    return connection


def _db_app(r: dict[str, Any], method: str) -> dict[str, Any]:
    found: dict[str, Any] = next(a for a in r["apps"] if a["name"] == f"db-{method}")
    return found


DB = "config vault-k8s:databases[0]"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: _role(r).update(connection="other"),
         f"{DB}.roles[0].connection: 'other' is not declared under `connections` (app)"),
        (lambda r: _role(r).update(maxTtl="48h"),
         f"{DB}.roles[0].maxTtl: 48h exceeds the mount's maxLeaseTtl 24h; Vault would cut the leases to maxLeaseTtl"),
        (lambda r: _role(r).update(defaultTtl="2h", maxTtl="1h"), f"{DB}.roles[0].maxTtl: 1h is below defaultTtl 2h"),
        (lambda r: _role(r).update(defaultTtl=0), f"{DB}.roles[0].defaultTtl: must be above 0 (0 means the mount's "
                                                  "default lease)"),
        (lambda r: _role(r)["creationStatements"].append("GRANT SELECT ON items TO app;"),
         f"{DB}.roles[0].creationStatements[2]: has no {{{{name}}}}: Vault puts the generated user's name there; "
         "a statement without it acts on someone else (e.g. CREATE ROLE \"{{name}}\" ...)"),
        (lambda r: _role(r).update(revocationStatements=["DROP ROLE app;"]),
         f"{DB}.roles[0].revocationStatements[0]: has no {{{{name}}}}: Vault puts the generated user's name there; "
         "a statement without it acts on someone else (e.g. CREATE ROLE \"{{name}}\" ...)"),
        (lambda r: _role(r).update(creationStatements=[]),
         f"{DB}.roles[0].creationStatements: List should have at least 1 item after validation, not 0"),
        (lambda r: _connection(r).update(connectionUrl="postgresql://vault-admin:pw@db:5432/app"),
         f"{DB}.connections[0].connectionUrl: {{{{username}}}} and {{{{password}}}} missing: Vault fills in the "
         "admin's username and password there (and the new password after rotate-root), e.g. "
         "postgresql://{{username}}:{{password}}@host:5432/db"),
        (lambda r: _connection(r).update(connectionUrl="mysql://{{username}}:{{password}}@db/app"),
         f"{DB}.connections[0].connectionUrl: 'mysql' is not a PostgreSQL URL (postgresql://...)"),
        (lambda r: _connection(r).update(plugin="mysql-database-plugin"),
         f"{DB}.connections[0].plugin: Input should be 'postgresql-database-plugin'"),
        (lambda r: _db(r)["connections"].append(dict(_connection(r))),
         f"{DB}.connections[1].name: duplicate 'app'"),
        (lambda r: _db(r).update(path="pki"),
         "config vault-k8s:databases[0].path: 'pki' is a kv or pki mount path too"),
        (lambda r: _db_app(r, "vso")["secrets"][0].update(role="nope"),
         "config vault-k8s:apps[5].secrets[0]: database role 'nope' is not declared in mount 'database'"),
        (lambda r: _db_app(r, "vso")["secrets"][0].update(mount="db2"),
         "config vault-k8s:apps[5].secrets[0]: database mount 'db2' is not declared under `databases`"),
        (lambda r: _db_app(r, "injector")["secrets"][0].pop("file"),
         "config vault-k8s:apps[4].secrets[0]: the injector method needs file"),
        (lambda r: _db_app(r, "vso")["secrets"][0].pop("secretName"),
         "config vault-k8s:apps[5].secrets[0]: the vso method needs secretName"),
        (lambda r: _db_app(r, "csi")["secrets"][0].pop("file"),
         "config vault-k8s:apps[3].secrets[0]: csi needs `file`"),
    ],
)  # fmt: skip
def test_refused_naming_the_key(mutate: Mutation, message: str) -> None:
    assert problems("dev", mutate) == message


def test_csi_without_rotation_is_refused() -> None:
    assert problems("dev", lambda r: r["charts"].pop("csiRotationPollInterval")) == (
        "config vault-k8s:apps[3].secrets[0]: the csi method never renews a database lease: the user it delivers "
        "is dropped after defaultTtl 1h and never replaced. Set charts.csiRotationPollInterval below defaultTtl "
        "(each poll creates a new database user), or use the injector or vso method"
    )


@pytest.mark.parametrize(
    ("poll", "token_ttl", "bound"),
    [("1h", "20m", "defaultTtl 1h, or the login token's tokenTtl 20m"),
     ("20m", "20m", "defaultTtl 1h, or the login token's tokenTtl 20m"),
     ("90m", "2h", "defaultTtl 1h, or the login token's tokenTtl 2h")],
)  # fmt: skip
def test_csi_poll_must_come_before_the_credential_dies(poll: str, token_ttl: str, bound: str) -> None:
    def mutate(r: dict[str, Any]) -> None:
        r["charts"]["csiRotationPollInterval"] = poll
        _db_app(r, "csi")["tokenTtl"] = token_ttl

    assert problems("dev", mutate) == (
        f"config vault-k8s:apps[3].secrets[0]: charts.csiRotationPollInterval {poll} is not below the credential's "
        f"life ({bound}, whichever is less): the pod would hold a dropped user until the next poll"
    )


def test_csi_poll_below_both_is_accepted() -> None:
    cfg = parses("dev", lambda r: r["charts"].update(csiRotationPollInterval="19m"))
    assert cfg.charts.csi_rotation_poll_interval == "19m"


def test_pki_refs_stay_refused_for_csi() -> None:
    def mutate(r: dict[str, Any]) -> None:
        _db_app(r, "csi")["secrets"].append({"kind": "pki", "role": "my-role", "commonName": "a.example.com"})

    assert problems("dev", mutate) == (
        "config vault-k8s:apps[3].secrets[1]: the csi method delivers kv and database secrets only"
    )


def test_two_csi_database_refs_may_not_write_the_same_files() -> None:
    def mutate(r: dict[str, Any]) -> None:
        _db_app(r, "csi")["secrets"].append({"kind": "database", "role": "app-readonly", "file": "db-creds"})

    assert problems("dev", mutate) == (
        "config vault-k8s:apps[3].secrets[1]: file 'db-creds-username' is written by another secret too"
    )


# --- derivations ------------------------------------------------------------------------------------------------


def _ref(method: str) -> DatabaseRef:
    ref = app(load_stack("dev"), f"db-{method}").secrets[0]
    assert isinstance(ref, DatabaseRef)
    return ref


def test_policy_is_exactly_read_on_the_roles_creds() -> None:
    for method in ("csi", "injector", "vso"):
        assert app_grants(app(load_stack("dev"), f"db-{method}")) == [Grant("database/creds/app-readonly", ("read",))]


def test_injector_template_reads_once() -> None:
    assert database_template(_ref("injector")) == (
        '{{- with secret "database/creds/app-readonly" -}}\n'
        "username={{ .Data.username }}\npassword={{ .Data.password }}\n{{- end }}\n"
    )


def test_only_apps_with_database_secrets_revoke_on_shutdown() -> None:
    cfg = load_stack("dev")
    assert injector_annotations(app(cfg, "db-injector"))[f"{PREFIX}agent-revoke-on-shutdown"] == "true"
    assert f"{PREFIX}agent-revoke-on-shutdown" not in injector_annotations(app(cfg, "webapp-injection"))


def test_csi_objects_share_one_path() -> None:
    assert csi_objects(app(load_stack("dev"), "db-csi")) == (
        '- objectName: "db-creds-username"\n  secretPath: "database/creds/app-readonly"\n  secretKey: "username"\n'
        '- objectName: "db-creds-password"\n  secretPath: "database/creds/app-readonly"\n  secretKey: "password"\n'
    )


def test_dynamic_secret_spec() -> None:
    assert vault_dynamic_secret_spec(_ref("vso"), "db-vso", "db-vso") == {
        "vaultAuthRef": "db-vso",
        "mount": "database",
        "path": "creds/app-readonly",
        "renewalPercent": 67,
        "destination": {"name": "db-creds", "create": True, "transformation": {}},
        "rolloutRestartTargets": [{"kind": "Deployment", "name": "db-vso"}],
    }


def test_delivery_commands() -> None:
    cfg = load_stack("dev")
    assert delivery_command(app(cfg, "db-csi")) == "kubectl exec db-csi -- cat /mnt/secrets-store/db-creds-username"
    assert delivery_command(app(cfg, "db-vso")) == "kubectl get secret db-creds -o yaml"
    assert delivery_command(app(cfg, "db-injector")).endswith("-c webapp -- cat /vault/secrets/db-creds.txt")
