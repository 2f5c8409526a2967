"""One measured evaluation in a fresh interpreter: `python -m bench.worker {program|flat|record|verify} N [FILE]`.

Prints one JSON line with its phase times. The parent measures wall time and peak RSS itself.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pulumi  # noqa: E402, F401
import pulumi_kubernetes  # noqa: E402, F401
import pulumi_vault  # noqa: E402, F401

from bench.configs import bench_config  # noqa: E402
from bench.mockrun import BenchRecorder, evaluate, run_main  # noqa: E402

IMPORTED = time.perf_counter()


def _program(n: int) -> dict[str, float]:
    config, secret_keys = bench_config(n)
    ready = time.perf_counter()
    evaluate(config, secret_keys, run_main)
    return {"setup_s": ready - IMPORTED, "eval_s": time.perf_counter() - ready}


def flat_source(path: Path) -> Path:
    """The generated flat program of a recording (written by `verify`)."""
    return path.with_suffix(".flat.py")


def _flat(path: Path) -> dict[str, float]:
    """Run the generated flat program: parse and evaluate its source, as Python runs a user's __main__.py."""
    from bench.flat_typed import run

    program = flat_source(path)
    ready = time.perf_counter()
    source = program.read_text()
    evaluate({}, [], lambda: run(source, str(program)))
    return {"setup_s": ready - IMPORTED, "eval_s": time.perf_counter() - ready}


def _verify(path: Path) -> dict[str, float]:
    """Generate the flat program, run it under the recorder, and check it registers what the program did."""
    from bench import recording
    from bench.flat_typed import generate, run

    data = recording.load(path)
    source = generate(data)
    flat_source(path).write_text(source)
    recorder = BenchRecorder()
    evaluate({}, [], lambda: run(source, str(flat_source(path))), recorder)
    mismatch = recording.compare(data, recording.to_recording(recorder))
    if mismatch:
        raise SystemExit(f"flat program differs from the recorded program: {mismatch}")
    return {
        "verified_resources": float(len(recording.custom_resources(data))),
        "source_lines": float(len(source.splitlines())),
    }


def _record(n: int, path: Path) -> dict[str, float]:
    from bench import recording

    config, secret_keys = bench_config(n)
    recorder = BenchRecorder()
    exports: dict[str, Any] = {}

    def after(found: dict[str, Any]) -> Any:
        exports.update(found["plan"].exports)
        return found["built"].platform.auth_backend.path.apply(lambda p: exports.update(authPath=p))

    ready = time.perf_counter()
    evaluate(config, secret_keys, lambda: run_main(after=after), recorder)
    elapsed = time.perf_counter() - ready
    recording.save(recording.to_recording(recorder, exports), path)
    return {"setup_s": ready - IMPORTED, "eval_s": elapsed}


def main(argv: list[str]) -> int:
    mode = argv[0]
    if mode == "program":
        phases = _program(int(argv[1]))
    elif mode == "flat":
        phases = _flat(Path(argv[2]))
    elif mode == "verify":
        phases = _verify(Path(argv[2]))
    elif mode == "record":
        phases = _record(int(argv[1]), Path(argv[2]))
    else:
        print(f"unknown mode {mode!r}", file=sys.stderr)
        return 2
    print(json.dumps({"import_s": IMPORTED - START, **phases}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
