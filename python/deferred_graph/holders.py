"""Who holds a pending Deferred that nothing cheap explains: ``gc`` referrers, named.

Computed at an analysis only (a stop, a request, an idle program), never on the hot path, and
without running program code: referrers come from ``gc.get_referrers`` (the collector's own
traversal), instance attributes are read from the instance dictionary the interpreter keeps
(``_instance_dict``: the ``__dict__`` slot descriptor of a plain class, never a property),
every comparison is by identity, and frames' locals are read in place (``framelocals``: on
3.11 the frame's own slots, no ``f_locals`` dictionary, which would keep a deleted local alive;
elsewhere only at a stop, through ``f_locals``).

Up to three levels are climbed, one heap pass (``heap``) for all the Deferreds at once, the
levels above the first through the first pass's summaries: a list in a module
(``__main__.gates[0]``), an instance attribute
(``PoetryClientFactory.deferred``), a closure cell (cell -> closure tuple -> function).

*Orphan* is the conservative verdict: every referrer is one of the Deferred's own waiters (a
Deferred chained to it, a DeferredList's member list, an inlineCallbacks status or a coroutine
awaiting it) and, at a stop, no frame has it as a local.  Anything else — a container, a frame,
a cell, an unknown object, a referrer we cannot classify — means reachable code may still fire
it.  Where frames cannot be read in place, the verdict waits for the next stop.
"""

from __future__ import annotations

import gc
import inspect
import os
import sys
import types
from typing import Any, Optional

from . import described, wire
from .framelocals import local_addresses
from .heap import OWN_TYPES, Heap, OwnList

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_LEVEL_LIMIT = 5000  # containers climbed per level
_NAME_LIMIT = 120


def instance_dict(obj: Any) -> Optional[dict[str, Any]]:
    """``obj``'s instance dictionary through the ``__dict__`` slot itself (no property, no
    ``__getattr__``); None when it has none."""
    for cls in described.mro(type(obj)):
        desc = described.own_attr(cls, "__dict__")
        if desc is not None:
            if type(desc) is not types.GetSetDescriptorType:
                return None
            try:
                value = desc.__get__(obj, type(obj))
            except Exception:
                return None
            return value if type(value) is dict else None
    return None


_KIND_CACHE: dict[tuple[int, int], tuple[type, bool]] = {}


def is_instance(obj: Any, cls: Optional[type]) -> bool:
    """``isinstance`` by identity along the MRO: ``issubclass`` would run the metaclass's
    ``__subclasscheck__`` (Deferred's is ABCMeta's, and a program's class may have its own)."""
    if cls is None:
        return False
    kind = type(obj)
    if kind is cls:
        return True
    key = (id(kind), id(cls))
    hit = _KIND_CACHE.get(key)
    if hit is not None and hit[0] is kind:
        return hit[1]
    result = any(c is cls for c in described.mro(kind))
    if len(_KIND_CACHE) > 2000:
        _KIND_CACHE.clear()
    _KIND_CACHE[key] = (kind, result)
    return result


def has_base(obj: Any, module: str, name: str) -> bool:
    """``isinstance`` of an already imported Twisted class (never imports)."""
    return is_instance(obj, getattr(sys.modules.get(module), name, None))


def closure_values(func: Any) -> list[Any]:
    """What a function's closure cells hold now (empty cells left out)."""
    out: list[Any] = []
    if type(func) is types.MethodType:
        func = func.__func__
    if type(func) is not types.FunctionType:  # another callable's getattr is its own code
        return out
    for cell in func.__closure__ or ():
        try:
            out.append(cell.cell_contents)
        except ValueError:
            continue
    return out


def _key_of(mapping: dict[Any, Any], value: Any, memo: dict[int, dict[int, str]]) -> Optional[str]:
    """The first str key of ``mapping`` holding ``value``; each mapping is read once per
    analysis (``memo``: a dict of hundreds of Deferreds is asked about each of them)."""
    keys = memo.get(id(mapping))
    if keys is None:
        keys = memo[id(mapping)] = {}
        for key, item in list(mapping.items()):
            if type(key) is str:
                keys.setdefault(id(item), key[:_NAME_LIMIT])
    return keys.get(id(value))


def _index_of(seq: Any, value: Any) -> Optional[int]:
    for index, item in enumerate(list(seq)):
        if item is value:
            return index
    return None


def _is_factory(obj: Any) -> bool:
    return has_base(obj, "twisted.internet.protocol", "Factory")


def _log_residue(obj: Any, logger_type: Any) -> bool:
    """A Twisted log event (a dict with ``log_time``) or a ``twisted.logger.Logger``."""
    if type(obj) is dict:
        return "log_time" in obj
    return logger_type is not None and is_instance(obj, logger_type)


class Holders:
    """Referrers of a set of Deferreds, climbed up to three levels, for naming them."""

    def __init__(
        self, targets: list[Any], exclude: set[int], skip: set[int], no_climb: set[int]
    ) -> None:
        """``skip``: ids of objects left out of the heap pass (the live Deferreds and their
        dictionaries, which the caller reads itself); never climbed from."""
        self.exclude = exclude
        self.exclude.add(id(targets))
        self.parents: dict[int, list[Any]] = {}
        self.keys: dict[int, dict[int, str]] = {}  # see _key_of
        self.module_dicts = {
            id(vars(m)): name for name, m in list(sys.modules.items()) if m is not None
        }
        frontier: list[Any] = OwnList(targets)
        heap = Heap(skip)
        logger_type = getattr(sys.modules.get("twisted.logger._logger"), "Logger", None)
        for level in range(5):
            if not frontier:
                break
            self.exclude.add(id(frontier))
            wanted = {id(x) for x in frontier}
            found = heap.referrers(frontier, wanted)
            self.exclude.add(id(found))
            nxt: list[Any] = OwnList()
            for ref in found:
                if id(ref) in self.exclude or type(ref) in OWN_TYPES or _ours(ref):
                    continue
                if level > 0 and _log_residue(ref, logger_type):
                    # Twisted's log events and the Loggers they carry name nothing, and a
                    # program that never starts logging keeps up to 65,536 events ("Starting
                    # factory" holds the factory, twice): they would crowd the connector out
                    # of a factory's holders. (One holding a Deferred itself still counts: a
                    # Deferred something can reach is no orphan.)
                    continue
                of_factory = False
                for child in gc.get_referents(ref):
                    if id(child) in wanted:
                        bucket = self.parents.setdefault(id(child), [])
                        if len(bucket) < 8:
                            bucket.append(ref)
                        of_factory = of_factory or _is_factory(child)
                # A factory is named by its connector: climb the dict holding it even past the
                # level budget, or a connector whose __dict__ exists (a debugger's Variables
                # view makes it) would hide behind it.
                climbs = self._climbs(ref, level) or (type(ref) is dict and of_factory)
                if id(ref) not in no_climb and climbs and len(nxt) < _LEVEL_LIMIT:
                    nxt.append(ref)
            frontier.clear()
            found.clear()
            frontier = nxt
        frontier.clear()
        heap.clear()

    def _climbs(self, obj: Any, level: int) -> bool:
        """Whether the owner of ``obj`` is needed to name it (containers, cells, methods).
        Three levels name anything (cell -> closure -> function); past them only a thread
        job's ``onResult`` is climbed, to the pool's ``inContext`` holding the job."""
        if id(obj) in self.module_dicts:
            return False
        if type(obj) is types.FunctionType:  # a thread job's onResult -> its inContext
            return obj.__qualname__ == "deferToThreadPool.<locals>.onResult"
        if level >= 2:
            return level == 3 and type(obj) is dict  # the onResult's inContext.__dict__
        if _is_factory(obj):
            return True  # -> its connector
        return type(obj) in (dict, list, tuple, set, types.CellType, types.MethodType)

    def of(self, obj: Any) -> list[Any]:
        return self.parents.get(id(obj), [])

    def owner(self, container: Any) -> Optional[tuple[Any, str]]:
        """(object or module name, attribute) holding ``container``, when known."""
        if id(container) in self.module_dicts:
            return None
        for parent in self.of(container):
            if type(parent) is dict:
                name = self.module_dicts.get(id(parent))
                key = _key_of(parent, container, self.keys)
                if key is None:
                    continue
                if name is not None:
                    return name, key
                for grand in self.of(parent):
                    if instance_dict(grand) is parent:
                        return grand, key
            else:
                attrs = instance_dict(parent)
                key = _key_of(attrs, container, self.keys) if attrs is not None else None
                if key is not None:
                    return parent, key
        return None

    def name(self, obj: Any, holder: Any) -> str:
        """How ``holder`` (a referrer of ``obj``) names it: ``module.attr``, ``Class.attr``,
        ``…[i]``, ``a closure of f()``."""
        kind = type(holder)
        if kind is dict:
            dict_key: str = _key_of(holder, obj, self.keys) or "?"
            module = self.module_dicts.get(id(holder))
            if module is not None:
                return "%s.%s" % (module, dict_key)
            owner = self.owner_of_dict(holder)
            return (
                "%s.%s" % (class_name(owner), dict_key)
                if owner is not None
                else "a dict[%r]" % dict_key
            )
        if kind in (list, tuple):
            index = _index_of(holder, obj)
            where = self.owner(holder)
            base = _owner_text(where) if where is not None else "a %s" % kind.__name__
            return "%s[%s]" % (base, index)
        if kind is types.CellType:
            for tup in self.of(holder):
                for func in self.of(tup):
                    if type(func) is types.FunctionType:
                        return "a closure variable of %s()" % func.__qualname__[:_NAME_LIMIT]
            return "a closure variable"
        if kind is types.MethodType:
            return "its bound method %s, held by %s" % (
                _function_name(holder.__func__),
                ", ".join(class_name(p) for p in self.of(holder)[:2]) or "nothing found",
            )
        if kind in (types.GeneratorType, types.CoroutineType):
            return "a local of %s() in a suspended frame" % _code_name(holder)
        if kind is types.FrameType:
            return "a local of %s() in a finished frame (a traceback keeps it)" % (
                getattr(holder.f_code, "co_qualname", holder.f_code.co_name)
            )
        attrs = instance_dict(holder)
        key = _key_of(attrs, obj, self.keys) if attrs is not None else None
        return "%s.%s" % (class_name(holder), key or "?")

    def owner_of_dict(self, mapping: dict[str, Any]) -> Any:
        for parent in self.of(mapping):
            if instance_dict(parent) is mapping:
                return parent
        return None


def _ours(obj: Any) -> bool:
    """A frame of the runtime itself (a finished one, kept by a traceback)."""
    return type(obj) is types.FrameType and obj.f_code.co_filename.startswith(_PACKAGE_DIR)


def _owner_text(where: tuple[Any, str]) -> str:
    owner, key = where
    return "%s.%s" % (owner if type(owner) is str else class_name(owner), key)


def _function_name(func: Any) -> str:
    """A function's name, or its class's for any other callable (never asked of it)."""
    if type(func) is types.FunctionType:
        return str(func.__name__)
    return described.name(type(func))


def class_name(obj: Any) -> str:
    return described.qualname(type(obj))[:_NAME_LIMIT]


def _code_name(gen: Any) -> str:
    code = getattr(gen, "gi_code", None) or getattr(gen, "cr_code", None)
    name = getattr(code, "co_qualname", None) or getattr(code, "co_name", "?")
    return name if type(name) is str else "?"


def frame_locals_holding(
    targets: dict[int, Any],
) -> dict[int, wire.Location]:
    """At a stop only: id -> where a frame of any thread has the Deferred as a local (our
    own frames excluded).  The debugger has materialised these frames' locals already."""
    out: dict[int, wire.Location] = {}
    tops = OwnList(sys._current_frames().values())
    try:
        _scan_frames(tops, targets, out)
    finally:
        # ``tops`` holds this very frame: without this, frame and list form a cycle that keeps
        # every thread's frames (and their locals) alive until the collector runs.
        tops.clear()
    return out


def _locals_of(frame: Any) -> list[tuple[str, int]]:
    """(name, id) of a frame's locals: read in place on 3.11 (``framelocals``), else from
    ``f_locals`` (which keeps a dictionary of them on the frame: see the module docstring)."""
    found = local_addresses(frame)
    if found is not None:
        return found
    try:
        return [(str(name), id(value)) for name, value in list(frame.f_locals.items())]
    except Exception:
        return []


def _scan_frames(tops: list[Any], targets: dict[int, Any], out: dict[int, wire.Location]) -> None:
    for top in tops:
        frame, depth = top, 0
        while frame is not None and depth < 500:
            code = frame.f_code
            # Module and class bodies (not CO_OPTIMIZED) keep locals in a dict gc finds anyway.
            if code.co_flags & inspect.CO_OPTIMIZED and not code.co_filename.startswith(
                _PACKAGE_DIR
            ):
                for name, key in _locals_of(frame):
                    if key in targets:
                        out.setdefault(
                            key,
                            {
                                "file": code.co_filename,
                                "line": frame.f_lineno or code.co_firstlineno,
                                "function": "%s (local %s)"
                                % (getattr(code, "co_qualname", code.co_name), str(name)[:40]),
                            },
                        )
            frame, depth = frame.f_back, depth + 1
