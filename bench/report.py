"""`python -m bench report`: the B2 and B3 tables of results.json as Markdown, as README's Performance section shows
them (so the README's figures are the recorded ones, not retyped)."""

from __future__ import annotations

from typing import Any

from bench import results

METHOD_NAMES = {"csi": "CSI", "injector": "Injector", "vso": "VSO"}


def b2_table(section: dict[str, Any]) -> str:
    lines = [
        "| stack | resources (custom / components) | operation | program | flat program | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for row in section["runs"]:
        size = f"{row['resources']['custom']} / {row['resources']['components']}"
        program, flat = row["program"], row["flat"]
        ops = []
        if "up_ratio" in row:
            ops.append(("`up` from empty", program["up_from_empty_s"], flat["up_from_empty_s"], row["up_ratio"]))
        ops.append(("no-change preview", program["preview"]["median_s"], flat["preview"]["median_s"],
                    row["preview_ratio"]))  # fmt: skip
        ops.append(("one-value change", program["change_s"], flat["change_s"], row["change_ratio"]))
        for name, mine, theirs, ratio in ops:
            lines.append(f"| {row['label']} | {size} | {name} | {mine:.2f} s | {theirs:.2f} s | {ratio:.2f} |")
        if "up_adding_apps_s" in program:
            lines.append(f"| {row['label']} | {size} | `up` adding the apps | {program['up_adding_apps_s']:.2f} s | "
                         "| |")  # fmt: skip
    return "\n".join(lines)


def b3_table(section: dict[str, Any]) -> str:
    servers = section["servers"]
    head = " | ".join(f"{s} {e.get('server_version', '')}".strip() for s, e in servers.items())
    lines = [f"| method | bound | {head} |", "|---|---|" + "---|" * len(servers)]
    for method, name in METHOD_NAMES.items():
        cells = []
        bound = ""
        for entry in servers.values():
            row = entry[method]
            if row.get("status") == "failed":
                cells.append(f"failed: {row['error']}")
                continue
            bound = f"{row['bound']}: {row['bound_s']:.1f} s"
            cells.append(f"p50 {row['p50_s']:.2f} s ({row['p50_fraction_of_bound']:.2f}×), max {row['max_s']:.2f} s "
                         f"({row['max_fraction_of_bound']:.2f}×), n={row['changes']}")  # fmt: skip
        lines.append(f"| {name} | {bound} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def first_secret_table(section: dict[str, Any]) -> str:
    servers = section["servers"]
    lines = ["| server | `up` from empty | CSI | Injector | VSO | all three |", "|---|---|---|---|---|---|"]
    for server, entry in servers.items():
        firsts = entry["first_secret_s"]
        cells = [f"{v:.1f} s" if isinstance(v, int | float) else str(v) for v in
                 (firsts["csi"], firsts["injector"], firsts["vso"], firsts["total"])]  # fmt: skip
        lines.append(f"| {server} | {entry['up_from_empty_s']:.1f} s | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    data = results.load()
    for name, render in (("b2", b2_table), ("b3", b3_table)):
        section = data.get(name, {})
        if section.get("status") in ("ok", "failed") and ("runs" in section or "servers" in section):
            print(f"{name}:\n{render(section)}\n")
    if "servers" in data.get("b3", {}):
        print(f"time to first secret:\n{first_secret_table(data['b3'])}")
    return 0
