"""Deferred microbenchmark (FIELD-NOTES §1): what observing every Deferred costs.

One iteration = 2 Deferreds, 3 callbacks, one chain (a's first callback returns b), both fired.
Timing = best of 5 runs of 50,000 iterations, in microseconds per iteration.

    python deferred_micro.py [--out FILE]       # both Twisted versions, with and without debugpy
    python deferred_micro.py --one [--debugpy]  # this interpreter only, JSON out

Modes: ``plain``; ``installed`` = the runtime installed with a recording file as its only
transport (the sender's pump thread drains and writes JSON Lines while the loop runs);
``debugging`` = Twisted's own ``setDebugging(True)``, for comparison.  The modes alternate in
one process (see ``run_modes``).  ``--debugpy`` first calls ``debugpy.listen()``, which starts
pydevd and its trace function in every thread exactly as a launch does, without a client.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Optional

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
INTERPRETERS = ["/usr/bin/python3", os.path.join(REPO, ".cache", "venv-tw26", "bin", "python")]
MODES = ["plain", "installed", "debugging"]
RUNS, ITERATIONS = 5, 50_000


def _one(value):
    return value


def _plus(value):
    return value + 1


def measure(runs: int = RUNS, iterations: int = ITERATIONS) -> float:
    """Best-of-``runs`` CPU microseconds per iteration of the Deferred workload.

    CPU time of the whole process (``time.process_time``: every thread, so the sender's pump
    thread is charged too), not wall time: this machine is shared, and wall time mostly
    measures how busy the neighbours are."""
    from twisted.internet.defer import Deferred

    def iteration() -> None:
        a = Deferred()
        b = Deferred()
        a.addCallback(lambda _: b)
        a.addCallback(_plus)
        b.addCallback(_one)
        a.callback(1)
        b.callback(2)

    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        for _ in range(iterations):
            iteration()
        best = min(best, time.process_time() - start)
    return best / iterations * 1e6


def _install_recording() -> str:
    sys.path.insert(0, os.path.join(REPO, "python"))
    import deferred_graph

    record = tempfile.mktemp(suffix=".jsonl")
    assert deferred_graph.install(transport="none", record=record), deferred_graph.last_error
    return record


def _set_mode(mode: str, on: bool) -> Optional[str]:
    """Switch a mode on or off in this process; returns the recording path when installing."""
    if mode == "installed":
        if on:
            return _install_recording()
        import deferred_graph

        deferred_graph.uninstall()
    elif mode == "debugging":
        from twisted.internet import defer

        defer.setDebugging(on)
    return None


def run_modes(debugpy: bool, rounds: int = RUNS) -> list[dict[str, object]]:
    """Alternate the modes ``rounds`` times in this one process, one 50,000-iteration run each,
    and keep each mode's best: alternating makes the ratios fair on a machine whose load
    changes over time (a shared CI runner)."""
    if debugpy:
        # The conditions of a launch from VS Code with the extension: justMyCode (the Python
        # Debugger's default) and the rule the extension injects that leaves the runtime's
        # files out (src/extension/injection.ts); pydevd reads both from its environment.
        runtime = os.path.join(REPO, "python", "deferred_graph", "**")
        os.environ["PYDEVD_FILTER_LIBRARIES"] = "1"
        os.environ["PYDEVD_FILTERS"] = json.dumps({runtime: True})
        import debugpy as dbg

        dbg.listen(("127.0.0.1", 0))  # starts pydevd's tracing of every thread, no client
    import twisted

    best = {mode: float("inf") for mode in MODES}
    recording_bytes = 0
    for _ in range(rounds):
        for mode in MODES:
            record = _set_mode(mode, True)
            # setDebugging is 15-30x slower: a tenth of the iterations keeps the run short
            best[mode] = min(
                best[mode], measure(1, ITERATIONS // (10 if mode == "debugging" else 1))
            )
            _set_mode(mode, False)
            if record:
                recording_bytes = os.path.getsize(record)
                os.unlink(record)
    return [
        {
            "mode": mode,
            "debugpy": debugpy,
            "usPerIter": best[mode],
            "python": sys.executable,
            "twisted": twisted.__version__,
            **({"recordingBytes": recording_bytes} if mode == "installed" else {}),
        }
        for mode in MODES
    ]


def run_all(interpreters: list[str]) -> list[dict[str, object]]:
    """Both conditions (plain, under debugpy) under every interpreter, each in a fresh process."""
    results: list[dict[str, object]] = []
    for python in interpreters:
        for debugpy in (False, True):
            args = [python, os.path.abspath(__file__), "--one"]
            if debugpy:
                args.append("--debugpy")
            out = subprocess.run(args, capture_output=True, text=True, timeout=1800)
            if out.returncode != 0:
                raise SystemExit("failed: %s\n%s" % (" ".join(args), out.stderr))
            rows = json.loads(out.stdout.strip().splitlines()[-1])
            results.extend(rows)
            for row in rows:
                print(json.dumps(row), file=sys.stderr)
    return results


def table(results: list[dict[str, object]]) -> str:
    """Markdown rows: µs/iteration and the ratio to plain under the same conditions."""
    base = {(r["twisted"], r["debugpy"]): r["usPerIter"] for r in results if r["mode"] == "plain"}
    lines = ["| Twisted | under debugpy | mode | µs/iteration | × plain |", "|---|---|---|---|---|"]
    for r in results:
        ratio = r["usPerIter"] / base[(r["twisted"], r["debugpy"])]
        lines.append(
            "| %s | %s | %s | %.2f | %.2fx |"
            % (r["twisted"], "yes" if r["debugpy"] else "no", r["mode"], r["usPerIter"], ratio)
        )
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", action="store_true", help="measure in this process only")
    parser.add_argument("--debugpy", action="store_true", help="run under debugpy.listen()")
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_modes(args.debugpy)), flush=True)
        os._exit(0)  # debugpy's listener threads would otherwise keep the process alive
    results = run_all(INTERPRETERS)
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(results, handle, indent=1)
    print(table(results))


if __name__ == "__main__":
    main()
