"""Data flows one way: stackconfig -> derive -> plan -> components -> program -> __main__. Each layer imports
only the layers before it."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Each layer and what it may import of the product.
LAYERS = {
    "stackconfig": set(),
    "derive": {"stackconfig"},
    "plan": {"stackconfig", "derive"},
    "components": {"plan", "derive"},
    "providers": {"plan"},
    "program": {"plan", "components"},
    "__main__": {"stackconfig", "plan", "program", "providers"},
}


def _files(layer: str) -> list[Path]:
    folder = ROOT / layer
    return sorted(folder.glob("*.py")) if folder.is_dir() else [ROOT / f"{layer}.py"]


def _imported_layers(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom) and node.level == 0
            else []
        )
        found |= {n.split(".")[0] for n in names} & set(LAYERS)
    return found


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_a_layer_imports_only_the_layers_before_it(layer: str) -> None:
    files = _files(layer)
    assert files
    wrong = {str(f.relative_to(ROOT)): _imported_layers(f) - LAYERS[layer] - {layer} for f in files}
    assert {f: sorted(w) for f, w in wrong.items() if w} == {}


def test_the_check_sees_a_wrong_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from stackconfig.models import StackConfig\nimport components.app\n")
    assert _imported_layers(bad) == {"stackconfig", "components"}
