"""What can be read of a value from the debugged program without running any of its code.

While the program runs, the runtime reads Deferred state on its sender thread.  A program's
``__repr__``, ``__str__``, ``__eq__``, ``__hash__``, ``__len__``, ``__getattr__`` or property run
there would run on a foreign thread at a moment the program did not choose: a lazy ORM object
loads, a repr that waits on a lock the reactor thread holds freezes the event stream.  So
``saferepr`` asks only what this module can answer from C code alone:

* types are compared by identity (``kind is int``, an ``id()`` in a set): ``x in {int, ...}``
  would hash and compare the type, which a metaclass may define;
* class attributes are read through ``type``'s own descriptors (``__mro__``, ``__dict__``,
  ``__qualname__``, ``__module__``), never through ``getattr``, and instances are never asked
  anything except through a builtin class's own slot (``list.__len__(x)``, the ``args`` of
  ``BaseException``) — never ``isinstance``, which reads ``__class__``, a property on lazy
  proxies.
"""

from __future__ import annotations

import collections
import itertools
import types
from typing import Any, Optional

_TYPE_MRO = type.__dict__["__mro__"]
_TYPE_DICT = type.__dict__["__dict__"]
_TYPE_QUALNAME = type.__dict__["__qualname__"]
_TYPE_NAME = type.__dict__["__name__"]
_TYPE_MODULE = type.__dict__["__module__"]
_ARGS = BaseException.__dict__["args"]

SCALARS = (int, float, complex, str, bytes, bytearray, bool, type(None), type(...), range, slice)
CONTAINERS = (list, tuple, dict, set, frozenset, collections.deque)
# Builtin classes a program's class may subclass whose size their own C slot tells.
_SIZED = (list, tuple, dict, set, frozenset, collections.deque, str, bytes, bytearray)
# Classes whose C ``__repr__`` reads only the type and the object's identity or C fields.
_C_REPR = (object, type, types.FunctionType, types.BuiltinFunctionType, types.CodeType)
# Fields the C ``__str__`` of builtin exceptions reads besides ``args`` (OSError, SyntaxError,
# ImportError, the Unicode errors); each is read through the builtin class's own descriptor.
_EXC_FIELDS = ("filename", "filename2", "strerror", "msg", "text", "object", "reason", "name")
_FIELD_DESCRIPTORS = (types.MemberDescriptorType, types.GetSetDescriptorType)

_SCALAR_IDS = frozenset(map(id, SCALARS))
_CONTAINER_IDS = frozenset(map(id, CONTAINERS))
_BUILTIN_IDS = _SCALAR_IDS | _CONTAINER_IDS


def is_one_of(kind: Any, classes: tuple[Any, ...]) -> bool:
    """``kind in classes`` by identity (``in`` would call a metaclass's ``__eq__``)."""
    return any(kind is cls for cls in classes)


def is_builtin_value_type(kind: type) -> bool:
    """A builtin scalar or container type exactly (not a subclass): its repr is C code, which
    for containers calls the items' reprs (each checked again)."""
    return id(kind) in _BUILTIN_IDS


def is_container_type(kind: type) -> bool:
    """Exactly one of the builtin containers (list, tuple, dict, set, frozenset, deque)."""
    return id(kind) in _CONTAINER_IDS


def plain(value: Any, depth: int = 4) -> bool:
    """A builtin scalar, or a builtin container of such (every item, ``depth`` levels): its
    repr, str, hash and comparisons are all C code (a set's repr sorts, comparing items)."""
    kind = type(value)
    if id(kind) in _SCALAR_IDS:
        return True
    if id(kind) not in _CONTAINER_IDS or depth <= 0:
        return False
    items = itertools.chain.from_iterable(dict.items(value)) if kind is dict else value
    return all(plain(item, depth - 1) for item in items)


def inherits(kind: type, base: type) -> bool:
    """``issubclass(kind, base)`` by the MRO tuple: an ABC's ``__subclasscheck__`` (Twisted's
    Deferred is an ``Awaitable``) is a Python frame in abc.py, which a debugger would step into
    from the finaliser."""
    return is_one_of(base, _TYPE_MRO.__get__(kind))


def owner(cls: type, name: str) -> Optional[type]:
    """The class in ``cls``'s MRO whose own namespace defines ``name``."""
    for klass in _TYPE_MRO.__get__(cls):
        if name in _TYPE_DICT.__get__(klass):
            return klass  # type: ignore[no-any-return]
    return None


def mro(kind: type) -> tuple[type, ...]:
    """The class's ``__mro__``, read as ``type`` stores it."""
    return _TYPE_MRO.__get__(kind)  # type: ignore[no-any-return]


def own_attr(cls: type, name: str) -> Any:
    """``name`` in the class's own namespace (no descriptor run), or None."""
    return _TYPE_DICT.__get__(cls).get(name)


def is_class(kind: type, module: str, qualified: str) -> bool:
    """``kind`` is the class ``module.qualified`` (by name: the module need not be imported)."""
    return bool(_TYPE_MODULE.__get__(kind) == module and _TYPE_QUALNAME.__get__(kind) == qualified)


def qualname(kind: type) -> str:
    """The class's ``__qualname__``, read as ``type`` stores it."""
    return str(_TYPE_QUALNAME.__get__(kind))


def module_of(kind: type) -> Optional[str]:
    """The class's ``__module__`` as ``type`` stores it, when it is a plain string."""
    module = _TYPE_MODULE.__get__(kind)
    return module if type(module) is str else None


def name(kind: type) -> str:
    """The class's ``__name__``, read as ``type`` stores it."""
    return str(_TYPE_NAME.__get__(kind))


def _is_builtin_class(cls: Optional[type]) -> bool:
    return cls is not None and _TYPE_MODULE.__get__(cls) == "builtins"


def c_repr(value: Any) -> Optional[str]:
    """The repr of a value whose class's ``__repr__`` is ``object``'s, ``type``'s, a
    function's or a code object's (C code reading no code of the program), else None."""
    found = owner(type(value), "__repr__")
    if found is not None and is_one_of(found, _C_REPR):
        return str(found.__repr__(value))  # type: ignore[call-arg]
    return None


def exception_args(value: Any) -> Optional[tuple[Any, ...]]:
    """The ``args`` of an exception whose repr is ``BaseException``'s (``Name(args)``)."""
    if owner(type(value), "__repr__") is BaseException:
        return _ARGS.__get__(value)  # type: ignore[no-any-return]
    return None


def builtin_size(value: Any) -> Optional[int]:
    """``len(value)`` as the builtin container or string class it subclasses counts it."""
    for base in _TYPE_MRO.__get__(type(value)):
        if is_one_of(base, _SIZED):
            return int(base.__len__(value))
    return None


def str_kind(exc: Any) -> Optional[str]:
    """How ``str(exc)`` is made when that runs no code of the program: ``"args"`` for
    ``BaseException``'s (the one str arg, else the repr of the arg or args), ``"key"`` for
    ``KeyError``'s (the repr of its one arg), ``"c"`` for another builtin exception ``__str__``
    that reads only plain values (call ``str``); None otherwise."""
    kind = type(exc)
    found = owner(kind, "__str__")
    if found is BaseException:
        return "args"
    if found is KeyError:
        return "key"
    if not _is_builtin_class(found) or not is_one_of(BaseException, _TYPE_MRO.__get__(kind)):
        return None
    fields = [_ARGS.__get__(exc)]
    builtin_bases = [k for k in _TYPE_MRO.__get__(kind) if _is_builtin_class(k)]
    for field in _EXC_FIELDS:  # the C field itself, even if the program's class shadows it
        for base in builtin_bases:
            descriptor = _TYPE_DICT.__get__(base).get(field)
            if is_one_of(type(descriptor), _FIELD_DESCRIPTORS):
                fields.append(descriptor.__get__(exc))
                break
    return "c" if all(plain(field) for field in fields) else None


def plain_message(exc: Any) -> Optional[str]:
    """``str(exc)`` when it is builtin C code over plain values (``str_kind`` "c"), an
    exception without args (""), or ``BaseException``'s of one str arg; None otherwise (the
    caller bounds the reprs of other args, or gives up)."""
    how = str_kind(exc)
    if how is None:
        return None
    if how == "c":
        return str.__str__(str(exc))
    args = args_of(exc)
    if not args:
        return ""
    if how == "args" and len(args) == 1 and type(args[0]) is str:
        return str.__str__(args[0])
    return None


def args_of(exc: Any) -> tuple[Any, ...]:
    """An exception's ``args``, through ``BaseException``'s own descriptor."""
    return _ARGS.__get__(exc)  # type: ignore[no-any-return]


_GET = object.__getattribute__
_MISSING = object()


def instance_attrs(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """The instance attributes ``names`` of ``obj`` that are set, read one by one without its
    ``__dict__``.

    For a finaliser that runs in a collection: on CPython 3.11+ ``obj.__dict__`` of an object
    whose attributes are still inline creates the dict, a new object the collector did not see,
    which holds the other dying objects and so revives them all (the program's ``gc.collect()``
    would count them a collection later).  ``object.__getattribute__`` reads the inline values;
    a name the class defines is read only when the class's value is a builtin scalar (Twisted's
    ``called = False`` defaults, which the read then gives for an instance that has none), and
    skipped otherwise (a property, any descriptor): no code of the program runs."""
    out: dict[str, Any] = {}
    cls = type(obj)
    for name in names:
        where = owner(cls, name)
        if where is not None and id(type(_TYPE_DICT.__get__(where)[name])) not in _SCALAR_IDS:
            continue
        value = _get_or_missing(obj, name)
        if value is not _MISSING:
            out[name] = value
    return out


def _get_or_missing(obj: Any, name: str) -> Any:
    try:
        return _GET(obj, name)
    except AttributeError:
        return _MISSING
