"""`python -m bench [b1|b2|b3|all|profile N]`: the benchmark suite (default: every section)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench import b1
from bench.sections import SECTIONS, run_section


def _sizes(text: str) -> list[int]:
    sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError(f"sizes must be positive integers: {text!r}")
    return sizes


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    sub = top.add_subparsers(dest="command")
    sub.add_parser("all", help="every section; those whose prerequisites are missing print 'not run'")
    one = sub.add_parser("b1", help=SECTIONS["b1"].title)
    one.add_argument("--sizes", type=_sizes, default=list(b1.DEFAULT_SIZES), help="comma-separated app counts")
    one.add_argument("--runs", type=int, default=b1.DEFAULT_RUNS, help="fresh processes per point (median)")
    one.add_argument("--no-plot", action="store_true")
    one.add_argument("--no-profile", action="store_true", help="do not profile when a target is missed")
    for name in ("b2", "b3"):
        sub.add_parser(name, help=SECTIONS[name].title)
    sub.add_parser("report", help="the B2 and B3 tables of results.json as Markdown")
    prof = sub.add_parser("profile", help="pyinstrument profile of one evaluation with N apps")
    prof.add_argument("n", type=int)
    prof.add_argument("--flat", action="store_true", help="profile the flat typed program instead of the program")
    prof.add_argument("--json", type=Path, default=None, help="also write the summary as JSON here")
    return top


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv or ["all"])
    if args.command == "profile":
        from bench.profiling import main as profile_main

        return profile_main(args.n, args.flat, args.json)
    if args.command == "report":
        from bench.report import main as report_main

        return report_main()
    if args.command == "b1":
        if args.runs < 1:
            print("--runs must be at least 1", file=sys.stderr)
            return 2
        run_section(
            "b1",
            sizes=args.sizes,
            runs=args.runs,
            plot_file=None if args.no_plot else b1.PLOT_FILE,
            profile=not args.no_profile,
        )
        return 0
    names = list(SECTIONS) if args.command == "all" else [args.command]
    began = time.monotonic()
    for name in names:
        started = time.monotonic()
        run_section(name)
        print(f"{name}: {time.monotonic() - started:.0f} s", flush=True)
    print(f"bench: {time.monotonic() - began:.0f} s in all", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
