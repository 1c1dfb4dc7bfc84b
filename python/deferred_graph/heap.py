"""The heap pass behind ``holders``: which objects refer to a set of targets.

``gc.get_referrers(*targets)`` compares every reference in the heap with every target in turn
(O(heap x targets): 0.5 s for 250 targets in a 240,000-object heap).  Here the referents of a
whole chunk of objects are tested against the set of wanted ids in C, and a chunk that holds one
is halved until the holders are found.

An analysis climbs up to five levels (a Deferred, the dict holding it, the instance owning the
dict...), and each level was one such pass over the whole heap (~20 ms for 65,000 objects).
The first pass therefore also keeps, for each chunk, the ids of the containers its objects
refer to (dicts, lists, tuples, sets, cells, bound methods: what the later levels climb); a
later level whose targets are all containers tests only those small sets, then searches the
few chunks that hold one.  Only what the first pass saw is in the summaries: a level above the
first names holders, it never decides an orphan (the first pass, over the whole heap, does).
"""

from __future__ import annotations

import gc
import types
import weakref
from itertools import compress
from operator import not_
from typing import Any, Optional

_CHUNK = 256
_BARE_TYPES = {
    id(t)
    for t in (
        types.FunctionType,
        type,
        types.ModuleType,
        types.BuiltinFunctionType,
        # Descriptors hold their class and name; a weak reference its callback, never its object.
        types.GetSetDescriptorType,
        types.MemberDescriptorType,
        types.WrapperDescriptorType,
        types.MethodDescriptorType,
        types.ClassMethodDescriptorType,
        weakref.ReferenceType,
    )
}
_FEW = 16
# What the levels above the first climb (holders.Holders._climbs), by the id of the type.
_CONTAINERS = {id(t) for t in (dict, list, set, types.CellType)}


class OwnList(list):  # type: ignore[type-arg]
    """A list the analysis made: never counted as a holder, whatever keeps it alive."""


class OwnDict(dict):  # type: ignore[type-arg]
    """A dict the analysis made: never counted as a holder, whatever keeps it alive."""


OWN_TYPES = (OwnList, OwnDict)


class Heap:
    """The heap of one analysis, cut in chunks, with each chunk's containers once known."""

    def __init__(self, skip: set[int]) -> None:
        self.skip = skip
        self.chunks: list[Any] = OwnList()  # taken at the first pass that needs the heap
        self.containers: Optional[list[frozenset[int]]] = None

    def referrers(self, targets: list[Any], wanted: set[int]) -> list[Any]:
        """The objects referring to any of ``targets`` (ids in ``wanted``), leaving out those
        whose id is in ``skip``."""
        if self.containers is not None and all(id(type(t)) in _CONTAINERS for t in targets):
            hit = [c for c, ids in zip(self.chunks, self.containers) if not wanted.isdisjoint(ids)]
            return _search(hit, wanted)
        if len(targets) <= _FEW:  # one C traversal beats the chunked pass for a few targets
            return OwnList(r for r in gc.get_referrers(*targets) if id(r) not in self.skip)
        if self.containers is None:
            return self._first(wanted)
        return _search(self.chunks, wanted)

    def _take(self) -> None:
        heap = gc.get_objects()
        # Functions, classes, modules and descriptors never refer to a Deferred themselves (their dicts,
        # closures and defaults, which may, are objects of their own): leave them out, by the
        # id of their type (hashing a type could run a metaclass's __hash__).
        heap = list(
            compress(heap, map(not_, map(_BARE_TYPES.__contains__, map(id, map(type, heap)))))
        )
        objs = OwnList(compress(heap, map(not_, map(self.skip.__contains__, map(id, heap)))))
        heap.clear()
        self.chunks.extend(
            OwnList(objs[start : start + _CHUNK]) for start in range(0, len(objs), _CHUNK)
        )
        objs.clear()

    def _first(self, wanted: set[int]) -> list[Any]:
        """The whole pass, keeping each chunk's containers for the levels above."""
        self._take()
        get = gc.get_referents
        disjoint = wanted.isdisjoint
        hit: list[Any] = OwnList()
        summaries: list[frozenset[int]] = []
        for chunk in self.chunks:
            refs = get(*chunk)
            kinds = map(_CONTAINERS.__contains__, map(id, map(type, refs)))
            summaries.append(frozenset(map(id, compress(refs, kinds))))
            if not disjoint(map(id, refs)):
                hit.append(chunk)
            refs.clear()
        self.containers = summaries
        return _search(hit, wanted)

    def clear(self) -> None:
        """Every list made here is emptied: none may keep the heap alive in a cycle."""
        for chunk in self.chunks:
            chunk.clear()
        self.chunks.clear()
        self.containers = None


def _search(chunks: list[Any], wanted: set[int]) -> list[Any]:
    """The objects of ``chunks`` that refer to a wanted id: a chunk that holds one is halved
    until the holders are found."""
    out: list[Any] = OwnList()
    get = gc.get_referents
    disjoint = wanted.isdisjoint
    todo = OwnList(OwnList(chunk) for chunk in chunks)
    while todo:
        chunk = todo.pop()
        if disjoint(map(id, get(*chunk))):
            chunk.clear()
            continue
        if len(chunk) <= 4:
            out.extend(obj for obj in chunk if not disjoint(map(id, get(obj))))
        else:
            half = len(chunk) // 2
            todo.append(OwnList(chunk[:half]))
            todo.append(OwnList(chunk[half:]))
        chunk.clear()
    return out
