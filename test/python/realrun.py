"""Run one real program twice — plain, and under the runtime with the truth harness — and
give back both outputs plus each process's recording and truth at death (``truth.py``).

Output is compared after ``normalise``, which rewrites only what differs between two plain runs
of the same program: object addresses (``0x7f…``, in reprs and Twisted's log lines) and
loopback port numbers (servers listen on port 0).  The programs print no times.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from procs import PYTHON_DIR, clean_env
from truth import TRUTH_SITE

PROGRAMS = Path(__file__).resolve().parent / "realworld"
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")
_PORT = re.compile(r"(127\.0\.0\.1|localhost|port)([:= ])\d{2,5}\b")


def normalise(text: str) -> str:
    return _PORT.sub(r"\1\2PORT", _ADDRESS.sub("0xADDR", text))


@dataclass
class Process:
    """One process of an observed run: its recording and its truth records."""

    pid: int
    recording: Path
    truth: Path


@dataclass
class Runs:
    plain: subprocess.CompletedProcess
    observed: subprocess.CompletedProcess
    processes: list[Process]

    def outputs(self) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
        """(exit code, stdout, stderr) of each run, normalised."""

        def view(result: subprocess.CompletedProcess) -> tuple[int, str, str]:
            return (
                result.returncode,
                normalise(result.stdout.decode(errors="replace")),
                normalise(result.stderr.decode(errors="replace")),
            )

        return view(self.plain), view(self.observed)


def run_both(program: str, tmp: Path, args: tuple[str, ...] = (), timeout: float = 600) -> Runs:
    """``python PROGRAM ARGS`` plain, then under ``python -m deferred_graph run --record``."""
    script = PROGRAMS / program
    plain_dir, observed_dir = tmp / "plain", tmp / "observed"
    plain_dir.mkdir()
    observed_dir.mkdir()
    plain = subprocess.run(
        [sys.executable, str(script), *args],
        env=clean_env(),
        cwd=str(plain_dir),
        capture_output=True,
        timeout=timeout,
    )
    record = tmp / "run.jsonl"
    env = clean_env({"DG_TRUTH_DIR": str(tmp)}, [TRUTH_SITE, PYTHON_DIR])
    observed = subprocess.run(
        [sys.executable, "-m", "deferred_graph", "run", "--record", str(record), str(script)]
        + list(args),
        env=env,
        cwd=str(observed_dir),
        capture_output=True,
        timeout=timeout,
    )
    return Runs(plain, observed, _processes(record))


def _processes(record: Path) -> list[Process]:
    """The parent's recording and every forked child's (``run.<pid>.jsonl``), by pid."""
    found = []
    for path in sorted(record.parent.glob(record.stem + "*" + record.suffix)):
        with path.open() as handle:
            pid = json.loads(handle.readline())["pid"]
        found.append(Process(pid, path, record.parent / ("truth.%d.json" % pid)))
    return found
