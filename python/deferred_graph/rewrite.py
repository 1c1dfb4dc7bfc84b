"""The AST rewriting behind the hooks: find statements that write Deferred state, insert notes.

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

Placement keeps the notes cheap and exact: one note per written object per straight-line run of
statements that run no user code, taken before anything that may run other code or leave the
block (so a drain never misses a write and the live view is right while a callback runs), never
past a statement that rebinds the noted expression, and located on the line of the statement it
precedes (a tracer such as debugpy sees no extra line event).
"""

from __future__ import annotations

import ast
import copy
from typing import Any, Dict, List, Optional, Tuple

MARK = "_deferred_graph_mark"
FIRED = "_deferred_graph_fired"
NOW = "_deferred_graph_now"
FAILURE = "_deferred_graph_failure"
REGISTER = "_deferred_graph_register"
CANCEL = "_deferred_graph_cancel"

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


class Instrumenter(ast.NodeTransformer):
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


def prepend_hook(func: ast.FunctionDef, name: str) -> None:
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
