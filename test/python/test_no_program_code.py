"""While the program runs, the runtime runs none of the program's code: no ``__repr__``,
``__str__``, ``__eq__``, ``__hash__``, ``__len__``, ``__getattr__`` or property of a result, a
Failure, a callback or a canceller's closure, on the sender thread or anywhere else, and so
nothing the program does (holding a lock a repr wants) can stall the event stream or the exit.
At a debugger stop (the snapshot, called in the paused thread) the program's own repr is given,
within a time budget.  Builtin values keep their exact repr."""

from __future__ import annotations

import json
import threading
import time

import pytest
from twisted.internet import defer

import deferred_graph
from deferred_graph import saferepr, wire
from deferred_graph.emitter import STOP_REPR_BUDGET_S
from deferred_graph.recording import read_recording
from parity import Runtime, snapshot_states
from procs import PYTHON_DIR, check, clean_env, run_python, runtime_env, write_program

TRIPWIRES = r"""
import sys, threading, time
from twisted.internet import defer

armed = False
calls = []

def note(what):
    if armed:
        calls.append((what, threading.current_thread().name))

class Tripwire:
    def __repr__(self):
        note("repr")
        return "Tripwire(loaded)"
    def __str__(self):
        note("str")
        return "tripwire"
    def __eq__(self, other):
        note("eq")
        return self is other
    def __hash__(self):
        note("hash")
        return 1
    def __len__(self):
        note("len")
        return 1
    def __getattr__(self, name):
        note("getattr " + name)
        raise AttributeError(name)
    @property
    def __class__(self):
        note("__class__")
        return Tripwire
    def __call__(self, value):
        return value

class TripList(list):
    def __repr__(self):
        note("list repr")
        return "TripList()"
    def __len__(self):
        note("list len")
        return 0

class TripError(Exception):
    def __str__(self):
        note("exception str")
        return "trip"

class Meta(type):  # every read of an attribute of its classes runs this
    def __getattribute__(cls, name):
        note("metaclass " + name)
        return type.__getattribute__(cls, name)

class MetaValue(metaclass=Meta):
    def __call__(self, value):
        return value

class MetaError(Exception, metaclass=Meta):
    pass

trip = Tripwire()
meta = MetaValue()
keep = [
    defer.succeed(meta),
    defer.succeed([meta, MetaValue]),
    defer.Deferred().addCallback(meta),
    defer.Deferred(lambda d: meta),
    defer.succeed(ValueError(meta)),
]
keep += [
    defer.succeed(trip),
    defer.succeed([trip, {"k": trip}, (trip,)]),
    defer.succeed({trip}),
    defer.succeed(TripList([1, 2])),
    defer.Deferred(lambda d: trip),  # a canceller closing over it
    defer.Deferred().addCallback(trip),  # a callable object as a callback
    defer.succeed(ValueError(trip)),
]
failing = [defer.fail(TripError(trip)), defer.fail(ValueError(trip)), defer.fail(KeyError(trip))]
armed = True
for _ in range(8):  # several flushes of the sender while the program runs
    keep.append(defer.fail(TripError(trip)))
    failing.append(keep[-1])
    keep.append(defer.fail(MetaError(meta)))
    failing.append(keep[-1])
    time.sleep(0.05)
print("while running:", calls)
sys.stdout.flush()
if "--stop" in sys.argv:
    import deferred_graph
    batch = json.loads(deferred_graph.debug_snapshot_json({"keep": keep}, {}))
    print("at a stop:", sorted(set(calls)))
    print("reprs:", sorted({s["result"].get("repr") or s["result"].get("message")
                            for s in batch["events"][0]["deferreds"] if s["result"]}))
armed = False
for d in failing:
    d.addErrback(lambda f: None)
"""

BLOCKED = r"""
import threading, time
from twisted.internet import defer

lock = threading.Lock()

class WaitsForTheLock:
    def __repr__(self):
        with lock:
            return "WaitsForTheLock()"

lock.acquire()  # held by the main thread until exit
keep = [defer.succeed(WaitsForTheLock())]
for index in range(10):
    time.sleep(0.05)
    keep.append(defer.succeed("after-%d" % index))
print("done")
"""


def _values(recording):
    for event in recording.events():
        state = event.get("deferred")
        if event["kind"] in ("created", "changed") and state and state["result"]:
            yield state["result"].get("repr") or state["result"].get("message")


def test_no_program_code_runs_while_the_program_runs(tmp_path):
    """Results, containers, a set, a list subclass, a canceller's closure, a callable
    callback, exceptions as values and Failures (handled or not), and classes whose metaclass
    runs code for every attribute read: the runtime calls none of their dunders or properties,
    on any thread, and describes them by type and builtin args."""
    program = write_program(tmp_path, "program.py", "import json\n" + TRIPWIRES)
    record = tmp_path / "events.jsonl"
    settings = {wire.ENV_RECORD: str(record), wire.ENV_TRANSPORT: "none", wire.ENV_FLUSH_MS: "10"}
    plain = check(run_python([program], clean_env(), cwd=tmp_path))
    observed = check(run_python([program], runtime_env(settings, bootstrap=True), cwd=tmp_path))
    # Plainly only Twisted 22.4's Failure reads a class attribute (of MetaError, on the main
    # thread); the runtime adds no call, on any thread.
    assert plain.stdout.startswith(b"while running: [") and b"Dummy" not in plain.stdout
    assert (observed.stdout, observed.stderr) == (plain.stdout, plain.stderr)
    texts = set(_values(read_recording(str(record))))
    assert {
        "<Tripwire object>",
        "[<Tripwire object>, {'k': <Tripwire object>}, (<Tripwire object>,)]",
    } <= texts
    assert {
        "{<Tripwire object>}",
        "<TripList object, len 2>",
        "ValueError(<Tripwire object>)",
    } <= texts
    assert {"TripError(<Tripwire object>)", "<Tripwire object>"} <= texts  # Failure messages
    assert not any("loaded" in text or "trip" == text for text in texts)


# Seen Deferreds fired with results whose ``__del__`` notes its thread, dropped while the pump
# reads them: the last reference may be the pump's, and the teardown must not happen there.
TEARDOWN = r"""
import threading, time
from twisted.internet import defer
import deferred_graph

threads = set()

class Result:
    def __del__(self):
        threads.add(threading.current_thread().name)

for _ in range(30):
    ds = [defer.Deferred() for _ in range(3000)]
    for d in ds:
        d.addCallback(lambda r: r)
    deferred_graph.flush()  # all of them reported: each write now makes it dirty
    for d in ds:
        d.callback(Result())
    while ds:  # dropped one by one, letting the pump run between
        ds.pop()
        if len(ds) % 50 == 0:
            time.sleep(0)
print(sorted(threads))
"""


def test_a_deferred_the_pump_held_last_is_freed_on_a_thread_of_the_program(tmp_path):
    """A Deferred the program drops while the sender reads it is not freed on the sender's
    thread: its result's ``__del__`` runs on the program's thread only."""
    program = write_program(tmp_path, "program.py", TEARDOWN)
    cli = ["-m", "deferred_graph", "run", "--record", tmp_path / "r.jsonl", program]
    env = clean_env({wire.ENV_TRANSPORT: "none"}, [PYTHON_DIR])
    result = check(run_python(cli, env, cwd=tmp_path))
    assert result.stdout == b"['MainThread']\n"


# Cyclic garbage with finalisers, made while the pump is busy reading hundreds of Deferreds:
# a collection the pump's allocations started would run the ``__del__`` on the pump.
COLLECTED_ON = r"""
import threading, gc
from twisted.internet import defer

threads = set()

class Node:
    def __del__(self):
        threads.add(threading.current_thread().name)

keep = []
for i in range(200000):
    a, b = Node(), Node()
    a.other, b.other = b, a
    del a, b
    d = defer.Deferred()
    d.addCallback(lambda r: r)
    keep.append(d)
    if len(keep) > 300:
        for k in keep[:150]:
            k.callback(i)
        del keep[:150]
gc.collect()
print(sorted(threads))
"""


def test_the_programs_garbage_is_collected_on_its_own_thread(tmp_path):
    """No automatic collection starts on the pump (see gcwindow): every ``__del__`` of the
    program's cyclic garbage runs on the program's thread, as plainly."""
    program = write_program(tmp_path, "program.py", COLLECTED_ON)
    cli = ["-m", "deferred_graph", "run", "--record", tmp_path / "r.jsonl", program]
    env = clean_env({wire.ENV_TRANSPORT: "none"}, [PYTHON_DIR])
    assert check(run_python([program], clean_env(), cwd=tmp_path)).stdout == b"['MainThread']\n"
    assert check(run_python(cli, env, cwd=tmp_path)).stdout == b"['MainThread']\n"


def test_at_a_stop_the_programs_own_repr_is_given_in_the_paused_thread(tmp_path):
    """The snapshot taken at a stop (called from the program's thread, as the extension's
    evaluate does) carries the program's own repr and str, run in that thread only."""
    program = write_program(tmp_path, "program.py", "import json\n" + TRIPWIRES)
    settings = {wire.ENV_TRANSPORT: "none", wire.ENV_FLUSH_MS: "10"}
    plain = check(run_python([program], clean_env(), cwd=tmp_path))
    result = check(run_python([program, "--stop"], runtime_env(settings, bootstrap=True)))
    lines = result.stdout.decode().splitlines()
    assert lines[0] == plain.stdout.decode().strip()  # Twisted 22.4's own reads, if any
    assert lines[1].startswith("at a stop: ") and "MainThread" in lines[1]
    assert all(thread == "MainThread" for _, thread in eval(lines[1][len("at a stop: ") :]))
    reprs = eval(lines[2][len("reprs: ") :])
    assert {"Tripwire(loaded)", "TripList()", "trip"} <= set(reprs)


def test_a_repr_waiting_on_the_programs_lock_neither_freezes_the_stream_nor_delays_exit(
    tmp_path,
):
    """A result whose repr would wait for a lock the main thread holds until exit: the stream
    goes on recording (the Deferreds created after it arrive) and the program exits as soon
    as it does plainly."""
    program = write_program(tmp_path, "program.py", BLOCKED)
    record = tmp_path / "events.jsonl"
    settings = {wire.ENV_RECORD: str(record), wire.ENV_TRANSPORT: "none"}
    started = time.monotonic()
    plain = check(run_python([program], clean_env(), cwd=tmp_path))
    plain_s = time.monotonic() - started
    started = time.monotonic()
    observed = check(run_python([program], runtime_env(settings, bootstrap=True), cwd=tmp_path))
    observed_s = time.monotonic() - started
    assert observed.stdout == plain.stdout == b"done\n"
    assert observed_s - plain_s < 1.0, (plain_s, observed_s)
    texts = set(_values(read_recording(str(record))))
    assert "<WaitsForTheLock object>" in texts and "'after-9'" in texts


@pytest.fixture
def rt():
    runtime = Runtime()
    yield runtime
    runtime.close()


class Lazy:
    """A result whose repr has a side effect and remembers the thread it ran in."""

    def __init__(self, delay=0.0):
        self.delay = delay
        self.threads = []

    def __repr__(self):
        self.threads.append(threading.current_thread())
        time.sleep(self.delay)
        return "Lazy(loaded)"


def test_the_pump_thread_never_runs_a_repr_and_the_stop_snapshot_does(rt):
    """With the real sender pumping, a Lazy result is described; the stop snapshot called from
    this thread gives its repr, run here."""
    deferred_graph.uninstall()
    assert deferred_graph.install(transport="none", flush_ms=5)
    value = Lazy()
    d = defer.succeed(value)
    time.sleep(0.1)
    deferred_graph.flush()
    assert value.threads == []
    batch = json.loads(deferred_graph.debug_snapshot_json({"d": d}, {}))
    (state,) = [s for s in batch["events"][0]["deferreds"] if s["id"] == deferred_graph.id_of(d)]
    assert state["result"]["repr"] == "Lazy(loaded)"
    assert value.threads == [threading.current_thread()]
    assert snapshot_states()[deferred_graph.id_of(d)]["result"]["repr"] == "<Lazy object>"


def test_program_reprs_at_a_stop_stop_after_the_time_budget(rt):
    """Slow reprs at a stop: the snapshot stops calling them once its budget is spent, and
    the rest keep their description."""
    values = [Lazy(delay=0.3) for _ in range(8)]
    keep = [defer.succeed(value) for value in values]
    started = time.monotonic()
    batch = json.loads(deferred_graph.debug_snapshot_json({"keep": keep}, {}))
    assert time.monotonic() - started < STOP_REPR_BUDGET_S + 0.3 + 0.5
    reprs = [s["result"]["repr"] for s in batch["events"][0]["deferreds"] if s["result"]]
    assert "Lazy(loaded)" in reprs and "<Lazy object>" in reprs


class Point:
    pass


class Bag(dict):
    pass


@pytest.mark.parametrize(
    "value",
    [
        1,
        -2.5,
        "text",
        b"\x00\xff",
        True,
        None,
        [1, "a", (2.0, None)],
        {"k": [1, 2], 3: {4}},
        {3, 1, 2},
        frozenset({"b", "a"}),
        list(range(100)),
        {i: i for i in range(50)},
        ValueError("message", 2),
        KeyError("k"),
        Point,
        len,
    ],
)
def test_builtin_values_keep_their_exact_repr(value):
    """What is builtin all the way down prints exactly as before (reprlib-bounded)."""
    assert saferepr.repr_exact(value) == saferepr.repr_exact(value, full=True)


def test_what_is_read_without_running_program_code():
    """object's repr is kept (C code reading only the type); a builtin subclass says its size;
    an exception its builtin args; a Failure's message its builtin str."""
    point = Point()
    assert saferepr.safe_repr(point) == (object.__repr__(point), False)
    assert saferepr.safe_repr(Bag(a=1)) == ("<Bag object, len 1>", False)
    assert saferepr.safe_repr([point, Bag()])[0].startswith("[<test_no_program_code.Point object")
    assert saferepr.safe_repr(OSError(2, "gone"))[0] == "FileNotFoundError(2, 'gone')"
    failure = defer.fail(OSError(2, "gone"))
    failures = []
    failure.addErrback(failures.append)
    assert saferepr.failure_result(failures[0])["message"] == "[Errno 2] gone"
