from __future__ import annotations

from pathlib import Path

import pytest

from localenv.controlplane.__main__ import build_parser, main


@pytest.mark.parametrize("argv", [["start", "--state", "/x"], ["--state", "/x", "start"]])
def test_state_option_either_side(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert args.command == "start"
    assert args.state == Path("/x")
    assert args.timeout == 60.0


def test_state_defaults_when_absent() -> None:
    args = build_parser().parse_args(["status"])
    assert not hasattr(args, "state")


def test_status_and_stop_without_state(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none"
    assert main(["status", "--state", str(missing)]) == 1
    assert "not running" in capsys.readouterr().out
    assert main(["stop", "--state", str(missing)]) == 0
    assert "not running" in capsys.readouterr().out


def test_stop_refuses_foreign_dir(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("x")
    assert main(["stop", "--state", str(tmp_path)]) == 1
    assert (tmp_path / "keep.txt").exists()
