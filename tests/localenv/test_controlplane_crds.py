from __future__ import annotations

from pathlib import Path

import pytest

from localenv.controlplane.crds import crd_files, is_established, load_crds
from localenv.controlplane.errors import ControlPlaneError
from localenv.controlplane.paths import crds_dir


@pytest.mark.skipif(not crds_dir().is_dir(), reason="shared CRDs not present")
def test_shared_crds_load() -> None:
    crds = load_crds(crd_files(crds_dir()))
    names = {c["metadata"]["name"] for c in crds}
    assert "secretproviderclasses.secrets-store.csi.x-k8s.io" in names
    assert "vaultauths.secrets.hashicorp.com" in names
    assert all(c["apiVersion"] == "apiextensions.k8s.io/v1" for c in crds)


def test_load_rejects_other_kinds(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("---\nkind: ConfigMap\nmetadata: {name: x}\n")
    with pytest.raises(ControlPlaneError, match="expected a CustomResourceDefinition"):
        load_crds(crd_files(tmp_path))


def test_crd_files_recurse_and_skip_empty_docs(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.yml").write_text("---\n---\nkind: CustomResourceDefinition\nmetadata: {name: b}\n")
    (tmp_path / "notes.txt").write_text("ignored")
    assert [p.name for p in crd_files(tmp_path)] == ["b.yml"]
    assert [c["metadata"]["name"] for c in load_crds(crd_files(tmp_path))] == ["b"]


def test_is_established() -> None:
    assert is_established({"status": {"conditions": [{"type": "Established", "status": "True"}]}})
    assert not is_established({"status": {"conditions": [{"type": "Established", "status": "False"}]}})
    assert not is_established({})
