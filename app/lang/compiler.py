"""The source form: a whitelisted subset of Python compiled to the JSON form (SPEC §2).

The source is parsed with :mod:`ast` and walked; everything outside the subset is a
:class:`SourceSyntaxError` with line and column. Nothing is ever evaluated here.
"""

from __future__ import annotations

import ast
import functools
import json
from typing import Any

from .errors import LimitExceeded, SourceSyntaxError
from .limits import DEFAULT_LIMITS, Limits
from .schema import READABLE_ATTRS, WRITABLE_ATTRS

#: Module prefixes whose members are the op table's names (``torch.sum`` is ``sum``).
MODULE_PREFIXES = (
    "torch.nn.functional.", "torch.autograd.", "torch.nn.", "torch.", "nn.functional.", "F.",
    "nn.", "autograd.",
)
MODULE_NAMES = frozenset({"torch", "F", "nn", "autograd", "functional"})
ACCEPTED_IMPORTS = {
    # (module, name or None, alias or None) for the no-op imports that let a pasted snippet run
    ("torch", None, None), ("torch", None, "torch"),
    ("torch.nn.functional", None, "F"), ("torch.nn", None, "nn"),
    ("torch", "nn", None), ("torch", "nn", "nn"), ("torch.nn", "functional", "F"),
    ("torch", "autograd", None), ("torch.autograd", None, None),
    ("torch.nn.functional", None, None), ("torch.nn", None, None),
}
#: ``torch.<name>`` values that are not ops: dtypes and constants, as variables of the language.
MODULE_CONSTANTS = {
    "float32": "float32", "float": "float32", "float64": "float64", "double": "float64",
    "float16": "float16", "half": "float16", "int64": "int64", "long": "int64",
    "int32": "int32", "int": "int32", "bool": "bool", "pi": "pi", "e": "e", "inf": "inf",
    "nan": "nan",
}
#: ``x.float()`` / ``x.int()`` / ``x.bool()`` are casts, while ``float(x)`` is Python's conversion
CONVERSION_METHODS = {"float": "float32", "int": "int32", "bool": "bool"}
# Python's builtins that reach outside a numeric program (files, the interpreter, introspection).
# They do not exist in the language; naming one is a syntax_error at its line and column.
PYTHON_ONLY_CALLS = frozenset({
    "open", "eval", "exec", "compile", "getattr", "setattr", "delattr", "hasattr", "globals",
    "locals", "vars", "dir", "input", "breakpoint", "help", "exit", "quit", "memoryview", "type",
    "object", "super", "classmethod", "staticmethod", "property", "id", "hash", "iter", "next"})
BINARY_OPS = {
    ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.FloorDiv: "floordiv",
    ast.Mod: "remainder", ast.Pow: "pow", ast.MatMult: "matmul",
}
#: ``x op= y``: in place for tensors, rebinding for numbers (see the interpreter's builtins).
INPLACE_OPS = {op: "i" + name for op, name in BINARY_OPS.items()}
COMPARE_OPS = {
    ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne",
    ast.Is: "is_", ast.IsNot: "is_not",
}
GRAD_MODES = {"no_grad", "enable_grad"}
MAX_SOURCE_CHARS = 1_000_000

_NODE_NAMES = {
    ast.ClassDef: "class definitions", ast.Global: "'global'", ast.Nonlocal: "'nonlocal'",
    ast.Lambda: "lambda", ast.Try: "try statements", ast.Raise: "raise", ast.Delete: "del",
    ast.Assert: "assert", ast.AsyncFunctionDef: "async functions", ast.Await: "await",
    ast.Yield: "yield", ast.YieldFrom: "yield", ast.ListComp: "list comprehensions",
    ast.DictComp: "dict comprehensions", ast.SetComp: "set comprehensions",
    ast.GeneratorExp: "generator expressions", ast.Dict: "dict literals",
    ast.Set: "set literals", ast.NamedExpr: "':=' assignments", ast.Starred: "'*' unpacking",
    ast.Match: "match statements", ast.AsyncFor: "async for", ast.AsyncWith: "async with",
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


def strip_module_prefix(name: str) -> str | None:
    """The op-table name of ``torch.X`` / ``F.X`` / ...; None when there is no such prefix."""
    for prefix in MODULE_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return None


class SourceCompiler:
    """Walks a parsed module and emits the JSON form plus a statement → (line, col) map."""

    def __init__(self) -> None:
        self.positions: dict[str, tuple[int, int]] = {}

    # ------------------------------------------------------------------ statements

    def block(self, nodes: list[ast.stmt], pointer: str, *, loop: bool, func: bool) -> list:
        out: list[dict] = []
        for node in nodes:
            for stmt in self.statement(node, f"{pointer}/{len(out)}", loop=loop, func=func):
                self.positions[f"{pointer}/{len(out)}"] = (node.lineno, node.col_offset + 1)
                out.append(stmt)
        return out

    def statement(self, node: ast.stmt, sub: str, *, loop: bool, func: bool) -> list[dict]:
        """One source statement as JSON statements; ``sub`` is the pointer of the first."""
        if isinstance(node, ast.Expr):
            return [{"expr": self.expr(node.value)}]
        if isinstance(node, ast.Assign):
            return self.assign(node)
        if isinstance(node, ast.AugAssign):
            return [self.aug_assign(node)]
        if isinstance(node, ast.AnnAssign):
            if node.value is None:
                return []
            return self.assign(ast.Assign(targets=[node.target], value=node.value,
                                          lineno=node.lineno, col_offset=node.col_offset))
        if isinstance(node, ast.If):
            out: dict[str, Any] = {
                "if": self.expr(node.test),
                "then": self.block(node.body, f"{sub}/then", loop=loop, func=func)}
            if node.orelse:
                out["else"] = self.block(node.orelse, f"{sub}/else", loop=loop, func=func)
            return [out]
        if isinstance(node, ast.While):
            if node.orelse:
                raise _fail(node, "'else' after a loop is not supported")
            return [{"while": self.expr(node.test),
                     "body": self.block(node.body, f"{sub}/body", loop=True, func=func)}]
        if isinstance(node, ast.For):
            if node.orelse:
                raise _fail(node, "'else' after a loop is not supported")
            return [{"for": self.targets(node.target), "in": self.expr(node.iter),
                     "body": self.block(node.body, f"{sub}/body", loop=True, func=func)}]
        if isinstance(node, ast.Break):
            if not loop:
                raise _fail(node, "'break' outside loop")
            return [{"break": None}]
        if isinstance(node, ast.Continue):
            if not loop:
                raise _fail(node, "'continue' not properly in loop")
            return [{"continue": None}]
        if isinstance(node, ast.Pass):
            return []
        if isinstance(node, ast.FunctionDef):
            return [self.function_def(node, sub)]
        if isinstance(node, ast.Return):
            if not func:
                raise _fail(node, "'return' outside function")
            return [{"return": None if node.value is None else self.expr(node.value)}]
        if isinstance(node, ast.With):
            return [self.with_(node, sub, loop=loop, func=func)]
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            self.check_import(node)
            return []
        raise _fail(node, f"{_NODE_NAMES.get(type(node), type(node).__name__)} "
                          "not supported in programs")

    def check_import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            entries = [(alias.name, None, alias.asname) for alias in node.names]
        else:
            if node.level:
                raise _fail(node, "relative imports are not allowed")
            entries = [(node.module, alias.name, alias.asname) for alias in node.names]
        for entry in entries:
            if entry not in ACCEPTED_IMPORTS:
                module, name, _ = entry
                what = f"{module}.{name}" if name else module
                raise _fail(node, f"import of {what!r} is not allowed (only 'import torch', "
                                  "'import torch.nn.functional as F' and 'from torch import nn' "
                                  "are accepted, and they do nothing)")

    def function_def(self, node: ast.FunctionDef, sub: str) -> dict:
        a = node.args
        if node.decorator_list:
            raise _fail(node.decorator_list[0], "decorators are not supported")
        if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs or a.defaults:
            raise _fail(node, "only plain positional parameters are supported")
        params = [_check_name(arg, arg.arg) for arg in a.args]
        return {"def": _check_name(node, node.name), "params": params,
                "body": self.block(node.body, f"{sub}/body", loop=False, func=True)}

    def with_(self, node: ast.With, sub: str, *, loop: bool, func: bool) -> dict:
        if len(node.items) != 1:
            raise _fail(node, "only one context manager per 'with' is supported")
        item = node.items[0]
        ctx = item.context_expr
        mode = None
        if isinstance(ctx, ast.Call) and not ctx.args and not ctx.keywords:
            name = dotted_name(ctx.func)
            if name is not None:
                mode = strip_module_prefix(name) or name
        if mode not in GRAD_MODES or item.optional_vars is not None:
            raise _fail(ctx, "only 'with torch.no_grad():' and 'with torch.enable_grad():' "
                             "are supported")
        return {"with": mode, "body": self.block(node.body, f"{sub}/body", loop=loop, func=func)}

    def targets(self, node: ast.expr) -> str | list[str]:
        if isinstance(node, ast.Name):
            return _check_name(node, node.id)
        if isinstance(node, (ast.Tuple, ast.List)) and all(
                isinstance(e, ast.Name) for e in node.elts):
            return [_check_name(e, e.id) for e in node.elts]
        raise _fail(node, "only names and tuples of names can be assigned to here")

    def assign(self, node: ast.Assign) -> list[dict]:
        value = self.expr(node.value)
        first, *rest = node.targets
        out = [self.store(first, value)]
        for target in rest:  # a = b = value: the later targets get the first one's value
            if not isinstance(first, ast.Name):
                raise _fail(target, "chained assignment needs a plain name first")
            out.append(self.store(target, {"var": first.id}))
        return out

    def store(self, target: ast.expr, value: Any) -> dict:
        if isinstance(target, ast.Subscript):
            return {"setitem": self.expr(target.value), "key": self.key(target.slice),
                    "value": value}
        if isinstance(target, ast.Attribute):
            _check_name(target, target.attr)
            if target.attr not in WRITABLE_ATTRS:
                raise _fail(target, f"attribute {target.attr!r} cannot be assigned "
                                    f"(only {', '.join(WRITABLE_ATTRS)})")
            return {"setattr": self.expr(target.value), "attr": target.attr, "value": value}
        return {"assign": self.targets(target), "value": value}

    def aug_assign(self, node: ast.AugAssign) -> dict:
        name = INPLACE_OPS.get(type(node.op))
        if name is None:
            raise _fail(node, f"operator {type(node.op).__name__} is not supported")
        target = node.target
        if isinstance(target, ast.Name):
            current: Any = {"var": _check_name(target, target.id)}
        elif isinstance(target, (ast.Subscript, ast.Attribute)):
            current = self.expr(ast.copy_location(
                type(target)(**{**{f: getattr(target, f) for f in target._fields},
                                "ctx": ast.Load()}), target))
        else:
            raise _fail(target, "cannot assign to this")
        return self.store(target, {"call": name, "args": [current, self.expr(node.value)]})

    # ------------------------------------------------------------------ expressions

    def expr(self, node: ast.expr) -> Any:
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            raise _fail(node, f"{_NODE_NAMES.get(type(node), type(node).__name__)} "
                              "not supported in programs")
        return method(node)

    def expr_Constant(self, node: ast.Constant) -> Any:
        value = node.value
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if value is Ellipsis:
            raise _fail(node, "'...' is only allowed inside an index")
        raise _fail(node, f"{type(value).__name__} literals are not supported")

    def expr_Name(self, node: ast.Name) -> Any:
        name = _check_name(node, node.id)
        if name in MODULE_NAMES:
            raise _fail(node, f"{name!r} is a module, not a value")
        return {"var": name}

    def expr_Attribute(self, node: ast.Attribute) -> Any:
        _check_name(node, node.attr)
        dotted = dotted_name(node)
        if dotted is not None and dotted.split(".", 1)[0] in MODULE_NAMES:
            member = strip_module_prefix(dotted)
            if member in MODULE_CONSTANTS:
                return {"var": MODULE_CONSTANTS[member]}
            raise _fail(node, f"{dotted!r} is not a value the language knows "
                              "(call ops as functions, e.g. torch.sum(x))")
        if node.attr not in READABLE_ATTRS:
            raise _fail(node, f"attribute {node.attr!r} is not allowed "
                              f"(allowed: {', '.join(READABLE_ATTRS)})")
        return {"attr": node.attr, "of": self.expr(node.value)}

    def expr_Call(self, node: ast.Call) -> Any:
        func = node.func
        args = [self.expr(a) for a in node.args]
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            if kw.arg is None:
                raise _fail(kw.value, "'**' arguments are not supported")
            kwargs[_check_name(kw, kw.arg)] = self.expr(kw.value)
        if isinstance(func, ast.Name):
            name = _check_name(func, func.id)
            if name in MODULE_NAMES:
                raise _fail(func, f"{name!r} is a module, not a function")
            if name in PYTHON_ONLY_CALLS:
                raise _fail(func, f"{name}() is not available in programs (no file, interpreter "
                                  "or introspection access)")
        elif isinstance(func, ast.Attribute):
            _check_name(func, func.attr)
            dotted = dotted_name(func)
            if dotted is not None and dotted.split(".", 1)[0] in MODULE_NAMES:
                name = strip_module_prefix(dotted)
                if name is None or "." in name:
                    raise _fail(func, f"unknown function {dotted!r}")
            else:  # a method: the receiver is the first argument
                name = func.attr
                if name == "where" and args:
                    # x.where(cond, y) is torch.where(cond, x, y): the receiver is the input
                    args.insert(1, self.expr(func.value))
                else:
                    args.insert(0, self.expr(func.value))
                if name in CONVERSION_METHODS and len(args) == 1 and not kwargs:
                    # float(x) is Python's conversion; x.float() is a dtype cast
                    return {"call": "to", "args": [args[0], {"var": CONVERSION_METHODS[name]}]}
        else:
            raise _fail(func, "only names and methods can be called")
        out: dict[str, Any] = {"call": name}
        if args:
            out["args"] = args
        if kwargs:
            out["kwargs"] = kwargs
        return out

    def expr_BinOp(self, node: ast.BinOp) -> Any:
        name = BINARY_OPS.get(type(node.op))
        if name is None:
            raise _fail(node, f"operator {type(node.op).__name__} is not supported")
        return {"call": name, "args": [self.expr(node.left), self.expr(node.right)]}

    def expr_UnaryOp(self, node: ast.UnaryOp) -> Any:
        operand = self.expr(node.operand)
        if isinstance(node.op, ast.Not):
            return {"not": operand}
        if isinstance(node.op, ast.USub):
            if isinstance(operand, (int, float)) and not isinstance(operand, bool):
                return -operand
            return {"call": "neg", "args": [operand]}
        if isinstance(node.op, ast.UAdd):
            return {"call": "positive", "args": [operand]}
        return {"call": "bitwise_not", "args": [operand]}

    def expr_BoolOp(self, node: ast.BoolOp) -> Any:
        key = "and" if isinstance(node.op, ast.And) else "or"
        return {key: [self.expr(v) for v in node.values]}

    def expr_Compare(self, node: ast.Compare) -> Any:
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

    def expr_List(self, node: ast.List) -> Any:
        return [self.expr(e) for e in node.elts]

    expr_Tuple = expr_List

    def expr_Subscript(self, node: ast.Subscript) -> Any:
        return {"index": self.expr(node.value), "key": self.key(node.slice)}

    def expr_JoinedStr(self, node: ast.JoinedStr) -> Any:
        parts: list[Any] = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(value.value)
                continue
            inner = self.expr(value.value)
            if value.conversion == ord("r"):
                inner = {"call": "repr", "args": [inner]}
            spec = ""
            if value.format_spec is not None:
                pieces = value.format_spec.values
                if not all(isinstance(p, ast.Constant) for p in pieces):
                    raise _fail(value, "computed format specs are not supported")
                spec = "".join(p.value for p in pieces)
            parts.append({"call": "format", "args": [inner, spec]})
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
            return {"call": "list", "args": [self.expr(node)]}
        return self.expr(node)


@functools.lru_cache(maxsize=256)
def _compile_cached(source: str, max_depth: int) -> tuple[str, dict[str, tuple[int, int]]]:
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
    compiler = SourceCompiler()
    program = compiler.block(tree.body, "#/program", loop=False, func=False)
    return json.dumps(program), compiler.positions


def compile_source_with_positions(
        source: str, limits: Limits | None = None) -> tuple[list, dict[str, tuple[int, int]]]:
    """Compile ``source``; also return each statement's JSON pointer → (line, col)."""
    limits = limits or DEFAULT_LIMITS
    if not isinstance(source, str):
        raise SourceSyntaxError("source must be a string")
    if len(source) > MAX_SOURCE_CHARS:
        raise LimitExceeded(f"the source is longer than {MAX_SOURCE_CHARS} characters",
                            limit="max_source_chars", value=MAX_SOURCE_CHARS, status=413)
    text, positions = _compile_cached(source, limits.max_nesting_depth)
    return json.loads(text), positions


def compile_source(source: str, limits: Limits | None = None) -> list[dict]:
    """Compile source text in the Python subset to the JSON form (a pure function; each call
    returns a fresh list, from a cache of compiled texts).

    Raises :class:`SourceSyntaxError` (with ``line``/``col``) for anything outside the subset
    and :class:`LimitExceeded` for a source that is too long or nested too deeply.
    """
    return compile_source_with_positions(source, limits)[0]
