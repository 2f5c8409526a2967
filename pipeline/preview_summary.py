"""Markdown summary of a `pulumi preview --json` run, for a PR comment.

Usage:
  python -m pipeline.preview_summary PREVIEW_JSON [--events EVENT_LOG] [--stack NAME]
                                     [--allow URN_OR_NAME ...] [--output FILE]

Exits 1 when a change would destroy data (a Vault mount, auth mount, PKI root or
issuer, or a CRD) and is not allowed by --allow or ALLOW_DATA_LOSS (comma-separated).
"""

import argparse
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pipeline.data_loss import Change, data_loss_changes, is_allowed, protected_changes
from pipeline.preview_data import Preview, load_json_document, parse_policy_events, parse_preview

OP_ORDER: Final = ("create", "update", "replace", "delete", "same")
EXIT_OK: Final = 0
EXIT_BLOCKED: Final = 1
EXIT_USAGE: Final = 2


@dataclass(frozen=True)
class Summary:
    markdown: str
    blocked: tuple[Change, ...]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def operation_counts(preview: Preview) -> dict[str, int]:
    """From changeSummary; counted from the steps when the summary is missing."""
    counts = dict(preview.change_summary)
    if not counts:
        for step in preview.steps:
            counts[step.op] = counts.get(step.op, 0) + 1
    ordered = {op: counts[op] for op in OP_ORDER if counts.get(op)}
    ordered |= {op: n for op, n in sorted(counts.items()) if op not in ordered and n}
    return ordered


def _change_label(change: Change) -> str:
    return f"{change.op} ({', '.join(change.keys)})" if change.keys else change.op


def _changes_section(title: str, changes: Sequence[Change], allowed: Sequence[str] | None) -> list[str]:
    if not changes:
        return []
    header = ["Resource", "Type", "Change", "Why"] + (["Allowed"] if allowed is not None else [])
    rows = []
    for change in changes:
        row = [f"`{change.name}`", f"`{change.type}`", _change_label(change), change.reason]
        if allowed is not None:
            row.append("yes" if is_allowed(change, allowed) else "**no**")
        rows.append(row)
    return ["", f"#### {title}", "", *_table(header, rows)]


def render(preview: Preview, stack: str, allowed: Sequence[str]) -> Summary:
    counts = operation_counts(preview)
    losses = data_loss_changes(preview.steps)
    blocked = tuple(c for c in losses if not is_allowed(c, allowed))
    errors = [d for d in preview.diagnostics if d.severity == "error"]
    lines = [f"### Pulumi preview: `{stack}`" if stack else "### Pulumi preview"]
    if counts:
        lines += ["", *_table(["Operation", "Count"], [(op, str(n)) for op, n in counts.items()])]
    if not any(op != "same" for op in counts) and not errors:
        lines += ["", "No changes."]
    lines += _changes_section("Data-loss risk", losses, allowed)
    if blocked:
        lines += [
            "",
            f"**Blocked:** {len(blocked)} data-loss change(s) not allowed. If the loss is intended, "
            "allow each one by URN or name: `--allow`, `ALLOW_DATA_LOSS`, or in CI a line "
            "`allow-data-loss: <URN or name>` in the pull request description.",
        ]
    lines += _changes_section("Protected resources touched", protected_changes(preview.steps), None)
    if preview.violations:
        rows = [
            (v.level, v.policy, f"`{v.urn.rsplit('::', 1)[-1]}`" if v.urn else "stack", v.message)
            for v in preview.violations
        ]
        lines += ["", "#### Policy violations", "", *_table(["Level", "Policy", "Resource", "Message"], rows)]
    if errors:
        lines += ["", "#### Errors", ""] + [f"- {_cell(d.message)}" for d in errors]
    return Summary("\n".join(lines) + "\n", blocked)


def allow_list(cli: Sequence[str], env: str | None) -> list[str]:
    entries = list(cli) + (env.split(",") if env else [])
    return [e.strip() for e in entries if e.strip()]


def _read_document(path: str) -> Mapping[str, Any]:
    if path == "-":
        text = sys.stdin.read()
    else:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    document = load_json_document(text)
    if not isinstance(document, Mapping):
        raise ValueError("preview output is not a JSON object")
    return document


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.preview_summary",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("preview", help="output of `pulumi preview --json`, or - for stdin")
    parser.add_argument("--events", help="file written by `pulumi preview --event-log`")
    parser.add_argument("--stack", default="", help="stack name for the heading")
    parser.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="URN_OR_NAME",
        help="a data-loss change that is intended (repeatable)",
    )
    parser.add_argument("--output", help="also write the Markdown here")
    args = parser.parse_args(argv)
    try:
        preview = parse_preview(_read_document(args.preview))
        if args.events and os.path.exists(args.events):
            with open(args.events, encoding="utf-8") as handle:
                preview.violations = parse_policy_events(handle)
    except (OSError, ValueError) as err:
        print(f"preview_summary: cannot read preview: {err}", file=sys.stderr)
        return EXIT_USAGE
    summary = render(preview, args.stack, allow_list(args.allow, os.environ.get("ALLOW_DATA_LOSS")))
    sys.stdout.write(summary.markdown)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(summary.markdown)
    return EXIT_BLOCKED if summary.blocked else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
