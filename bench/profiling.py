"""`python -m bench profile N [--flat]`: where evaluation time goes (the program, or the flat typed program), by
pyinstrument sampling."""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.results import RESULTS_DIR

TOP = 25
INTERVAL_S = 0.005
WRAPPER_SHARE = 0.9
SKIP_PATHS = (
    "asyncio/",
    "<frozen",
    "runpy",
    "bench/",
    "__main__.py:1)",
    "pulumi/runtime/stack.py",
    "pulumi/runtime/sync_await.py",
    "pulumi/runtime/mocks.py",
)


def _identity(frame: Any) -> str:
    return f"{frame.function} ({frame.file_path_short}:{frame.line_no})"


def _ranked(times: dict[str, float]) -> list[tuple[str, float]]:
    return sorted(times.items(), key=lambda item: (-item[1], item[0]))


def summarize(root: Any, top: int = TOP) -> dict[str, Any]:
    """Top functions by self time, and by cumulative time without the event-loop and runner wrappers."""
    total = float(root.time) or 1e-9
    self_time: defaultdict[str, float] = defaultdict(float)
    cumulative: defaultdict[str, float] = defaultdict(float)
    stack: list[tuple[Any, frozenset[str]]] = [(root, frozenset())]
    while stack:
        frame, above = stack.pop()
        if frame.is_synthetic:
            continue
        ident = _identity(frame)
        self_time[ident] += frame.total_self_time
        if ident not in above:
            cumulative[ident] += frame.time
        stack.extend((child, above | {ident}) for child in frame.children)
    interesting = [
        (ident, seconds)
        for ident, seconds in _ranked(cumulative)
        if seconds < WRAPPER_SHARE * total and not any(p in ident for p in SKIP_PATHS)
    ]

    def rows(items: list[tuple[str, float]]) -> list[dict[str, Any]]:
        return [{"function": i, "seconds": s, "share": s / total} for i, s in items[:top]]

    return {"total_s": total, "self": rows(_ranked(self_time)), "cumulative": rows(interesting)}


def _flat_body(n: int) -> Any:
    from bench import recording
    from bench.flat_typed import generate, run
    from bench.measure import worker

    path = Path(tempfile.mkdtemp(prefix="bench-profile-")) / f"recording-{n}.json"
    worker("record", n, path)
    source = generate(recording.load(path))

    def body() -> None:
        run(source, "flat.py")

    return {}, [], body


def profile(n: int, flat: bool = False, out_dir: Path = RESULTS_DIR) -> dict[str, Any]:
    """Profile one evaluation of the program (or the flat replay) with `n` apps; write the text report."""
    import pulumi  # noqa: F401
    import pulumi_kubernetes  # noqa: F401
    import pulumi_vault  # noqa: F401
    from pyinstrument import Profiler

    from bench.configs import bench_config
    from bench.mockrun import evaluate, run_main

    if flat:
        config, secret_keys, body = _flat_body(n)
    else:
        config, secret_keys = bench_config(n)
        body = run_main
    profiler = Profiler(interval=INTERVAL_S, async_mode="disabled")
    profiler.start()
    evaluate(config, secret_keys, body)
    profiler.stop()
    name = f"profile-{'flat' if flat else 'program'}-{n}.txt"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / name).write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    session = profiler.last_session
    assert session is not None
    root = session.root_frame()
    assert root is not None
    summary = summarize(root)
    summary |= {"n": n, "program": "flat" if flat else "program", "report": name}
    return summary


def render(summary: dict[str, Any]) -> str:
    lines = [f"{summary['program']} n={summary['n']}: {summary['total_s']:.2f} s sampled ({summary['report']})"]
    for key, title in (("cumulative", "cumulative (wrappers left out)"), ("self", "self time")):
        lines.append(f"top {title}:")
        lines += [f"  {r['seconds']:8.3f} s {r['share'] * 100:5.1f}%  {r['function']}" for r in summary[key]]
    return "\n".join(lines)


def main(n: int, flat: bool, json_path: Path | None) -> int:
    summary = profile(n, flat)
    print(render(summary))
    if json_path is not None:
        json_path.write_text(json.dumps(summary, indent=2))
    return 0
