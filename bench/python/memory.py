"""Memory benchmark: a million short-lived Deferreds must not grow RSS by more than 20 MB.

Each Deferred gets a callback, fires, and is dropped; every tenth waits on another one first
(a chain).  The runtime is installed with a recording file (the sender drains every 50 ms), so
registration, the born/collected queues, dirty sets and the emitter all run for real.  RSS is
read from /proc/self/statm after a warm-up and at the end (after a final flush and collection).

    python memory.py [--out FILE]    # both Twisted versions, plain and installed
    python memory.py --one MODE      # this interpreter, JSON out
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
from typing import Optional

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
INTERPRETERS = ["/usr/bin/python3", os.path.join(REPO, ".cache", "venv-tw26", "bin", "python")]
COUNT = 1_000_000
WARMUP = 50_000


def rss_mb() -> float:
    """Resident set size of this process in MB."""
    with open("/proc/self/statm") as handle:
        resident = int(handle.read().split()[1])
    return resident * os.sysconf("SC_PAGE_SIZE") / 1e6


def churn(count: int) -> None:
    """Create, chain, fire and drop ``count`` Deferreds."""
    from twisted.internet.defer import Deferred

    def double(value):
        return value * 2

    for i in range(count):
        d = Deferred()
        d.addCallback(double)
        if i % 10 == 0:
            inner = Deferred()
            d.addCallback(lambda _, inner=inner: inner)
            d.callback(i)
            inner.callback(i)
        else:
            d.callback(i)


def run_one(mode: str) -> dict[str, object]:
    record = None
    if mode == "installed":
        sys.path.insert(0, os.path.join(REPO, "python"))
        import deferred_graph

        record = tempfile.mktemp(suffix=".jsonl")
        assert deferred_graph.install(transport="none", record=record), deferred_graph.last_error
    churn(WARMUP)
    gc.collect()
    before = rss_mb()
    churn(COUNT)
    live_entries = None
    if record:
        import deferred_graph

        deferred_graph.flush()
        live_entries = len(deferred_graph._runtime.registry.entries)  # noqa: SLF001
    gc.collect()
    after = rss_mb()
    import twisted

    result = {
        "mode": mode,
        "twisted": twisted.__version__,
        "rssBeforeMB": round(before, 1),
        "rssAfterMB": round(after, 1),
        "growthMB": round(after - before, 1),
        "deferreds": COUNT + COUNT // 10,
        "liveEntriesAfter": live_entries,
    }
    if record:
        import deferred_graph

        result["ephemeral"] = deferred_graph.emitter().ephemeral
        deferred_graph.uninstall()
        result["recordingBytes"] = os.path.getsize(record)
        os.unlink(record)
    return result


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", choices=["plain", "installed"])
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one)), flush=True)
        return
    results = []
    for python in INTERPRETERS:
        for mode in ("plain", "installed"):
            out = subprocess.run(
                [python, os.path.abspath(__file__), "--one", mode],
                capture_output=True,
                text=True,
                timeout=1800,
            )
            if out.returncode != 0:
                raise SystemExit(out.stderr)
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(json.dumps(results[-1]), file=sys.stderr)
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(results, handle, indent=1)
    print("| Twisted | mode | RSS growth (MB) over %d Deferreds |" % (COUNT + COUNT // 10))
    print("|---|---|---|")
    for r in results:
        print("| %s | %s | %.1f |" % (r["twisted"], r["mode"], r["growthMB"]))


if __name__ == "__main__":
    main()
