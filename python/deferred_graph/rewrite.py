"""The AST rewriting behind the hooks: insert a note after the statements that write Deferred state.

Which statements write what, and which may run other code, is decided in ``writes``.

Inserted calls (names bound in the defer module's globals while installed):

* ``_deferred_graph_mark(id(X))`` after writes of ``result``, ``paused``, ``_chainedTo``, the
  callback list (assignment, item assignment, ``del``, ``append``/``pop``/``extend``...): the
  registry's ``dirty.add``, one C call (what a Deferred looked like when it died is read by a
  finaliser as it dies, see ``death``, not after every change);
* ``_deferred_graph_fired(id(X), _deferred_graph_now())`` after ``X.called = ...`` (records
  when; a fired id counts as dirty);
* ``_deferred_graph_failure(X)`` after ``X._debugInfo.failResult = ...`` (rare: failure paths);
* first in ``Deferred.__init__``, the registration, inlined (creation site from
  ``sys._getframe``, a birth record stored in ``registry.born``); it then needs no
  notes on ``self``: registering reports the new Deferred;
* ``_deferred_graph_cancel(self, "Class")`` first in every ``cancel`` method of a Deferred class
  there (the class says what that method does when the Deferred was already called);
* ``_deferred_graph_mark(id(S.deferred))`` after ``S.waitingOn = ...`` (an inlineCallbacks
  ``_CancellationStatus``: what its coroutine awaits changed, which no Deferred write shows);
* in ``_cancellableInlineCallbacks`` (which inlineCallbacks, ensureDeferred and fromCoroutine
  all go through), just before it starts the generator, the link of its Deferred to the
  generator: weak references and the generator's code appended to ``registry.links``, inlined
  (a Python wrapper would show in every stack and traceback through it, lower the recursion
  depth a program reaches, and be reported as those Deferreds' creation site).

On the success path every inserted statement runs only C code, so no frame of the runtime is
ever in a stack the program sees, and none can raise into Twisted: the notes' arguments are
expressions that were just written, and the two inlined blocks catch what their C calls could
raise.  The failure and cancel notes (and the registration's fallback) call Python helpers;
those catch everything and run no code of the program.

Placement keeps the notes cheap and exact: one note per written object per straight-line run of
statements that run no user code, taken before anything that may run other code or leave the
block (so a drain never misses a write and the live view is right while a callback runs), never
past a statement that rebinds the noted expression, and located on the line of the statement it
precedes (a tracer such as debugpy sees no extra line event).
"""

from __future__ import annotations

import ast
import copy
from typing import Optional

from .firesite import FIRE, FIRE_TEMPLATE, SECOND_TEMPLATE
from .writes import (
    KIND_FAILURE,
    KIND_FIRED,
    KIND_MARK,
    Write,
    leading_quiet_writes,
    pure,
    quiet,
    rebinds_pending,
    statement_writes,
)

MARK = "_deferred_graph_mark"
FIRED = "_deferred_graph_fired"
NOW = "_deferred_graph_now"
FAILURE = "_deferred_graph_failure"
REGISTER = "_deferred_graph_register"
CANCEL = "_deferred_graph_cancel"


def _call_stmt(name: str, args: list[ast.expr], anchor: ast.stmt) -> ast.stmt:
    call = ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=args, keywords=[])
    return _locate([ast.Expr(value=call)], anchor)[0]


def _id_of(expr: ast.expr) -> ast.expr:
    return ast.Call(func=ast.Name(id="id", ctx=ast.Load()), args=[copy.deepcopy(expr)], keywords=[])


def _mark_stmt(expr: ast.expr, anchor: ast.stmt) -> ast.stmt:
    """``MARK(id(X))`` on the anchor's line."""
    return _call_stmt(MARK, [_id_of(expr)], anchor)


def _note_stmts(writes: list[Write], anchor: ast.stmt, fire_self: bool = False) -> list[ast.stmt]:
    """One call per written object (the strongest kind wins), in first-write order; with
    ``fire_self``, the fire note of ``self`` is the inlined fire-site note (see firesite)."""
    kinds: dict[str, Write] = {}
    rank = {KIND_MARK: 0, KIND_FIRED: 1, KIND_FAILURE: 2}
    for expr, kind in writes:
        if not pure(expr):
            continue
        key = ast.dump(expr)
        if key not in kinds or rank[kind] > rank[kinds[key][1]]:
            kinds[key] = (expr, kind)
    out: list[ast.stmt] = []
    for expr, kind in kinds.values():
        if kind == KIND_MARK:
            out.append(_mark_stmt(expr, anchor))
        elif kind == KIND_FIRED and fire_self and isinstance(expr, ast.Name) and expr.id == "self":
            source = FIRE_TEMPLATE.replace("SELF", "self")
            out.extend(_locate(ast.parse(source).body, anchor))
        elif kind == KIND_FIRED:
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
    if not (
        isinstance(target, ast.Attribute)
        and target.attr == "_chainedTo"
        and isinstance(stmt.value, ast.Constant)
        and stmt.value.value is None
        and pure(target.value)
    ):
        return None
    obj = target.value
    test = ast.Compare(
        left=ast.Attribute(value=copy.deepcopy(obj), attr="_chainedTo", ctx=ast.Load()),
        ops=[ast.IsNot()],
        comparators=[ast.Constant(value=None)],
    )
    mark = _mark_stmt(obj, stmt)
    node = ast.If(test=test, body=[copy.deepcopy(stmt), mark], orelse=[copy.deepcopy(stmt)])
    for sub in ast.walk(node):
        if "lineno" in sub._attributes:
            ast.copy_location(sub, stmt)
    return node


class Instrumenter(ast.NodeTransformer):
    """Rewrites every statement list so that each write is followed by a note of the written
    object before anything that may run other code or leave the block (a call, a compound
    statement, return/break/raise, the end of the block), one note per object per run.

    ``skip_self`` suppresses notes on ``self`` (in ``Deferred.__init__``, where the register
    hook reports the new Deferred anyway); ``fire_self`` makes the fire note of ``self`` the
    fire-site note (in ``Deferred._startRunCallbacks``)."""

    def __init__(self, skip_self: bool = False, fire_self: bool = False) -> None:
        self.inserted = 0
        self.skip_self = skip_self
        self.fire_self = fire_self

    def _flush(self, pending: list[Write], anchor: Optional[ast.stmt], out: list[ast.stmt]) -> None:
        if self.skip_self:
            pending = [
                (e, k) for e, k in pending if not (isinstance(e, ast.Name) and e.id == "self")
            ]
        if pending and anchor is not None:
            notes = _note_stmts(pending, anchor, self.fire_self)
            self.inserted += len(notes)
            out.extend(notes)

    def _carry_into_loop(self, stmt: ast.While, pending: list[Write]) -> bool:
        """``X.a = v; while T: X.b.pop(0) ...``: instead of a note before the loop, merge the
        pending notes into the loop body's first one (same objects: free) and note them in the
        loop's ``else`` (normal exit; a ``break`` comes after the body's first note)."""
        if not pending or any(isinstance(n, ast.Call) for n in ast.walk(stmt.test)):
            return False
        if not {ast.dump(e) for e, _ in pending} <= leading_quiet_writes(stmt.body):
            return False
        stmt.body = self._rewrite_body(stmt.body, list(pending))
        stmt.orelse = self._rewrite_body(stmt.orelse, list(pending)) if stmt.orelse else []
        if not stmt.orelse:
            self._flush(list(pending), stmt, stmt.orelse)
        stmt.test = self.visit(stmt.test)
        return True

    def _carry_through_if(self, stmt: ast.If, pending: list[Write]) -> bool:
        """``X.a = v; if T: ...; X.b = w``: let pending notes flow through an ``if`` whose test
        calls nothing: each branch notes them (merged with its own notes), and without an
        ``else`` they stay pending after it, so the common skipped-branch path pays once."""
        if not pending or any(isinstance(n, ast.Call) for n in ast.walk(stmt.test)):
            return False
        stmt.body = self._rewrite_body(stmt.body, list(pending))
        if stmt.orelse:
            stmt.orelse = self._rewrite_body(stmt.orelse, list(pending))
        return True

    def _rewrite_body(
        self, body: list[ast.stmt], carried: Optional[list[Write]] = None
    ) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        pending: list[Write] = carried or []
        last: Optional[ast.stmt] = body[0] if carried else None
        for stmt in body:
            cleared = _clear_chained(stmt)
            if cleared is not None:
                if pending and rebinds_pending(stmt, pending):
                    self._flush(pending, stmt, out)
                    pending = []
                self.inserted += 1
                out.append(cleared)
                continue
            if isinstance(stmt, ast.While) and self._carry_into_loop(stmt, pending):
                out.append(stmt)
                pending = []
                continue
            if isinstance(stmt, ast.If) and self._carry_through_if(stmt, pending):
                out.append(stmt)
                if stmt.orelse:
                    pending = []
                continue
            stmt = self.visit(stmt)
            writes = statement_writes(stmt)
            # Notes taken before a statement carry that statement's location, so a tracer
            # (debugpy) sees no extra line events and a breakpoint on it still stops first.
            if pending and (rebinds_pending(stmt, pending) or not quiet(stmt)):
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
            if (
                field in ("body", "orelse", "finalbody")
                and isinstance(value, list)
                and value
                and isinstance(value[0], ast.stmt)
            ):
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
    _deferred_graph_born[id(SELF)] = (
        _deferred_graph_ref(SELF),
        _deferred_graph_f.f_code,
        _deferred_graph_f.f_lasti,
        _deferred_graph_now(),
    )
except Exception:
    _deferred_graph_register(SELF)
"""


# ``except Exception`` because ``ensureDeferred`` also takes a user object that merely looks like
# a coroutine, which may not be weakly referenceable; such a Deferred then just has no link.
_LINK_TEMPLATE = """
try:
    _deferred_graph_link(
        (
            _deferred_graph_ref(DEFERRED),
            _deferred_graph_ref(GEN),
            GEN.gi_code
            if type(GEN) is _deferred_graph_generator
            else GEN.cr_code
            if type(GEN) is _deferred_graph_coroutine
            else None,
        )
    )
except Exception:
    pass
"""


def insert_coroutine_link(func: ast.FunctionDef) -> bool:
    """Insert the link in ``_cancellableInlineCallbacks(gen)`` before its top-level
    ``_inlineCallbacks(...)`` call, for the Deferred it returns; False when the function does
    not have that shape (then nothing is inserted)."""
    params = func.args.posonlyargs + func.args.args
    returned = func.body[-1] if func.body else None
    if not params or not (
        isinstance(returned, ast.Return) and isinstance(returned.value, ast.Name)
    ):
        return False
    for index, stmt in enumerate(func.body):
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "_inlineCallbacks"
        ):
            source = _LINK_TEMPLATE.replace("DEFERRED", returned.value.id)
            source = source.replace("GEN", params[0].arg)
            func.body[index:index] = _locate(ast.parse(source).body, stmt)
            return True
    return False


def _body_start(func: ast.FunctionDef) -> int:
    body = func.body
    return (
        1
        if body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
        else 0
    )


def _locate(nodes: list[ast.stmt], anchor: ast.stmt) -> list[ast.stmt]:
    for stmt in nodes:
        for node in ast.walk(stmt):
            if "lineno" in node._attributes:
                ast.copy_location(node, anchor)
                node.end_lineno = anchor.lineno  # type: ignore[attr-defined]
                node.end_col_offset = anchor.col_offset  # type: ignore[attr-defined]
    return nodes


def prepend_hook(func: ast.FunctionDef, name: str, class_name: str = "") -> None:
    """Insert ``name(self)`` first in a method body (after its docstring), ``name(self,
    class_name)`` for the cancel hook; for the register hook, the registration itself, inlined
    (a Python call per Deferred costs more than it); for the fire hook, the second-call note
    first in the method's top-level ``if self.called:`` (see firesite)."""
    args = func.args.posonlyargs + func.args.args
    if not args:
        return
    if name == FIRE:
        _prepend_second_call(func, args[0].arg)
        return
    at = _body_start(func)
    anchor = func.body[at] if at < len(func.body) else func.body[-1]
    if name == REGISTER:
        stmts = ast.parse(_REGISTER_TEMPLATE.replace("SELF", args[0].arg)).body
    else:
        call_args: list[ast.expr] = [ast.Name(id=args[0].arg, ctx=ast.Load())]
        if name == CANCEL:
            call_args.append(ast.Constant(value=class_name))
        stmts = [_call_stmt(name, call_args, anchor)]
    func.body[at:at] = _locate(stmts, anchor)


def _prepend_second_call(func: ast.FunctionDef, self_name: str) -> bool:
    """The second-call note first in ``if <self>.called:``; False when there is no such
    branch (then no second call is noted)."""
    for stmt in func.body:
        if not isinstance(stmt, ast.If):
            continue
        test = stmt.test
        if (
            isinstance(test, ast.Attribute)
            and test.attr == "called"
            and isinstance(test.value, ast.Name)
            and test.value.id == self_name
        ):
            source = SECOND_TEMPLATE.replace("SELF", self_name)
            stmt.body[0:0] = _locate(ast.parse(source).body, stmt.body[0])
            return True
    return False
