"""Status parity on the seeds: at every step of every example, the runtime says what Twisted says.

* The notebook (seed 002) is driven in this process, experiment by experiment; at every step
  (each ``show()``, i.e. each marker) every live Deferred's state — from a fresh ``snapshot()``
  and from the event stream replayed from the start — is compared with Twisted's own attributes
  (``test/python/parity.py``), and the notebook's key moments are checked by value: Experiment
  3's ``b.result`` becoming None once ``a`` consumes it, and 3.b's opposite firing order.
* The tale (seeds 000/001) and the other examples need a reactor each, so each runs in a
  subprocess under this file as a driver (``python test_seed_parity.py SCRIPT ARGS``): it
  installs the runtime, then checks every live Deferred at the start and end of every reactor
  iteration (``runUntilCurrent``: after each batch of I/O, timers and thread callbacks) and at
  every marker — markers sit inside callbacks, so states in the middle of ``_runCallbacks`` are
  checked too.  Mismatches are collected, not raised (raising inside a callback would change the
  program), and reported with the exit status.
"""

from __future__ import annotations

import gc
import os
import runpy
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if __name__ == "__main__":  # driver mode: no conftest has set the paths
    sys.path[:0] = [str(HERE.parents[1] / "python"), str(HERE)]

import pytest  # noqa: E402

import deferred_graph  # noqa: E402
import parity  # noqa: E402
from make_goldens import EXAMPLES, run_example  # noqa: E402

PARITY_EXIT = 3
"""Exit status of the driver when a check found a mismatch."""


def live_deferreds() -> dict[str, Any]:
    """Every Deferred alive in this process, named by its runtime id."""
    from twisted.internet.defer import Deferred

    found = [o for o in gc.get_objects() if isinstance(o, Deferred)]
    return {"#%s" % deferred_graph.id_of(d): d for d in found}


class Checker:
    """Checks every live Deferred against Twisted and keeps count and mismatches."""

    def __init__(self, runtime: parity.Runtime) -> None:
        self.runtime = runtime
        self.checks = 0
        self.problems: list[str] = []

    def check(self, where: str) -> None:
        deferreds = live_deferreds()
        self.runtime.drain()
        found = parity.mismatches(deferreds, self.runtime.replay.states)
        found += parity.mismatches(deferreds)
        self.checks += 1
        self.problems += ["%s: %s" % (where, problem) for problem in found]


# ---------------------------------------------------------------------------------------------
# The notebook, in this process.

NOTEBOOK_STEPS = {
    "1": ["exp1/created", "exp1/fired", "exp1/fired-again"],
    "2": ["exp2/created", "exp2/callback-added", "exp2/fired"],
    "3": ["exp3/chained"],
    "3a": ["exp3/chained", "exp3a/a-fired", "exp3a/b-fired"],
    "3b": ["exp3b/chained", "exp3b/b-fired", "exp3b/a-fired"],
    "4": ["exp4/joined"],
    "4a": ["exp4/joined"] + ["exp4a/fired-%d" % i for i in range(4)] + ["exp4a/all-fired"],
    "4b": ["exp4b/joined"] + ["exp4b/fired-%d" % i for i in range(5)] + ["exp4b/all-fired"],
}


def _notebook_run(experiment: str):
    """Run one notebook experiment under the runtime, checking parity at every step; return
    ``{step: {label: state}}``, the runtime's (replayed) state of each labelled Deferred."""
    sys.path.insert(0, str(HERE.parents[1] / "examples"))
    try:
        import graph_hooks
        import notebook
    finally:
        sys.path.pop(0)
    runtime = parity.Runtime()
    checker = Checker(runtime)
    steps: dict[str, dict[str, dict]] = {}

    def at_step(name: str) -> None:
        checker.check(name)
        live = graph_hooks._live_labelled()  # noqa: SLF001 - the labels the notebook gave
        steps[name] = {label: dict(runtime.state(d)) for label, d in live.items()}

    graph_hooks.listeners.append(at_step)
    try:
        notebook.EXPERIMENTS[experiment]()
    finally:
        graph_hooks.listeners.remove(at_step)
        runtime.close()
    if checker.problems:
        pytest.fail("parity broken:\n  " + "\n  ".join(checker.problems))
    assert list(steps) == NOTEBOOK_STEPS[experiment]
    return steps


def _value(state: dict) -> Any:
    result = state["result"]
    if result is None:
        return "N/A"
    return result.get("repr", result)


def test_every_notebook_experiment_agrees_with_twisted_at_every_step() -> None:
    """Experiments 1, 2, 3, 3.a, 3.b, 4, 4.a, 4.b: parity at each step, each step reached."""
    for experiment in NOTEBOOK_STEPS:
        _notebook_run(experiment)


def test_experiment_3a_b_result_becomes_none_after_a_consumes_it() -> None:
    """3.a: a waits on b (its result is b, b holds a's continuation); when b fires, its value
    moves on to a and b.result becomes None; a fired before b."""
    steps = _notebook_run("3a")
    a, b = steps["exp3a/a-fired"]["a"], steps["exp3a/a-fired"]["b"]
    assert a["result"] == {"kind": "deferred", "id": b["id"]}
    assert a["waitingOn"] == b["id"] and a["paused"] == 1 and len(a["callbacks"]) == 1
    assert not b["hasResult"] and [pair["continues"] for pair in b["callbacks"]] == [a["id"]]
    a, b = steps["exp3a/b-fired"]["a"], steps["exp3a/b-fired"]["b"]
    assert (_value(a), len(a["callbacks"]), _value(b), len(b["callbacks"])) == ("4", 0, "None", 0)
    assert a["waitingOn"] is None and a["paused"] == 0
    assert a["firedAt"] <= b["firedAt"]


def test_experiment_3b_fires_b_first_with_the_same_outcome() -> None:
    """3.b: b fires first and holds 4 while a has no result; then a takes the 4 at once and
    b.result becomes None — the same end state as 3.a, in the opposite firing order."""
    steps = _notebook_run("3b")
    a, b = steps["exp3b/b-fired"]["a"], steps["exp3b/b-fired"]["b"]
    assert (_value(a), len(a["callbacks"]), _value(b), len(b["callbacks"])) == ("N/A", 2, "4", 0)
    assert b["called"] and not a["called"]
    a, b = steps["exp3b/a-fired"]["a"], steps["exp3b/a-fired"]["b"]
    assert (_value(a), len(a["callbacks"]), _value(b), len(b["callbacks"])) == ("4", 0, "None", 0)
    assert b["firedAt"] <= a["firedAt"]


def test_experiment_4_join_fires_only_with_its_last_member() -> None:
    """4.a: join keeps one pending callback until the fifth member fires, then holds the list."""
    steps = _notebook_run("4a")
    assert not steps["exp4a/fired-3"]["join"]["hasResult"]
    join = steps["exp4a/all-fired"]["join"]
    assert _value(join) == "[(True, 0), (True, 1), (True, 2), (True, 3), (True, 4)]"
    assert join["members"] == [
        steps["exp4a/all-fired"]["deferreds[%d]" % i]["id"] for i in range(5)
    ]


# ---------------------------------------------------------------------------------------------
# Reactor-driven examples, each in a subprocess with this file as the driver.

REACTOR_EXAMPLES = sorted(set(EXAMPLES) - {"notebook"})


@pytest.mark.parametrize("name", REACTOR_EXAMPLES)
def test_reactor_example_agrees_with_twisted_at_every_reactor_step(name: str) -> None:
    """The tale's five examples, the poetry client, a raising callback and the coroutines:
    every live Deferred agrees with Twisted before and after every reactor iteration and at
    every marker (many of them inside running callbacks).  Tales 1 and 2 create no Deferred
    but are still checked at each of their markers."""
    done = run_example(name, prefix=[str(Path(__file__).resolve())])
    report = [line for line in done.stderr.splitlines() if line.startswith("PARITY")]
    assert done.returncode == 0 and report, "exit %d\n%s" % (done.returncode, done.stderr[-3000:])
    checks = int(report[0].split("checks=")[1].split()[0])
    assert checks >= 4, "only %d checks" % checks


def drive(argv: list[str]) -> int:
    """Driver mode: run SCRIPT ARGS as ``__main__`` under the runtime, checking parity at every
    reactor iteration and marker; print "PARITY checks=N problems=M" and exit non-zero on any
    mismatch (or with the script's own status)."""
    script = os.path.abspath(argv[0])
    sys.argv = [script, *argv[1:]]
    sys.path.insert(0, os.path.dirname(script))
    runtime = parity.Runtime()
    checker = Checker(runtime)
    from twisted.internet import reactor

    import graph_hooks

    graph_hooks.listeners.append(lambda name: checker.check("marker " + name))
    original = reactor.runUntilCurrent

    def run_until_current() -> None:
        checker.check("before reactor step")
        original()
        checker.check("after reactor step")

    reactor.runUntilCurrent = run_until_current
    status = 0
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    checker.check("at exit")
    print("PARITY checks=%d problems=%d" % (checker.checks, len(checker.problems)), file=sys.stderr)
    for problem in checker.problems[:20]:
        print("PARITY " + problem, file=sys.stderr)
    return PARITY_EXIT if checker.problems else status


if __name__ == "__main__":
    sys.exit(drive(sys.argv[1:]))
