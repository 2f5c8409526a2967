"""The typed stack config: defaults, normalisation, and every rule a bad config breaks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from stackconfig.load import StackConfigError, parse_stack_config
from stackconfig.models import (
    AppDecl,
    ChartImages,
    ChartsConfig,
    CsiDriverChartPin,
    KubernetesAuthConfig,
    KvMountDecl,
    KvRef,
    KvSecretDecl,
    PkiMountDecl,
    PkiRef,
    PkiRootDecl,
    ReviewerConfig,
    StackConfig,
    VaultChartPin,
    VaultConfig,
    VsoChartPin,
)
from tests.unit import app, load_stack, raw_stack

Mutation = Callable[[dict[str, Any]], None]

EXTERNAL_VAULT = {
    "mode": "external",
    "address": "https://vault.example.com:8200",
    "workloadAddress": "https://vault.example.com:8200",
    "caCertFile": "certs/vault-ca.pem",
}
EXTERNAL_AUTH = {"host": "https://api.k8s.example.com:6443", "caCertFile": "certs/kubernetes-ca.pem"}


def problems(stack: str, mutate: Mutation) -> str:
    """The loader's message for the stack's config after `mutate`."""
    raw = raw_stack(stack)
    mutate(raw)
    with pytest.raises(StackConfigError) as caught:
        parse_stack_config(raw)
    return str(caught.value)


def parses(stack: str, mutate: Mutation) -> StackConfig:
    raw = raw_stack(stack)
    mutate(raw)
    return parse_stack_config(raw)


# --- the two stacks -------------------------------------------------------------------------


def test_dev_is_the_tutorial() -> None:
    cfg = load_stack("dev")
    assert cfg.production is False and cfg.protect_mounts is False
    # Pulumi reaches the dev Vault through its NodePort (the tutorial: `kubectl port-forward`).
    assert cfg.vault == VaultConfig(
        mode="internal",
        address="http://192.168.49.2:30200",
        node_port=30200,
        workload_address="http://vault.default:8200",
    )
    assert cfg.vault_from_chart()
    assert cfg.kubernetes_auth == KubernetesAuthConfig(
        path="kubernetes",
        host="https://kubernetes.default.svc:443",
        ca_cert_file=None,
        reviewer=ReviewerConfig(service_account="vault-token-reviewer", namespace="default"),
    )
    assert cfg.methods() == {"csi", "injector", "vso"}
    assert [(m.path, m.existing) for m in cfg.kv] == [("secret", True), ("for-injection", False), ("kvv2", False)]
    pki = cfg.pki[0]
    # The tutorial tunes max_lease_ttl to 86400s, which would cut its 86400h root to 24 hours.
    assert (pki.path, pki.max_lease_ttl, pki.default_lease_ttl) == ("pki", "86400h", "3600s")
    assert pki.root is not None and (pki.root.common_name, pki.root.ttl) == ("test", "86400h")
    role = pki.roles[0]
    assert role.model_dump() == {
        "name": "my-role",
        "key_type": "rsa",
        "key_bits": 4096,
        "ttl": "60s",
        "max_ttl": "60s",
        "allow_ip_sans": True,
        "allowed_domains": ["example.com", "my.domain"],
        "allow_subdomains": True,
        "allow_bare_domains": False,
    }
    webapp = app(cfg, "webapp")
    assert (webapp.namespace, webapp.service_account, webapp.policy, webapp.role, webapp.token_ttl) == (
        "default",
        "webapp-sa",
        "internal-app",
        "database",
        "20m",
    )
    assert (webapp.workload.kind, webapp.workload.image, webapp.workload.mount_path) == (
        "Pod",
        "jweissig/app:0.0.1",
        "/mnt/secrets-store",
    )
    injection = app(cfg, "webapp-injection")
    assert (injection.policy, injection.role, injection.static_render_interval) == ("injection-app", "injection", "10s")
    assert [type(r) for r in injection.secrets] == [KvRef, PkiRef]


def test_prod_is_external_with_ca_and_reviewer() -> None:
    cfg = load_stack("prod")
    assert cfg.production and cfg.protect_mounts
    assert cfg.vault.mode == "external"
    assert cfg.vault.ca_cert_file == "certs/vault-ca.pem"
    assert cfg.kubernetes_auth.ca_cert_file == "certs/kubernetes-ca.pem"
    assert cfg.kubernetes_auth.host == "https://api.k8s.prod.example.com:6443"
    assert cfg.kubernetes_auth.host != cfg.vault.address
    assert cfg.kubernetes_auth.reviewer == ReviewerConfig()
    assert cfg.charts.injector_failure_policy == "Fail"
    assert all(not s.seed for m in cfg.kv for s in m.secrets)


def test_chart_pins() -> None:
    charts = load_stack("dev").charts
    assert (charts.managed, charts.namespace) == (True, "default")
    assert charts.vault.model_dump() == {
        "repo": "https://helm.releases.hashicorp.com",
        "chart": "vault",
        "version": "0.34.1",
        "release_name": "vault",
        "path": None,
    }
    assert charts.csi_driver.model_dump() == {
        "repo": "https://kubernetes-sigs.github.io/secrets-store-csi-driver/charts",
        "chart": "secrets-store-csi-driver",
        "version": "1.6.0",
        "release_name": "csi",
        "path": None,
    }
    assert charts.vso.model_dump() == {
        "repo": "https://helm.releases.hashicorp.com",
        "chart": "vault-secrets-operator",
        "version": "1.4.1",
        "release_name": "vault-secrets-operator",
        "path": None,
    }


def test_shipped_stacks_keep_the_chart_defaults() -> None:
    """No image, pull policy or node path is set by dev or prod: the charts' own defaults apply."""
    for stack in ("dev", "prod"):
        charts = load_stack(stack).charts
        assert (charts.vault, charts.csi_driver, charts.vso) == (VaultChartPin(), CsiDriverChartPin(), VsoChartPin())
        assert charts.images == ChartImages()
        assert all(value is None for value in charts.images.model_dump().values())
        assert (charts.image_pull_policy, charts.kubelet_root_dir, charts.csi_providers_dir) == (None, None, None)
        assert charts.csi_driver_crd_jobs is True


def test_a_chart_path_alone_keeps_the_chart_pin() -> None:
    """`charts: {vault: {path: ...}}` in a stack file: the other keys keep the vault chart's pin."""
    cfg = parses("dev", lambda r: r["charts"].update(vault={"path": "../shared/charts/vault-0.34.1.tgz"}))
    assert cfg.charts.vault == VaultChartPin(path="../shared/charts/vault-0.34.1.tgz")
    assert (cfg.charts.vault.chart, cfg.charts.vault.version, cfg.charts.vault.release_name) == (
        "vault",
        "0.34.1",
        "vault",
    )
    assert (cfg.charts.csi_driver, cfg.charts.vso) == (CsiDriverChartPin(), VsoChartPin())
    assert cfg.charts.csi_rotation_poll_interval == "2m"


def test_a_mirror_is_another_repo() -> None:
    cfg = parses("dev", lambda r: r["charts"].update(csiDriver={"repo": "https://charts.mirror.example/sscd"}))
    assert cfg.charts.csi_driver == CsiDriverChartPin(repo="https://charts.mirror.example/sscd")
    assert cfg.charts.csi_driver.version == "1.6.0"


def test_every_new_chart_key_is_camel_case() -> None:
    charts = ChartsConfig.model_validate(
        {
            "images": {
                "vault": "reg.local/hashicorp/vault:1.21.0",
                "vaultK8s": "reg.local/hashicorp/vault-k8s:1.7.6",
                "vaultCsiProvider": "reg.local/hashicorp/vault-csi-provider:1.7.4",
                "csiDriver": "reg.local/csi-secrets-store/driver:v1.6.0",
                "csiDriverCrds": "reg.local/csi-secrets-store/driver-crds:v1.6.0",
                "nodeDriverRegistrar": "reg.local/sig-storage/csi-node-driver-registrar:v2.16.0",
                "livenessProbe": "reg.local/sig-storage/livenessprobe:v2.18.0",
                "vso": "reg.local/hashicorp/vault-secrets-operator:1.4.1",
                "kubeRbacProxy": "reg.local/brancz/kube-rbac-proxy:v0.18.1",
            },
            "imagePullPolicy": "Never",
            "kubeletRootDir": "/srv/node/kubelet/",
            "csiProvidersDir": "/srv/node/providers",
            "csiDriverCrdJobs": False,
        }
    )
    assert charts.images.model_dump() == {
        "vault": "reg.local/hashicorp/vault:1.21.0",
        "vault_k8s": "reg.local/hashicorp/vault-k8s:1.7.6",
        "vault_csi_provider": "reg.local/hashicorp/vault-csi-provider:1.7.4",
        "csi_driver": "reg.local/csi-secrets-store/driver:v1.6.0",
        "csi_driver_crds": "reg.local/csi-secrets-store/driver-crds:v1.6.0",
        "node_driver_registrar": "reg.local/sig-storage/csi-node-driver-registrar:v2.16.0",
        "liveness_probe": "reg.local/sig-storage/livenessprobe:v2.18.0",
        "vso": "reg.local/hashicorp/vault-secrets-operator:1.4.1",
        "kube_rbac_proxy": "reg.local/brancz/kube-rbac-proxy:v0.18.1",
    }
    # A trailing slash is dropped: the charts append `/pods`, `/plugins_registry/` to the root dir.
    assert (charts.image_pull_policy, charts.kubelet_root_dir, charts.csi_providers_dir) == (
        "Never",
        "/srv/node/kubelet",
        "/srv/node/providers",
    )
    assert charts.csi_driver_crd_jobs is False


DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    "ref",
    [
        "hashicorp/vault:2.0.4",
        "vault:1.21.0",
        "docker.io/hashicorp/vault:2.0.4",
        "localhost:5000/hashicorp/vault:1.21.0",
        "[::1]:5000/vault:v1",
        f"hashicorp/vault@{DIGEST}",
        f"registry.example.com:443/hashicorp/vault:2.0.4@{DIGEST}",
    ],
)
def test_image_references_accepted(ref: str) -> None:
    assert ChartImages(vault=ref).vault == ref


def test_pki_defaults_let_the_root_live_its_ttl() -> None:
    mount = PkiMountDecl(root=PkiRootDecl(common_name="root"))
    assert mount.root is not None and (mount.max_lease_ttl, mount.root.ttl) == ("87600h", "87600h")


def test_models_are_frozen() -> None:
    cfg = load_stack("dev")
    with pytest.raises(ValidationError):
        cfg.vault.mode = "external"  # type: ignore[misc]


def test_camel_case_aliases_and_field_names() -> None:
    by_alias = KvSecretDecl.model_validate({"path": "a", "keys": ["k"], "seed": False})
    assert by_alias == KvSecretDecl(path="a", keys=["k"], seed=False)
    assert VaultConfig.model_validate({"workloadAddress": "http://v:8200"}) == VaultConfig(
        workload_address="http://v:8200"
    )


# --- normalisation ------------------------------------------------------------------------------


def test_paths_and_addresses_are_normalised() -> None:
    assert KvMountDecl(path="/secret/").path == "secret"
    assert KvSecretDecl(path="/webapp/config/", keys=["k"]).path == "webapp/config"
    assert VaultConfig(address="http://127.0.0.1:8200/").address == "http://127.0.0.1:8200"
    assert KubernetesAuthConfig(path="/k8s/").path == "k8s"


@pytest.mark.parametrize("path", ["database", "db-data", "metadata-x/y", "x/data"])
def test_kv_paths_that_merely_contain_data(path: str) -> None:
    assert KvSecretDecl(path=path, keys=["k"]).path == path


# --- field rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda r: r["vault"].update(workloadAddress="vault.default:8200"),
            "config vault-k8s:vault.workloadAddress: 'vault.default:8200' is not an http(s) address "
            "like https://vault.example.com:8200",
        ),
        (
            lambda r: r["vault"].update(address="https://vault:8200/v1"),
            "config vault-k8s:vault.address: 'https://vault:8200/v1' is not an http(s) address "
            "like https://vault.example.com:8200",
        ),
        (
            lambda r: r.update(kubernetesAuth={"path": "a//b"}),
            "config vault-k8s:kubernetesAuth.path: 'a//b' is not a valid Vault path",
        ),
        (
            lambda r: r["kv"][1].update(path="x/../y"),
            "config vault-k8s:kv[1].path: 'x/../y' is not a valid Vault path",
        ),
        (
            lambda r: r["kv"][0]["secrets"][0].update(path="data/db-pass"),
            "config vault-k8s:kv[0].secrets[0].path: 'data/db-pass' contains 'data/': declare the path "
            "inside the mount; the program adds 'data/' where the KV v2 API needs it",
        ),
        (
            lambda r: r["kv"][2]["secrets"][0].update(path="webapp/data/config"),
            "config vault-k8s:kv[2].secrets[0].path: 'webapp/data/config' contains 'data/': declare the path "
            "inside the mount; the program adds 'data/' where the KV v2 API needs it",
        ),
        (
            lambda r: r["kv"][0]["secrets"][0].update(path="data"),
            "config vault-k8s:kv[0].secrets[0].path: 'data' contains 'data/': declare the path "
            "inside the mount; the program adds 'data/' where the KV v2 API needs it",
        ),
        (
            lambda r: r["kv"][0]["secrets"][0].update(keys=[]),
            "config vault-k8s:kv[0].secrets[0].keys: List should have at least 1 item after validation, not 0",
        ),
        (
            lambda r: r["kv"][0]["secrets"].append({"path": "db-pass", "keys": ["x"]}),
            "config vault-k8s:kv[0].secrets[1].path: duplicate 'db-pass'",
        ),
        (
            lambda r: r["pki"][0]["roles"][0].update(maxTtl="30s"),
            "config vault-k8s:pki[0].roles[0].maxTtl: 30s is below ttl 60s",
        ),
        (
            lambda r: r["pki"][0].update(defaultLeaseTtl="2h", maxLeaseTtl="1h"),
            "config vault-k8s:pki[0].maxLeaseTtl: 1h is below defaultLeaseTtl 2h",
        ),
        (
            lambda r: r["pki"][0].update(maxLeaseTtl="86400s"),
            "config vault-k8s:pki[0].root.ttl: 86400h exceeds the mount's maxLeaseTtl 86400s; Vault would cut "
            "the root CA to maxLeaseTtl: raise maxLeaseTtl (the roles' maxTtl still bounds what they issue)",
        ),
        (
            lambda r: r["pki"][0].update(maxLeaseTtl="30s", defaultLeaseTtl="30s", root={"commonName": "t", "ttl": 30}),
            "config vault-k8s:pki[0].roles[0].maxTtl: 60s exceeds the mount's maxLeaseTtl 30s; "
            "Vault would cut the certificates to maxLeaseTtl",
        ),
        (
            lambda r: r["pki"][0]["roles"].append(dict(r["pki"][0]["roles"][0])),
            "config vault-k8s:pki[0].roles[1].name: duplicate 'my-role'",
        ),
        (
            lambda r: r["pki"][0]["roles"][0].update(keyType="dsa"),
            "config vault-k8s:pki[0].roles[0].keyType: Input should be 'rsa', 'ec' or 'ed25519'",
        ),
        (
            lambda r: r["pki"][0].pop("root"),
            "config vault-k8s:pki[0].root: is required for a mount the program creates (it issues from an internal "
            "root); `existing: true` adopts a mount that has its CA",
        ),
        (
            lambda r: r["apps"][0].update(name="Web_App"),
            "config vault-k8s:apps[0].name: 'Web_App' is not a valid Kubernetes name (lowercase DNS label)",
        ),
        (
            lambda r: r["apps"][0].update(serviceAccount="a" * 254),
            f"config vault-k8s:apps[0].serviceAccount: {'a' * 254!r} is not a valid Kubernetes name "
            "(lowercase DNS subdomain)",
        ),
        (
            lambda r: r["apps"][0].update(policy="internal app"),
            "config vault-k8s:apps[0].policy: 'internal app' is not a valid Vault name",
        ),
        (
            lambda r: r["apps"][0].update(method="sidecar"),
            "config vault-k8s:apps[0].method: Input should be 'csi', 'injector' or 'vso'",
        ),
        (
            lambda r: r["apps"][1].update(tokenTtl="20 minutes"),
            "config vault-k8s:apps[1].tokenTtl: not a duration: '20 minutes' (use e.g. 60s, 20m, 86400h)",
        ),
        (
            lambda r: r["apps"][1].update(tokenTtl=True),
            "config vault-k8s:apps[1].tokenTtl: not a duration: True (use e.g. 60s, 20m, 86400h)",
        ),
        (
            lambda r: r["pki"][0]["roles"][0].update(ttl=1.5),
            "config vault-k8s:pki[0].roles[0].ttl: not a duration: 1.5 (use e.g. 60s, 20m, 86400h)",
        ),
        (
            lambda r: r["apps"][0]["secrets"][0].update(kind="kv1"),
            "config vault-k8s:apps[0].secrets[0]: Input tag 'kv1' found using 'kind' does not match any of "
            "the expected tags: 'kv', 'pki', 'database'",
        ),
        (
            lambda r: r["apps"][0]["secrets"][0].update(path="data/db-pass"),
            "config vault-k8s:apps[0].secrets[0].path: 'data/db-pass' contains 'data/': declare the path "
            "inside the mount; the program adds 'data/' where the KV v2 API needs it",
        ),
        (
            lambda r: r["apps"][1]["secrets"][1].update(ttl="5x"),
            "config vault-k8s:apps[1].secrets[1].ttl: not a duration: '5x' (use e.g. 60s, 20m, 86400h)",
        ),
        (
            lambda r: r["apps"][2]["workload"].update(replicas=-1),
            "config vault-k8s:apps[2].workload.replicas: Input should be greater than or equal to 0",
        ),
        (
            lambda r: r["vault"].update(adress="http://127.0.0.1:8200"),
            "config vault-k8s:vault.adress: Extra inputs are not permitted",
        ),
        (
            lambda r: r["charts"].update(images={"vault": "hashicorp/vault"}),
            "config vault-k8s:charts.images.vault: 'hashicorp/vault' has neither a tag nor a digest: pin it "
            "(repository:tag or repository@sha256:<digest>); an untagged image is `latest`, which changes under "
            "the same name",
        ),
        (
            lambda r: r["charts"].update(images={"kubeRbacProxy": "quay.io/Brancz/kube-rbac-proxy:v0.18.1"}),
            "config vault-k8s:charts.images.kubeRbacProxy: 'quay.io/Brancz/kube-rbac-proxy:v0.18.1' is not an "
            "image reference: repository:tag (registry.example.com/hashicorp/vault:1.21.0) or "
            "repository@sha256:<64 hex digits>",
        ),
        (
            lambda r: r["charts"].update(images={"csiDriver": "registry.k8s.io/csi-secrets-store/driver@sha256:abc"}),
            "config vault-k8s:charts.images.csiDriver: 'registry.k8s.io/csi-secrets-store/driver@sha256:abc' is not "
            "an image reference: repository:tag (registry.example.com/hashicorp/vault:1.21.0) or "
            "repository@sha256:<64 hex digits>",
        ),
        (
            lambda r: r["charts"].update(images={"vaultAgent": "hashicorp/vault:1.21.0"}),
            "config vault-k8s:charts.images.vaultAgent: Extra inputs are not permitted",
        ),
        (
            lambda r: r["charts"].update(imagePullPolicy="never"),
            "config vault-k8s:charts.imagePullPolicy: Input should be 'IfNotPresent', 'Always' or 'Never'",
        ),
        (
            lambda r: r["charts"].update(kubeletRootDir="var/lib/kubelet"),
            "config vault-k8s:charts.kubeletRootDir: 'var/lib/kubelet' is not an absolute directory on the node, "
            "like /var/lib/kubelet",
        ),
        (
            lambda r: r["charts"].update(csiProvidersDir="/run/../etc/providers"),
            "config vault-k8s:charts.csiProvidersDir: '/run/../etc/providers' is not an absolute directory on the "
            "node, like /var/lib/kubelet",
        ),
        (
            lambda r: r["charts"].update(vault={"path": "charts/vault-0.34.1.tgz", "repo": "https://mirror.example"}),
            "config vault-k8s:charts.vault.repo: a chart from `path` is not fetched from a repository; set either "
            "path or repo, not both",
        ),
        (
            lambda r: r["charts"].update(vso={"path": ""}),
            "config vault-k8s:charts.vso.path: String should have at least 1 character",
        ),
    ],
)
def test_field_rules(mutate: Mutation, message: str) -> None:
    assert problems("dev", mutate) == message


def test_chart_key_errors_carry_their_key_as_data() -> None:
    with pytest.raises(ValidationError) as caught:
        StackConfig.model_validate(
            {
                "charts": {
                    "images": {"vault": "vault", "vso": "hashicorp/vault-secrets-operator 1.4.1"},
                    "vault": {"path": "v.tgz", "repo": "https://mirror.example"},
                }
            }
        )
    errors = caught.value.errors()
    assert [e["loc"] for e in errors] == [
        ("charts", "vault"),
        ("charts", "images", "vault"),
        ("charts", "images", "vso"),
    ]
    keyed = errors[0]["ctx"]["error"]
    assert (keyed.key, keyed.reason) == (
        ("repo",),
        "a chart from `path` is not fetched from a repository; set either path or repo, not both",
    )


# --- per-method rules -------------------------------------------------------------------------


def _csi_pki(r: dict[str, Any]) -> None:
    r["apps"][0]["secrets"].append({"kind": "pki", "role": "my-role", "commonName": "a.example.com"})


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (_csi_pki, "config vault-k8s:apps[0].secrets[1]: the csi method delivers kv and database secrets only"),
        (
            lambda r: r["apps"][0]["secrets"][0].update(keys=["password", "user"]),
            "config vault-k8s:apps[0].secrets[0]: csi needs `file` and exactly one key",
        ),
        (
            lambda r: r["apps"][0]["secrets"][0].pop("file"),
            "config vault-k8s:apps[0].secrets[0]: csi needs `file` and exactly one key",
        ),
        (
            lambda r: r["apps"][0].pop("secretProviderClass"),
            "config vault-k8s:apps[0].secretProviderClass: is required for the csi method",
        ),
        (
            lambda r: r["apps"][1]["secrets"][0].pop("file"),
            "config vault-k8s:apps[1].secrets[0]: the injector method needs file",
        ),
        (
            lambda r: r["apps"][1]["secrets"][1].pop("keyFile"),
            "config vault-k8s:apps[1].secrets[1]: the injector method needs certFile and keyFile",
        ),
        (
            lambda r: r["apps"][1]["secrets"][0].update(file="../etc/passwd"),
            "config vault-k8s:apps[1].secrets[0]: '../etc/passwd' is not a plain file name",
        ),
        (
            lambda r: r["apps"][1]["secrets"][1].update(keyFile="cert.pem"),
            "config vault-k8s:apps[1].secrets[1]: file 'cert.pem' is written by another secret too",
        ),
        (
            lambda r: r["apps"][2]["secrets"][1].pop("secretName"),
            "config vault-k8s:apps[2].secrets[1]: the vso method needs secretName",
        ),
        (
            lambda r: r["apps"][2].update(secrets=[]),
            "config vault-k8s:apps[2].secrets: List should have at least 1 item after validation, not 0",
        ),
    ],
)
def test_method_rules(mutate: Mutation, message: str) -> None:
    assert problems("dev", mutate) == message


# --- cross references and uniqueness ----------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda r: r["apps"][0]["secrets"][0].update(mount="kv"),
            "config vault-k8s:apps[0].secrets[0]: kv mount 'kv' is not declared under `kv`",
        ),
        (
            lambda r: r["apps"][0]["secrets"][0].update(path="db-password"),
            "config vault-k8s:apps[0].secrets[0]: secret 'db-password' is not declared in kv mount 'secret'",
        ),
        (
            lambda r: r["apps"][2]["secrets"][0].update(keys=["username", "token"]),
            "config vault-k8s:apps[2].secrets[0]: keys ['token'] are not declared for kvv2/webapp/config",
        ),
        (
            lambda r: r["apps"][1]["secrets"][1].update(mount="pki-int"),
            "config vault-k8s:apps[1].secrets[1]: pki mount 'pki-int' is not declared under `pki`",
        ),
        (
            lambda r: r["apps"][1]["secrets"][1].update(role="web"),
            "config vault-k8s:apps[1].secrets[1]: pki role 'web' is not declared in mount 'pki'",
        ),
        (
            lambda r: r["apps"][2]["secrets"][1].update(ttl="2m"),
            "config vault-k8s:apps[2].secrets[1]: ttl 2m exceeds the role's maxTtl 60s",
        ),
        (
            lambda r: r["apps"][2].update(name="webapp"),
            "config vault-k8s:apps[2].name: duplicate 'webapp'",
        ),
        (
            lambda r: r["apps"][0].update(policy="injection-app"),
            "config vault-k8s:apps[1].policy: duplicate 'injection-app'",
        ),
        (
            lambda r: r["apps"][2].update(role="database"),
            "config vault-k8s:apps[2].role: duplicate 'database'",
        ),
        (
            lambda r: r["kv"][2].update(path="pki"),
            "config vault-k8s:pki[0].path: 'pki' is a kv mount path too",
        ),
        (
            lambda r: r["kv"][1].update(path="/secret/"),
            "config vault-k8s:kv[1].path: duplicate 'secret'",
        ),
    ],
)
def test_cross_references(mutate: Mutation, message: str) -> None:
    assert problems("dev", mutate) == message


def test_a_ref_may_read_a_subset_of_the_declared_keys() -> None:
    cfg = parses("dev", lambda r: r["apps"][2]["secrets"][0].update(keys=["password"]))
    ref = app(cfg, "webapp-vso").secrets[0]
    assert isinstance(ref, KvRef) and ref.keys == ["password"]


# --- where Vault is: the tutorial's external-mode mistakes ------------------------------------


def _external(vault: dict[str, Any], auth: dict[str, Any] | None) -> Mutation:
    def mutate(r: dict[str, Any]) -> None:
        r["vault"] = vault
        if auth is None:
            r.pop("kubernetesAuth", None)
        else:
            r["kubernetesAuth"] = auth

    return mutate


def test_external_https_needs_the_vault_ca() -> None:
    vault = {k: v for k, v in EXTERNAL_VAULT.items() if k != "caCertFile"}
    assert problems("dev", _external(vault, EXTERNAL_AUTH)) == (
        "config vault-k8s:vault.caCertFile: is required for an https external Vault "
        "(the CA that signed the Vault server certificate)"
    )


def test_external_https_only_for_pulumi_still_needs_the_ca() -> None:
    vault = {"mode": "external", "address": "https://vault.example.com:8200", "workloadAddress": "http://vault:8200"}
    assert problems("dev", _external(vault, EXTERNAL_AUTH)).startswith("config vault-k8s:vault.caCertFile: is required")


@pytest.mark.parametrize(
    "vault",
    [
        {**{k: v for k, v in EXTERNAL_VAULT.items() if k != "caCertFile"}, "skipTlsVerify": True},
        {"mode": "external", "workloadAddress": "http://vault.lan:8200"},
        EXTERNAL_VAULT,
    ],
)
def test_external_vault_accepted(vault: dict[str, Any]) -> None:
    cfg = parses("dev", _external(vault, EXTERNAL_AUTH))
    assert cfg.vault.mode == "external"
    assert cfg.kubernetes_auth.reviewer == ReviewerConfig(service_account="vault-token-reviewer", namespace="default")


def test_external_needs_the_kubernetes_ca() -> None:
    auth = {"host": "https://api.k8s.example.com:6443"}
    assert problems("dev", _external(EXTERNAL_VAULT, auth)) == (
        "config vault-k8s:kubernetesAuth.caCertFile: is required in external mode "
        "(Vault must verify the Kubernetes API it calls)"
    )


def test_external_needs_a_kubernetes_host_vault_can_reach() -> None:
    auth = {"caCertFile": "certs/kubernetes-ca.pem"}
    assert problems("dev", _external(EXTERNAL_VAULT, auth)) == (
        "config vault-k8s:kubernetesAuth.host: must be set in external mode to a Kubernetes API "
        "address that Vault can reach"
    )


@pytest.mark.parametrize(
    "host", ["https://vault.example.com:8200", "https://vault.example.com:8200/", "http://vault.default:8200"]
)
def test_kubernetes_host_is_not_the_vault_address(host: str) -> None:
    """The tutorial's external tab writes `kubernetes_host="$EXTERNAL_VAULT_ADDR"`."""
    vault = {**EXTERNAL_VAULT, "workloadAddress": "http://vault.default:8200"}
    auth = {**EXTERNAL_AUTH, "host": host}
    assert problems("dev", _external(vault, auth)) == (
        "config vault-k8s:kubernetesAuth.host: is the Vault address; set it to the Kubernetes API "
        "address as Vault reaches it"
    )


def test_internal_mode_needs_no_ca() -> None:
    cfg = load_stack("dev")
    assert cfg.vault.ca_cert_file is None and cfg.kubernetes_auth.ca_cert_file is None


# --- the in-cluster Vault: where Pulumi reaches it ----------------------------------------------------------------

NODE_PORT_ONLY_FROM_CHART = (
    "config vault-k8s:vault.nodePort: is only for the in-cluster Vault the vault chart installs (vault.mode internal "
    "with charts.managed true); this stack's Vault is not installed by it"
)
ADDRESS_REQUIRED = (
    "config vault-k8s:vault.address: is required with the in-cluster Vault (vault.mode internal, charts.managed): "
    "where Pulumi reaches the Vault this stack installs, e.g. http://<minikube ip>:<vault.nodePort>; no VAULT_ADDR "
    "points at it"
)


def test_only_dev_has_the_in_cluster_vault() -> None:
    assert [load_stack(s).vault_from_chart() for s in ("dev", "local", "prod")] == [True, False, False]


def test_a_node_port_needs_the_in_cluster_vault_external() -> None:
    assert problems("dev", _external({**EXTERNAL_VAULT, "nodePort": 30200}, EXTERNAL_AUTH)) == NODE_PORT_ONLY_FROM_CHART


def test_a_node_port_needs_the_in_cluster_vault_unmanaged_charts() -> None:
    def unmanaged(r: dict[str, Any]) -> None:
        r["charts"] = {**r["charts"], "managed": False}

    assert problems("dev", unmanaged) == NODE_PORT_ONLY_FROM_CHART


@pytest.mark.parametrize(
    ("port", "reason"),
    [
        (29999, "29999 is not in Kubernetes' NodePort range 30000-32767"),
        (32768, "32768 is not in Kubernetes' NodePort range 30000-32767"),
        ("30200", "Input should be a valid integer"),
        (True, "Input should be a valid integer"),
        (30200.0, "Input should be a valid integer"),
    ],
)
def test_node_port_range_and_type(port: object, reason: str) -> None:
    def set_port(r: dict[str, Any]) -> None:
        r["vault"]["nodePort"] = port

    assert problems("dev", set_port) == f"config vault-k8s:vault.nodePort: {reason}"


@pytest.mark.parametrize("port", [30000, 32767])
def test_node_port_bounds_accepted(port: int) -> None:
    def set_port(r: dict[str, Any]) -> None:
        r["vault"]["nodePort"] = port

    assert parses("dev", set_port).vault.node_port == port


def test_the_in_cluster_vault_needs_the_address_pulumi_reaches_it_at() -> None:
    def no_address(r: dict[str, Any]) -> None:
        del r["vault"]["address"]

    assert problems("dev", no_address) == ADDRESS_REQUIRED


def test_an_address_without_a_node_port_is_accepted() -> None:
    """Vault reached some other way (a LoadBalancer, an ingress): the Service keeps the chart's type."""

    def no_node_port(r: dict[str, Any]) -> None:
        del r["vault"]["nodePort"]

    assert parses("dev", no_node_port).vault.node_port is None


def test_without_the_in_cluster_vault_the_address_may_come_from_vault_addr() -> None:
    def unmanaged(r: dict[str, Any]) -> None:
        r["charts"] = {**r["charts"], "managed": False}
        r["vault"] = {}

    cfg = parses("dev", unmanaged)
    assert (cfg.vault.address, cfg.vault_from_chart()) == (None, False)


def test_app_model_directly() -> None:
    with pytest.raises(ValidationError) as caught:
        AppDecl.model_validate(
            {
                "name": "a",
                "method": "csi",
                "serviceAccount": "a",
                "policy": "a",
                "role": "a",
                "secrets": [{"kind": "kv", "mount": "kv", "path": "a", "keys": ["k"], "file": "f"}],
                "workload": {"name": "a"},
            }
        )
    assert [e["msg"] for e in caught.value.errors()] == [
        "Value error, secretProviderClass: is required for the csi method"
    ]
