"""Scrapy benchmark: the CPU time of a real crawl under the runtime (installed + recording) and
plain, alternating in one run.

The crawl is ``test/python/realworld/scrapy_crawl.py`` (a twisted.web site on loopback and a
Scrapy spider in one process, PAGES pages).  A reactor cannot be restarted, so each crawl is its
own process; the modes alternate ``plain → installed`` for ROUNDS rounds, so both meet the same
load on a shared machine.  Two CPU figures per crawl, both counting every thread (the sender's
pump included): the crawl itself (``time.process_time`` from reactor start to stop, written by
the program) and the whole process (``os.wait4``'s user + system time: start-up, imports, install
and the final flush too).  Best of the rounds is reported, with the median beside it.

    /usr/bin/python3 bench/python/scrapy_crawl.py [--pages N] [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PROGRAM = os.path.join(REPO, "test", "python", "realworld", "scrapy_crawl.py")
MODES = ("plain", "installed")


def crawl(mode: str, pages: int, scratch: str) -> tuple[float, float]:
    """One crawl in a fresh process: (crawl CPU seconds, whole-process CPU seconds)."""
    cpu_file = os.path.join(scratch, "cpu")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEFERRED_GRAPH_")}
    env.pop("PYTHONPATH", None)
    env["SCRAPY_CRAWL_CPU_OUT"] = cpu_file
    args = [sys.executable, PROGRAM, str(pages)]
    if mode == "installed":
        env["PYTHONPATH"] = os.path.join(REPO, "python")
        record = os.path.join(scratch, "crawl.jsonl")
        args = [sys.executable, "-m", "deferred_graph", "run", "--record", record] + args[1:]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit("%s crawl failed with %s" % (mode, proc.returncode))
    with open(cpu_file) as handle:
        inside = float(handle.read())
    return inside, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    import twisted

    load_before = os.getloadavg()
    times: dict[str, list[tuple[float, float]]] = {mode: [] for mode in MODES}
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(args.rounds):
            for mode in MODES:
                times[mode].append(crawl(mode, args.pages, scratch))
    load_after = os.getloadavg()
    print(
        "Twisted %s, %d pages, %d rounds; load average %.2f %.2f %.2f before, %.2f %.2f %.2f after"
        % ((twisted.__version__, args.pages, args.rounds) + load_before + load_after)
    )
    print("| mode | crawl CPU s, best (median) | whole process CPU s, best (median) |")
    print("|---|---|---|")
    best = {}
    for mode in MODES:
        inside = [t[0] for t in times[mode]]
        whole = [t[1] for t in times[mode]]
        best[mode] = (min(inside), min(whole))
        print(
            "| %s | %.2f (%.2f) | %.2f (%.2f) |"
            % (mode, min(inside), statistics.median(inside), min(whole), statistics.median(whole))
        )
    print(
        "installed / plain: crawl %.2fx, whole process %.2fx"
        % (best["installed"][0] / best["plain"][0], best["installed"][1] / best["plain"][1])
    )


if __name__ == "__main__":
    main()
