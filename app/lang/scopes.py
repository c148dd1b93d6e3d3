"""Where each name lives, decided once at compile time as Python decides it.

A function's locals are the names it binds (assignment, ``for``, ``def``, ``class``,
``import``, ``except ... as``, ``with ... as``, ``del``, its parameters) unless it declares
them ``global`` or ``nonlocal``; any other name is free: the nearest enclosing *function* that
binds it, else a global (a session variable, then a builtin). Class bodies do not enclose the
functions defined in them. Comprehensions and lambdas are function scopes of their own.

At run time a frame keeps its locals in a dict and ``enclosing``: the locals dicts of the
function scopes around it, innermost first; a free name is ``enclosing[i][name]`` with ``i``
fixed here.
"""

from __future__ import annotations

from typing import Any

from .errors import ProgramValidationError
from .yield_lowering import statement_holds_yield

MODULE, FUNCTION, CLASS = "module", "function", "class"


class Scope:
    """One scope of a program: the top level, a function (def, lambda, comprehension) or a
    class body."""

    __slots__ = ("kind", "bound", "globals", "nonlocals", "chain", "generator", "qualname",
                 "first_param", "container")

    def __init__(self, kind: str, bound: set[str], globals_: set[str], nonlocals: set[str],
                 chain: tuple[Scope, ...], generator: bool = False, qualname: str = "") -> None:
        self.kind = kind
        self.bound = bound
        self.globals = globals_
        self.nonlocals = nonlocals
        self.chain = chain  # the function scopes around this one, innermost first
        self.generator = generator
        self.qualname = qualname
        self.first_param: str | None = None  # super() reads the method's first argument
        #: for a comprehension, the scope around it that is not one (where its ``:=`` bind)
        self.container: Scope | None = None

    @property
    def top(self) -> bool:
        return self.kind == MODULE

    def child_chain(self) -> tuple[Scope, ...]:
        """The chain a scope defined directly in this one sees."""
        return (self, *self.chain) if self.kind == FUNCTION else self.chain

    def resolve(self, name: str) -> tuple[str, int]:
        """``("local", -1)``, ``("free", i)``, ``("global", -1)``, or for a class body
        ``("class", -1)`` when the class binds the name (its namespace first)."""
        if self.kind == MODULE:
            return ("global", -1)
        if name in self.globals:
            return ("global", -1)
        if self.kind == FUNCTION and name in self.bound and name not in self.nonlocals:
            return ("local", -1)
        if self.kind == CLASS and name in self.bound and name not in self.nonlocals:
            return ("class", -1)
        for i, scope in enumerate(self.chain):
            if name in scope.globals:
                return ("global", -1)
            if name in scope.bound and name not in scope.nonlocals:
                return ("free", i)
        return ("global", -1)

    def resolve_outside(self, name: str) -> tuple[str, int]:
        """Where a class body finds a name its namespace lacks: a free variable or a global."""
        for i, scope in enumerate(self.chain):
            if name in scope.globals:
                return ("global", -1)
            if name in scope.bound and name not in scope.nonlocals:
                return ("free", i)
        return ("global", -1)

    def check_nonlocals(self, pointer: str) -> None:
        for name in self.nonlocals:
            if name in self.globals:
                raise _invalid(pointer, f"name '{name}' is nonlocal and global")
            if not any(name in s.bound and name not in s.nonlocals and name not in s.globals
                       for s in self.chain):
                raise _invalid(pointer, f"no binding for nonlocal '{name}' found")


def _invalid(pointer: str, message: str) -> ProgramValidationError:
    return ProgramValidationError(f"{pointer}: {message}", pointer=pointer)


def target_names(target: Any, out: set[str]) -> None:
    """The names an assignment target binds (``a``, ``[a, [b, {"star": c}]]``)."""
    stack = [target]
    while stack:
        t = stack.pop()
        if isinstance(t, str):
            out.add(t)
        elif isinstance(t, list):
            stack.extend(t)
        elif isinstance(t, dict) and "star" in t:
            stack.append(t["star"])


def walrus_names(node: Any, out: set[str]) -> None:
    """The names the ``:=`` of an expression bind in its scope: those in its comprehensions
    too (they bind in the scope around a comprehension), not those in a lambda's body (its
    own scope)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, list):
            stack.extend(n)
        elif isinstance(n, dict):
            if "walrus" in n:
                out.add(n["walrus"])
                stack.append(n["value"])
            elif "lambda" in n:  # only its defaults are evaluated here
                stack.extend(p["default"] for p in (*n["lambda"], *n.get("kwonly", ()))
                             if isinstance(p, dict))
            else:
                for key, value in n.items():
                    if key == "kwargs" and isinstance(value, dict):  # names -> expressions
                        stack.extend(value.values())
                    elif not isinstance(value, str):
                        stack.append(value)


def pattern_names(pattern: dict, out: set[str]) -> None:
    """The names a ``case`` pattern binds."""
    stack = [pattern]
    while stack:
        p = stack.pop()
        if "capture" in p:
            out.add(p["capture"])
            if p.get("pattern") is not None:
                stack.append(p["pattern"])
        elif "any" in p:
            stack.extend(p["any"])
        elif "sequence" in p:
            for item in p["sequence"]:
                if "star" in item:
                    if item["star"] is not None:
                        out.add(item["star"])
                else:
                    stack.append(item)
        elif "mapping" in p:
            stack.extend(sub for _, sub in p["mapping"])
            if p.get("rest") is not None:
                out.add(p["rest"])
        elif "instance" in p:
            stack.extend(p.get("args", ()))
            stack.extend(p.get("kwargs", {}).values())


#: The keys of a statement that hold statements (walked as statements, not expressions).
_BODY_KEYS = frozenset({"body", "then", "else", "try", "finally", "handlers", "cases"})


def _statement_walrus_names(stmt: dict, out: set[str]) -> None:
    """The ``:=`` names of the expressions a statement evaluates in its own scope (a
    ``def``'s decorators and defaults, a ``class``'s bases and decorators; not their bodies)."""
    if "def" in stmt:
        parts: list = [stmt.get("decorators", ()), stmt.get("params", ()),
                       stmt.get("kwonly", ())]
        walrus_names([p["default"] if isinstance(p, dict) else [] for p in parts[1]] +
                     [p["default"] if isinstance(p, dict) else [] for p in parts[2]] +
                     list(parts[0]), out)
        return
    if "class" in stmt:
        walrus_names([*stmt.get("bases", ()), *stmt.get("decorators", ())], out)
        return
    for key, value in stmt.items():
        if key not in _BODY_KEYS and not isinstance(value, str):
            walrus_names(value, out)
    for case in stmt.get("cases", ()) if "match" in stmt else ():
        if case.get("guard") is not None:
            walrus_names(case["guard"], out)
        walrus_names(case["pattern"], out)  # value patterns, class patterns' classes


def param_names(node: dict, key: str = "params") -> list[str]:
    names = [p if isinstance(p, str) else p["name"] for p in node.get(key, ())]
    if node.get("vararg"):
        names.append(node["vararg"])
    names.extend(p if isinstance(p, str) else p["name"] for p in node.get("kwonly", ()))
    if node.get("kwarg"):
        names.append(node["kwarg"])
    return names


def analyse_body(body: list) -> tuple[set[str], set[str], set[str], bool]:
    """(bound names, ``global`` names, ``nonlocal`` names, contains ``yield``) of a block,
    not looking into the bodies of functions and classes defined in it."""
    bound: set[str] = set()
    globals_: set[str] = set()
    nonlocals: set[str] = set()
    generator = False
    stack = list(body)
    while stack:
        stmt = stack.pop()
        _statement_walrus_names(stmt, bound)
        if not generator and statement_holds_yield(stmt):  # ``total += (yield x)``
            generator = True
        if "assign" in stmt:
            target_names(stmt["assign"], bound)
            for also in stmt.get("also", ()):
                target_names(also, bound)
        elif "for" in stmt:
            target_names(stmt["for"], bound)
            stack.extend(stmt["body"])
            stack.extend(stmt.get("else", ()))
        elif "if" in stmt:
            stack.extend(stmt["then"])
            stack.extend(stmt.get("else", ()))
        elif "while" in stmt:
            stack.extend(stmt["body"])
            stack.extend(stmt.get("else", ()))
        elif "with" in stmt:
            if stmt.get("as") is not None:
                target_names(stmt["as"], bound)
            stack.extend(stmt["body"])
        elif "try" in stmt:
            stack.extend(stmt["try"])
            for handler in stmt.get("handlers", ()):
                if handler.get("as"):
                    bound.add(handler["as"])
                stack.extend(handler["body"])
            stack.extend(stmt.get("else", ()))
            stack.extend(stmt.get("finally", ()))
        elif "def" in stmt:
            bound.add(stmt["def"])
        elif "class" in stmt:
            bound.add(stmt["class"])
        elif "import" in stmt:
            bound.add(stmt.get("as") or stmt["import"].split(".", 1)[0])
        elif "from_import" in stmt:
            bound.update(n if isinstance(n, str) else n[1] for n in stmt["names"])
        elif "delete" in stmt:
            for target in stmt["delete"]:
                target_names(target, bound)
        elif "global" in stmt:
            globals_.update(stmt["global"])
        elif "nonlocal" in stmt:
            nonlocals.update(stmt["nonlocal"])
        elif "yield" in stmt or "yield_from" in stmt:
            generator = True
            if stmt.get("to") is not None:
                target_names(stmt["to"], bound)
        elif "match" in stmt:
            for case in stmt["cases"]:
                pattern_names(case["pattern"], bound)
                stack.extend(case["body"])
    return bound, globals_, nonlocals, generator


def module_scope() -> Scope:
    return Scope(MODULE, set(), set(), set(), ())


def function_scope(node: dict, parent: Scope, pointer: str) -> Scope:
    bound, globals_, nonlocals, generator = analyse_body(node["body"])
    params = param_names(node)
    bound.update(params)
    clash = (globals_ | nonlocals) & set(params)
    if clash:
        name = sorted(clash)[0]
        kind = "global" if name in globals_ else "nonlocal"
        raise _invalid(pointer, f"name '{name}' is parameter and {kind}")
    qualname = node["def"] if parent.kind == MODULE else \
        f"{parent.qualname}.{node['def']}" if parent.kind == CLASS else \
        f"{parent.qualname}.<locals>.{node['def']}"
    scope = Scope(FUNCTION, bound, globals_, nonlocals, parent.child_chain(), generator,
                  qualname)
    scope.check_nonlocals(pointer)
    positional = node.get("params", ())
    if positional:
        first = positional[0]
        scope.first_param = first if isinstance(first, str) else first["name"]
    return scope


def lambda_scope(node: dict, parent: Scope) -> Scope:
    qualname = "<lambda>" if parent.kind == MODULE else f"{parent.qualname}.<locals>.<lambda>"
    bound = set(param_names(node, "lambda"))
    walrus_names(node["body"], bound)
    return Scope(FUNCTION, bound, set(), set(), parent.child_chain(), False, qualname)


def comprehension_scope(generators: list, parent: Scope, kind: str) -> Scope:
    """A comprehension's scope: its targets are its own; a ``:=`` in it binds in
    :attr:`Scope.container` (found through the chain, as a free or global name)."""
    bound: set[str] = set()
    for gen in generators:
        target_names(gen["target"], bound)
    scope = Scope(FUNCTION, bound, set(), set(), parent.child_chain(), False,
                  f"{parent.qualname}.<locals>.<{kind}>" if parent.qualname else f"<{kind}>")
    scope.container = parent.container if parent.container is not None else parent
    return scope


def class_scope(node: dict, parent: Scope, pointer: str) -> Scope:
    bound, globals_, nonlocals, generator = analyse_body(node["body"])
    if generator:
        raise _invalid(pointer, "'yield' outside function")
    qualname = node["class"] if parent.kind == MODULE else \
        f"{parent.qualname}.{node['class']}" if parent.kind == CLASS else \
        f"{parent.qualname}.<locals>.{node['class']}"
    scope = Scope(CLASS, bound, globals_, nonlocals, parent.child_chain(), False, qualname)
    scope.check_nonlocals(pointer)
    return scope
