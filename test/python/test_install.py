"""install()/uninstall() change only code objects and a few module globals, restore every
original attribute exactly, are idempotent, keep tracebacks pointing at defer.py's real lines,
and leave subclasses (including ones overriding hooked methods) working."""

from __future__ import annotations

import linecache
import sys
import traceback
import types

import pytest
from twisted.internet import defer

import deferred_graph
from deferred_graph import death, hooks


def _functions(obj):
    """Every plain function reachable as an attribute of a module or class (unwrapped)."""
    out = {}
    for name, value in vars(obj).items():
        func = hooks._unwrap(value)
        if func is not None:
            out[name] = func
    return out


def _fingerprint():
    """Identity of every attribute of the defer module and of each class defined in it, and
    identity of every function's code object."""
    attrs = {("module", k): v for k, v in vars(defer).items()}
    codes = {}
    for owner_name, owner in [("module", defer)] + [
        (k, v)
        for k, v in vars(defer).items()
        if isinstance(v, type) and v.__module__ == defer.__name__
    ]:
        if owner is not defer:
            attrs.update({(owner_name, k): v for k, v in vars(owner).items()})
        for name, func in _functions(owner).items():
            codes[(owner_name, name)] = func.__code__
    return attrs, codes


def _same(before, after):
    (attrs0, codes0), (attrs1, codes1) = before, after
    assert attrs0.keys() == attrs1.keys()
    assert [k for k in attrs0 if attrs0[k] is not attrs1[k]] == []
    assert [k for k in codes0 if codes0[k] is not codes1[k]] == []


@pytest.fixture
def clean():
    deferred_graph.uninstall()
    yield
    deferred_graph.uninstall()


def test_uninstall_restores_every_attribute(clean):
    """After uninstall every attribute and code object is the very object it was before."""
    before = _fingerprint()
    assert deferred_graph.install(start_sender=False)
    during = _fingerprint()
    changed = [k for k in before[1] if before[1][k] is not during[1][k]]
    assert ("Deferred", "_runCallbacks") in changed and ("Deferred", "__init__") in changed
    assert ("module", "_cancellableInlineCallbacks") in changed  # recompiled, never wrapped
    assert [k for k in before[0] if before[0][k] is not during[0].get(k)] == []
    deferred_graph.uninstall()
    _same(before, _fingerprint())
    assert not hooks.note_names_are_bound(defer)


def test_install_is_idempotent(clean):
    """A second install changes nothing; install/uninstall cycles leave no trace."""
    before = _fingerprint()
    assert deferred_graph.install(start_sender=False)
    first = _fingerprint()
    assert deferred_graph.install(start_sender=False)
    _same(first, _fingerprint())
    deferred_graph.uninstall()
    deferred_graph.uninstall()
    assert deferred_graph.install(start_sender=False)
    deferred_graph.uninstall()
    _same(before, _fingerprint())


def test_class_identity_kept(clean):
    """The Deferred class is never swapped (24.7+ checks ``type(x) in _DEFERRED_SUBCLASSES``)."""
    cls = defer.Deferred
    assert deferred_graph.install(start_sender=False)
    assert defer.Deferred is cls and type(defer.succeed(1)) is cls
    assert deferred_graph.emitter() is not None


def test_traceback_lines_point_into_defer_py(clean):
    """An error raised inside a recompiled method reports defer.py's real line and text."""
    assert deferred_graph.install(start_sender=False)
    d = defer.succeed(1)
    with pytest.raises(defer.AlreadyCalledError) as info:
        d.callback(2)
    frames = [
        f for f in traceback.extract_tb(info.value.__traceback__) if f.filename == defer.__file__
    ]
    assert frames, "no frame in defer.py"
    last = frames[-1]
    assert "AlreadyCalledError" in linecache.getline(last.filename, last.lineno)


def test_code_objects_keep_names_and_first_lines(clean):
    """Recompiled code keeps name, qualified name, file and first line of the original."""
    originals = {k: v for k, v in _fingerprint()[1].items()}
    assert deferred_graph.install(start_sender=False)
    swapped = 0
    for key, code in _fingerprint()[1].items():
        if key not in originals:
            continue  # the hooks' own globals: not recompiled Twisted code
        old = originals[key]
        if code is not old:
            swapped += 1
            assert (code.co_name, code.co_filename, code.co_firstlineno) == (
                old.co_name,
                old.co_filename,
                old.co_firstlineno,
            )
            assert getattr(code, "co_qualname", None) == getattr(old, "co_qualname", None)
    assert swapped >= 7


def test_subclass_overriding_hooked_method(clean):
    """A subclass overriding addCallbacks/_runCallbacks still works and is observed."""
    assert deferred_graph.install(start_sender=False)

    class Counting(defer.Deferred):
        seen = 0

        def addCallbacks(self, *args, **kwargs):
            Counting.seen += 1
            return super().addCallbacks(*args, **kwargs)

        def _runCallbacks(self):
            return super()._runCallbacks()

    d = Counting()
    d.addCallbacks(lambda r: r * 2, lambda f: f)
    d.callback(21)
    assert d.result == 42 and Counting.seen == 1
    events = deferred_graph.emitter().drain()
    state = [
        e["deferred"]
        for e in events
        if e["kind"] in ("created", "changed") and e["deferred"]["id"] == deferred_graph.id_of(d)
    ][-1]
    assert state["type"] == "Counting" and state["result"]["repr"] == "42"


def test_deferreds_from_before_install_are_registered(clean):
    """Deferreds that existed before install appear in the first snapshot."""
    early = defer.Deferred()
    early.addCallback(lambda r: r)
    assert deferred_graph.install(start_sender=False)
    ids = [s["id"] for s in deferred_graph.snapshot()["events"][0]["deferreds"]]
    assert deferred_graph.id_of(early) in ids
    early.callback(1)
    events = deferred_graph.emitter().drain()
    assert any(
        e["kind"] in ("created", "changed") and e["deferred"]["id"] == deferred_graph.id_of(early)
        for e in events
    )


def test_unparseable_module_is_skipped_not_raised():
    """A module whose source cannot be found (a future or frozen Twisted) degrades quietly."""
    fake = types.ModuleType("fake_defer")
    fake.__file__ = "/nonexistent/fake_defer.py"
    patcher = hooks.install_hooks(fake, {"_deferred_graph_mark": set().add})
    assert patcher.skipped and patcher.instrumented == []
    patcher.restore()
    assert "_deferred_graph_mark" not in vars(fake)


def test_source_mismatch_is_skipped(tmp_path):
    """A function whose live code does not match the parsed source is left alone."""
    source = tmp_path / "mod.py"
    source.write_text("class Deferred:\n    def pause(self):\n        self.paused = 1\n")
    module = types.ModuleType("mod")
    module.__file__ = str(source)
    exec(
        compile(
            "class Deferred:\n    pass\n\n\n\n    def pause(self):\n        self.paused = 1\n",
            str(source),
            "exec",
        ),
        module.__dict__,
    )
    patcher = hooks.install_hooks(module, {})
    assert patcher.instrumented == []
    patcher.restore()
    assert sys.modules.get("mod") is None


def _trace_events(work, collapse_lines=False):
    """(event, function, line) of every trace event ``work`` causes.  ``collapse_lines`` counts
    a repeated line event once: the inlined registration in ``Deferred.__init__`` walks out of
    defer.py in a loop on one line, which a tracer sees again per frame walked (not a frame,
    and only for Deferreds made inside defer.py)."""
    events = []

    def tracer(frame, event, arg):
        if frame.f_code.co_filename == death.__file__ and frame.f_code.co_name != "__del__":
            return None  # only the finaliser's own frame is ever entered in this work
        item = (event, frame.f_code.co_name, frame.f_lineno)
        if not (collapse_lines and event == "line" and events and events[-1] == item):
            events.append(item)
        return tracer

    sys.settrace(tracer)
    try:
        work()
    finally:
        sys.settrace(None)
    return events


def _chain_work():
    a, b = defer.Deferred(), defer.Deferred()
    a.addCallback(lambda _: b)
    a.addCallback(str)
    b.addCallback(lambda v: v)
    a.callback(1)
    b.callback(2)


def test_hooks_add_no_trace_events(clean):
    """Under a tracer (debugpy) the hooks add no call or line event on the success path: every
    note is C calls sharing the line of the statement next to it.  What the runtime adds is its
    finaliser, one Python call as each Deferred dies (``Deferred.__del__``, see death; failure
    and cancel paths call Python helpers: rare, and off the hot path) — and the debug
    configuration the extension injects leaves the runtime's files out of stepping."""
    _chain_work()
    plain = _trace_events(_chain_work)
    assert deferred_graph.install(start_sender=False)
    events = _trace_events(_chain_work)
    finaliser = [e for e in events if e[1] == "__del__"]
    assert [e for e in events if e[1] != "__del__"] == plain
    assert [e for e in finaliser if e[0] == "call"] == [("call", "__del__", finaliser[0][2])] * 2


def _inline_work():
    @defer.inlineCallbacks
    def worker():
        value = yield defer.succeed(1)
        return value

    async def fetch():
        return await defer.succeed(2)

    worker()
    defer.ensureDeferred(fetch())


def test_inline_callbacks_add_no_trace_event(clean):
    """Under a tracer an inlineCallbacks and an ensureDeferred call give the very call, line
    and return events they give plainly (beside the finaliser's as their Deferreds die): the
    coroutine link is inline, not a Python call."""
    _inline_work()
    plain = _trace_events(_inline_work, collapse_lines=True)
    assert deferred_graph.install(start_sender=False)
    events = _trace_events(_inline_work, collapse_lines=True)
    assert [e for e in events if e[1] != "__del__"] == plain  # the finaliser: as each one dies
    assert hooks.CANCELLABLE_INLINE in deferred_graph._runtime.patcher.instrumented  # noqa: SLF001


def test_uninstall_while_instrumented_code_is_suspended(clean):
    """Uninstalling while instrumented code can still run (a pending ``await d`` suspended in
    26.4's ``Deferred.__iter__``, a 22.4 inlineCallbacks canceller made while installed) keeps
    the hooks' names as no-ops, so that code completes without NameError; once it is gone, the
    next uninstall removes them."""
    import gc

    assert deferred_graph.install(start_sender=False)
    inner = defer.Deferred()

    async def waiter():
        return await inner  # noqa: F821 - bound whenever this runs; the del below frees it for gc

    outer = defer.ensureDeferred(waiter())
    patcher = deferred_graph._runtime.patcher  # noqa: SLF001
    deferred_graph.uninstall()
    assert patcher.lingering and hooks.note_names_are_bound(defer)
    failures = []
    outer.addErrback(failures.append)
    outer.cancel()
    inner.errback(ValueError("late"))
    assert len(failures) == 1 and failures[0].check(defer.CancelledError, ValueError)
    del inner, outer, waiter, failures
    gc.collect()
    before = _fingerprint()
    assert deferred_graph.install(start_sender=False)
    again = deferred_graph._runtime.patcher  # noqa: SLF001
    deferred_graph.uninstall()
    assert again.lingering == [] and not hooks.note_names_are_bound(defer)
    attrs = {k for k in before[0] if k[0] == "module" and k[1].startswith("_deferred_graph_")}
    assert attrs  # the first uninstall left them; the second took them away
