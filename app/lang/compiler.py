"""The source form: Python as PyTorch programs are written, compiled to the JSON form (SPEC §2).

The source is parsed with :mod:`ast` and walked; everything outside the language is a
:class:`SourceSyntaxError` with line and column. Nothing is ever evaluated here. What each
construct becomes is listed in ``app/lang/README.md``.
"""

from __future__ import annotations

import ast
import functools
import json
import math
from typing import Any

from .errors import LimitExceeded, ProgramValidationError, SourceSyntaxError
from .limits import DEFAULT_LIMITS, Limits
from .schema import ATTR_DUNDERS, READ_DUNDERS, SPECIAL_METHODS
from .yield_lowering import Lowering, statement_holds_yield

#: Names a program has without importing them, each a library module (``F`` is
#: ``torch.nn.functional``, ``nn`` is ``torch.nn``). They are ordinary names, as Python's
#: builtins are: a program may bind one (``random = torch.rand(2, 3)``, ``import
#: torch.functional as F``, a parameter ``math``), and its binding wins from where it is
#: bound. ``torch.tanh`` compiles to the path ``{"call": "torch.tanh"}`` wherever the name is
#: not a local of the function being compiled (or of one around it); the interpreter reads
#: the path through the session's variable when the session has bound the name, and uses the
#: value it found when it compiled the program otherwise (``app.lang.calls.ROOTS_BOUND``).
LIB_ROOTS = frozenset({"torch", "F", "nn", "math", "random", "autograd", "functional"})
#: Modules a program may import (``torch`` and its submodules are checked when the import
#: runs, so an unknown one is "torch.fft is not supported", not a syntax error; of ``numpy``
#: only the constants exist).
IMPORTABLE_ROOTS = frozenset({"torch", "math", "random", "numpy", "functools", "copy",
                              "collections", "dataclasses", "typing", "itertools", "warnings",
                              "string", "time", "unicodedata", "json", "heapq", "operator",
                              "os", "io", "pickle", "sys", "contextlib", "abc", "logging",
                              "enum", "argparse"})
# Python's builtins that reach outside a numeric program (files, the interpreter, the process,
# introspection, object hashes). They do not exist in the language: calling one is a
# syntax_error at its line and column (a program may still use the names for its own
# variables, `def forward(ctx, input)`; reading one it never bound is a NameError).
PYTHON_ONLY_CALLS = frozenset({
    "open", "eval", "exec", "compile", "globals", "locals", "vars", "dir", "input",
    "breakpoint", "help", "exit", "quit", "memoryview", "bytes", "bytearray",
    "classmethod_descriptor", "__import__", "aiter", "anext", "license", "credits",
    "copyright"})
#: Builtins whose second argument is an attribute name: a literal dunder there is rejected
#: here, as ``obj.__x__`` is (a computed one is checked when the call runs); the readable
#: dunders only for the reading ones.
ATTRIBUTE_BUILTINS = frozenset({"getattr", "setattr", "hasattr", "delattr"})
READING_BUILTINS = frozenset({"getattr", "hasattr"})
BINARY_OPS = {
    ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.FloorDiv: "floordiv",
    ast.Mod: "remainder", ast.Pow: "pow", ast.MatMult: "matmul", ast.BitAnd: "and_",
    ast.BitOr: "or_", ast.BitXor: "xor", ast.LShift: "lshift", ast.RShift: "rshift",
}
#: ``x op= y``: in place for tensors, rebinding for numbers (see the interpreter's builtins).
INPLACE_OPS = {op: "i" + name.rstrip("_") for op, name in BINARY_OPS.items()}
COMPARE_OPS = {
    ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne",
    ast.Is: "is_", ast.IsNot: "is_not",
}
#: The language's operator names: ``{"call": "add"}`` is always ``+``. Calling a user function
#: of one of these names compiles to ``{"call": {"var": name}}``.
OPERATOR_NAMES = frozenset(BINARY_OPS.values()) | frozenset(INPLACE_OPS.values()) | {
    "neg", "pos", "invert", "is_", "is_not", "contains", "lt", "le", "gt", "ge", "eq", "ne",
    "bitwise_not", "positive"}
GRAD_MODES = {"no_grad", "enable_grad"}
MAX_SOURCE_CHARS = 1_000_000

_NODE_NAMES = {
    ast.AsyncFunctionDef: "async functions", ast.Await: "await",
    ast.AsyncFor: "async for", ast.AsyncWith: "async with",
    ast.TryStar: "except* (exception groups)",
}


def _fail(node: ast.AST | None, message: str) -> SourceSyntaxError:
    if node is None or not hasattr(node, "lineno"):
        return SourceSyntaxError(message)
    return SourceSyntaxError(f"line {node.lineno}: {message}", line=node.lineno,
                             col=node.col_offset + 1)


def _check_name(node: ast.AST, name: str) -> str:
    if name.startswith("__"):
        raise _fail(node, f"dunder names are not allowed: {name!r}")
    return name


def _check_depth(tree: ast.AST, limit: int) -> None:
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise LimitExceeded(
                f"the source is nested more than {limit} levels deep (max_nesting_depth)",
                limit="max_nesting_depth", value=limit, status=413,
                line=getattr(node, "lineno", None))
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def dotted_name(node: ast.AST) -> str | None:
    """``torch.nn.functional.relu`` → that string; None when it is not a plain dotted name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def library_path(node: ast.AST) -> str | None:
    """The path of a library member (``torch.nn.Linear``, ``F.relu``): a dotted name whose
    root is a library root and whose parts are not dunders; None otherwise."""
    name = dotted_name(node)
    if name is None:
        return None
    parts = name.split(".")
    if parts[0] not in LIB_ROOTS or any(p.startswith("__") for p in parts):
        return None
    return name


def _float(value: float) -> Any:
    """A float literal as JSON: ``{"float": v}`` when JavaScript would turn it into an int
    (``2.0``) or it is not finite; the plain number otherwise."""
    if math.isnan(value):
        return {"float": "NaN"}
    if math.isinf(value):
        return {"float": "Infinity" if value > 0 else "-Infinity"}
    return {"float": value} if value == int(value) else value


def _local_roots(node: ast.FunctionDef | ast.Lambda) -> frozenset[str]:
    """The library roots a function binds in its own scope (parameters, assignment and loop
    targets, ``with ... as``, ``except ... as``, imports, nested definitions), less those it
    declares ``global``: Python makes such a name local to the whole function."""
    a = node.args
    bound = {arg.arg for arg in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg)
             if arg is not None}
    declared: set[str] = set()
    todo: list[ast.AST] = list(node.body) if isinstance(node, ast.FunctionDef) else [node.body]
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(n.name)
            todo.extend(n.decorator_list)
            continue  # their bodies are scopes of their own
        if isinstance(n, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                          ast.GeneratorExp)):
            continue
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            bound.add(n.id)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            bound.add(n.name)
        elif isinstance(n, ast.Global):
            declared.update(n.names)
        elif isinstance(n, ast.NamedExpr):
            bound.add(n.target.id)
        elif isinstance(n, (ast.MatchAs, ast.MatchStar)) and n.name:
            bound.add(n.name)
        elif isinstance(n, ast.MatchMapping) and n.rest:
            bound.add(n.rest)
        elif isinstance(n, ast.Import):
            bound.update(a.asname or a.name.split(".", 1)[0] for a in n.names)
        elif isinstance(n, ast.ImportFrom):
            bound.update(a.asname or a.name for a in n.names)
        todo.extend(ast.iter_child_nodes(n))
    return frozenset((bound - declared) & LIB_ROOTS)


class SourceCompiler:
    """Walks a parsed module and emits the JSON form plus a statement → (line, col) map."""

    def __init__(self) -> None:
        self.positions: dict[str, tuple[int, int]] = {}
        #: Library roots that the function being compiled (or one around it) binds as its own
        #: local, as d2l's LSTM binds ``F`` to its forget gate: there, and in the functions
        #: nested in it, the name is that variable, as in Python.
        self.shadowed: frozenset[str] = frozenset()

    def lib_path(self, node: ast.AST) -> str | None:
        """:func:`library_path`, unless its root is a local variable here."""
        path = library_path(node)
        return None if path is None or path.split(".", 1)[0] in self.shadowed else path

    # ------------------------------------------------------------------ statements

    def block(self, nodes: list[ast.stmt], pointer: str, ctx: dict) -> list:
        out: list[dict] = []
        for node in nodes:
            for stmt in self.statement(node, f"{pointer}/{len(out)}", ctx):
                self.positions[f"{pointer}/{len(out)}"] = (node.lineno, node.col_offset + 1)
                if ctx["func"] and statement_holds_yield(stmt):
                    _check_lowering(node, stmt)
                out.append(stmt)
        return out

    def statement(self, node: ast.stmt, sub: str, ctx: dict) -> list[dict]:
        """One source statement as JSON statements; ``sub`` is the pointer of the first.
        ``ctx`` says where it stands: ``loop``, ``func``, ``cls`` (directly in a class)."""
        method = getattr(self, "stmt_" + type(node).__name__, None)
        if method is None:
            raise _fail(node, f"{_NODE_NAMES.get(type(node), type(node).__name__)} "
                              "not supported in programs")
        return method(node, sub, ctx)

    def stmt_Expr(self, node: ast.Expr, sub: str, ctx: dict) -> list[dict]:
        value = node.value
        if isinstance(value, (ast.Yield, ast.YieldFrom)):
            return [self.yield_stmt(node, value, ctx)]
        return [{"expr": self.expr(value)}]

    def yield_stmt(self, node: ast.stmt, value: ast.Yield | ast.YieldFrom, ctx: dict,
                   target: ast.expr | None = None) -> dict:
        """``yield v`` / ``yield from g`` as a statement; ``target = yield v`` binds what the
        generator is resumed with (``send``) to ``target`` (``"to"``)."""
        if not ctx["func"]:
            raise _fail(node, "'yield' outside function")
        out = {"yield_from": self.expr(value.value)} if isinstance(value, ast.YieldFrom) else \
            {"yield": None if value.value is None else self.expr(value.value)}
        if target is not None:
            out["to"] = self.target(target)
        return out

    def stmt_Assign(self, node: ast.Assign, sub: str, ctx: dict) -> list[dict]:
        if isinstance(node.value, (ast.Yield, ast.YieldFrom)) and len(node.targets) == 1 and \
                not _holds_yield(node.targets[0]):
            return [self.yield_stmt(node, node.value, ctx, node.targets[0])]
        value = self.expr(node.value)
        first, *rest = node.targets
        if not rest:
            return [self.store(first, value)]
        # ``self.a = self.b = 0.0``: one node, the value once, the targets left to right
        return [{"assign": self.target(first), "also": [self.target(t) for t in rest],
                 "value": value}]

    def stmt_AnnAssign(self, node: ast.AnnAssign, sub: str, ctx: dict) -> list[dict]:
        if node.value is None:
            return []
        if isinstance(node.value, (ast.Yield, ast.YieldFrom)) and not _holds_yield(node.target):
            return [self.yield_stmt(node, node.value, ctx, node.target)]
        return [self.store(node.target, self.expr(node.value))]

    def stmt_AugAssign(self, node: ast.AugAssign, sub: str, ctx: dict) -> list[dict]:
        name = INPLACE_OPS.get(type(node.op))
        target = node.target
        if isinstance(target, ast.Name):
            current: Any = {"var": self.bind_name(target, target.id)}
        elif isinstance(target, (ast.Subscript, ast.Attribute)):
            # ``x[k] += v``: x and k evaluated once (CPython's order: x, k, the item, v)
            out = self.store(target, self.expr(node.value))
            return [{**{k: v for k, v in out.items() if k != "value"}, "op": name,
                     "value": out["value"]}]
        else:
            raise _fail(target, "cannot assign to this")
        return [self.store(target, {"call": name, "args": [current, self.expr(node.value)]})]

    def stmt_If(self, node: ast.If, sub: str, ctx: dict) -> list[dict]:
        out: dict[str, Any] = {"if": self.expr(node.test),
                               "then": self.block(node.body, f"{sub}/then", ctx)}
        if node.orelse:
            out["else"] = self.block(node.orelse, f"{sub}/else", ctx)
        return [out]

    def stmt_While(self, node: ast.While, sub: str, ctx: dict) -> list[dict]:
        out = {"while": self.expr(node.test),
               "body": self.block(node.body, f"{sub}/body", {**ctx, "loop": True})}
        if node.orelse:
            out["else"] = self.block(node.orelse, f"{sub}/else", ctx)
        return [out]

    def stmt_For(self, node: ast.For, sub: str, ctx: dict) -> list[dict]:
        out = {"for": self.target(node.target), "in": self.expr(node.iter),
               "body": self.block(node.body, f"{sub}/body", {**ctx, "loop": True})}
        if node.orelse:
            out["else"] = self.block(node.orelse, f"{sub}/else", ctx)
        return [out]

    def stmt_Break(self, node: ast.Break, sub: str, ctx: dict) -> list[dict]:
        if not ctx["loop"]:
            raise _fail(node, "'break' outside loop")
        return [{"break": None}]

    def stmt_Continue(self, node: ast.Continue, sub: str, ctx: dict) -> list[dict]:
        if not ctx["loop"]:
            raise _fail(node, "'continue' not properly in loop")
        return [{"continue": None}]

    def stmt_Pass(self, node: ast.Pass, sub: str, ctx: dict) -> list[dict]:
        return []

    def stmt_Return(self, node: ast.Return, sub: str, ctx: dict) -> list[dict]:
        if not ctx["func"]:
            raise _fail(node, "'return' outside function")
        return [{"return": None if node.value is None else self.expr(node.value)}]

    def stmt_Global(self, node: ast.Global, sub: str, ctx: dict) -> list[dict]:
        return [{"global": [self.bind_name(node, n) for n in node.names]}]

    def stmt_Nonlocal(self, node: ast.Nonlocal, sub: str, ctx: dict) -> list[dict]:
        if not ctx["func"]:
            raise _fail(node, "nonlocal declaration not allowed at module level")
        return [{"nonlocal": [self.bind_name(node, n) for n in node.names]}]

    def stmt_Delete(self, node: ast.Delete, sub: str, ctx: dict) -> list[dict]:
        return [{"delete": [self.target(t) for t in node.targets]}]

    def stmt_Assert(self, node: ast.Assert, sub: str, ctx: dict) -> list[dict]:
        out: dict[str, Any] = {"assert": self.expr(node.test)}
        if node.msg is not None:
            out["msg"] = self.expr(node.msg)
        return [out]

    def stmt_Raise(self, node: ast.Raise, sub: str, ctx: dict) -> list[dict]:
        out: dict[str, Any] = {"raise": None if node.exc is None else self.expr(node.exc)}
        if node.cause is not None:
            out["from"] = self.expr(node.cause)
        return [out]

    def stmt_Try(self, node: ast.Try, sub: str, ctx: dict) -> list[dict]:
        out: dict[str, Any] = {"try": self.block(node.body, f"{sub}/try", ctx)}
        handlers = []
        for i, handler in enumerate(node.handlers):
            entry: dict[str, Any] = {}
            if handler.type is not None:
                entry["type"] = self.expr(handler.type)
            if handler.name is not None:
                entry["as"] = self.bind_name(handler, handler.name)
            entry["body"] = self.block(handler.body, f"{sub}/handlers/{i}/body", ctx)
            handlers.append(entry)
        if handlers:
            out["handlers"] = handlers
        if node.orelse:
            out["else"] = self.block(node.orelse, f"{sub}/else", ctx)
        if node.finalbody:
            out["finally"] = self.block(node.finalbody, f"{sub}/finally", ctx)
        return [out]

    def stmt_Match(self, node: ast.Match, sub: str, ctx: dict) -> list[dict]:
        cases = []
        for i, case in enumerate(node.cases):
            entry: dict[str, Any] = {"pattern": self.pattern(case.pattern)}
            if case.guard is not None:
                entry["guard"] = self.expr(case.guard)
            entry["body"] = self.block(case.body, f"{sub}/cases/{i}/body", ctx)
            cases.append(entry)
        return [{"match": self.expr(node.subject), "cases": cases}]

    def pattern(self, node: ast.pattern) -> Any:
        """A ``case`` pattern as its JSON node (schema ``Pattern``)."""
        if isinstance(node, ast.MatchValue):
            return {"value": self.expr(node.value)}
        if isinstance(node, ast.MatchSingleton):
            return {"singleton": node.value}
        if isinstance(node, ast.MatchAs):
            if node.name is None:
                return {"wildcard": None}
            out: dict[str, Any] = {"capture": self.bind_name(node, node.name)}
            if node.pattern is not None:
                out["pattern"] = self.pattern(node.pattern)
            return out
        if isinstance(node, ast.MatchOr):
            return {"any": [self.pattern(p) for p in node.patterns]}
        if isinstance(node, ast.MatchSequence):
            return {"sequence": [
                {"star": None if p.name is None else self.bind_name(p, p.name)}
                if isinstance(p, ast.MatchStar) else self.pattern(p) for p in node.patterns]}
        if isinstance(node, ast.MatchMapping):
            out = {"mapping": [[self.expr(k), self.pattern(p)]
                               for k, p in zip(node.keys, node.patterns, strict=True)]}
            if node.rest is not None:
                out["rest"] = self.bind_name(node, node.rest)
            return out
        if isinstance(node, ast.MatchClass):
            out = {"instance": self.expr(node.cls)}
            if node.patterns:
                out["args"] = [self.pattern(p) for p in node.patterns]
            if node.kwd_attrs:
                out["kwargs"] = {_check_name(node, name): self.pattern(p)
                                 for name, p in zip(node.kwd_attrs, node.kwd_patterns,
                                                    strict=True)}
            return out
        raise _fail(node, f"{type(node).__name__} patterns are not supported")  # pragma: no cover

    def stmt_With(self, node: ast.With, sub: str, ctx: dict) -> list[dict]:
        body_pointer = f"{sub}/body"
        stmts: list[dict] = []
        outer = None
        for i, item in enumerate(node.items):
            entry: dict[str, Any] = {"with": self.context_manager(item)}
            if item.optional_vars is not None:
                entry["as"] = self.target(item.optional_vars)
            if outer is None:
                stmts.append(entry)
            else:
                outer["body"] = [entry]
            outer = entry
            if i:
                body_pointer += "/0/body"
        outer["body"] = self.block(node.body, body_pointer, ctx)
        return stmts

    def context_manager(self, item: ast.withitem) -> Any:
        ctx = item.context_expr
        if isinstance(ctx, ast.Call) and not ctx.args and not ctx.keywords \
                and item.optional_vars is None:
            path = self.lib_path(ctx.func)
            mode = path.rsplit(".", 1)[-1] if path else None
            if path in ("torch.no_grad", "torch.enable_grad"):
                return mode
        return self.expr(ctx)

    def stmt_Import(self, node: ast.Import, sub: str, ctx: dict) -> list[dict]:
        out = []
        for alias in node.names:
            self.check_module(node, alias.name)
            entry: dict[str, Any] = {"import": alias.name}
            if alias.asname is not None:
                entry["as"] = self.bind_name(node, alias.asname)
            else:
                self.bind_name(node, alias.name.split(".", 1)[0])
            out.append(entry)
        return out

    def stmt_ImportFrom(self, node: ast.ImportFrom, sub: str, ctx: dict) -> list[dict]:
        if node.level:
            raise _fail(node, "relative imports are not allowed")
        module = node.module or ""
        if module == "__future__":
            # Python 3 already behaves as every feature asks (print_function, division, ...);
            # `_compile` has had CPython reject unknown features and misplaced imports.
            return []
        names: list[Any] = []
        for alias in node.names:
            if alias.name == "*":
                raise _fail(node, f"'from {module} import *' is not supported: import the "
                                  "names you use")
            _check_name(node, alias.name)
            if alias.asname is None:
                names.append(self.bind_name(node, alias.name))
            else:
                names.append([alias.name, self.bind_name(node, alias.asname)])
        self.check_module(node, module)
        return [{"from_import": module, "names": names}]

    def check_module(self, node: ast.AST, module: str) -> None:
        if module.split(".", 1)[0] not in IMPORTABLE_ROOTS or any(
                p.startswith("__") for p in module.split(".")):
            raise _fail(node, f"import of {module!r} is not allowed (programs can import "
                              "torch and its modules, math, random, functools, copy, "
                              "collections, dataclasses, itertools, typing, warnings, time, "
                              "unicodedata, json, heapq, operator, contextlib, abc, "
                              "logging, sys's "
                              "safe part, string's and numpy's constants, and os, io and pickle "
                              "over the session's own files)")

    def stmt_FunctionDef(self, node: ast.FunctionDef, sub: str, ctx: dict) -> list[dict]:
        if ctx.get("cls") and node.name in SPECIAL_METHODS:
            name = node.name
        elif node.name.startswith("__"):
            raise _fail(node, f"special method {node.name!r} is not supported"
                        if ctx.get("cls") else f"dunder names are not allowed: {node.name!r}")
        else:
            name = self.bind_name(node, node.name)
        outer = self.shadowed
        inner = outer | _local_roots(node)
        if node.decorator_list:
            decorators = [self.expr(d) for d in node.decorator_list]
        self.shadowed = inner
        try:
            out: dict[str, Any] = {"def": name, **self.parameters(node.args, outer)}
            if node.decorator_list:
                out["decorators"] = decorators
            out["body"] = self.block(node.body, f"{sub}/body",
                                     {"loop": False, "func": True, "cls": False})
        finally:
            self.shadowed = outer
        return [out]

    def stmt_ClassDef(self, node: ast.ClassDef, sub: str, ctx: dict) -> list[dict]:
        if node.keywords:
            raise _fail(node.keywords[0].value, "class keywords (metaclass=...) are not "
                                                "supported")
        out: dict[str, Any] = {"class": self.bind_name(node, node.name)}
        if node.bases:
            out["bases"] = [self.expr(b) for b in node.bases]
        if node.decorator_list:
            out["decorators"] = [self.expr(d) for d in node.decorator_list]
        annotated = [[_check_name(s.target, s.target.id),
                      ast.unparse(s.annotation)] for s in node.body
                     if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)]
        if annotated:  # the class's annotations, in order (what ``@dataclass`` reads)
            out["fields"] = annotated
        body = node.body
        for i, s in enumerate(body):  # ``__match_args__ = ("x", "y")``: what class patterns read
            if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(
                    s.targets[0], ast.Name) and s.targets[0].id == "__match_args__":
                names = s.value.elts if isinstance(s.value, ast.Tuple) else None
                if names is None or not all(isinstance(n, ast.Constant) and isinstance(
                        n.value, str) and n.value.isidentifier() and not n.value.startswith(
                        "__") for n in names):
                    raise _fail(s, "__match_args__ must be a tuple of attribute names")
                out["match_args"] = [n.value for n in names]
                body = body[:i] + body[i + 1:]
                break
        for i, s in enumerate(body):  # ``__slots__ = ("x", "y")``: the objects' only attributes
            if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(
                    s.targets[0], ast.Name) and s.targets[0].id == "__slots__":
                value = s.value
                names = [value] if isinstance(value, ast.Constant) else value.elts if \
                    isinstance(value, (ast.Tuple, ast.List)) else None
                if names is None or not all(isinstance(n, ast.Constant) and isinstance(
                        n.value, str) and n.value.isidentifier() and (not n.value.startswith(
                        "__") or n.value in ("__dict__", "__weakref__")) for n in names):
                    raise _fail(s, "__slots__ must be a name or a tuple or list of names")
                out["slots"] = [n.value for n in names]
                body = body[:i] + body[i + 1:]
                break
        out["body"] = self.block(body, f"{sub}/body",
                                 {"loop": False, "func": False, "cls": True})
        return [out]

    def parameters(self, a: ast.arguments, outer: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The parameters (bound in the function's scope, ``self.shadowed``); their defaults
        are evaluated where the function is defined (``outer``'s shadowed roots)."""
        inner = self.shadowed

        def default(node: ast.expr) -> Any:
            self.shadowed = outer
            try:
                return self.expr(node)
            finally:
                self.shadowed = inner

        positional = [*a.posonlyargs, *a.args]
        names = [arg.arg for arg in (*positional, *a.kwonlyargs)]
        names += [arg.arg for arg in (a.vararg, a.kwarg) if arg is not None]
        if len(set(names)) != len(names):
            raise _fail(positional[0] if positional else None,
                        "duplicate argument in function definition")
        params: list[Any] = []
        first_default = len(positional) - len(a.defaults)
        for i, arg in enumerate(positional):
            name = self.bind_name(arg, arg.arg)
            params.append({"name": name, "default": default(a.defaults[i - first_default])}
                          if i >= first_default else name)
        out: dict[str, Any] = {"params": params}
        if a.posonlyargs:
            out["posonly"] = len(a.posonlyargs)
        if a.vararg is not None:
            out["vararg"] = self.bind_name(a.vararg, a.vararg.arg)
        if a.kwonlyargs:
            out["kwonly"] = [
                self.bind_name(arg, arg.arg) if value is None else
                {"name": self.bind_name(arg, arg.arg), "default": default(value)}
                for arg, value in zip(a.kwonlyargs, a.kw_defaults, strict=True)]
        if a.kwarg is not None:
            out["kwarg"] = self.bind_name(a.kwarg, a.kwarg.arg)
        return out

    # ------------------------------------------------------------------ targets

    def bind_name(self, node: ast.AST, name: str) -> str:
        return _check_name(node, name)

    def target(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Name):
            return self.bind_name(node, node.id)
        if isinstance(node, (ast.Tuple, ast.List)):
            stars = [e for e in node.elts if isinstance(e, ast.Starred)]
            if len(stars) > 1:
                raise _fail(stars[1], "multiple starred expressions in assignment")
            return [{"star": self.target(e.value)} if isinstance(e, ast.Starred)
                    else self.target(e) for e in node.elts]
        if isinstance(node, ast.Subscript):
            return {"index": self.expr(node.value), "key": self.key(node.slice)}
        if isinstance(node, ast.Attribute):
            return {"attr": self.attr_name(node, node.attr, store=True),
                    "of": self.expr(node.value)}
        if isinstance(node, ast.Starred):
            raise _fail(node, "starred assignment target must be in a list or tuple")
        raise _fail(node, "cannot assign to this")

    def store(self, target: ast.expr, value: Any) -> dict:
        if isinstance(target, ast.Subscript):
            return {"setitem": self.expr(target.value), "key": self.key(target.slice),
                    "value": value}
        if isinstance(target, ast.Attribute):
            return {"setattr": self.expr(target.value),
                    "attr": self.attr_name(target, target.attr, store=True), "value": value}
        return {"assign": self.target(target), "value": value}

    def attr_name(self, node: ast.AST, name: str, *, call: bool = False,
                  store: bool = False) -> str:
        if name.startswith("__"):
            if store and name in READ_DUNDERS:
                raise _fail(node, f"dunder attribute {name!r} is read-only")
            if store or name not in (ATTR_DUNDERS if call else READ_DUNDERS) and not (
                    call and name in SPECIAL_METHODS):  # `self.__getitem__(k)`
                raise _fail(node, f"dunder attributes are not allowed: {name!r}")
        return name

    # ------------------------------------------------------------------ expressions

    def expr(self, node: ast.expr) -> Any:
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            raise _fail(node, f"{_NODE_NAMES.get(type(node), type(node).__name__)} "
                              "not supported in programs")
        return method(node)

    def expr_Constant(self, node: ast.Constant) -> Any:
        value = node.value
        if isinstance(value, float):
            return _float(value)
        if value is None or isinstance(value, (bool, int, str)):
            return value
        if value is Ellipsis:
            return {"ellipsis": None}
        raise _fail(node, f"{type(value).__name__} literals are not supported")

    def expr_Name(self, node: ast.Name) -> Any:
        if node.id == "__name__":  # `if __name__ == "__main__":` in a pasted script
            return "__main__"
        name = _check_name(node, node.id)
        if name in LIB_ROOTS and name not in self.shadowed:
            return {"lib": name}
        return {"var": name}  # `input`, `id` ... are fine as a program's own variables

    def expr_Attribute(self, node: ast.Attribute) -> Any:
        path = self.lib_path(node)
        if path is not None:
            return {"lib": path}
        return {"attr": self.attr_name(node, node.attr), "of": self.expr(node.value)}

    def arguments(self, node: ast.Call) -> dict[str, Any]:
        out: dict[str, Any] = {}
        args = [{"star": self.expr(a.value)} if isinstance(a, ast.Starred) else self.expr(a)
                for a in node.args]
        kwargs: dict[str, Any] = {}
        kwstar = []
        for kw in node.keywords:
            if kw.arg is None:
                kwstar.append(self.expr(kw.value))
            else:
                kwargs[_check_name(kw, kw.arg)] = self.expr(kw.value)
        if args:
            out["args"] = args
        if kwargs:
            out["kwargs"] = kwargs
        if kwstar:
            out["kwstar"] = kwstar
        return out

    def expr_Call(self, node: ast.Call) -> Any:
        func = node.func
        if isinstance(func, ast.Name):
            name = _check_name(func, func.id)
            if name in PYTHON_ONLY_CALLS:
                raise _fail(func, f"{name}() is not available in programs (no file, interpreter "
                                  "or introspection access)")
            if name in ATTRIBUTE_BUILTINS and len(node.args) >= 2:
                attr = node.args[1]
                if isinstance(attr, ast.Constant) and isinstance(attr.value, str) \
                        and attr.value.startswith("__") and not (
                            name in READING_BUILTINS and attr.value in READ_DUNDERS) and not (
                            name == "hasattr" and attr.value in SPECIAL_METHODS):
                    raise _fail(attr, f"dunder attributes are not allowed: {attr.value!r}")
            callee: Any = {"var": name} if name in OPERATOR_NAMES else \
                name if name not in LIB_ROOTS or name in self.shadowed else {"lib": name}
            return {"call": callee, **self.arguments(node)}
        if isinstance(func, ast.Attribute):
            path = self.lib_path(func)
            if path is not None:
                return {"call": path, **self.arguments(node)}
            name = self.attr_name(func, func.attr, call=True)
            out = self.arguments(node)
            out["args"] = [self.expr(func.value), *out.get("args", [])]
            return {"method": name, **out}
        return {"call": self.expr(func), **self.arguments(node)}

    def expr_BinOp(self, node: ast.BinOp) -> Any:
        return {"call": BINARY_OPS[type(node.op)],
                "args": [self.expr(node.left), self.expr(node.right)]}

    def expr_UnaryOp(self, node: ast.UnaryOp) -> Any:
        operand = self.expr(node.operand)
        if isinstance(node.op, ast.Not):
            return {"not": operand}
        if isinstance(node.op, ast.USub):
            if isinstance(operand, (int, float)) and not isinstance(operand, bool):
                return _float(-operand) if isinstance(operand, float) else -operand
            if isinstance(operand, dict) and isinstance(operand.get("float"), (int, float)):
                return _float(-float(operand["float"]))
            return {"call": "neg", "args": [operand]}
        if isinstance(node.op, ast.UAdd):
            return {"call": "pos", "args": [operand]}
        return {"call": "invert", "args": [operand]}

    def expr_BoolOp(self, node: ast.BoolOp) -> Any:
        key = "and" if isinstance(node.op, ast.And) else "or"
        return {key: [self.expr(v) for v in node.values]}

    def expr_Compare(self, node: ast.Compare) -> Any:
        # a < b < c is (a < b) and (b < c): a middle operand is evaluated twice (README)
        parts = []
        left = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            a, b = self.expr(left), self.expr(right)
            if isinstance(op, ast.In):
                parts.append({"call": "contains", "args": [b, a]})
            elif isinstance(op, ast.NotIn):
                parts.append({"not": {"call": "contains", "args": [b, a]}})
            else:
                parts.append({"call": COMPARE_OPS[type(op)], "args": [a, b]})
            left = right
        return parts[0] if len(parts) == 1 else {"and": parts}

    def expr_IfExp(self, node: ast.IfExp) -> Any:
        return {"ifexp": self.expr(node.test), "then": self.expr(node.body),
                "else": self.expr(node.orelse)}

    def elements(self, elts: list[ast.expr]) -> list:
        return [{"star": self.expr(e.value)} if isinstance(e, ast.Starred) else self.expr(e)
                for e in elts]

    def expr_List(self, node: ast.List) -> Any:
        return self.elements(node.elts)

    def expr_Tuple(self, node: ast.Tuple) -> Any:
        return {"tuple": self.elements(node.elts)}

    def expr_Set(self, node: ast.Set) -> Any:
        return {"set": self.elements(node.elts)}

    def expr_Dict(self, node: ast.Dict) -> Any:
        return {"dict": [{"starstar": self.expr(v)} if k is None else [self.expr(k), self.expr(v)]
                         for k, v in zip(node.keys, node.values, strict=True)]}

    def expr_Lambda(self, node: ast.Lambda) -> Any:
        outer = self.shadowed
        self.shadowed = outer | _local_roots(node)
        try:
            params = self.parameters(node.args, outer)
            out: dict[str, Any] = {"lambda": params.pop("params"), **params}
            out["body"] = self.expr(node.body)
        finally:
            self.shadowed = outer
        return out

    def generators(self, gens: list[ast.comprehension]) -> list:
        out = []
        for gen in gens:
            if gen.is_async:
                raise _fail(gen.iter, "async comprehensions are not supported")
            entry: dict[str, Any] = {"target": self.target(gen.target),
                                     "in": self.expr(gen.iter)}
            if gen.ifs:
                entry["ifs"] = [self.expr(cond) for cond in gen.ifs]
            out.append(entry)
        return out

    def expr_ListComp(self, node: ast.ListComp) -> Any:
        return {"listcomp": self.expr(node.elt), "generators": self.generators(node.generators)}

    def expr_SetComp(self, node: ast.SetComp) -> Any:
        return {"setcomp": self.expr(node.elt), "generators": self.generators(node.generators)}

    def expr_GeneratorExp(self, node: ast.GeneratorExp) -> Any:
        return {"genexp": self.expr(node.elt), "generators": self.generators(node.generators)}

    def expr_DictComp(self, node: ast.DictComp) -> Any:
        return {"dictcomp": [self.expr(node.key), self.expr(node.value)],
                "generators": self.generators(node.generators)}

    def expr_Yield(self, node: ast.Yield) -> Any:
        """``(yield v)`` inside a larger expression (CPython's compiler has already refused it
        outside a function and in comprehensions, :func:`_check_future`)."""
        return {"yield": None if node.value is None else self.expr(node.value)}

    def expr_YieldFrom(self, node: ast.YieldFrom) -> Any:
        return {"yield_from": self.expr(node.value)}

    def expr_NamedExpr(self, node: ast.NamedExpr) -> Any:
        return {"walrus": self.bind_name(node.target, node.target.id),
                "value": self.expr(node.value)}

    def expr_Subscript(self, node: ast.Subscript) -> Any:
        return {"index": self.expr(node.value), "key": self.key(node.slice)}

    def expr_Starred(self, node: ast.Starred) -> Any:
        raise _fail(node, "'*' unpacking is only allowed in calls, lists, tuples and sets")

    def expr_JoinedStr(self, node: ast.JoinedStr) -> Any:
        parts: list[Any] = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(value.value)
                continue
            inner = self.expr(value.value)
            if value.conversion == ord("r"):
                inner = {"call": "builtins.repr", "args": [inner]}
            elif value.conversion == ord("s"):
                inner = {"call": "builtins.str", "args": [inner]}
            elif value.conversion == ord("a"):
                inner = {"call": "builtins.ascii", "args": [inner]}
            spec: Any = ""
            if value.format_spec is not None:
                spec = self.expr_JoinedStr(value.format_spec)
            parts.append({"call": "builtins.format", "args": [inner, spec]})
        out: Any = parts[0] if parts else ""
        if not isinstance(out, str):
            out = {"call": "add", "args": ["", out]}
        for part in parts[1:]:
            out = {"call": "add", "args": [out, part]}
        return out

    def key(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Slice):
            return {"slice": [None if p is None else self.expr(p)
                              for p in (node.lower, node.upper, node.step)]}
        if isinstance(node, ast.Tuple):
            return [self.key(e) for e in node.elts]
        if isinstance(node, ast.Constant) and node.value is Ellipsis:
            return {"ellipsis": None}
        if isinstance(node, ast.List):
            return {"call": "builtins.list", "args": [self.expr(node)]}
        return self.expr(node)


CACHED_SOURCE_CHARS = 16_384
"""Sources up to this long are kept compiled (256 of them: a few tens of MB at most); a longer
one is compiled each time it comes."""


def _compile(source: str, max_depth: int) -> tuple[str, dict[str, tuple[int, int]]]:
    try:
        tree = ast.parse(source, mode="exec")
    except SyntaxError as exc:
        line, col = exc.lineno, exc.offset
        where = f"line {line}: " if line else ""
        raise SourceSyntaxError(f"{where}{exc.msg}", line=line, col=col) from None
    except (RecursionError, MemoryError):
        raise LimitExceeded("the source is nested too deeply to parse",
                            limit="max_nesting_depth", value=max_depth, status=413) from None
    _check_depth(tree, max_depth)
    if any(isinstance(n, ast.ImportFrom) and n.module == "__future__" for n in tree.body) or \
            any(isinstance(n, (ast.NamedExpr, ast.Match, ast.Yield, ast.YieldFrom))
                for n in ast.walk(tree)):
        _check_future(tree)  # also CPython's rules of ``:=`` scopes and of ``case`` patterns
    compiler = SourceCompiler()
    try:
        program = compiler.block(tree.body, "#/program",
                                 {"loop": False, "func": False, "cls": False})
    except RecursionError:
        raise LimitExceeded("the source is nested too deeply to compile",
                            limit="max_nesting_depth", value=max_depth, status=413) from None
    return json.dumps(program), compiler.positions


def _holds_yield(node: ast.AST) -> bool:
    return any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in ast.walk(node))


def _check_lowering(node: ast.stmt, stmt: dict) -> None:
    """A yield where the interpreter does not lower it (a lambda, an assignment target, an
    ``assert``'s message ...: :mod:`app.lang.yield_lowering`) is a syntax error here."""
    try:
        Lowering(lambda: ".0").statement(stmt)
    except ProgramValidationError as exc:
        raise _fail(node, exc.detail) from None


def _check_future(tree: ast.Module) -> None:
    """CPython's own checks that its parser leaves to its compiler, with CPython's texts:
    ``from __future__ import ...`` (the feature must exist and the import must open the cell,
    after its docstring), ``:=`` (not rebinding a comprehension's variable, not in a
    comprehension's iterable or in one in a class body) and ``match`` (an irrefutable case
    before others, a name bound twice in a pattern, alternatives binding different names, a
    mapping key twice). Compiling the tree to a code object runs them; nothing is executed."""
    try:
        compile(tree, "<program>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        line, col = exc.lineno, exc.offset
        where = f"line {line}: " if line else ""
        raise SourceSyntaxError(f"{where}{exc.msg}", line=line, col=col) from None


_compile_cached = functools.lru_cache(maxsize=256)(_compile)


def compile_source_with_positions(
        source: str, limits: Limits | None = None) -> tuple[list, dict[str, tuple[int, int]]]:
    """Compile ``source``; also return each statement's JSON pointer → (line, col)."""
    limits = limits or DEFAULT_LIMITS
    if not isinstance(source, str):
        raise SourceSyntaxError("source must be a string")
    if len(source) > MAX_SOURCE_CHARS:
        raise LimitExceeded(f"the source is longer than {MAX_SOURCE_CHARS} characters",
                            limit="max_source_chars", value=MAX_SOURCE_CHARS, status=413)
    compile_text = _compile_cached if len(source) <= CACHED_SOURCE_CHARS else _compile
    text, positions = compile_text(source, limits.max_nesting_depth)
    return json.loads(text), positions


def compile_source(source: str, limits: Limits | None = None) -> list[dict]:
    """Compile source text to the JSON form (a pure function; each call returns a fresh list,
    from a cache of compiled texts).

    Raises :class:`SourceSyntaxError` (with ``line``/``col``) for anything outside the language
    and :class:`LimitExceeded` for a source that is too long or nested too deeply.
    """
    return compile_source_with_positions(source, limits)[0]
