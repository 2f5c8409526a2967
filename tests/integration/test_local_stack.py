"""`pulumi up --stack local` for real: Vault accepts it, apps can log in, a second run is a no-op.

The tests run in file order and share one control plane and one stack.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import hvac
import pytest
import yaml
from kubernetes.client import V1Namespace, V1ObjectMeta, V1ServiceAccount
from pulumi import automation as auto

from derive.paths import database_creds_path, kv2_api_path, pki_issue_path
from derive.policies import app_grants, render_policy
from localenv.controlplane import ControlPlane
from localenv.database import Postgres
from localenv.stack import LocalStack
from localenv.verify import login_kubernetes, service_account_token, vault_client
from localenv.x509 import cert_info, utcnow
from stackconfig.durations import parse_duration
from stackconfig.load import SECRET_KEYS, parse_stack_config
from stackconfig.models import DatabaseRef, KvRef, PkiRef, StackConfig

AUTH = "kubernetes"
AUDIENCE = "vault"
APPS = {"webapp", "webapp-injection", "webapp-vso", "db-csi", "db-injector", "db-vso"}


def config_of(stack: LocalStack) -> StackConfig:
    raw = yaml.safe_load(stack.config_file.read_text())["config"]
    plain = {k.removeprefix("vault-k8s:"): v for k, v in raw.items() if k.removeprefix("vault-k8s:") not in SECRET_KEYS}
    return parse_stack_config(plain)


def edit_config(stack: LocalStack, key: str, value: Any) -> None:
    document = yaml.safe_load(stack.config_file.read_text())
    document["config"][f"vault-k8s:{key}"] = value
    stack.config_file.write_text(yaml.safe_dump(document, sort_keys=False))


def raw_config(stack: LocalStack, key: str) -> Any:
    return yaml.safe_load(stack.config_file.read_text())["config"][f"vault-k8s:{key}"]


def planned_steps(stack: LocalStack, replace: Sequence[str] = ()) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = json.loads(stack.preview(json=True, replace=replace).stdout).get("steps", [])
    return [s for s in steps if s["op"] not in {"same", "read"}]


def urn_of(stack: LocalStack, name: str) -> str:
    resources = json.loads(stack.export())["deployment"]["resources"]
    [urn] = [r["urn"] for r in resources if r["urn"].endswith(f"::{name}")]
    return str(urn)


def app_client(cp: ControlPlane, vault: hvac.Client, namespace: str, account: str, role: str) -> hvac.Client:
    """Logged in as the app with a token for the roles' audience, as every delivery method requests it."""
    return login_kubernetes(vault, AUTH, role, service_account_token(cp.kube(), namespace, account, audience=AUDIENCE))


def test_01_up_from_empty_state_in_one_run(stack: LocalStack) -> None:
    stack.up()
    apps = stack.outputs()["apps"]
    assert isinstance(apps, dict) and set(apps) == APPS


def test_02_second_run_changes_nothing(stack: LocalStack) -> None:
    stack.preview(expect_no_changes=True)


def test_02b_a_context_the_kubeconfig_lacks_fails_preview_naming_the_key(stack: LocalStack) -> None:
    cluster = raw_config(stack, "kubernetes")
    edit_config(stack, "kubernetes", {**cluster, "context": "kind-vault-demo"})
    try:
        with pytest.raises(auto.CommandError) as failed:
            stack.preview()
    finally:
        edit_config(stack, "kubernetes", cluster)
    output = str(failed.value)
    assert "config vault-k8s:kubernetes.context: 'kind-vault-demo' is not a context in" in output, output[-2000:]
    assert "(it has 'local')" in output
    stack.preview(expect_no_changes=True)


def test_03_vault_has_exactly_the_declared_configuration(stack: LocalStack, root_vault: hvac.Client) -> None:
    cfg = config_of(stack)
    mounts = root_vault.sys.list_mounted_secrets_engines()["data"]
    ours = {path: m for path, m in mounts.items() if path not in {"cubbyhole/", "identity/", "sys/"}}
    assert {p: (m["type"], m.get("options") or {}) for p, m in ours.items()} == {
        "secret/": ("kv", {"version": "2"}),
        "for-injection/": ("kv", {"version": "2"}),
        "kvv2/": ("kv", {"version": "2"}),
        "pki/": ("pki", {}),
        "database/": ("database", {}),
    }
    pki_mount = cfg.pki[0]
    assert (ours["pki/"]["config"]["max_lease_ttl"], ours["pki/"]["config"]["default_lease_ttl"]) == (
        parse_duration(pki_mount.max_lease_ttl),
        parse_duration(pki_mount.default_lease_ttl),
    )
    policies = root_vault.sys.list_acl_policies()["data"]["keys"]
    assert sorted(policies) == [
        "db-csi-app", "db-injector-app", "db-vso-app", "default", "injection-app", "internal-app", "root", "vso-app"
    ]  # fmt: skip
    for app in cfg.apps:
        policy = root_vault.read(f"sys/policies/acl/{app.policy}")["data"]["policy"]
        assert policy == render_policy(app_grants(app))
    assert root_vault.sys.list_auth_methods()["data"][f"{AUTH}/"]["type"] == "kubernetes"
    roles = root_vault.list(f"auth/{AUTH}/role")["data"]["keys"]
    assert sorted(roles) == ["database", "db-csi", "db-injector", "db-vso", "injection", "vso"]
    for app in cfg.apps:
        role = root_vault.read(f"auth/{AUTH}/role/{app.role}")["data"]
        assert (role["bound_service_account_names"], role["bound_service_account_namespaces"]) == (
            [app.service_account],
            [app.namespace],
        )
        assert (role["token_policies"], role["token_ttl"]) == ([app.policy], 1200)
    for mount in cfg.databases:
        for connection in mount.connections:
            written = root_vault.read(f"{mount.path}/config/{connection.name}")["data"]
            assert written["plugin_name"] == connection.plugin
            assert written["allowed_roles"] == mount.roles_of(connection.name)
            details = written["connection_details"]
            assert (details["connection_url"], details["username"]) == (connection.connection_url, connection.username)
            assert "password" not in details
        for db_role in mount.roles:
            written = root_vault.read(f"{mount.path}/roles/{db_role.name}")["data"]
            assert {k: written[k] for k in ("db_name", "creation_statements", "default_ttl", "max_ttl")} == {
                "db_name": db_role.connection, "creation_statements": db_role.creation_statements,
                "default_ttl": parse_duration(db_role.default_ttl), "max_ttl": parse_duration(db_role.max_ttl),
            }  # fmt: skip
    pki_role = root_vault.read("pki/roles/my-role")["data"]
    assert {k: pki_role[k] for k in ("key_bits", "ttl", "max_ttl", "allow_ip_sans", "allowed_domains",
                                     "allow_subdomains")} == {  # fmt: skip
        "key_bits": 4096, "ttl": 60, "max_ttl": 60, "allow_ip_sans": True,
        "allowed_domains": ["example.com", "my.domain"], "allow_subdomains": True,
    }  # fmt: skip
    auth_config = root_vault.read(f"auth/{AUTH}/config")["data"]
    assert auth_config["kubernetes_host"] == "https://127.0.0.1:26443"
    assert auth_config["kubernetes_ca_cert"] == Path(stack.control_env["KUBE_CA_FILE"]).read_text()
    assert auth_config["token_reviewer_jwt_set"] is True


def test_03b_root_ca_lives_its_configured_ttl(stack: LocalStack, root_vault: hvac.Client) -> None:
    """Vault cuts a root CA to the mount's max lease with only a warning; the config keeps them apart."""
    for mount in config_of(stack).pki:
        assert mount.root is not None  # the local stack creates its PKI mounts
        root = cert_info(root_vault.read(f"{mount.path}/cert/ca")["data"]["certificate"])
        # Vault backdates notBefore by 30 s; allow a few minutes either way.
        lifetime = (root.not_after - root.not_before).total_seconds()
        assert abs(lifetime - parse_duration(mount.root.ttl)) < 300, (mount.path, root)
        assert abs((utcnow() - root.not_before).total_seconds()) < 3600, (mount.path, root)


def test_04_each_app_reads_what_it_declared_and_nothing_else(
    stack: LocalStack, control_plane: ControlPlane, root_vault: hvac.Client
) -> None:
    cfg = config_of(stack)
    all_kv = {kv2_api_path(r.mount, r.path) for a in cfg.apps for r in a.secrets if isinstance(r, KvRef)}
    for app in cfg.apps:
        client = app_client(control_plane, root_vault, app.namespace, app.service_account, app.role)
        mine = set()
        for ref in app.secrets:
            if isinstance(ref, KvRef):
                path = kv2_api_path(ref.mount, ref.path)
                mine.add(path)
                assert client.read(path)["data"]["data"] == stack.values[f"{ref.mount}/{ref.path}"]
        for path in sorted(all_kv - mine):
            with pytest.raises(hvac.exceptions.Forbidden):
                client.read(path)
        creds = [database_creds_path(r.mount, r.role) for r in app.secrets if isinstance(r, DatabaseRef)]
        for path in creds or ["database/creds/app-readonly"]:
            if creds:
                assert client.read(path)["data"]["username"].startswith("v-")
            else:
                with pytest.raises(hvac.exceptions.Forbidden):
                    client.read(path)
        pki = [r for r in app.secrets if isinstance(r, PkiRef)]
        if pki:
            request = {"common_name": pki[0].common_name, "ttl": "30s"}
            issued = client.write_data(pki_issue_path(pki[0].mount, pki[0].role), data=request)["data"]
            assert "BEGIN CERTIFICATE" in issued["certificate"]
        else:
            with pytest.raises(hvac.exceptions.Forbidden):
                client.write_data("pki/issue/my-role", data={"common_name": "test.example.com", "ttl": "30s"})


def test_05_login_is_denied_for_the_wrong_identity(control_plane: ControlPlane, root_vault: hvac.Client) -> None:
    kube = control_plane.kube()
    kube.core.create_namespace(V1Namespace(metadata=V1ObjectMeta(name="other")))
    for namespace, account in (("default", "intruder"), ("other", "webapp-sa"), ("default", "short-lived")):
        body = V1ServiceAccount(metadata=V1ObjectMeta(name=account, namespace=namespace))
        kube.core.create_namespaced_service_account(namespace, body)
    # The wrong service account, then the wrong namespace.
    for namespace, account, role in (("default", "intruder", "database"), ("other", "webapp-sa", "database")):
        with pytest.raises(hvac.exceptions.Forbidden):
            app_client(control_plane, root_vault, namespace, account, role)
    # A token of an account that is deleted afterwards no longer passes the TokenReview.
    token = service_account_token(kube, "default", "short-lived", audience=AUDIENCE)
    kube.core.delete_namespaced_service_account("short-lived", "default")
    with pytest.raises(hvac.exceptions.Forbidden):
        login_kubernetes(root_vault, AUTH, "database", token)


def test_05b_a_token_for_another_audience_is_refused(control_plane: ControlPlane, root_vault: hvac.Client) -> None:
    kube = control_plane.kube()
    role = root_vault.read(f"auth/{AUTH}/role/database")["data"]
    assert role["audience"] == AUDIENCE
    for audience in (None, "not-vault"):  # the default volume's token (the API server's audience), another one
        token = service_account_token(kube, "default", "webapp-sa", audience=audience)
        with pytest.raises(hvac.exceptions.Forbidden) as denied:
            login_kubernetes(root_vault, AUTH, "database", token)
        assert "audience" in str(denied.value), str(denied.value)
    accepted = service_account_token(kube, "default", "webapp-sa", audience=AUDIENCE)
    assert login_kubernetes(root_vault, AUTH, "database", accepted).token


def test_06_no_secret_in_state_or_logs(stack: LocalStack, control_plane: ControlPlane) -> None:
    secret = control_plane.kube().read("v1", "Secret", "vault-token-reviewer-token", "default")
    assert secret is not None
    reviewer_jwt = base64.b64decode(secret["data"]["token"]).decode()
    export = stack.export()
    logs = "\n".join(stack.log)
    values = [v for pairs in stack.values.values() for v in pairs.values()]
    assert len(values) == 4
    values.append(control_plane.env["POSTGRES_VAULT_ADMIN_PASSWORD"])
    for plaintext in [*values, reviewer_jwt]:
        assert plaintext not in export
        assert plaintext not in logs


def test_07a_a_changed_seed_is_written_only_by_replace(stack: LocalStack, root_vault: hvac.Client) -> None:
    """Seeds are initial values: `up` leaves Vault's value alone; `up --replace <urn>` writes the new one."""
    before = root_vault.read("secret/data/db-pass")["data"]["data"]
    rotated = f"rotated-{secrets.token_urlsafe(9)}"
    stack.set_secret("secret/db-pass", "password", rotated)
    stack.values["secret/db-pass"]["password"] = rotated
    assert planned_steps(stack) == []
    stack.up()
    assert root_vault.read("secret/data/db-pass")["data"]["data"] == before
    urn = urn_of(stack, "kv-secret-db-pass")
    steps = planned_steps(stack, replace=[urn])
    assert {s["urn"] for s in steps} == {urn} and "replace" in {s["op"] for s in steps}, steps
    stack.up(replace=[urn])
    assert root_vault.read("secret/data/db-pass")["data"]["data"] == {"password": rotated}
    stack.preview(expect_no_changes=True)


def identity_churn(steps: list[dict[str, Any]], prefix: str) -> list[tuple[str, str]]:
    """Deletes, creates and replacements of an app's ServiceAccount, policy or role (by its resource prefix)."""
    names = {f"{prefix}-{suffix}" for suffix in ("sa", "policy", "role")}
    return [
        (s["op"], s["urn"])
        for s in steps
        if s["urn"].rsplit("::", 1)[1] in names and s["op"] in {"create", "delete", "replace", "create-replacement"}
    ]


def test_07b_renaming_an_app_destroys_no_mount(
    stack: LocalStack, control_plane: ControlPlane, root_vault: hvac.Client
) -> None:
    """Resources are named from the namespace and ServiceAccount: a rename deletes nothing, the app still logs in."""
    apps = raw_config(stack, "apps")
    original = json.loads(json.dumps(apps))
    app = apps[1]
    app["name"] = "webapp-injection-renamed"
    edit_config(stack, "apps", apps)
    steps = planned_steps(stack)
    deleted = {s["urn"].rsplit("::", 1)[1] for s in steps if s["op"] in {"delete", "replace", "delete-replaced"}}
    assert not deleted, deleted
    stack.up()
    assert "for-injection/" in root_vault.sys.list_mounted_secrets_engines()["data"]
    namespace = app.get("namespace", "default")
    assert control_plane.kube().read("v1", "ServiceAccount", app["serviceAccount"], namespace)
    vault = vault_client(control_plane.env["VAULT_ADDR"], Path(control_plane.env["VAULT_CACERT"]))
    app_client(control_plane, vault, namespace, app["serviceAccount"], app["role"])
    edit_config(stack, "apps", original)
    stack.up()


def test_07b2_switching_an_apps_method_keeps_its_identity(stack: LocalStack, control_plane: ControlPlane) -> None:
    """The app's component does not depend on its method: vso to injector keeps the ServiceAccount, policy, role
    and Deployment; only the VSO objects go."""
    apps = raw_config(stack, "apps")
    original = json.loads(json.dumps(apps))
    app = next(a for a in apps if a["name"] == "webapp-vso")
    assert app["method"] == "vso" and app["serviceAccount"] == "webapp-vso"
    app["method"] = "injector"
    for ref in app["secrets"]:
        ref.pop("secretName", None)
        ref.pop("refreshAfter", None)
        if ref["kind"] == "kv":
            ref["file"] = "config.txt"
        else:
            ref.update(certFile="tls.crt", keyFile="tls.key")
    edit_config(stack, "apps", apps)
    prefix = "app-default-webapp-vso"
    try:
        steps = planned_steps(stack)
        assert identity_churn(steps, prefix) == []
        workload = [s["op"] for s in steps if s["urn"].endswith(f"::{prefix}-workload")]
        assert workload == ["update"], workload
        stack.up()
        stack.preview(expect_no_changes=True)
        assert control_plane.kube().read("v1", "ServiceAccount", "webapp-vso", "default")
        vault = vault_client(control_plane.env["VAULT_ADDR"], Path(control_plane.env["VAULT_CACERT"]))
        client = app_client(control_plane, vault, "default", "webapp-vso", "vso")
        assert client.read("kvv2/data/webapp/config")["data"]["data"] == stack.values["kvv2/webapp/config"]
    finally:
        edit_config(stack, "apps", original)
    assert identity_churn(planned_steps(stack), prefix) == []
    stack.up()
    stack.preview(expect_no_changes=True)


def test_07c_deleting_a_protected_mount_is_refused(stack: LocalStack, root_vault: hvac.Client) -> None:
    edit_config(stack, "protectMounts", True)
    stack.up()
    kv, apps, values = raw_config(stack, "kv"), raw_config(stack, "apps"), raw_config(stack, "secretValues")
    edit_config(stack, "kv", [m for m in kv if m["path"] != "kvv2"])
    edit_config(stack, "apps", [a for a in apps if a["name"] != "webapp-vso"])
    edit_config(stack, "secretValues", {k: v for k, v in values.items() if not k.startswith("kvv2/")})
    with pytest.raises(auto.CommandError) as refused:
        stack.up()
    output = str(refused.value)
    assert "protected" in output and "kv-kvv2-mount" in output, output[-2000:]
    assert "kvv2/" in root_vault.sys.list_mounted_secrets_engines()["data"]
    edit_config(stack, "kv", kv)
    edit_config(stack, "apps", apps)
    edit_config(stack, "secretValues", values)
    edit_config(stack, "protectMounts", False)
    stack.up()
    stack.preview(expect_no_changes=True)


def test_07d_a_seed_rotated_in_vault_survives_up_with_refresh(stack: LocalStack, root_vault: hvac.Client) -> None:
    """The tutorial's `vault kv put secret/db-pass password=db-secret-password-v2`: a refreshed `up` keeps it."""
    path = kv2_api_path("secret", "db-pass")
    rotated = {"password": f"db-secret-password-v2-{secrets.token_urlsafe(6)}"}
    root_vault.write_data(path, data={"data": rotated})
    stack.up(refresh=True)
    assert root_vault.read(path)["data"]["data"] == rotated
    stack.preview(expect_no_changes=True)


def test_08a_vault_down_fails_fast_and_names_the_address(stack: LocalStack, control_plane: ControlPlane) -> None:
    control_plane.stop_vault()
    try:
        started = time.monotonic()
        with pytest.raises(auto.CommandError) as failed:
            stack.preview()
        elapsed = time.monotonic() - started
    finally:
        control_plane.start_vault()
    assert elapsed < 60, elapsed
    assert "127.0.0.1:28200" in str(failed.value)


def test_08b_after_a_restart_up_converges(stack: LocalStack, control_plane: ControlPlane) -> None:
    # The dev server came back empty: refresh finds what is gone and up recreates it. All but the database
    # connection: the old server had rotated the admin's password, and only it knew the new one.
    with pytest.raises(auto.CommandError) as failed:
        stack.up(refresh=True)
    output = str(failed.value)
    assert "db-database-connection-app" in output and "password authentication failed" in output, output[-3000:]
    # The operator's way back: the database's superuser sets the admin's password to the config's again.
    admin_password = control_plane.env["POSTGRES_VAULT_ADMIN_PASSWORD"]
    database = Postgres.from_env(control_plane.env)
    database.set_admin_password(admin_password)
    stack.up()
    stack.preview(expect_no_changes=True)
    # rotate-root cannot be read back, so it is not run again: the admin keeps the config's password until
    # `vault write -f database/rotate-root/app` (README, Dynamic database credentials).
    assert database.admin_password_works(admin_password)
    vault = vault_client(control_plane.env["VAULT_ADDR"], Path(control_plane.env["VAULT_CACERT"]))
    client = app_client(control_plane, vault, "default", "webapp-sa", "database")
    assert client.read("secret/data/db-pass")["data"]["data"] == stack.values["secret/db-pass"]


def test_08c_sealed_vault_gives_a_clear_message(stack: LocalStack, control_plane: ControlPlane) -> None:
    control_plane.seal_vault()
    try:
        with pytest.raises(auto.CommandError) as failed:
            stack.preview()
    finally:
        control_plane.unseal_vault()
    assert "sealed" in str(failed.value).lower()


def test_09_destroy_removes_everything_unprotected(
    stack: LocalStack, control_plane: ControlPlane, root_vault: hvac.Client
) -> None:
    stack.destroy()
    mounts = root_vault.sys.list_mounted_secrets_engines()["data"]
    assert sorted(mounts) == ["cubbyhole/", "identity/", "secret/", "sys/"]
    assert sorted(root_vault.sys.list_acl_policies()["data"]["keys"]) == ["default", "root"]
    assert f"{AUTH}/" not in root_vault.sys.list_auth_methods()["data"]
    kube = control_plane.kube()
    for account in ("webapp-sa", "webapp-vault", "webapp-vso", "vault-token-reviewer"):
        assert kube.read("v1", "ServiceAccount", account, "default") is None
    assert kube.read("apps/v1", "Deployment", "webapp-injection", "default") is None
