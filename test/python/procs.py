"""Run debuggee-like Python subprocesses for the transport, bootstrap and CLI tests.

The runtime's interesting behaviour happens at process boundaries (start-up through
``sitecustomize``, the pump thread, the final flush at exit, fork), so these tests run real
programs in a child of the same interpreter that runs pytest — both Twisted versions get
exercised by running the suite under each interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

REPO = Path(__file__).resolve().parents[2]
PYTHON_DIR = REPO / "python"
BOOTSTRAP_DIR = PYTHON_DIR / "bootstrap"


def clean_env(
    extra: Optional[dict[str, str]] = None, pythonpath: Sequence[Path] = ()
) -> dict[str, str]:
    """This process's environment without any DEFERRED_GRAPH_* or PYTHONPATH, plus ``extra``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DEFERRED_GRAPH_") and key != "PYTHONPATH"
    }
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(str(path) for path in pythonpath)
    env.update(extra or {})
    return env


def runtime_env(extra: Optional[dict[str, str]] = None, bootstrap: bool = False) -> dict[str, str]:
    """The environment the extension gives a debug launch: bootstrap first (when asked), then
    the runtime package, then ``extra`` (``DEFERRED_GRAPH_*`` settings)."""
    path = [BOOTSTRAP_DIR, PYTHON_DIR] if bootstrap else [PYTHON_DIR]
    env = clean_env(extra, path)
    if bootstrap:
        env.setdefault("DEFERRED_GRAPH_ENABLE", "1")
    return env


def write_program(directory: Path, name: str, source: str) -> Path:
    """Write a dedented program and return its path."""
    path = directory / name
    path.write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
    return path


def run_python(
    args: list[str],
    env: dict[str, str],
    cwd: Optional[Path] = None,
    timeout: float = 120,
    python: str = sys.executable,
) -> subprocess.CompletedProcess:
    """Run ``python ARGS`` to completion, capturing stdout and stderr as bytes."""
    return subprocess.run(
        [python] + [str(arg) for arg in args],
        env=env,
        cwd=str(cwd) if cwd else None,
        capture_output=True,
        timeout=timeout,
    )


def check(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    """Assert a clean exit, showing the program's output when it was not."""
    assert result.returncode == 0, "exit %s\nstdout:\n%s\nstderr:\n%s" % (
        result.returncode,
        result.stdout.decode(errors="replace"),
        result.stderr.decode(errors="replace"),
    )
    return result


_TS_CLI: dict[str, Path] = {}


def ts_cli(args: Sequence[str], scratch: Path) -> subprocess.CompletedProcess:
    """Run the extension's ``deferred-graph`` CLI (its TypeScript model, bundled by esbuild into
    ``scratch`` once per session) with ``args``; text output."""
    bundle = _TS_CLI.get("path")
    if bundle is None:
        bundle = scratch / "deferred-graph-cli.js"
        build = (
            "require('esbuild').buildSync({entryPoints: ['src/cli/cli.ts'], outfile: %r, "
            "bundle: true, platform: 'node', format: 'cjs', logLevel: 'warning'})" % str(bundle)
        )
        subprocess.run(["node", "-e", build], cwd=REPO, check=True)
        _TS_CLI["path"] = bundle
    return subprocess.run(["node", str(bundle), *args], capture_output=True, text=True)


def write_recording(path: Path, batches: Sequence[dict]) -> Path:
    """A recording file (header line, one batch per line) of ``batches``, as the runtime's
    recording transport writes them."""
    import json

    sys.path.insert(0, str(PYTHON_DIR))
    from deferred_graph import wire

    header = {
        "format": wire.RECORDING_FORMAT,
        "formatVersion": wire.RECORDING_FORMAT_VERSION,
        "protocolVersion": wire.PROTOCOL_VERSION,
        "pid": os.getpid(),
        "startedAt": 0.0,
        "argv": [],
    }
    lines = [json.dumps(header)] + [json.dumps(batch, default=str) for batch in batches]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def record_program(directory: Path, source: str) -> Any:
    """Run ``source`` under the runtime (the bootstrap, as a debug launch) with a recording,
    and return the recording read back."""
    from deferred_graph import wire
    from deferred_graph.recording import read_recording

    program = write_program(directory, "program.py", source)
    record = directory / "r.jsonl"
    settings = {wire.ENV_RECORD: str(record), wire.ENV_TRANSPORT: "none"}
    check(run_python([program], runtime_env(settings, bootstrap=True), cwd=directory))
    return read_recording(str(record))


def labelled_states_at(recording: Any, mark: str) -> dict[str, dict]:
    """label -> the last state of each labelled Deferred before marker ``mark``."""
    states: dict[str, dict] = {}
    for event in recording.events():
        if event["kind"] == "marker" and event["name"] == mark:
            return states
        state = event.get("deferred")
        if state and state.get("label"):
            states[state["label"]] = state
    raise AssertionError("no marker %s" % mark)
