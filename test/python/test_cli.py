"""``python -m deferred_graph run`` is indistinguishable from ``python SCRIPT`` and
``python -m MODULE`` to the program (argv, __main__, sys.path, output, exit status), installs
the runtime only when Twisted's defer module is imported, and writes the recording."""

from __future__ import annotations

import json

import pytest

from deferred_graph.recording import read_recording
from procs import check, run_python, runtime_env, write_program

INTROSPECT = """
'''The program's view of itself.'''
import json, sys
main = sys.modules["__main__"]
spec = globals().get("__spec__")
print(json.dumps({
    "argv": sys.argv, "name": __name__, "file": __file__, "path": sys.path,
    "doc": __doc__, "mainIsMe": main.__dict__ is globals(), "package": __package__,
    "spec": spec.name if spec else None, "twisted": "twisted" in sys.modules,
}))
action = sys.argv[1] if len(sys.argv) > 1 else ""
if action == "exit":
    sys.exit(int(sys.argv[2]))
if action == "exit-message":
    sys.exit("goodbye")
if action == "raise":
    def inner():
        raise ValueError("boom")
    inner()
if action == "interrupt":
    raise KeyboardInterrupt
"""


def both(tmp_path, plain_args, cli_args):
    """Run the same program plainly and through the CLI (same env, same cwd)."""
    env = runtime_env()
    plain = run_python(plain_args, env, cwd=tmp_path)
    through = run_python(["-m", "deferred_graph", "run"] + cli_args, env, cwd=tmp_path)
    return plain, through


def same(plain, through):
    assert (through.returncode, through.stdout, through.stderr) == (
        plain.returncode,
        plain.stdout,
        plain.stderr,
    )


@pytest.mark.parametrize(
    "action", [[], ["a", "--b", "-m"], ["exit", "3"], ["exit-message"], ["raise"], ["interrupt"]]
)
def test_a_script_sees_what_python_script_would_show(tmp_path, action):
    """argv (as typed), __main__, __file__, sys.path, traceback and exit status all match."""
    (tmp_path / "sub").mkdir()
    write_program(tmp_path / "sub", "prog.py", INTROSPECT)
    plain, through = both(tmp_path, ["sub/prog.py"] + action, ["sub/prog.py"] + action)
    same(plain, through)
    view = json.loads(through.stdout.splitlines()[0])
    assert (
        view["argv"] == ["sub/prog.py"] + action and view["name"] == "__main__" and view["mainIsMe"]
    )
    assert view["path"][0] == str(tmp_path / "sub") and view["twisted"] is False


def test_exit_statuses_are_the_programs(tmp_path):
    """0, a SystemExit code, 1 with a message, 1 after a traceback, SIGINT after Ctrl-C."""
    write_program(tmp_path, "prog.py", INTROSPECT)
    codes = {}
    for action in ([], ["exit", "3"], ["exit-message"], ["raise"], ["interrupt"]):
        result = run_python(
            ["-m", "deferred_graph", "run", "prog.py"] + action, runtime_env(), cwd=tmp_path
        )
        codes[" ".join(action)] = result.returncode
    assert codes == {"": 0, "exit 3": 3, "exit-message": 1, "raise": 1, "interrupt": -2}


def test_a_syntax_error_is_reported_as_python_reports_it(tmp_path):
    write_program(tmp_path, "broken.py", "def (:\n")
    plain, through = both(tmp_path, ["broken.py"], ["broken.py"])
    same(plain, through)
    assert b"SyntaxError" in through.stderr


def test_a_missing_script_is_reported_as_python_reports_it(tmp_path):
    plain, through = both(tmp_path, ["nowhere.py"], ["nowhere.py"])
    same(plain, through)
    assert through.returncode == 2


def test_a_module_sees_what_python_m_would_show(tmp_path):
    """-m: argv[0] is the module's file, __spec__ is the module's, sys.path[0] is the cwd."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    write_program(package, "tool.py", INTROSPECT)
    plain, through = both(tmp_path, ["-m", "pkg.tool", "x", "-y"], ["-m", "pkg.tool", "x", "-y"])
    same(plain, through)
    view = json.loads(through.stdout)
    assert view["argv"] == [str(package / "tool.py"), "x", "-y"]
    assert (view["spec"], view["package"], view["path"][0]) == ("pkg.tool", "pkg", str(tmp_path))


def test_an_unknown_module_is_reported_as_python_reports_it(tmp_path):
    plain, through = both(tmp_path, ["-m", "no_such_module_here"], ["-m", "no_such_module_here"])
    same(plain, through)
    assert through.returncode == 1 and b"No module named no_such_module_here" in through.stderr


TWISTED_PROGRAM = """
import sys
from twisted.internet import defer
import deferred_graph

d = defer.Deferred()
d.addCallback(lambda r: r * 2)
deferred_graph.mark("before")
d.callback(21)
deferred_graph.label(d, "answer")
print(d.result)
"""


def test_record_writes_a_complete_recording(tmp_path):
    """The runtime installs on the program's Twisted import; the recording (flushed at exit)
    holds the header, the marker and the final state, and the output is the program's."""
    write_program(tmp_path, "prog.py", TWISTED_PROGRAM)
    record = tmp_path / "out.jsonl"
    result = check(
        run_python(
            ["-m", "deferred_graph", "run", "--record", record, "prog.py", "arg"],
            runtime_env(),
            cwd=tmp_path,
        )
    )
    assert result.stdout == b"42\n" and result.stderr == b""
    recording = read_recording(str(record))
    assert recording.header["argv"] == ["prog.py", "arg"]
    events = list(recording.events())
    assert events[0]["kind"] == "hello" and [
        e["name"] for e in events if e["kind"] == "marker"
    ] == ["before"]
    final = [e["deferred"] for e in events if e["kind"] in ("created", "changed")][-1]
    assert (
        final["label"] == "answer" and final["result"]["repr"] == "42" and final["callbacks"] == []
    )


def test_record_without_twisted_leaves_a_valid_empty_recording(tmp_path):
    """A program that never imports Twisted is not made to; the file still reads back."""
    write_program(tmp_path, "prog.py", INTROSPECT)
    record = tmp_path / "out.jsonl"
    result = check(
        run_python(
            ["-m", "deferred_graph", "run", "--record=%s" % record, "prog.py"],
            runtime_env(),
            cwd=tmp_path,
        )
    )
    assert json.loads(result.stdout)["twisted"] is False
    assert read_recording(str(record)).batches == []


def test_help_and_usage_errors(tmp_path):
    """--help prints usage and succeeds; bad command lines fail with status 2 and say why."""
    env = runtime_env()
    for args in (["--help"], ["run", "--help"], ["run", "-h", "prog.py"]):
        result = run_python(["-m", "deferred_graph"] + args, env)
        assert result.returncode == 0 and result.stdout.startswith(
            b"usage: python -m deferred_graph run"
        )
    for args, message in (
        (["run"], b"missing SCRIPT or -m MODULE"),
        (["run", "--record"], b"--record needs a FILE"),
        (["run", "--frobnicate", "x.py"], b"unknown option --frobnicate"),
        (["run", "-m"], b"-m needs a MODULE"),
        (["walk", "x.py"], b"unknown command 'walk'"),
        ([], b"usage:"),
    ):
        result = run_python(["-m", "deferred_graph"] + args, env)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)


def test_record_under_a_debug_launch_with_a_relative_path_and_a_chdir(tmp_path):
    """With the bootstrap active too (a debug launch of the CLI), the CLI's --record wins, and
    a relative FILE means the directory the CLI started in even if the program moves away."""
    (tmp_path / "elsewhere").mkdir()
    write_program(tmp_path, "prog.py", "import os\nos.chdir('elsewhere')\n" + TWISTED_PROGRAM)
    result = check(
        run_python(
            ["-m", "deferred_graph", "run", "--record", "rel.jsonl", "prog.py"],
            runtime_env(bootstrap=True),
            cwd=tmp_path,
        )
    )
    assert result.stdout == b"42\n"
    markers = [
        e["name"]
        for e in read_recording(str(tmp_path / "rel.jsonl")).events()
        if e["kind"] == "marker"
    ]
    assert markers == ["before"] and not (tmp_path / "elsewhere" / "rel.jsonl").exists()
