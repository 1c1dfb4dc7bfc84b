"""Observe every write Twisted makes to a Deferred's state, at the cost of one C call per write.

Twisted changes Deferred state from many places: the public methods, ``_runCallbacks`` (which
writes *other* Deferreds' ``result``/``paused``/``_chainedTo`` while running a chain), module
functions such as 26.4's ``succeed`` and the inlineCallbacks machinery.  Wrapping public methods
misses most of that, and descriptors on the attributes slow every read in Twisted's hot loop
(FIELD-NOTES §2).  So at install time we re-parse the installed ``defer.py``, find every function
(top-level or method of a class defined there) containing a statement that writes a tracked
attribute, insert after such statements a call that marks the written object dirty, compile the
function again with the original file name and line numbers, and swap the new code into the
*existing* function object (``func.__code__``).  Swapping the code keeps every identity intact:
the ``Deferred`` class (24.7+ checks ``type(x) in _DEFERRED_SUBCLASSES``), its ``__dict__``,
references held by ``from twisted.internet.defer import succeed`` elsewhere, and bound methods
created before install.  Tracebacks and breakpoints in defer.py keep pointing at the right lines.

The rewriting itself is in ``writes`` (which statements write what) and ``rewrite`` (where
the notes go).

Anything that cannot be found, parsed or compiled is skipped and listed in ``skipped``; the
runtime then degrades (fewer observed writes) instead of failing.
"""

from __future__ import annotations

import ast
import copy
import gc
import linecache
import sys
import types
from typing import Any, Optional

from .firesite import FIRE
from .rewrite import CANCEL, MARK, REGISTER, Instrumenter, insert_coroutine_link, prepend_hook

CANCELLABLE_INLINE = "_cancellableInlineCallbacks"


def _find_code(codes: tuple[Any, ...], name: str) -> Optional[types.CodeType]:
    for const in codes:
        if isinstance(const, types.CodeType) and const.co_name == name:
            return const
    return None


def _unwrap(obj: Any) -> Optional[types.FunctionType]:
    for _ in range(5):
        if isinstance(obj, types.FunctionType):
            return obj
        obj = getattr(obj, "__func__", None) or getattr(obj, "__wrapped__", None)
        if obj is None:
            return None
    return None


class Patcher:
    """Holds what install changed so uninstall can put back exactly what was there."""

    def __init__(self, module: types.ModuleType) -> None:
        self.module = module
        self.codes: list[tuple[types.FunctionType, types.CodeType]] = []
        self.module_attrs: dict[str, Any] = {}  # name -> original value (or _MISSING)
        self.skipped: list[str] = []
        self.instrumented: list[str] = []
        self.lingering: list[str] = []  # names left bound to no-ops by restore (see there)
        self.class_attrs: list[tuple[type, str, Any]] = []  # (class, name, original or _MISSING)

    def list_beside_original(self, original: types.CodeType, code: types.CodeType) -> None:
        """List ``code`` wherever Twisted lists ``original`` by identity: its ``@_extraneous``
        functions' code objects in ``failure._inlineCallbacksExtraneous``, which 22.4's
        ``Failure`` uses to leave ``_inlineCallbacks`` and ``Deferred.send`` out of tracebacks
        through inlineCallbacks (26.4 still fills the list but no longer reads it).  Without
        this the recompiled frames would show in every such traceback."""
        failure = sys.modules.get("twisted.python.failure")
        extraneous = getattr(failure, "_inlineCallbacksExtraneous", None)
        if type(extraneous) is list and any(item is original for item in extraneous):
            extraneous.append(code)
            _LISTED.append((extraneous, code, self.module.__name__))

    def set_module_attr(self, name: str, value: Any) -> None:
        if name not in self.module_attrs:
            current = self.module.__dict__.get(name, _MISSING)
            self.module_attrs[name] = _MISSING if current is _noop else current
        setattr(self.module, name, value)

    def set_class_attr(self, cls: type, name: str, value: Any) -> None:
        """Set ``cls.name`` (the finaliser on ``Deferred``), putting back what was there."""
        self.class_attrs.append((cls, name, cls.__dict__.get(name, _MISSING)))
        setattr(cls, name, value)

    def restore(self) -> None:
        """Put back every original code object and module attribute.

        Our own globals are removed only if no instrumented code can still run: a thread in
        the middle of ``_runCallbacks``, a suspended 26.4 ``Deferred.__iter__`` (every pending
        ``await d``), a 22.4 inlineCallbacks canceller closure made while installed.  Otherwise
        they stay bound to a no-op (listed in ``lingering``) so that code finishes quietly;
        removing them would raise NameError into the program.  For the same reason recompiled
        code stays listed beside its original (a frame of it still running must stay hidden
        where the original would be) until a later restore finds no such code in use."""
        for func, code in reversed(self.codes):
            try:
                func.__code__ = code
            except Exception:
                pass
        for cls, name, original in reversed(self.class_attrs):
            try:
                if original is _MISSING:
                    delattr(cls, name)
                else:
                    setattr(cls, name, original)
            except Exception:
                pass
        self.class_attrs.clear()
        ours = [name for name, value in self.module_attrs.items() if value is _MISSING]
        name = self.module.__name__
        listed = any(item[2] == name for item in _LISTED)
        in_use = bool(ours or listed) and _instrumented_code_in_use(_INSTRUMENTED.get(name, set()))
        if not in_use:
            _unlist_all(name)
        for name, value in self.module_attrs.items():
            if value is not _MISSING:
                setattr(self.module, name, value)
            elif in_use:
                setattr(self.module, name, _noop)
                self.lingering.append(name)
            else:
                self.module.__dict__.pop(name, None)
        self.codes.clear()
        self.module_attrs.clear()


# Every (Twisted list, recompiled code, its module's name) that ``list_beside_original`` added,
# by any install.
_LISTED: list[tuple[list[Any], types.CodeType, str]] = []


def _unlist_all(module: str) -> None:
    """Take every code recompiled from ``module`` out of the Twisted lists it was added to."""
    for listing, code, _name in [item for item in _LISTED if item[2] == module]:
        for index, item in enumerate(listing):
            if item is code:
                del listing[index]
                break
    _LISTED[:] = [item for item in _LISTED if item[2] != module]


def _noop(*args: Any, **kwargs: Any) -> None:
    """What the hooks' globals become when instrumented code may still run after uninstall."""
    return None


# By module name: every code object (nested ones included) compiled from it by any install in
# this process (a restore keeps its module's hook names while any of them can still run).
_INSTRUMENTED: dict[str, set[types.CodeType]] = {}


def _remember(code: types.CodeType, codes: set[types.CodeType]) -> None:
    codes.add(code)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _remember(const, codes)


def _instrumented_code_in_use(codes: set[types.CodeType]) -> bool:
    """True if a thread runs, a generator/coroutine is suspended in, or a function object
    (a closure made while installed) holds, code an install compiled."""
    try:
        for top in sys._current_frames().values():
            frame: Optional[types.FrameType] = top
            while frame is not None:
                if frame.f_code in codes:
                    return True
                frame = frame.f_back
        gc.collect()
        for obj in gc.get_objects():
            kind = type(obj)
            if kind is types.FunctionType:
                if obj.__code__ in codes:
                    return True
            elif kind is types.GeneratorType or kind is types.CoroutineType:
                code = getattr(obj, "gi_code", None) or getattr(obj, "cr_code", None)
                if (
                    code in codes
                    and (getattr(obj, "gi_frame", None) or getattr(obj, "cr_frame", None))
                    is not None
                ):
                    return True
        return False
    except Exception:
        return True  # when in doubt, keep the no-ops: never a NameError in the program


_MISSING = object()


def _deferred_classes(module: types.ModuleType) -> set[str]:
    base = getattr(module, "Deferred", None)
    out: set[str] = set()
    for value in vars(module).values():
        if isinstance(value, type) and base is not None and issubclass(value, base):
            out.add(value.__name__)
    return out


def module_tree(module: types.ModuleType) -> tuple[str, ast.Module]:
    """``module``'s file name and parsed source; raises if it has none (a zipapp, .pyc only)
    or a syntax we cannot parse."""
    filename: Optional[str] = getattr(module, "__file__", None)
    if not filename:
        raise OSError("no source")
    source = "".join(linecache.getlines(filename))
    if not source:
        raise OSError("no source")
    return filename, ast.parse(source, filename)


def swap_code(patcher: Patcher, func: types.FunctionType, code: types.CodeType) -> None:
    """Put recompiled ``code`` into ``func`` (kept for ``restore``)."""
    patcher.codes.append((func, func.__code__))
    _remember(code, _INSTRUMENTED.setdefault(patcher.module.__name__, set()))
    func.__code__ = code


def instrument_module(module: types.ModuleType, patcher: Patcher) -> None:
    """Recompile every function of ``module`` that writes Deferred state; swap the code in."""
    try:
        filename, tree = module_tree(module)
    except Exception as exc:
        patcher.skipped.append("module: %s" % (exc,))
        return
    deferred_classes = _deferred_classes(module)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            _instrument_one(
                module,
                patcher,
                filename,
                None,
                node,
                module.__dict__.get(node.name),
                deferred_classes,
            )
        elif isinstance(node, ast.ClassDef):
            cls = module.__dict__.get(node.name)
            if not isinstance(cls, type):
                continue
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    _instrument_one(
                        module,
                        patcher,
                        filename,
                        node,
                        item,
                        cls.__dict__.get(item.name),
                        deferred_classes,
                    )


def _instrument_one(
    module: types.ModuleType,
    patcher: Patcher,
    filename: str,
    cls_node: Optional[ast.ClassDef],
    node: ast.FunctionDef,
    live: Any,
    deferred_classes: set[str],
) -> None:
    class_name = cls_node.name if cls_node is not None else None
    where = "%s.%s" % (class_name, node.name) if class_name else node.name
    func = _unwrap(live)
    if func is None:
        return
    original = func.__code__
    first_line = node.decorator_list[0].lineno if node.decorator_list else node.lineno
    if original.co_firstlineno not in (first_line, node.lineno):
        return  # an @overload stub or a redefinition: not the live function
    in_deferred = class_name is not None and class_name in deferred_classes
    prepend = None
    if in_deferred and class_name == "Deferred" and node.name == "__init__":
        prepend = REGISTER
    elif in_deferred and node.name == "cancel":
        prepend = CANCEL
    elif in_deferred and class_name == "Deferred" and node.name == "_startRunCallbacks":
        prepend = FIRE
    # Decorators stay in the tree: the compiled module is never run (we only take the function's
    # code object), and with them co_firstlineno is the decorator's line, as in the original.
    new_node = copy.deepcopy(node)
    instrumenter = Instrumenter(skip_self=prepend == REGISTER, fire_self=prepend == FIRE)
    new_node = instrumenter.visit(new_node)
    if prepend:
        prepend_hook(new_node, prepend, class_name or "")
    linked = False
    if class_name is None and node.name == CANCELLABLE_INLINE:
        linked = insert_coroutine_link(new_node)
        if not linked:
            patcher.skipped.append("%s: no coroutine link (unknown shape)" % where)
    if not instrumenter.inserted and not prepend and not linked:
        return
    try:
        code = compile_function(new_node, cls_node, filename, original)
    except Exception as exc:
        patcher.skipped.append("%s: %s" % (where, exc))
        return
    if code is None:
        patcher.skipped.append("%s: compiled code does not match" % where)
        return
    swap_code(patcher, func, code)
    patcher.instrumented.append(where)
    patcher.list_beside_original(original, code)


def compile_function(
    node: ast.FunctionDef, cls_node: Optional[ast.ClassDef], filename: str, original: types.CodeType
) -> Optional[types.CodeType]:
    """Compile one function as the compiler saw it (inside its class, for name mangling and the
    ``__class__`` cell of ``super()``) and return its code if its free variables match."""
    if cls_node is not None:
        holder = ast.ClassDef(
            name=cls_node.name, bases=[], keywords=[], body=[node], decorator_list=[]
        )
        ast.copy_location(holder, cls_node)
        module = ast.Module(body=[holder], type_ignores=[])
    else:
        module = ast.Module(body=[node], type_ignores=[])
    ast.fix_missing_locations(module)
    flags = original.co_flags & _FUTURE_FLAGS
    compiled = compile(module, filename, "exec", flags=flags, dont_inherit=True)
    if cls_node is not None:
        compiled = _find_code(compiled.co_consts, cls_node.name)
        if compiled is None:
            return None
    code = _find_code(compiled.co_consts, node.name)
    if code is None or code.co_freevars != original.co_freevars:
        return None
    return code


def _future_flags() -> int:
    import __future__

    flags = 0
    for name in __future__.all_feature_names:
        flags |= getattr(__future__, name).compiler_flag
    return flags


_FUTURE_FLAGS = _future_flags()


def install_hooks(module: types.ModuleType, names: dict[str, Any]) -> Patcher:
    """Bind the note functions in ``module``'s globals and instrument it; return the patcher
    that undoes all of it."""
    patcher = Patcher(module)
    for name, value in names.items():
        patcher.set_module_attr(name, value)
    try:
        instrument_module(module, patcher)
    except Exception as exc:  # never fail the program: undo everything and report
        patcher.skipped.append("install: %r" % (exc,))
        patcher.restore()
    return patcher


def note_names_are_bound(module: types.ModuleType) -> bool:
    """True while the hooks' globals are present (a cheap installed-check for tests)."""
    return MARK in module.__dict__


__all__ = ["install_hooks", "Patcher", "note_names_are_bound"]
