"""Stack configs with N apps spread over the three delivery methods, in internal mode."""

from __future__ import annotations

from typing import Any

METHODS = ("csi", "injector", "vso")
PKI_MOUNT = "pki"
SECRET_VALUES_KEY = "vault-k8s:secretValues"
# Internal mode with the charts managed: the dev server's root token is required config.
VAULT_TOKEN_KEY = "vault-k8s:vaultToken"
VAULT_TOKEN = "bench-root-token"


def app_name(index: int) -> str:
    return f"app-{index:04d}"


def kv_mount(method: str) -> str:
    return f"kv-{method}"


def _kv_keys(method: str) -> list[str]:
    return ["username", "password"] if method == "vso" else ["password"]


def _app(index: int) -> dict[str, Any]:
    method = METHODS[index % len(METHODS)]
    name = app_name(index)
    kv_ref: dict[str, Any] = {
        "kind": "kv",
        "mount": kv_mount(method),
        "path": f"{name}/config",
        "keys": _kv_keys(method),
    }
    pki_ref: dict[str, Any] = {"kind": "pki", "mount": PKI_MOUNT, "role": name, "commonName": f"{name}.example.com"}
    app: dict[str, Any] = {
        "name": name,
        "method": method,
        "serviceAccount": f"{name}-sa",
        "policy": f"{name}-policy",
        "role": f"{name}-role",
    }
    if method == "csi":
        kv_ref["file"] = "password"
        app |= {"secretProviderClass": f"{name}-spc", "secrets": [kv_ref], "workload": {"kind": "Pod", "name": name}}
    elif method == "injector":
        kv_ref["file"] = "config.txt"
        pki_ref |= {"ttl": "30s", "certFile": "cert.pem", "keyFile": "key.pem"}
        app |= {
            "staticRenderInterval": "10s",
            "secrets": [kv_ref, pki_ref],
            "workload": {"name": name, "labels": {"app": name}},
        }
    else:
        kv_ref |= {"secretName": f"{name}-config", "refreshAfter": "30s"}
        pki_ref |= {"ttl": "60s", "secretName": f"{name}-tls"}
        app |= {"secrets": [kv_ref, pki_ref], "workload": {"name": name}}
    return app


def _declarations(apps: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The kv mounts and secrets, and the pki mount and roles, that `apps` refer to."""
    kv: dict[str, dict[str, Any]] = {}
    roles: list[dict[str, Any]] = []
    for app in apps:
        for ref in app["secrets"]:
            if ref["kind"] == "kv":
                mount = kv.setdefault(ref["mount"], {"path": ref["mount"], "secrets": []})
                mount["secrets"].append({"path": ref["path"], "keys": list(ref["keys"])})
            else:
                roles.append(
                    {
                        "name": ref["role"],
                        "ttl": "60s",
                        "maxTtl": "60s",
                        "allowedDomains": ["example.com"],
                        "allowSubdomains": True,
                    }
                )
    pki = [{"path": PKI_MOUNT, "root": {"commonName": "bench", "ttl": "86400h"}, "roles": roles}] if roles else []
    return list(kv.values()), pki


def generate_config(n: int) -> dict[str, Any]:
    """Config values as in a stack file: `n` apps, round-robin csi/injector/vso, no secretValues yet."""
    if n < 1:
        raise ValueError(f"need at least one app, got {n}")
    apps = [_app(i) for i in range(n)]
    kv, pki = _declarations(apps)
    config: dict[str, Any] = {"vault-k8s:vault": {"address": "http://127.0.0.1:8200"}, "vault-k8s:kv": kv}
    if pki:
        config["vault-k8s:pki"] = pki
    config["vault-k8s:apps"] = apps
    return config


def with_secret_values(config: dict[str, Any], values: dict[str, dict[str, str]]) -> tuple[dict[str, Any], list[str]]:
    """`config` plus the seed values and the dev root token as secret keys, and the list of secret keys to declare."""
    return {**config, SECRET_VALUES_KEY: values, VAULT_TOKEN_KEY: VAULT_TOKEN}, [SECRET_VALUES_KEY, VAULT_TOKEN_KEY]


def bench_config(n: int) -> tuple[dict[str, Any], list[str]]:
    """The full config for `n` apps, seed values included (as the test harness makes them)."""
    from tests.program.harness import demo_secret_values

    config = generate_config(n)
    return with_secret_values(config, demo_secret_values(config))
