"""``python -m deferred_graph run`` becomes the program's interpreter: the program's stack,
recursion depth, interpreter options, ``sys.path`` and environment are a plain run's, its
children are plain processes (not recorded), and where exec cannot work the CLI still runs the
program in its own process."""

from __future__ import annotations

import json
import os
import sys

import pytest

from deferred_graph import relaunch, wire
from deferred_graph.recording import read_recording
from procs import check, run_python, runtime_env, write_program

STACK_AND_DEPTH = """
import sys, traceback
traceback.print_stack()
def dive(n):
    try:
        return dive(n + 1)
    except RecursionError:
        return n
print("dives", dive(0))
"""

VIEW = """
import json, os, subprocess, sys
child = subprocess.run(
    [sys.executable, "-c", "import json, os, sys; print(json.dumps([dict(os.environ), sys.path]))"],
    capture_output=True, text=True, check=True,
)
print(json.dumps({
    "environ": dict(os.environ), "path": sys.path, "flags": repr(sys.flags),
    "warnoptions": sys.warnoptions, "xoptions": sys._xoptions,
    "origArgv": getattr(sys, "orig_argv", None), "child": json.loads(child.stdout),
}, indent=1))
"""


def both(tmp_path, env, options, program_args):
    plain = run_python(options + program_args, env, cwd=tmp_path)
    through = run_python(
        options + ["-m", "deferred_graph", "run"] + program_args, env, cwd=tmp_path
    )
    return plain, through


def test_print_stack_and_recursion_depth_are_a_plain_runs(tmp_path):
    """No frame of the runner under the program's: the same stack, the same depth."""
    write_program(tmp_path, "prog.py", STACK_AND_DEPTH)
    plain, through = both(tmp_path, runtime_env(), [], ["prog.py"])
    assert (through.returncode, through.stdout, through.stderr) == (
        plain.returncode,
        plain.stdout,
        plain.stderr,
    )
    assert plain.stderr.count(b'  File "') == 1


@pytest.mark.parametrize("debug_launch", [False, True], ids=["plain-env", "debug-launch-env"])
def test_environment_path_flags_and_children_are_a_plain_runs(tmp_path, debug_launch):
    """os.environ (none of the CLI's variables, the user's PYTHONPATH), sys.path, the
    interpreter's options, and a child `python -c`'s environment and path match a plain run,
    also when the user's own PYTHONPATH lists the bootstrap (a debug launch of the CLI)."""
    write_program(tmp_path, "prog.py", VIEW)
    options = ["-X", "dev", "-W", "error::DeprecationWarning", "-B"]
    plain, through = both(tmp_path, runtime_env(bootstrap=debug_launch), options, ["prog.py"])
    check(plain)
    assert (through.returncode, through.stderr) == (0, plain.stderr)
    seen, expected = json.loads(through.stdout), json.loads(plain.stdout)
    assert seen == expected
    assert not any(name.startswith("DEFERRED_GRAPH_CLI") for name in seen["environ"])


CHILD_OF_TWISTED = """
import subprocess, sys
from twisted.internet import defer
import deferred_graph
deferred_graph.mark("parent")
code = "import sys; from twisted.internet import defer; defer.succeed(1)"
code += "; print('deferred_graph' in sys.modules)"
print(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip())
"""


def test_a_child_of_the_program_does_not_write_into_the_recording(tmp_path):
    """The program is recorded; the `python -c` it starts is a plain process."""
    write_program(tmp_path, "prog.py", CHILD_OF_TWISTED)
    record = tmp_path / "out.jsonl"
    result = check(
        run_python(
            ["-m", "deferred_graph", "run", "--record", record, "prog.py"],
            runtime_env(),
            cwd=tmp_path,
        )
    )
    assert result.stdout == b"False\n"
    recording = read_recording(str(record))
    markers = [e["name"] for e in recording.events() if e["kind"] == "marker"]
    assert markers == ["parent"] and list(tmp_path.glob("out*.jsonl")) == [record]


def test_without_site_the_program_runs_in_the_clis_process(tmp_path):
    """-S: no sitecustomize could bring the runtime in, so the CLI runs the program itself, as
    before: same output, and the promised header-only recording."""
    write_program(tmp_path, "prog.py", "import sys\nprint(sys.argv)\n")
    record = tmp_path / "out.jsonl"
    env = runtime_env()
    plain = run_python(["-S", "prog.py", "x"], env, cwd=tmp_path)
    through = run_python(
        ["-S", "-m", "deferred_graph", "run", "--record", record, "prog.py", "x"], env, cwd=tmp_path
    )
    assert (through.returncode, through.stdout, through.stderr) == (0, plain.stdout, b"")
    assert read_recording(str(record)).batches == []


def test_no_executable_means_no_exec(monkeypatch):
    monkeypatch.setattr(sys, "executable", "")
    assert relaunch.exec_args("/b", None, "prog.py", None, []) is None


@pytest.mark.parametrize(
    "head, options",
    [
        (["-m", "deferred_graph"], []),
        (["-X", "dev", "-mdeferred_graph"], ["-X", "dev"]),
        (["-W", "error", "-Bm", "deferred_graph"], ["-W", "error", "-B"]),
        (["-u", "-OBmdeferred_graph"], ["-u", "-OB"]),
        (["-c", "code"], None),
        (["path/to/__main__.py"], None),
    ],
)
def test_the_interpreter_options_are_read_as_typed(head, options):
    assert relaunch._options_before_dash_m(head) == options


def test_the_environment_undoes_itself(monkeypatch):
    """What the bootstrap needs to put the user's PYTHONPATH back, unset or set."""
    monkeypatch.delenv("PYTHONPATH", raising=False)
    env = relaunch.program_env("/b", None)
    assert (env["PYTHONPATH"], env[relaunch.ENV_CLI]) == ("/b", "")
    assert relaunch.ENV_CLI_PYTHONPATH not in env
    monkeypatch.setenv("PYTHONPATH", "/u")
    env = relaunch.program_env("/b", "/r.jsonl")
    assert (env["PYTHONPATH"], env[relaunch.ENV_CLI_PYTHONPATH]) == ("/b:/u", "/u")
    assert env[relaunch.ENV_CLI] == "/r.jsonl"
    assert env.get(wire.ENV_RECORD) == os.environ.get(wire.ENV_RECORD)
