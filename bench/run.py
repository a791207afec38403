"""Run the benchmarks: `python -m bench.run [name] [--quick] [benchmark options]`.

Builds the demo database once (`truce demo --no-serve` into a scratch
folder), runs each benchmark in its own process (each points Django at its
own copy), prints a table, and writes the figures into bench/BENCHMARKS.md:
each benchmark's generated block between its markers is replaced, and the
summary at the top is rebuilt from every block. Hand-written notes outside
the markers are kept. A --quick run (tiny sizes, for the smoke test) records
nothing unless --record is given.

Options after the name go to that benchmark, e.g.
`python -m bench.run counts_at_scale --rows 2000000`; see
`python -m bench.<name> --help`.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import PYTHON, REPO, build_template, log, machine

BENCHMARKS = (
    "batch_ingest",
    "single_ingest",
    "counts_at_scale",
    "grouping",
    "shelter_allocation",
    "damage_rollups",
    "routing",
    "stock_levels",
)
MARKDOWN = Path(__file__).resolve().parent / "BENCHMARKS.md"
TIMEOUT_S = {"quick": 600, "full": 3 * 3600}
STATE = {True: "met", False: "**missed**", None: "n/a"}


def _start(name: str) -> str:
    return f"<!-- bench:{name}:start -->"


def _end(name: str) -> str:
    return f"<!-- bench:{name}:end -->"


def render(result: dict[str, Any]) -> str:
    """The generated part of a benchmark's section."""
    m = result["machine"]
    lines = [
        f"Measured {result['measured_at']} with `{result['command']}` on {m['nproc']} cores "
        f"({m['cpu']}), {m['memory_gib']} GiB, Python {m['python']}, SQLite {m['sqlite']}.",
    ]
    if result["quick"]:
        lines.append("")
        lines.append("**Quick run (tiny sizes): these figures prove the code, not the targets.**")
    lines += ["", "Data:", ""]
    lines += [f"- {key}: {value}" for key, value in result["sizes"].items()]
    lines += ["", "| figure | value |", "| --- | --- |"]
    lines += [f"| {label} | {value} |" for label, value in result["figures"]]
    lines += ["", "| target | measured | met |", "| --- | --- | --- |"]
    lines += [f"| {t['target']} | {t['measured']} | {STATE[t['met']]} |" for t in result["targets"]]
    if result["notes"]:
        lines += ["", "From the run:", ""]
        lines += [f"- {note}" for note in result["notes"]]
    data = {
        "title": result["title"],
        "measured_at": result["measured_at"],
        "quick": result["quick"],
        "targets": result["targets"],
    }
    lines += ["", f"<!-- bench:{result['name']}:data {json.dumps(data)} -->"]
    return "\n".join(lines)


def _summary(text: str) -> str:
    rows = ["| benchmark | target | measured | met |", "| --- | --- | --- | --- |"]
    for name in BENCHMARKS:
        found = re.search(rf"<!-- bench:{name}:data (.*?) -->", text)
        if not found:
            rows.append(f"| {name} | not measured yet | | |")
            continue
        data = json.loads(found.group(1))
        when = data["measured_at"] + (", quick" if data["quick"] else "")
        for t in data["targets"]:
            rows.append(
                f"| [{name}](#{name}) ({when}) | {t['target']} | {t['measured']} "
                f"| {STATE[t['met']]} |"
            )
    return "\n".join(rows)


def _replace(text: str, name: str, body: str, heading: str) -> str:
    block = f"{_start(name)}\n{body}\n{_end(name)}"
    pattern = re.compile(re.escape(_start(name)) + r".*?" + re.escape(_end(name)), re.S)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text)
    return text.rstrip() + f"\n\n{heading}\n\n{block}\n\n_Note: none yet._\n"


def record(results: list[dict[str, Any]], path: Path = MARKDOWN) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    for result in results:
        heading = f"## {result['name']}\n\n{result['title']}."
        text = _replace(text, result["name"], render(result), heading)
    text = _replace(text, "summary", _summary(text), "## Summary")
    path.write_text(text.rstrip() + "\n", encoding="utf-8")


def table(results: list[dict[str, Any]]) -> str:
    rows = [("benchmark", "target", "measured", "met")]
    for r in results:
        for t in r["targets"]:
            rows.append((r["name"], t["target"], t["measured"], STATE[t["met"]].strip("*")))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join(
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in rows
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("name", nargs="?", choices=BENCHMARKS, help="one benchmark (default all)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to prove the code")
    parser.add_argument("--record", action="store_true", help="write BENCHMARKS.md even if quick")
    parser.add_argument("--no-record", action="store_true", help="leave BENCHMARKS.md alone")
    parser.add_argument("--json", type=Path, help="also write all results to this file")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a new temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args, extra = parser.parse_known_args(argv)
    if extra and not args.name:
        parser.error(f"options {extra} need a benchmark name")
    names = [args.name] if args.name else list(BENCHMARKS)
    work = args.work or Path(tempfile.mkdtemp(prefix="truce-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    m = machine()
    log(f"bench: {', '.join(names)} in {work} ({m['nproc']} x {m['cpu']}, {m['memory_gib']} GiB)")
    results: list[dict[str, Any]] = []
    failed: list[str] = []
    try:
        template = build_template(work / "template")
        for name in names:
            out = work / f"{name}.json"
            out.unlink(missing_ok=True)
            command = [PYTHON, "-m", f"bench.{name}", "--template", str(template)]
            command += ["--work", str(work), "--out", str(out)]
            command += (["--quick"] if args.quick else []) + extra
            try:
                done = subprocess.run(
                    command,
                    cwd=REPO,
                    timeout=TIMEOUT_S["quick" if args.quick else "full"],
                    check=False,
                )
                ok = done.returncode == 0 and out.exists()
            except subprocess.TimeoutExpired:
                ok = False
            if not ok:
                failed.append(name)
                continue
            result = json.loads(out.read_text(encoding="utf-8"))
            shown = " ".join(["python -m bench.run", name, *(["--quick"] if args.quick else [])])
            result["command"] = " ".join([shown, *extra])
            results.append(result)
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    if results:
        log("\n" + table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    if results and not args.no_record and (args.record or not args.quick):
        record(results)
        log(f"\nrecorded in {MARKDOWN.relative_to(REPO)}")
    if failed:
        log(f"\nfailed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
