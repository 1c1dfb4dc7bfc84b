"""The runtime is invisible to the program: every traceback, stack and recursion depth a program
can see is the same with and without it, Twisted's ``@_extraneous`` hiding works as without it,
and inlineCallbacks/coroutine Deferreds are created at the caller's line, never in the runtime.

Each program runs three ways: plainly, with the runtime injected as a debug launch does (the
bootstrap ``sitecustomize``), and under ``python -m deferred_graph run --record``, which
becomes the program's interpreter: all three must print the same, whole stacks included.
"""

from __future__ import annotations

import inspect

import pytest
import twisted
from twisted.internet import defer
from twisted.python import failure

import deferred_graph
from deferred_graph import wire
from deferred_graph.recording import read_recording
from parity import Runtime
from procs import PYTHON_DIR, clean_env, run_python, runtime_env, write_program

TRACEBACKS = r"""
import sys, traceback
from twisted.internet import defer
alive = defer.Deferred()  # reported by the runtime: proof that it was there
from twisted.python import failure

@defer.inlineCallbacks
def inner():
    yield defer.succeed(None)
    raise ValueError("boom")

@defer.inlineCallbacks
def middle():
    yield inner()

@defer.inlineCallbacks
def outer():
    try:
        yield middle()
    except ValueError:
        traceback.print_exc(file=sys.stdout)
        print(failure.Failure().getTraceback())
        raise

async def a_inner():
    await defer.succeed(None)
    raise KeyError("async boom")

async def a_outer():
    await defer.ensureDeferred(a_inner())

def show(f):
    print(f.getTraceback())
    print(f.getTraceback(detail="brief"))
    print("".join(traceback.format_exception(f.type, f.value, f.tb)))

outer().addErrback(show)
defer.ensureDeferred(a_outer()).addErrback(show)
defer.Deferred.fromCoroutine(a_outer()).addErrback(show)
caught = []
outer().addErrback(caught.append)
caught[0].raiseException()  # uncaught: Python prints it to stderr
"""

STACKS = r"""
import sys, traceback
from twisted.internet import defer
alive = defer.Deferred()  # reported by the runtime: proof that it was there

@defer.inlineCallbacks
def gen_stack():
    yield defer.succeed(None)
    traceback.print_stack(file=sys.stdout)
    print("---")

async def coro_stack():
    await defer.succeed(None)
    traceback.print_stack(file=sys.stdout)
    print("---")

@defer.inlineCallbacks
def outer():
    yield gen_stack()
    yield defer.ensureDeferred(coro_stack())

outer()
"""

RECURSION = r"""
import sys
from twisted.internet import defer
alive = defer.Deferred()  # reported by the runtime: proof that it was there

reached = [0]

@defer.inlineCallbacks
def down(n):
    reached[0] = n
    yield down(n + 1)

async def cdown(n):
    reached[0] = n
    await defer.ensureDeferred(cdown(n + 1))

for name, start in (("inlineCallbacks", down), ("coroutine", lambda n: defer.ensureDeferred(cdown(n)))):
    reached[0] = 0
    errors = []
    start(0).addErrback(lambda f: errors.append(f.type.__name__))
    print(name, reached[0], errors)
"""


# Deferreds made, chained, fired and dropped: freed by reference counting, they trigger no
# automatic collection plainly; the runtime must not make them trigger one.
COLLECTIONS = r"""
import gc
from twisted.internet import defer
alive = defer.Deferred()  # reported by the runtime: proof that it was there

def work(n):
    for i in range(n):
        a = defer.Deferred()
        b = defer.Deferred()
        a.addCallback(lambda _: b)
        a.addCallback(lambda v: v + 1)
        b.addCallback(lambda v: v)
        a.callback(1)
        b.callback(2)
        defer.succeed(i).addCallback(str)
        d = defer.Deferred()
        d.addErrback(lambda f: None)
        d.errback(ValueError(i))

work(1000)
before = [s["collections"] for s in gc.get_stats()]
work(20000)
after = [s["collections"] for s in gc.get_stats()]
print("automatic collections while it ran:", [b - a for a, b in zip(before, after)])
"""


# The threads the program can list and join: a shutdown that joins every thread but its own
# is a common idiom; a thread of the runtime in that list would hang it.
THREADS = r"""
import threading
from twisted.internet import defer
d = defer.Deferred()
d.addCallback(lambda v: v + 1)
d.callback(1)
go = threading.Event()
worker = threading.Thread(target=go.wait, name="worker")
worker.start()
print(sorted(t.name for t in threading.enumerate()), threading.active_count())
go.set()
for t in threading.enumerate():
    if t is not threading.current_thread():
        t.join(2)
        print(t.name, "still running" if t.is_alive() else "joined")
"""


def _three_ways(tmp_path, source):
    """(plain, bootstrap, cli) runs of ``source``, each as (exit status, stdout, stderr)."""
    program = write_program(tmp_path, "program.py", source)
    record = {wire.ENV_RECORD: str(tmp_path / "boot.jsonl"), wire.ENV_TRANSPORT: "none"}
    cli = ["-m", "deferred_graph", "run", "--record", tmp_path / "cli.jsonl", program]
    runs = [
        run_python([program], clean_env(), cwd=tmp_path),
        run_python([program], runtime_env(record, bootstrap=True), cwd=tmp_path),
        run_python(cli, clean_env({wire.ENV_TRANSPORT: "none"}, [PYTHON_DIR]), cwd=tmp_path),
    ]
    for name in ("boot.jsonl", "cli.jsonl"):  # the runtime really was there
        assert any(e["kind"] == "created" for e in read_recording(str(tmp_path / name)).events())
    return [(r.returncode, r.stdout.decode(), r.stderr.decode()) for r in runs]


def test_tracebacks_through_inline_callbacks_and_coroutines_are_unchanged(tmp_path):
    """traceback.print_exc, Failure.getTraceback (default and brief), format_exception of a
    Failure and an uncaught re-raise print byte for byte what they print plainly: no runtime
    frame, and on 22.4 no ``_inlineCallbacks``/``send`` frame that @_extraneous hides."""
    plain, boot, cli = _three_ways(tmp_path, TRACEBACKS)
    assert plain[0] == 1 and "boom" in plain[1] and "async boom" in plain[1]
    assert "deferred_graph" not in plain[1] + plain[2]
    assert boot == plain
    assert cli == plain


def test_print_stack_inside_inline_callbacks_and_coroutines_is_unchanged(tmp_path):
    """traceback.print_stack() inside an inlineCallbacks generator and inside an async def
    shows exactly the plain frames, under the CLI too."""
    plain, boot, cli = _three_ways(tmp_path, STACKS)
    assert plain[1].count("in gen_stack") == 1 and plain[1].count("in coro_stack") == 1
    assert boot == plain
    assert cli == plain


def test_recursion_depth_through_inline_callbacks_is_unchanged(tmp_path):
    """A synchronous recursion through inlineCallbacks (and ensureDeferred) reaches exactly the
    plain depth before RecursionError: the runtime adds no frame per level."""
    plain, boot, cli = _three_ways(tmp_path, RECURSION)
    assert "RecursionError" in plain[1] and int(plain[1].split()[1]) > 100
    assert boot == plain
    assert cli == plain


def test_short_lived_deferreds_trigger_the_same_automatic_collections(tmp_path):
    """The program's automatic garbage collections happen as plainly: what the runtime keeps
    of a Deferred that dies unseen goes with it (see registry), so 100,000 Deferreds made and
    dropped start as many collections as without the runtime (none)."""
    plain, boot, cli = _three_ways(tmp_path, COLLECTIONS)
    assert plain == (0, "automatic collections while it ran: [0, 0, 0]\n", "")
    assert boot == plain
    assert cli == plain


def test_the_program_lists_and_joins_only_its_own_threads(tmp_path):
    """threading.enumerate() and active_count() are as plain, and joining every listed thread
    returns: the runtime's pump is not a thread ``threading`` knows (see sender)."""
    plain, boot, cli = _three_ways(tmp_path, THREADS)
    assert plain == (0, "['MainThread', 'worker'] 2\nworker joined\n", "")
    assert boot == plain
    assert cli == plain


@pytest.fixture
def rt():
    runtime = Runtime()
    yield runtime
    runtime.close()


def _line():
    return inspect.currentframe().f_back.f_lineno


def test_creation_sites_of_inline_callbacks_and_coroutine_deferreds_are_the_callers_line(rt):
    """inlineCallbacks, ensureDeferred, Deferred.fromCoroutine and a coroutine yielded inside
    an inlineCallbacks generator: each Deferred was created where the program called it."""
    pending = defer.Deferred()

    @defer.inlineCallbacks
    def worker():
        yield pending

    async def fetch():
        return await pending

    sites = [
        (worker(), _line()),
        (defer.ensureDeferred(fetch()), _line()),
        (defer.Deferred.fromCoroutine(fetch()), _line()),
    ]

    if int(twisted.__version__.split(".")[0]) >= 24:  # 22.4 does not run a yielded coroutine

        @defer.inlineCallbacks
        def yields_a_coroutine():
            yield fetch()

        sites.append((yields_a_coroutine(), _line()))
    for d, line in sites:
        created = rt.state(d)["created"]
        assert (created["file"], created["line"]) == (__file__, line), created
        assert rt.state(d)["coroutine"] is not None
    pending.callback(1)


def test_recompiled_extraneous_code_is_listed_beside_the_original_and_unlisted_after(rt):
    """Every code object Twisted lists in ``_inlineCallbacksExtraneous`` has its recompiled
    twin listed too while installed (22.4 filters Failure frames with that list); uninstall
    leaves the list exactly as it was."""
    extraneous = failure._inlineCallbacksExtraneous
    patcher = deferred_graph._runtime.patcher  # noqa: SLF001
    recompiled = {id(original): func.__code__ for func, original in patcher.codes}
    listed = [code for code in extraneous if id(code) in recompiled]
    assert listed, "nothing instrumented is @_extraneous"
    assert all(any(item is recompiled[id(code)] for item in extraneous) for code in listed)
    rt.close()
    import gc

    gc.collect()
    deferred_graph.install(start_sender=False)
    before = list(extraneous)
    deferred_graph.uninstall()
    assert not any(item is code for item in extraneous for code in recompiled.values())
    assert len(extraneous) < len(before)
