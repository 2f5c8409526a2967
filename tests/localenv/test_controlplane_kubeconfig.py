from __future__ import annotations

import base64
from pathlib import Path

import yaml

from localenv.controlplane.kubeconfig import render_kubeconfig, write_kubeconfig


def test_render_kubeconfig_embeds_certs() -> None:
    doc = yaml.safe_load(render_kubeconfig("https://127.0.0.1:1234", b"CA", b"CERT", b"KEY", "admin"))
    assert doc["current-context"] == "local"
    (context,) = doc["contexts"]
    assert context["name"] == "local"
    assert context["context"]["user"] == "admin"
    (cluster,) = doc["clusters"]
    assert cluster["cluster"]["server"] == "https://127.0.0.1:1234"
    assert base64.b64decode(cluster["cluster"]["certificate-authority-data"]) == b"CA"
    (user,) = doc["users"]
    assert base64.b64decode(user["user"]["client-certificate-data"]) == b"CERT"
    assert base64.b64decode(user["user"]["client-key-data"]) == b"KEY"


def test_write_kubeconfig_is_private(tmp_path: Path) -> None:
    for name in ("ca", "crt", "key"):
        (tmp_path / name).write_bytes(name.encode())
    path = write_kubeconfig(
        tmp_path / "kubeconfig",
        "https://127.0.0.1:9",
        tmp_path / "ca",
        tmp_path / "crt",
        tmp_path / "key",
        "admin",
    )
    assert path.stat().st_mode & 0o777 == 0o600
    assert yaml.safe_load(path.read_text())["kind"] == "Config"
