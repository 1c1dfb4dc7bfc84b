"""Regenerate the golden recordings in ``test/golden/`` from the examples (and say how to run them).

Each example runs under ``python -m deferred_graph run --record test/golden/NAME.jsonl`` with
fast, fixed settings.  While it runs, ``examples/graph_hooks.py`` writes, at every ``mark()``,
the real Twisted status of each labelled Deferred (read from Twisted's own attributes, not from
the runtime) to a scratch file; this script gathers those into ``test/golden/NAME.expected.json``.
The TypeScript model's tests replay each recording to each marker and compare with it; the
format is described in ``test/golden/README.md``.

This module is also the catalogue of examples and their fast settings used by
``test_examples.py`` and ``test_seed_parity.py``, so the three agree on how an example is run.

Usage: ``python test/python/make_goldens.py [NAME ...]`` (all examples by default), with the
interpreter whose Twisted should make the recordings.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

REPO = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = REPO / "examples"
GOLDEN_DIR = REPO / "test" / "golden"
PYTHON_DIR = REPO / "python"
EXPECT_ENV = "DEFERRED_GRAPH_EXAMPLES_EXPECT"  # read by examples/graph_hooks.py
EXPECTED_FORMAT = 1

FAST_ENV = {"TALE_DELAY": "0.02", "EXAMPLE_DELAY": "0.05", "PYTHONUNBUFFERED": "1"}
"""Settings that make every example finish in well under a second."""


@dataclass(frozen=True)
class Example:
    """How to run one example quickly and deterministically."""

    script: str
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    downloads: int = 0  # a poetry client: how many poems to fetch from one fresh server
    golden: bool = True  # False: no Twisted, so nothing to record (the runtime never installs)
    # Settings for a deterministic recording.
    golden_env: dict[str, str] = field(default_factory=dict)


EXAMPLES: dict[str, Example] = {
    "tale1_blocking": Example("tale1_blocking.py", golden=False),
    "tale2_threads": Example("tale2_threads.py", golden=False),
    # A delay of 0 makes the recordings deterministic: every timer of a batch is due at the
    # next reactor iteration, so a batch always finishes before the Cooperator starts the next
    # (with 20 ms, a timer a few microseconds later than its batch sometimes misses that pass).
    "tale3_deferlater": Example("tale3_deferlater.py", golden_env={"TALE_DELAY": "0"}),
    "tale4_inline": Example("tale4_inline.py", golden_env={"TALE_DELAY": "0"}),
    "tale5_cooperator": Example("tale5_cooperator.py", golden_env={"TALE_DELAY": "0"}),
    "notebook": Example("notebook.py"),
    "callback_error": Example("callback_error.py"),
    # The coroutine waits 2 × EXAMPLE_DELAY for a timer and the thread 1 ×: 0.1 s keeps that
    # order reliable on a loaded machine.
    "coroutines": Example("coroutines.py", env={"EXAMPLE_DELAY": "0.1"}),
    # Downloads from one server that sends 200 bytes every 10 ms: two in tests, one in the
    # recording (two finish in either order).
    "poetry_client": Example("poetry_client.py", downloads=2, golden_env={"downloads": "1"}),
}

GOLDEN_NAMES = [name for name, example in EXAMPLES.items() if example.golden]
"""The examples that have a golden recording (those that use Twisted)."""

POETRY_SERVER_ARGS = ("--num-bytes", "200", "--delay", "0.01")
_SERVING = re.compile(r"Serving .* on ([\d.]+):(\d+)\.")


def example_env(example: Example, extra: Optional[dict[str, str]] = None) -> dict[str, str]:
    """The environment for a fast run: the runtime importable, fast delays, no bytecode."""
    env = dict(os.environ)
    env.pop(EXPECT_ENV, None)
    env.update(FAST_ENV)
    env.update(example.env)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PYTHON_DIR), env.get("PYTHONPATH")]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra or {})
    return env


class PoetryServer:
    """A poetry server subprocess on an ephemeral loopback port (a context manager)."""

    def __init__(self, python: str, args: Sequence[str]) -> None:
        self.process = subprocess.Popen(
            [python, str(EXAMPLES_DIR / "poetry_server.py"), "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=example_env(Example("poetry_server.py")),
        )
        self.stderr = ""
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        found = _SERVING.search(line)
        if not found:
            self.process.kill()
            raise RuntimeError("the poetry server did not start: %r" % line)
        self.port = int(found.group(2))

    def __enter__(self) -> PoetryServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        """Wait for the server to finish serving (it exits after ``--serve`` clients)."""
        try:
            self.stderr = self.process.communicate(timeout=10)[1]
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.stderr = self.process.communicate()[1]

    @property
    def returncode(self) -> Optional[int]:
        return self.process.returncode


def run_example(
    name: str,
    python: str = sys.executable,
    runtime: bool = False,
    record: Optional[Path] = None,
    env: Optional[dict[str, str]] = None,
    args: Optional[Sequence[str]] = None,
    timeout: float = 60,
    prefix: Sequence[str] = (),
    golden: bool = False,
) -> subprocess.CompletedProcess:
    """Run example ``name`` to completion, plainly or under ``python -m deferred_graph run``.

    ``prefix`` goes between the interpreter and the script (e.g. a driver that installs hooks).
    ``golden`` applies the example's settings for a deterministic recording.  A poetry client
    gets a fresh server whose address is appended to its arguments once per download.
    """
    example = EXAMPLES[name]
    settings = dict(example.golden_env) if golden else {}
    downloads = int(settings.pop("downloads", example.downloads))
    env = {**settings, **(env or {})}
    command: list[str] = [python, *prefix]
    if runtime:
        command += ["-m", "deferred_graph", "run"]
        if record is not None:
            command += ["--record", str(record)]
    command += [str(EXAMPLES_DIR / example.script), *(example.args if args is None else args)]

    def run(extra_args: Sequence[str]) -> subprocess.CompletedProcess:
        return subprocess.run(
            command + list(extra_args),
            cwd=str(EXAMPLES_DIR),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=example_env(example, env),
        )

    if not downloads:
        return run(())
    with PoetryServer(python, [*POETRY_SERVER_ARGS, "--serve", str(downloads)]) as server:
        return run([str(server.port)] + ["127.0.0.1:%d" % server.port] * (downloads - 1))


def read_expectations(path: Path) -> list[dict[str, Any]]:
    """The marker records an example wrote (one JSON object per line)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def record_example(name: str, out_dir: Path, python: str = sys.executable) -> dict[str, Any]:
    """Record ``name`` into ``out_dir``: ``NAME.jsonl`` and ``NAME.expected.json``; return the latter."""
    out_dir.mkdir(parents=True, exist_ok=True)
    recording = out_dir / ("%s.jsonl" % name)
    if recording.exists():
        recording.unlink()
    with tempfile.TemporaryDirectory() as scratch:
        expect_file = Path(scratch) / "expect.jsonl"
        done = run_example(
            name,
            python,
            runtime=True,
            record=recording,
            golden=True,
            env={EXPECT_ENV: str(expect_file)},
        )
        if done.returncode not in (0,):
            raise RuntimeError("%s exited %d:\n%s" % (name, done.returncode, done.stderr[-3000:]))
        markers = [
            {"name": r["marker"], "deferreds": with_shown(r["deferreds"])}
            for r in read_expectations(expect_file)
        ]
    expected = {
        "format": EXPECTED_FORMAT,
        "example": name,
        "script": "examples/%s" % EXAMPLES[name].script,
        "recording": recording.name,
        "generatedWith": _versions(python),
        "markers": markers,
    }
    (out_dir / ("%s.expected.json" % name)).write_text(
        json.dumps(expected, indent=1) + "\n", encoding="utf-8"
    )
    return expected


def shown_text(
    label: str, status: dict[str, Any], deferreds: dict[str, dict[str, Any]]
) -> dict[str, str]:
    """The texts the panel must show in the row of one labelled Deferred, from Twisted's facts.

    These are the words of the notebook's ``status()`` pair as the README promises them: the
    result's repr, a Failure as the last line of its traceback (``ValueError: boom``, just the
    type without a message), ``→ #id`` for a Deferred result, else ``N/A``; then
    ``len(d.callbacks)``.  Said here from the Python side so that the vitest golden test
    checks the panel's own strings against them, not the model against itself.
    """
    failure = status["failure"]
    target = status["resultDeferred"]
    if not status["hasResult"]:
        result = "N/A"
    elif failure is not None:
        result = (
            "%s: %s" % (failure["excType"], failure["message"])
            if failure["message"]
            else failure["excType"]
        )
    elif target is not None:
        result = "→ #%d" % (deferreds[target]["id"] if isinstance(target, str) else target)
    else:
        result = status["result"]
    return {"label": label, "result": result, "callbacks": str(status["callbacks"])}


def with_shown(deferreds: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``deferreds`` (label -> status) with each status's ``shown`` texts added."""
    return {
        label: {**status, "shown": shown_text(label, status, deferreds)}
        for label, status in deferreds.items()
    }


def _versions(python: str) -> dict[str, str]:
    code = "import sys, twisted; print(sys.version.split()[0], twisted.__version__)"
    py, tw = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    return {"python": py, "twisted": tw}


def structure(expected: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """What must not change between two regenerations: markers in order, labels, status values.

    Runtime ids are left out (they count every Deferred the process made), and so are memory
    addresses inside reprs; a reference to an unlabelled Deferred becomes "<id>", and so does
    the id in a shown ``→ #id``.
    """

    def without_address(text: str) -> str:
        return re.sub(r" at 0x[0-9a-fA-F]+", " at 0x…", text)

    def clean(status: dict[str, Any]) -> dict[str, Any]:
        kept = {k: v for k, v in status.items() if k != "id"}
        for key in ("resultDeferred", "waitingOn"):
            if isinstance(kept.get(key), int):
                kept[key] = "<id>"
        if isinstance(kept.get("result"), str):
            kept["result"] = without_address(kept["result"])
        if isinstance(kept.get("shown"), dict):
            result = re.sub(r"^→ #\d+$", "→ #<id>", without_address(kept["shown"]["result"]))
            kept["shown"] = {**kept["shown"], "result": result}
        return kept

    return [
        (m["name"], {label: clean(s) for label, s in m["deferreds"].items()})
        for m in expected["markers"]
    ]


def main(argv: Sequence[str]) -> int:
    names = list(argv) or GOLDEN_NAMES
    unknown = [n for n in names if n not in EXAMPLES]
    if unknown:
        print("unknown example(s): %s" % ", ".join(unknown), file=sys.stderr)
        return 2
    for name in names:
        expected = record_example(name, GOLDEN_DIR)
        print("%-18s %3d markers -> test/golden/%s.jsonl" % (name, len(expected["markers"]), name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
