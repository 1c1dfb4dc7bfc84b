"""Which statements of Twisted's defer module write Deferred state, and which may run other code.

The analysis half of the hooks' rewriting (``rewrite`` inserts the notes): a *write* is an
assignment, item assignment or ``del`` of a tracked attribute (``result``, ``paused``,
``_chainedTo``, the callback list, ``called``, ``_debugInfo.failResult``, an inlineCallbacks
status's ``waitingOn``) or a call of a list mutator on the callback list.  A *quiet* statement
runs no user code and cannot leave its block, so a note may wait past it.  Everything here reads
the tree and changes nothing.
"""

from __future__ import annotations

import ast
from typing import Any, Optional

STATE_ATTRS = frozenset({"result", "paused", "_chainedTo"})
CALLBACK_ATTRS = frozenset({"callbacks", "_callbacks"})
LIST_MUTATORS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "pop",
        "remove",
        "clear",
        "sort",
        "reverse",
        "__setitem__",
        "__delitem__",
        "__iadd__",
    }
)

# Kinds of inserted call, in the order we prefer when one object is written several ways in a
# run of statements: a failure note also marks dirty, a fired note implies dirty.
KIND_MARK, KIND_FIRED, KIND_FAILURE = "mark", "fired", "failure"

Write = tuple[ast.expr, str]
"""The expression of a written object and the kind of note it needs."""


def pure(node: ast.expr) -> bool:
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


def _flatten_targets(targets: list[ast.expr]) -> list[ast.expr]:
    out: list[ast.expr] = []
    for t in targets:
        if isinstance(t, (ast.Tuple, ast.List)):
            out.extend(_flatten_targets(list(t.elts)))
        elif isinstance(t, ast.Starred):
            out.extend(_flatten_targets([t.value]))
        else:
            out.append(t)
    return out


def _target_write(target: ast.expr) -> Optional[Write]:
    """The written object and the kind of note for one assignment/deletion target."""
    if isinstance(target, ast.Attribute):
        attr = target.attr
        if attr == "called":
            return target.value, KIND_FIRED
        if attr in STATE_ATTRS or attr in CALLBACK_ATTRS:
            return target.value, KIND_MARK
        if (
            attr == "failResult"
            and isinstance(target.value, ast.Attribute)
            and target.value.attr == "_debugInfo"
        ):
            return target.value.value, KIND_FAILURE
        if attr == "waitingOn":  # inlineCallbacks' _CancellationStatus: its Deferred changed
            return ast.Attribute(value=target.value, attr="deferred", ctx=ast.Load()), KIND_MARK
    elif isinstance(target, ast.Subscript):
        seq = target.value
        if isinstance(seq, ast.Attribute) and seq.attr in CALLBACK_ATTRS:
            return seq.value, KIND_MARK
    return None


class _CallFinder(ast.NodeVisitor):
    """Finds ``X.callbacks.<mutator>(...)`` calls inside one statement (not inside lambdas or
    nested definitions, which run at another time)."""

    def __init__(self) -> None:
        self.found: list[Write] = []

    def visit_Lambda(self, node: ast.Lambda) -> None:
        return None

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in LIST_MUTATORS:
            seq = func.value
            if isinstance(seq, ast.Attribute) and seq.attr in CALLBACK_ATTRS:
                self.found.append((seq.value, KIND_MARK))
        self.generic_visit(node)


def statement_writes(stmt: ast.stmt) -> list[Write]:
    """Every (object expression, kind) a simple statement writes; empty for other statements."""
    writes: list[Write] = []
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
        if stmt.value is not None:
            finder.visit(stmt.value)
        writes.extend(finder.found)
    return writes


def _safe_call(node: ast.Call) -> bool:
    """A mutation of a Deferred's callback list (``X.callbacks.pop(0)``): runs no user code."""
    func = node.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr in LIST_MUTATORS
        and isinstance(func.value, ast.Attribute)
        and func.value.attr in CALLBACK_ATTRS
    )


def quiet(stmt: ast.stmt) -> bool:
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


def leading_quiet_writes(body: list[ast.stmt]) -> set[str]:
    """Objects (as dumps) written by the quiet statements a block starts with."""
    found: set[str] = set()
    for stmt in body:
        if not quiet(stmt):
            break
        found.update(ast.dump(expr) for expr, _ in statement_writes(stmt))
    return found


def _bindings(stmt: ast.stmt) -> set[str]:
    """Source text of every name/attribute/item a simple statement (re)binds."""
    targets: list[ast.expr] = []
    if isinstance(stmt, (ast.Assign, ast.Delete)):
        targets = _flatten_targets(stmt.targets)
    elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
        targets = [stmt.target]
    return {ast.unparse(t) for t in targets}


def _prefixes(expr: ast.expr) -> set[str]:
    """``a.b[0].c`` -> {"a.b[0].c", "a.b[0]", "a.b", "a"}: what rebinding would change it."""
    out: set[str] = set()
    node: Any = expr
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Name)):
        out.add(ast.unparse(node))
        if isinstance(node, ast.Name):
            break
        node = node.value
    return out


def rebinds_pending(stmt: ast.stmt, pending: list[Write]) -> bool:
    """True when ``stmt`` changes what a pending note's expression refers to (``x.result.result
    = None; x.result = r``): the note must be taken before it, or it would mark another object."""
    bound = _bindings(stmt)
    return bool(bound) and any(bound & _prefixes(expr) for expr, _ in pending)
