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

Inserted calls (names bound in the defer module's globals while installed):

* ``_deferred_graph_mark(id(X))`` after writes of ``result``, ``paused``, ``_chainedTo``, the
  callback list (assignment, item assignment, ``del``, ``append``/``pop``/``extend``...);
* ``_deferred_graph_fired(id(X), _deferred_graph_now())`` after ``X.called = ...`` (records when);
* ``_deferred_graph_failure(X)`` after ``X._debugInfo.failResult = ...`` (rare: failure paths);
* first in ``Deferred.__init__``, the registration, inlined (creation site from
  ``sys._getframe``, a weak-reference entry appended to ``registry.born``); it then needs no
  notes on ``self``: registering reports the new Deferred;
* ``_deferred_graph_cancel(self)`` first in every ``cancel`` method of a Deferred class there;
* ``_deferred_graph_mark(id(S.deferred))`` after ``S.waitingOn = ...`` (an inlineCallbacks
  ``_CancellationStatus``: what its coroutine awaits changed, which no Deferred write shows).

Anything that cannot be found, parsed or compiled is skipped and listed in ``skipped``; the
runtime then degrades (fewer observed writes) instead of failing.
"""

from __future__ import annotations

import ast
import copy
import linecache
import types
from typing import Any, Callable, Dict, List, Optional, Tuple

MARK = "_deferred_graph_mark"
FIRED = "_deferred_graph_fired"
NOW = "_deferred_graph_now"
FAILURE = "_deferred_graph_failure"
REGISTER = "_deferred_graph_register"
CANCEL = "_deferred_graph_cancel"
CANCELLABLE_INLINE = "_cancellableInlineCallbacks"

STATE_ATTRS = frozenset({"result", "paused", "_chainedTo"})
CALLBACK_ATTRS = frozenset({"callbacks", "_callbacks"})
LIST_MUTATORS = frozenset(
    {"append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse", "__setitem__",
     "__delitem__", "__iadd__"}
)

# Kinds of inserted call, in the order we prefer when one object is written several ways in a
# run of statements: a failure note also marks dirty, a fired note implies dirty.
_KIND_MARK, _KIND_FIRED, _KIND_FAILURE = "mark", "fired", "failure"


def _pure(node: ast.expr) -> bool:
    """True when re-evaluating ``node`` after the statement has no side effect (names,
    attribute chains, constant subscripts): only those are safe to mark."""
    while True:
        if isinstance(node, ast.Name):
            return True
        if isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            node = node.value
        else:
            return False


def _flatten_targets(targets: List[ast.expr]) -> List[ast.expr]:
    out: List[ast.expr] = []
    for t in targets:
        if isinstance(t, (ast.Tuple, ast.List)):
            out.extend(_flatten_targets(list(t.elts)))
        elif isinstance(t, ast.Starred):
            out.extend(_flatten_targets([t.value]))
        else:
            out.append(t)
    return out


def _target_write(target: ast.expr) -> Optional[Tuple[ast.expr, str]]:
    """The written object and the kind of note for one assignment/deletion target."""
    if isinstance(target, ast.Attribute):
        attr = target.attr
        if attr == "called":
            return target.value, _KIND_FIRED
        if attr in STATE_ATTRS or attr in CALLBACK_ATTRS:
            return target.value, _KIND_MARK
        if attr == "failResult" and isinstance(target.value, ast.Attribute) \
                and target.value.attr == "_debugInfo":
            return target.value.value, _KIND_FAILURE
        if attr == "waitingOn":  # inlineCallbacks' _CancellationStatus: its Deferred changed
            return ast.Attribute(value=target.value, attr="deferred", ctx=ast.Load()), _KIND_MARK
    elif isinstance(target, ast.Subscript):
        seq = target.value
        if isinstance(seq, ast.Attribute) and seq.attr in CALLBACK_ATTRS:
            return seq.value, _KIND_MARK
    return None


class _CallFinder(ast.NodeVisitor):
    """Finds ``X.callbacks.<mutator>(...)`` calls inside one statement (not inside lambdas or
    nested definitions, which run at another time)."""

    def __init__(self) -> None:
        self.found: List[Tuple[ast.expr, str]] = []

    def visit_Lambda(self, node: ast.Lambda) -> None:
        return None

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in LIST_MUTATORS:
            seq = func.value
            if isinstance(seq, ast.Attribute) and seq.attr in CALLBACK_ATTRS:
                self.found.append((seq.value, _KIND_MARK))
        self.generic_visit(node)


def statement_writes(stmt: ast.stmt) -> List[Tuple[ast.expr, str]]:
    """Every (object expression, kind) a simple statement writes; empty for other statements."""
    writes: List[Tuple[ast.expr, str]] = []
    if isinstance(stmt, ast.Assign):
        targets = _flatten_targets(stmt.targets)
    elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
        targets = [stmt.target] if getattr(stmt, "value", True) is not None else []
    elif isinstance(stmt, ast.Delete):
        targets = _flatten_targets(stmt.targets)
    elif isinstance(stmt, (ast.Expr, ast.Return)):
        targets = []
    else:
        return writes
    for target in targets:
        hit = _target_write(target)
        if hit is not None:
            writes.append(hit)
    if not isinstance(stmt, ast.Delete):
        finder = _CallFinder()
        if stmt.value is not None:  # type: ignore[union-attr]
            finder.visit(stmt.value)  # type: ignore[union-attr]
        writes.extend(finder.found)
    return writes


def _call_stmt(name: str, args: List[ast.expr], anchor: ast.stmt) -> ast.stmt:
    call = ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=args, keywords=[])
    stmt = ast.Expr(value=call)
    ast.copy_location(stmt, anchor)
    for node in ast.walk(stmt):
        ast.copy_location(node, anchor)
        node.end_lineno = anchor.lineno  # type: ignore[attr-defined]
        node.end_col_offset = anchor.col_offset  # type: ignore[attr-defined]
    return stmt


def _id_of(expr: ast.expr) -> ast.expr:
    return ast.Call(func=ast.Name(id="id", ctx=ast.Load()), args=[copy.deepcopy(expr)], keywords=[])


def _note_stmts(writes: List[Tuple[ast.expr, str]], anchor: ast.stmt) -> List[ast.stmt]:
    """One call per written object (the strongest kind wins), in first-write order."""
    kinds: Dict[str, Tuple[ast.expr, str]] = {}
    rank = {_KIND_MARK: 0, _KIND_FIRED: 1, _KIND_FAILURE: 2}
    for expr, kind in writes:
        if not _pure(expr):
            continue
        key = ast.dump(expr)
        if key not in kinds or rank[kind] > rank[kinds[key][1]]:
            kinds[key] = (expr, kind)
    out: List[ast.stmt] = []
    for expr, kind in kinds.values():
        if kind == _KIND_MARK:
            out.append(_call_stmt(MARK, [_id_of(expr)], anchor))
        elif kind == _KIND_FIRED:
            now = ast.Call(func=ast.Name(id=NOW, ctx=ast.Load()), args=[], keywords=[])
            out.append(_call_stmt(FIRED, [_id_of(expr), now], anchor))
        else:
            out.append(_call_stmt(FAILURE, [copy.deepcopy(expr)], anchor))
    return out


def _clear_chained(stmt: ast.stmt) -> Optional[ast.stmt]:
    """``X._chainedTo = None`` runs on every pass of ``_runCallbacks`` and almost never changes
    anything: write it exactly as before, but note ``X`` only when it was set (a read and a
    compare instead of a call).  ``_chainedTo`` has a class default, so the read cannot fail."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
        return None
    target = stmt.targets[0]
    if not (isinstance(target, ast.Attribute) and target.attr == "_chainedTo"
            and isinstance(stmt.value, ast.Constant) and stmt.value.value is None
            and _pure(target.value)):
        return None
    obj = target.value
    test = ast.Compare(left=ast.Attribute(value=copy.deepcopy(obj), attr="_chainedTo",
                                          ctx=ast.Load()),
                       ops=[ast.IsNot()], comparators=[ast.Constant(value=None)])
    mark = _call_stmt(MARK, [_id_of(obj)], stmt)
    node = ast.If(test=test, body=[copy.deepcopy(stmt), mark], orelse=[copy.deepcopy(stmt)])
    for sub in ast.walk(node):
        if "lineno" in sub._attributes:
            ast.copy_location(sub, stmt)
    return node


def _safe_call(node: ast.Call) -> bool:
    """A mutation of a Deferred's callback list (``X.callbacks.pop(0)``): runs no user code."""
    func = node.func
    return isinstance(func, ast.Attribute) and func.attr in LIST_MUTATORS \
        and isinstance(func.value, ast.Attribute) and func.value.attr in CALLBACK_ATTRS


def _quiet(stmt: ast.stmt) -> bool:
    """A simple statement that runs no user code and cannot leave the block: pending notes may
    wait past it (one note per written object per straight-line run), since nothing can observe
    the delay and no path skips the note that follows."""
    if not isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Pass)):
        return False
    for node in ast.walk(stmt):
        if isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await, ast.NamedExpr, ast.Lambda)):
            return False
        if isinstance(node, ast.Call) and not _safe_call(node):
            return False
    return True


def _leading_quiet_writes(body: List[ast.stmt]) -> set:
    """Objects (as dumps) written by the quiet statements a block starts with."""
    found = set()
    for stmt in body:
        if not _quiet(stmt):
            break
        found.update(ast.dump(expr) for expr, _ in statement_writes(stmt))
    return found


def _bindings(stmt: ast.stmt) -> set:
    """Source text of every name/attribute/item a simple statement (re)binds."""
    targets: List[ast.expr] = []
    if isinstance(stmt, (ast.Assign, ast.Delete)):
        targets = _flatten_targets(stmt.targets)
    elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
        targets = [stmt.target]
    return {ast.unparse(t) for t in targets}


def _prefixes(expr: ast.expr) -> set:
    """``a.b[0].c`` -> {"a.b[0].c", "a.b[0]", "a.b", "a"}: what rebinding would change it."""
    out = set()
    node: Any = expr
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Name)):
        out.add(ast.unparse(node))
        if isinstance(node, ast.Name):
            break
        node = node.value
    return out


def _rebinds_pending(stmt: ast.stmt, pending: List[Tuple[ast.expr, str]]) -> bool:
    """True when ``stmt`` changes what a pending note's expression refers to (``x.result.result
    = None; x.result = r``): the note must be taken before it, or it would mark another object."""
    bound = _bindings(stmt)
    return bool(bound) and any(bound & _prefixes(expr) for expr, _ in pending)


class _Instrumenter(ast.NodeTransformer):
    """Rewrites every statement list so that each write is followed by a note of the written
    object before anything that may run other code or leave the block (a call, a compound
    statement, return/break/raise, the end of the block), one note per object per run.

    ``skip_self`` suppresses notes on ``self`` (in ``Deferred.__init__``, where the register
    hook reports the new Deferred anyway)."""

    def __init__(self, skip_self: bool = False) -> None:
        self.inserted = 0
        self.skip_self = skip_self

    def _flush(self, pending: List[Tuple[ast.expr, str]], anchor: Optional[ast.stmt],
               out: List[ast.stmt]) -> None:
        if self.skip_self:
            pending = [(e, k) for e, k in pending
                       if not (isinstance(e, ast.Name) and e.id == "self")]
        if pending and anchor is not None:
            notes = _note_stmts(pending, anchor)
            self.inserted += len(notes)
            out.extend(notes)

    def _carry_into_loop(self, stmt: ast.stmt, pending: List[Tuple[ast.expr, str]]) -> bool:
        """``X.a = v; while T: X.b.pop(0) ...``: instead of a note before the loop, merge the
        pending notes into the loop body's first one (same objects: free) and note them in the
        loop's ``else`` (normal exit; a ``break`` comes after the body's first note)."""
        if not pending or not isinstance(stmt, ast.While) or any(
                isinstance(n, ast.Call) for n in ast.walk(stmt.test)):
            return False
        if not {ast.dump(e) for e, _ in pending} <= _leading_quiet_writes(stmt.body):
            return False
        stmt.body = self._rewrite_body(stmt.body, list(pending))
        stmt.orelse = self._rewrite_body(stmt.orelse, list(pending)) if stmt.orelse else []
        if not stmt.orelse:
            self._flush(list(pending), stmt, stmt.orelse)
        stmt.test = self.visit(stmt.test)
        return True

    def _carry_through_if(self, stmt: ast.stmt, pending: List[Tuple[ast.expr, str]]) -> bool:
        """``X.a = v; if T: ...; X.b = w``: let pending notes flow through an ``if`` whose test
        calls nothing: each branch notes them (merged with its own notes), and without an
        ``else`` they stay pending after it, so the common skipped-branch path pays once."""
        if not pending or not isinstance(stmt, ast.If) or any(
                isinstance(n, ast.Call) for n in ast.walk(stmt.test)):
            return False
        stmt.body = self._rewrite_body(stmt.body, list(pending))
        if stmt.orelse:
            stmt.orelse = self._rewrite_body(stmt.orelse, list(pending))
        return True

    def _rewrite_body(self, body: List[ast.stmt],
                      carried: Optional[List[Tuple[ast.expr, str]]] = None) -> List[ast.stmt]:
        out: List[ast.stmt] = []
        pending: List[Tuple[ast.expr, str]] = carried or []
        last: Optional[ast.stmt] = body[0] if carried else None
        for stmt in body:
            cleared = _clear_chained(stmt)
            if cleared is not None:
                if pending and _rebinds_pending(stmt, pending):
                    self._flush(pending, stmt, out)
                    pending = []
                self.inserted += 1
                out.append(cleared)
                continue
            if self._carry_into_loop(stmt, pending):
                out.append(stmt)
                pending = []
                continue
            if self._carry_through_if(stmt, pending):
                out.append(stmt)
                if stmt.orelse:
                    pending = []
                continue
            stmt = self.visit(stmt)
            writes = statement_writes(stmt)
            # Notes taken before a statement carry that statement's location, so a tracer
            # (debugpy) sees no extra line events and a breakpoint on it still stops first.
            if pending and (_rebinds_pending(stmt, pending) or not _quiet(stmt)):
                self._flush(pending, stmt, out)
                pending = []
            out.append(stmt)
            if writes:
                pending.extend(writes)
                last = stmt
        self._flush(pending, out[-1] if out else last, out)
        return out

    def generic_visit(self, node: ast.AST) -> ast.AST:
        for field in ("body", "orelse", "finalbody"):
            value = getattr(node, field, None)
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                setattr(node, field, self._rewrite_body(value))
        for field, value in ast.iter_fields(node):
            if field in ("body", "orelse", "finalbody") and isinstance(value, list) \
                    and value and isinstance(value[0], ast.stmt):
                continue
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        self.visit(item)
            elif isinstance(value, ast.AST):
                self.visit(value)
        return node


_REGISTER_TEMPLATE = """
try:
    _deferred_graph_f = _deferred_graph_getframe(1)
    while _deferred_graph_f.f_code.co_filename == _deferred_graph_file:
        _deferred_graph_f = _deferred_graph_f.f_back
    _deferred_graph_e = _deferred_graph_Entry(SELF, _deferred_graph_collected)
    _deferred_graph_e.code = _deferred_graph_f.f_code
    _deferred_graph_e.lasti = _deferred_graph_f.f_lasti
    _deferred_graph_e.born_at = _deferred_graph_now()
    _deferred_graph_born(_deferred_graph_e)
except Exception:
    _deferred_graph_register(SELF)
"""


def _body_start(func: ast.FunctionDef) -> int:
    body = func.body
    return 1 if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
        and isinstance(body[0].value.value, str) else 0


def _locate(nodes: List[ast.stmt], anchor: ast.stmt) -> List[ast.stmt]:
    for stmt in nodes:
        for node in ast.walk(stmt):
            if "lineno" in node._attributes:
                ast.copy_location(node, anchor)
                node.end_lineno = anchor.lineno  # type: ignore[attr-defined]
                node.end_col_offset = anchor.col_offset  # type: ignore[attr-defined]
    return nodes


def _prepend(func: ast.FunctionDef, name: str) -> None:
    """Insert ``name(self)`` first in a method body (after its docstring); for the register
    hook, the registration itself, inlined (a Python call per Deferred costs more than it)."""
    args = func.args.posonlyargs + func.args.args
    if not args:
        return
    at = _body_start(func)
    anchor = func.body[at] if at < len(func.body) else func.body[-1]
    if name == REGISTER:
        source = _REGISTER_TEMPLATE.replace("SELF", args[0].arg)
        stmts = ast.parse(source).body
    else:
        stmts = [_call_stmt(name, [ast.Name(id=args[0].arg, ctx=ast.Load())], anchor)]
    func.body[at:at] = _locate(stmts, anchor)


def _find_code(codes: Tuple[Any, ...], name: str) -> Optional[types.CodeType]:
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
        self.codes: List[Tuple[types.FunctionType, types.CodeType]] = []
        self.module_attrs: Dict[str, Any] = {}  # name -> original value (or _MISSING)
        self.skipped: List[str] = []
        self.instrumented: List[str] = []

    def set_module_attr(self, name: str, value: Any) -> None:
        if name not in self.module_attrs:
            self.module_attrs[name] = self.module.__dict__.get(name, _MISSING)
        setattr(self.module, name, value)

    def restore(self) -> None:
        for func, code in reversed(self.codes):
            try:
                func.__code__ = code
            except Exception:
                pass
        for name, value in self.module_attrs.items():
            if value is _MISSING:
                self.module.__dict__.pop(name, None)
            else:
                setattr(self.module, name, value)
        self.codes.clear()
        self.module_attrs.clear()


_MISSING = object()


def _deferred_classes(module: types.ModuleType) -> set:
    base = getattr(module, "Deferred", None)
    out = set()
    for value in vars(module).values():
        if isinstance(value, type) and base is not None and issubclass(value, base):
            out.add(value.__name__)
    return out


def instrument_module(module: types.ModuleType, patcher: Patcher) -> None:
    """Recompile every function of ``module`` that writes Deferred state; swap the code in."""
    filename = getattr(module, "__file__", None)
    try:
        source = "".join(linecache.getlines(filename)) if filename else ""
        if not source:
            raise OSError("no source")
        tree = ast.parse(source, filename)
    except Exception as exc:  # no source (zipapp, .pyc only) or a syntax we cannot parse
        patcher.skipped.append("module: %s" % (exc,))
        return
    deferred_classes = _deferred_classes(module)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            _instrument_one(module, patcher, filename, None, node, module.__dict__.get(node.name),
                            deferred_classes)
        elif isinstance(node, ast.ClassDef):
            cls = module.__dict__.get(node.name)
            if not isinstance(cls, type):
                continue
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    _instrument_one(module, patcher, filename, node, item,
                                    cls.__dict__.get(item.name), deferred_classes)


def _instrument_one(module: types.ModuleType, patcher: Patcher, filename: str,
                    cls_node: Optional[ast.ClassDef], node: ast.FunctionDef, live: Any,
                    deferred_classes: set) -> None:
    where = "%s.%s" % (cls_node.name, node.name) if cls_node else node.name
    func = _unwrap(live)
    if func is None:
        return
    original = func.__code__
    first_line = node.decorator_list[0].lineno if node.decorator_list else node.lineno
    if original.co_firstlineno not in (first_line, node.lineno):
        return  # an @overload stub or a redefinition: not the live function
    in_deferred = cls_node is not None and cls_node.name in deferred_classes
    prepend = None
    if in_deferred and cls_node.name == "Deferred" and node.name == "__init__":
        prepend = REGISTER
    elif in_deferred and node.name == "cancel":
        prepend = CANCEL
    # Decorators stay in the tree: the compiled module is never run (we only take the function's
    # code object), and with them co_firstlineno is the decorator's line, as in the original.
    new_node = copy.deepcopy(node)
    instrumenter = _Instrumenter(skip_self=prepend == REGISTER)
    new_node = instrumenter.visit(new_node)
    if prepend:
        _prepend(new_node, prepend)
    if not instrumenter.inserted and not prepend:
        return
    try:
        code = _compile(new_node, cls_node, filename, original)
    except Exception as exc:
        patcher.skipped.append("%s: %s" % (where, exc))
        return
    if code is None:
        patcher.skipped.append("%s: compiled code does not match" % where)
        return
    patcher.codes.append((func, original))
    func.__code__ = code
    patcher.instrumented.append(where)


def _compile(node: ast.FunctionDef, cls_node: Optional[ast.ClassDef], filename: str,
             original: types.CodeType) -> Optional[types.CodeType]:
    """Compile one function as the compiler saw it (inside its class, for name mangling and the
    ``__class__`` cell of ``super()``) and return its code if its free variables match."""
    if cls_node is not None:
        holder = ast.ClassDef(name=cls_node.name, bases=[], keywords=[], body=[node],
                              decorator_list=[])
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


def install_hooks(module: types.ModuleType, names: Dict[str, Callable[..., Any]],
                  wrap_inline: Optional[Callable[[Callable[..., Any]], Callable[..., Any]]] = None
                  ) -> Patcher:
    """Bind the note functions in ``module``'s globals, instrument it, wrap
    ``_cancellableInlineCallbacks``; return the patcher that undoes all of it."""
    patcher = Patcher(module)
    for name, value in names.items():
        patcher.set_module_attr(name, value)
    try:
        instrument_module(module, patcher)
        original = module.__dict__.get(CANCELLABLE_INLINE)
        if wrap_inline is not None and callable(original):
            patcher.set_module_attr(CANCELLABLE_INLINE, wrap_inline(original))
    except Exception as exc:  # never fail the program: undo everything and report
        patcher.skipped.append("install: %r" % (exc,))
        patcher.restore()
    return patcher


def note_names_are_bound(module: types.ModuleType) -> bool:
    """True while the hooks' globals are present (a cheap installed-check for tests)."""
    return MARK in module.__dict__


__all__ = ["install_hooks", "Patcher", "statement_writes", "note_names_are_bound"]
