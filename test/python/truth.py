"""Compare the truth at each Deferred's death (``realworld/truth_site``) with the final view.

The final view is what the extension's own model makes of the recording: the CLI
``deferred-graph status FILE --json`` (built from ``src/cli`` into a temporary folder, so the
rows are the panel's rows, retention unlimited).  Every truth record must meet its row:

- a Deferred the runtime gave a serial id to has a row under that id, collected exactly when it
  died before the final flush, with Twisted's ``called``, result (kind; repr of builtin scalars
  and small containers of them; a Failure's type and message; a Deferred result's id), pending
  callbacks, ``paused``, what it waits on, DeferredList members, whether it holds an unhandled
  Failure, and ``cancelled`` wherever Twisted says it was cancelled (``_suppressAlreadyCalled``);
- a Deferred never given an id died unseen between two flushes, which is allowed unless it died
  holding an unhandled Failure or lived to the end; the header's "unseen short-lived" count
  says how many (``died_unseen``);
- no row is left without a truth record.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any, Optional

REPO = Path(__file__).resolve().parents[2]
TRUTH_SITE = Path(__file__).resolve().parent / "realworld" / "truth_site"
EXAMPLES_PER_KIND = 3


def build_cli(directory: Path) -> Path:
    """Bundle the CLI from the current sources (esbuild, well under a second)."""
    out = directory / "cli.js"
    esbuild = REPO / "node_modules" / ".bin" / "esbuild"
    subprocess.run(
        [str(esbuild), "src/cli/cli.ts", "--bundle", "--platform=node", "--format=cjs"]
        + ["--log-level=warning", "--outfile=%s" % out],
        cwd=str(REPO),
        check=True,
        timeout=120,
    )
    return out


def cli_rows(cli: Path, recording: Path) -> tuple[list[dict[str, Any]], int]:
    """The final rows of ``recording`` and its count of unseen short-lived Deferreds."""
    rows = subprocess.run(
        ["node", str(cli), "status", str(recording), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rows.returncode == 0, rows.stderr[-2000:]
    text = subprocess.run(
        ["node", str(cli), "status", str(recording)], capture_output=True, text=True, timeout=300
    )
    unseen = re.search(r"unseen short-lived (\d+)", text.stdout)
    assert unseen, text.stdout[:2000]
    return json.loads(rows.stdout), int(unseen.group(1))


def _row_result(row: dict[str, Any]) -> dict[str, Any]:
    if not row["hasResult"]:
        return {"kind": None}
    if row["failure"] is not None:
        return {"kind": "failure", **row["failure"]}
    if row["resultDeferred"] is not None:
        return {"kind": "deferred", "id": row["resultDeferred"]}
    return {"kind": "value", "repr": row["result"]}


def _result_differences(truth: dict[str, Any], row: dict[str, Any]) -> list[str]:
    want, got = truth["result"], _row_result(row)
    if want["kind"] != got["kind"]:
        return ["result %r, row %r" % (want, got)]
    known = {key: value for key, value in want.items() if value is not None}
    return [
        "result.%s %r, row %r" % (key, value, got.get(key))
        for key, value in known.items()
        if got.get(key) != value
    ]


def differences(truth: dict[str, Any], row: dict[str, Any]) -> list[str]:
    """What ``row`` says differently from Twisted's state in ``truth`` ("callbacks 0, row 2")."""
    found = []
    pairs = {
        "collected": (not truth["alive"], row["collected"]),
        "called": (truth["called"], row["called"]),
        "callbacks": (truth["callbacks"], row["callbacks"]),
        "paused": (truth["paused"], row["paused"]),
        "waitingOn": (truth["waitingOn"], row["waitingOn"]),
        "unhandledFailure": (truth["unhandled"], row["unhandledFailure"] is not None),
    }
    if truth["members"] is not None:
        pairs["members"] = (truth["members"], row["members"])
    if truth["suppressAlreadyCalled"]:
        pairs["cancelled"] = (True, row["cancelled"])
    for key, (want, got) in pairs.items():
        if want != got:
            found.append("%s %r, row %r" % (key, want, got))
    return found + _result_differences(truth, row)


class Verdict:
    """Discrepancies by kind, each with a few examples, for one process of one program."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.kinds: dict[str, list[str]] = defaultdict(list)
        self.rows = 0
        self.truths = 0

    def add(self, kind: str, example: str) -> None:
        self.kinds[kind].append(example)

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.kinds.values())

    def summary(self) -> str:
        lines = ["%s: %d rows, %d truths" % (self.name, self.rows, self.truths)]
        for kind, examples in sorted(self.kinds.items()):
            lines.append("  %d × %s" % (len(examples), kind))
            lines.extend("      " + e for e in examples[:EXAMPLES_PER_KIND])
        return "\n".join(lines)


def _describe(truth: dict[str, Any]) -> str:
    return "%s #%s" % (truth["type"], truth["serial"])


def died_unseen(truths: list[dict[str, Any]]) -> int:
    """Deferreds that died without ever being given an id: what the header's "unseen
    short-lived" count must say."""
    return sum(1 for t in truths if t["serial"] is None and not t["alive"] and not t["unhandled"])


def compare(name: str, truths: list[dict[str, Any]], rows: list[dict[str, Any]]) -> Verdict:
    """Every truth record against its row, as the module docstring says."""
    verdict = Verdict(name)
    verdict.rows, verdict.truths = len(rows), len(truths)
    by_id = {row["id"]: row for row in rows}
    seen: set[int] = set()
    for truth in truths:
        serial: Optional[int] = truth["serial"]
        if serial is None:
            if truth["alive"]:
                verdict.add("alive at the final flush, never reported", _brief(truth))
            elif truth["unhandled"]:
                verdict.add("died with an unhandled Failure, no row", _brief(truth))
            continue
        seen.add(serial)
        row = by_id.get(serial)
        if row is None:
            verdict.add("given an id but no row", _brief(truth))
            continue
        for problem in differences(truth, row):
            kind = problem.split(" ", 1)[0]
            verdict.add("row differs: %s" % kind, "%s: %s" % (_describe(truth), problem))
    for row_id in sorted(set(by_id) - seen):
        verdict.add("row without a Deferred", "row #%d %s" % (row_id, by_id[row_id]["state"]))
    return verdict


def _brief(truth: dict[str, Any]) -> str:
    fields = ("type", "called", "result", "callbacks", "alive")
    return ", ".join("%s=%r" % (key, truth[key]) for key in fields)


def load_truths(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text())
