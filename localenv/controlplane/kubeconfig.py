"""Kubeconfig files with the certificates embedded, so they stay valid when copied."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import yaml

CONTEXT = "local"
CLUSTER = "local"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def kubeconfig_dict(
    server: str,
    ca_pem: bytes,
    cert_pem: bytes,
    key_pem: bytes,
    user: str,
    context: str = CONTEXT,
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [
            {
                "name": CLUSTER,
                "cluster": {
                    "server": server,
                    "certificate-authority-data": _b64(ca_pem),
                },
            }
        ],
        "users": [
            {
                "name": user,
                "user": {
                    "client-certificate-data": _b64(cert_pem),
                    "client-key-data": _b64(key_pem),
                },
            }
        ],
        "contexts": [
            {
                "name": context,
                "context": {"cluster": CLUSTER, "user": user, "namespace": "default"},
            }
        ],
        "current-context": context,
    }


def render_kubeconfig(
    server: str,
    ca_pem: bytes,
    cert_pem: bytes,
    key_pem: bytes,
    user: str,
    context: str = CONTEXT,
) -> str:
    return yaml.safe_dump(
        kubeconfig_dict(server, ca_pem, cert_pem, key_pem, user, context),
        sort_keys=False,
    )


def write_kubeconfig(path: Path, server: str, ca_file: Path, cert_file: Path, key_file: Path, user: str) -> Path:
    text = render_kubeconfig(
        server,
        ca_file.read_bytes(),
        cert_file.read_bytes(),
        key_file.read_bytes(),
        user,
    )
    path.write_text(text)
    path.chmod(0o600)
    return path
