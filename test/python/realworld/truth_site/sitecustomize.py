"""Test harness, not the runtime: record Twisted's own state of every Deferred at its death.

Put first on ``PYTHONPATH`` (with ``DG_TRUTH_DIR`` set) for a program run under
``python -m deferred_graph run --record``.  When the runtime starts its sender, this puts a
``__del__`` on ``Deferred`` (calling the runtime's own finaliser after it) that reads the dying
Deferred's real attributes (``called``, ``result``, the callback list, ``paused``, ``_chainedTo``,
``_suppressAlreadyCalled``, ``_debugInfo.failResult``, ``_deferredList``); Deferreds still alive
when the runtime makes its final flush are read at that moment (``Sender.stop`` is wrapped, and
gc is disabled from then on, so none can die between our reading and the runtime's).  The
records go to ``DG_TRUTH_DIR/truth.<pid>.json``; ``truth.py`` compares them with the rows the
extension's model makes of the recording.

Why ``__del__`` is the exact moment: for a Deferred freed by reference counting it runs before
its weak references are cleared, with every attribute intact — nothing can change the Deferred
afterwards.  For one freed by the cycle collector it runs after the weak references are cleared
but before any attribute is torn down.  Which row belongs to which Deferred is told by the
runtime's own weak reference to it (its registry entry, a ``weakref.ref`` subclass named
``Entry``): alive in the first case; in the second, the entry the runtime keeps under the
object's address until its drain (see ``_entry_of``).  Serial ids are read
from the entries only after the final flush (a Deferred that died with an unhandled Failure gets
its id in the drain after its death).  Nothing here writes to a Deferred or calls user code
(reprs are taken of builtin scalars and small containers of them only).
"""

import gc
import json
import os
import sys
import weakref

SCALARS = (type(None), bool, int, float, str, bytes)
REPR_LIMIT = 300  # the runtime's default DEFERRED_GRAPH_REPR_LIMIT; longer reprs are not compared

_records = []
_finalized = set()  # addresses of Deferreds whose __del__ ran (see _alive)
_state = {"exiting": False, "deferred": None, "failure": None, "previous_del": None}


def _entry_of(obj):
    """The runtime's registry entry of ``obj`` (its own weak reference to it), or None.  In a
    collection the weak references are cleared before the finalisers run; the runtime keeps a
    cleared entry under the object's address until its drain (its own finaliser tells the
    entry's Deferred by it), so a cleared entry there whose finaliser has not run is this one's."""
    for ref in weakref.getweakrefs(obj):
        if type(ref).__name__ == "Entry":
            return ref
    runtime = sys.modules.get("deferred_graph")
    registry = getattr(getattr(runtime, "_runtime", None), "registry", None)
    entry = registry.entries.get(id(obj)) if registry is not None else None
    if entry is not None and entry() is None:
        death = sys.modules["deferred_graph.death"]
        if not entry.died or entry.died_in == death.current_collection():
            return entry
    return None


def _plain(value, depth=0):
    """True for values whose repr is builtin code and the runtime's bounded repr equals it."""
    kind = type(value)
    if kind in SCALARS:
        return True
    if depth >= 3 or kind not in (list, tuple, dict) or len(value) > 10:
        return False
    items = value.items() if kind is dict else ((v, None) for v in value)
    return all(_plain(k, depth + 1) and _plain(v, depth + 1) for k, v in items)


def _type_name(cls):
    module = getattr(cls, "__module__", None)
    name = getattr(cls, "__qualname__", None) or cls.__name__
    return name if module in (None, "builtins") else "%s.%s" % (module, name)


def _result(attrs):
    if "result" not in attrs:
        return {"kind": None}
    value = attrs["result"]
    if issubclass(type(value), _state["deferred"]):
        return {"kind": "deferred", "ref": _entry_of(value)}
    if issubclass(type(value), _state["failure"]):
        exc = getattr(value, "value", None)
        message = None
        args = getattr(exc, "args", None)
        if type(type(exc).__str__).__name__ == "wrapper_descriptor" and _plain(args):
            try:
                message = str(exc)
            except Exception:
                message = None
        if message is not None and len(message) > REPR_LIMIT:
            message = None
        return {"kind": "failure", "excType": _type_name(value.type), "message": message}
    text = None
    if _plain(value):
        try:
            text = repr(value)
        except Exception:  # an int too long for repr
            text = None
        if text is not None and len(text) > REPR_LIMIT:
            text = None
    return {"kind": "value", "repr": text}


_FIELDS = ("callbacks", "_callbacks", "_chainedTo", "_deferredList", "_debugInfo", "called")
_FIELDS += ("paused", "_suppressAlreadyCalled", "result")


def _fields(d):
    """The attributes ``_read`` needs, without ``d.__dict__``: in a collection, creating the
    dict of an object whose attributes are inline revives the whole cycle for one more
    collection (the program's ``gc.collect()`` would count differently; see the runtime's
    ``described.instance_attrs``).  Class defaults stand in for unset ones, as ``.get`` did."""
    out = {}
    for name in _FIELDS:
        try:
            out[name] = object.__getattribute__(d, name)
        except AttributeError:
            pass
    return out


def _read(d, alive):
    attrs = _fields(d)
    chain = attrs.get("callbacks")
    if not isinstance(chain, list):
        chain = attrs.get("_callbacks", [])
    chained = attrs.get("_chainedTo")
    members = attrs.get("_deferredList")
    info = attrs.get("_debugInfo")
    entry = _entry_of(d)
    return {
        "entry": entry,
        "mapped": entry is not None,
        "address": id(d),
        "alive": alive,
        "type": type(d).__name__,
        "called": bool(attrs.get("called", False)),
        "result": _result(attrs),
        "callbacks": len(chain),
        "paused": attrs.get("paused", 0),
        "waitingOn": None if chained is None else _entry_of(chained),
        "suppressAlreadyCalled": bool(attrs.get("_suppressAlreadyCalled", False)),
        "unhandled": getattr(info, "failResult", None) is not None,
        "members": None if not isinstance(members, list) else [_entry_of(m) for m in members],
    }


def _del(self):
    # The runtime's own finaliser first: until it has run, a drain on another thread may still
    # take the dying Deferred in (give it an entry and a row), or the capture may name others;
    # it changes nothing of the Deferred's state, read after it.
    exiting = _state["exiting"]
    previous = _state["previous_del"]
    if previous is not None:
        previous(self)
    try:
        if not exiting:
            _finalized.add(id(self))
            _records.append(_read(self, False))
    except BaseException:
        pass


def _alive(obj, dtype):
    """A Deferred still in memory at the final flush and not yet dead.  A cycle whose members
    have a ``__del__`` is freed by the collection after the one that finalised it: such a
    Deferred died (its weak references are cleared, ``__del__`` recorded it) though it is still
    in memory; a live Deferred at a reused address has its entry's weak reference."""
    if dtype not in type(obj).__mro__:
        return False
    return id(obj) not in _finalized or _entry_of(obj) is not None


def _serial(entry):
    if entry is None:
        return None
    return entry.__dict__.get("_serial")


def _resolved(record):
    """A record with entries replaced by serial ids ("?" for a Deferred the runtime never saw)."""
    out = dict(record)
    out["serial"] = _serial(out.pop("entry"))
    if out["waitingOn"] is not None:
        out["waitingOn"] = _serial(out["waitingOn"]) or "?"
    if out["members"] is not None:
        out["members"] = [_serial(m) or "?" for m in out["members"]]
    result = dict(out["result"])
    if result["kind"] == "deferred":
        result["id"] = _serial(result.pop("ref")) or "?"
    out["result"] = result
    return out


def _write():
    path = os.path.join(os.environ["DG_TRUTH_DIR"], "truth.%d.json" % os.getpid())
    with open(path, "w") as handle:
        json.dump([_resolved(r) for r in _records], handle)


def _wrap_sender(sender_module):
    original_start = sender_module.start_sender
    original_stop = sender_module.Sender.stop
    stopped = []

    def start_sender(*args, **kwargs):
        sender = original_start(*args, **kwargs)
        defer = sys.modules["twisted.internet.defer"]
        failure = sys.modules["twisted.python.failure"]
        _state["deferred"], _state["failure"] = defer.Deferred, failure.Failure
        _state["previous_del"] = defer.Deferred.__dict__.get("__del__")
        defer.Deferred.__del__ = _del
        return sender

    def stop(self):
        first = not stopped
        collecting = gc.isenabled()
        if first:
            stopped.append(True)
            gc.disable()  # nothing may die between reading the survivors and the final flush
            _state["exiting"] = True
            dtype = _state["deferred"]
            if dtype is not None:
                if _state["previous_del"] is not None:
                    dtype.__del__ = _state["previous_del"]
                else:
                    del dtype.__del__
                _records.extend(_read(d, True) for d in gc.get_objects() if _alive(d, dtype))
        original_stop(self)
        if first:
            _write()
            if collecting:  # as the program left it: shutdown's own collections must still run
                gc.enable()

    sender_module.start_sender = start_sender
    sender_module.Sender.stop = stop


def _forget_parent():
    """A forked child reports its own deaths: the parent's records are the parent's."""
    del _records[:]
    _finalized.clear()


def _next_sitecustomize():
    here = os.path.realpath(os.path.dirname(os.path.abspath(__file__)))
    import importlib.machinery
    import importlib.util

    entries = [p for p in sys.path if os.path.realpath(os.path.abspath(p or os.curdir)) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", entries)
    if spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        sys.modules["sitecustomize"] = module
        spec.loader.exec_module(module)


if os.environ.get("DG_TRUTH_DIR"):
    import deferred_graph.sender

    _wrap_sender(deferred_graph.sender)
    os.register_at_fork(after_in_child=_forget_parent)
_next_sitecustomize()
