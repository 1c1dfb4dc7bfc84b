"""The bootstrap ``sitecustomize``: installs the runtime only once Twisted's defer module is
imported, never imports Twisted itself, stays off unless asked, keeps the user's own
sitecustomize working (errors included), and cannot break the program."""

from __future__ import annotations

import json

from deferred_graph import wire
from deferred_graph.recording import read_recording
from procs import (
    BOOTSTRAP_DIR,
    PYTHON_DIR,
    check,
    clean_env,
    run_python,
    runtime_env,
    write_program,
)

PROBE = """
import json, sys
state = {"twistedAtStart": "twisted" in sys.modules,
         "runtimeAtStart": "deferred_graph" in sys.modules,
         "watchers": [type(f).__name__ for f in sys.meta_path if type(f).__name__ == "DeferImportWatcher"]}
if "--twisted" in sys.argv:
    from twisted.internet import defer
    d = defer.Deferred()
    d.callback("seen")
    runtime = sys.modules.get("deferred_graph")
    state["installed"] = bool(runtime and runtime.is_installed())
    state["id"] = runtime.id_of(d) if runtime else None
state["runtimeAtEnd"] = "deferred_graph" in sys.modules
state["twistedAtEnd"] = "twisted" in sys.modules
state["sitecustomizeMark"] = getattr(sys.modules.get("sitecustomize"), "MARK", None)
print(json.dumps(state))
"""


def probe(tmp_path, env, *args):
    program = write_program(tmp_path, "probe.py", PROBE)
    result = check(run_python([program] + list(args), env, cwd=tmp_path))
    return json.loads(result.stdout.splitlines()[-1]), result


def test_installs_when_twisted_defer_is_first_imported(tmp_path):
    """Nothing of the runtime or Twisted at start; after the program's own import of
    twisted.internet.defer the runtime is installed and its Deferreds are recorded."""
    record = tmp_path / "run.jsonl"
    env = runtime_env({wire.ENV_RECORD: str(record), wire.ENV_TRANSPORT: "none"}, bootstrap=True)
    state, _ = probe(tmp_path, env, "--twisted")
    assert state["twistedAtStart"] is False and state["runtimeAtStart"] is False
    assert state["watchers"] == ["DeferImportWatcher"]
    assert state["installed"] is True and isinstance(state["id"], int)
    recorded = {
        e["deferred"]["id"]: e["deferred"]
        for e in read_recording(str(record)).events()
        if e["kind"] in ("created", "changed")
    }
    assert recorded[state["id"]]["result"]["repr"] == "'seen'"


def test_a_program_without_twisted_never_imports_it(tmp_path):
    """Enabled, but the program does not use Twisted: neither Twisted nor the runtime loads,
    and the output is byte for byte that of a plain run."""
    state, enabled = probe(tmp_path, runtime_env(bootstrap=True))
    assert state["twistedAtEnd"] is False and state["runtimeAtEnd"] is False
    plain = run_python([tmp_path / "probe.py"], clean_env(), cwd=tmp_path)
    assert json.loads(plain.stdout)["watchers"] == []
    assert (enabled.returncode, enabled.stderr) == (plain.returncode, plain.stderr) == (0, b"")


def test_off_unless_the_environment_asks(tmp_path):
    """On the path but without DEFERRED_GRAPH_ENABLE=1 the bootstrap does nothing."""
    env = clean_env(pythonpath=[BOOTSTRAP_DIR, PYTHON_DIR])
    state, _ = probe(tmp_path, env, "--twisted")
    assert (
        state["watchers"] == [] and state["installed"] is False and state["runtimeAtEnd"] is False
    )


def _user_site(tmp_path, source: str):
    folder = tmp_path / "usersite"
    folder.mkdir()
    write_program(folder, "sitecustomize.py", source)
    return folder


def test_the_users_sitecustomize_still_runs(tmp_path):
    """A sitecustomize later on the path runs once, and `import sitecustomize` is the user's."""
    folder = _user_site(tmp_path, "import sys\nsys.stderr.write('user site ran\\n')\nMARK = 42\n")
    env = clean_env({wire.ENV_ENABLE: "1"}, pythonpath=[BOOTSTRAP_DIR, PYTHON_DIR, folder])
    state, result = probe(tmp_path, env, "--twisted")
    assert state["sitecustomizeMark"] == 42 and state["installed"] is True
    assert result.stderr == b"user site ran\n"


def test_an_error_in_the_users_sitecustomize_is_reported_as_python_would(tmp_path):
    """site prints "Error in sitecustomize" for the user's exception, exactly as without us."""
    folder = _user_site(tmp_path, "raise RuntimeError('user site is broken')\n")
    with_us = run_python(
        [write_program(tmp_path, "p.py", "print('still runs')\n")],
        clean_env({wire.ENV_ENABLE: "1"}, pythonpath=[BOOTSTRAP_DIR, PYTHON_DIR, folder]),
    )
    without = run_python([tmp_path / "p.py"], clean_env(pythonpath=[folder]))
    assert b"RuntimeError: user site is broken" in without.stderr
    assert (with_us.returncode, with_us.stdout, with_us.stderr) == (
        without.returncode,
        without.stdout,
        without.stderr,
    )


def test_bootstrapping_twice_is_harmless(tmp_path):
    """Running the bootstrap again (another tool importing it) adds no second watcher and does
    not run the user's sitecustomize twice."""
    folder = _user_site(tmp_path, "import sys\nsys.stderr.write('user site ran\\n')\n")
    program = write_program(
        tmp_path,
        "again.py",
        """
        import runpy, sys
        runpy.run_path(%r, run_name="sitecustomize")
        print(sum(type(f).__name__ == "DeferImportWatcher" for f in sys.meta_path))
    """
        % str(BOOTSTRAP_DIR / "sitecustomize.py"),
    )
    env = clean_env({wire.ENV_ENABLE: "1"}, pythonpath=[BOOTSTRAP_DIR, PYTHON_DIR, folder])
    result = check(run_python([program], env))
    assert (result.stdout, result.stderr) == (b"1\n", b"user site ran\n")


def test_a_broken_runtime_cannot_break_the_program(tmp_path):
    """If the runtime fails to import, the program's import of Twisted still succeeds and its
    output is unchanged."""
    broken = tmp_path / "broken"
    (broken / "deferred_graph").mkdir(parents=True)
    (broken / "deferred_graph" / "__init__.py").write_text(
        "raise RuntimeError('runtime is broken')\n"
    )
    program = write_program(
        tmp_path,
        "uses_twisted.py",
        """
        from twisted.internet import defer
        print(defer.succeed(3).result)
    """,
    )
    observed = run_python(
        [program], clean_env({wire.ENV_ENABLE: "1"}, pythonpath=[BOOTSTRAP_DIR, broken])
    )
    plain = run_python([program], clean_env())
    assert (observed.returncode, observed.stdout, observed.stderr) == (
        plain.returncode,
        plain.stdout,
        plain.stderr,
    )
    assert plain.stdout == b"3\n"


def test_the_runtime_is_found_beside_the_bootstrap_when_python_dir_is_not_on_the_path(tmp_path):
    """Only the bootstrap folder on PYTHONPATH: the runtime is still installed, and the
    program's sys.path is left as it was."""
    env = clean_env({wire.ENV_ENABLE: "1"}, pythonpath=[BOOTSTRAP_DIR])
    program = write_program(
        tmp_path,
        "paths.py",
        """
        import json, sys
        before = list(sys.path)
        from twisted.internet import defer
        print(json.dumps([sys.modules["deferred_graph"].is_installed(), sys.path == before]))
    """,
    )
    result = check(run_python([program], env))
    assert json.loads(result.stdout) == [True, True]


def test_bootstrap_source_is_ascii():
    """Every interpreter started with the extension's PYTHONPATH imports the bootstrap, Python 2
    subprocesses of the program included: a non-ASCII byte without a coding line would make them
    print "'import sitecustomize' failed" where they printed nothing."""
    import os

    path = os.path.join(BOOTSTRAP_DIR, "sitecustomize.py")
    with open(path, "rb") as f:
        source = f.read()
    bad = [i + 1 for i, line in enumerate(source.splitlines()) if any(b > 127 for b in line)]
    assert bad == [], "non-ASCII bytes on line(s) %s of %s" % (bad, path)
