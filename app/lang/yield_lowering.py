"""``yield`` inside larger expressions (``total += (yield x)``, ``f((yield))``, ``a = b =
yield v``), by lowering: a statement of a generator's body whose expressions hold a yield
becomes statements that evaluate, in CPython's order, everything the statement evaluates
before each yield into hidden temporaries, then ``{"yield": v, "to": temp}``, then the
statement itself over the temporaries.

The temporaries are locals named ``.0``, ``.1`` ... (no program can name them: a name of the
JSON form is an identifier) and are dropped when the statement is done. Short-circuit
operators and conditional expressions with a yield past their first operand become ``if``
statements, so what CPython does not evaluate is not evaluated. A yield where CPython
evaluates it zero or many times in one statement (a lambda's body, a comprehension's element
or condition, an ``assert``'s message, a ``match`` guard, an ``except`` clause's class) and in
an assignment target is refused, as are those CPython itself refuses (comprehensions; the
source compiler reports them with CPython's texts).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .errors import ProgramValidationError

YIELD_KEYS = ("yield", "yield_from")
_COMPREHENSIONS = {"listcomp": "list comprehension", "setcomp": "set comprehension",
                   "dictcomp": "dict comprehension", "genexp": "generator expression"}
_LITERALS = (type(None), bool, int, float, str)


def holds_yield(node: Any) -> bool:
    """Whether an expression (or a key, a target, a list of them) holds a ``yield``."""
    stack = [node]
    while stack:
        n = stack.pop()
        t = type(n)
        if t is list:
            stack.extend(n)
        elif t is dict:
            if "yield" in n or "yield_from" in n:
                return True
            for key, value in n.items():
                if key == "kwargs" and type(value) is dict:  # names -> expressions
                    stack.extend(value.values())
                elif type(value) in (dict, list):
                    stack.append(value)
    return False


#: Per statement kind: its expressions evaluated once, in CPython's order (``slots``), and
#: those a yield may not stand in (``refused``: where, for the error).
_SLOTS: dict[str, tuple[str, ...]] = {
    "expr": ("expr",), "assign": ("value",), "return": ("return",), "if": ("if",),
    "while": ("while",), "for": ("in",), "with": ("with",), "raise": ("raise", "from"),
    "assert": ("assert",), "yield": ("yield",), "yield_from": ("yield_from",),
    "match": ("match",), "setitem": ("value", "setitem", "key"),
    "setattr": ("value", "setattr"),
}
_REFUSED: dict[str, tuple[tuple[str, str], ...]] = {
    "assign": (("assign", "an assignment target"), ("also", "an assignment target")),
    "for": (("for", "a for loop's target"),), "with": (("as", "a with statement's target"),),
    "assert": (("msg", "an assert statement's message"),),
    "yield": (("to", "an assignment target"),), "yield_from": (("to", "an assignment target"),),
    "delete": (("delete", "a del statement"),),
    "def": (("decorators", "a decorator"), ("params", "a default value"),
            ("kwonly", "a default value")),
    "class": (("bases", "a class's bases"), ("decorators", "a decorator"),
              ("kwargs", "a class's keywords")),
}


def statement_kind(stmt: dict) -> str | None:
    for key in (*_SLOTS, "delete", "def", "class", "try"):
        if key in stmt:
            return key
    return None


def statement_holds_yield(stmt: dict) -> bool:
    """Whether a statement's own expressions (not its bodies) hold a ``yield`` expression."""
    kind = statement_kind(stmt)
    if kind is None:
        return False
    parts: list[Any] = [stmt.get(k) for k in _SLOTS.get(kind, ())]
    if kind in ("yield", "yield_from"):
        parts = [stmt[kind]]  # the statement's own yield is no yield expression
    parts += [stmt.get(k) for k, _ in _REFUSED.get(kind, ())]
    if kind == "try":
        parts += [h.get("type") for h in stmt.get("handlers", ())]
    if kind == "match":
        parts += [c.get("guard") for c in stmt["cases"]]
    return holds_yield(parts)


def refused(where: str) -> ProgramValidationError:
    return ProgramValidationError(f"'yield' inside {where} is not supported")


class Lowering:
    """Lowers one statement; ``temp()`` names a new hidden temporary (a local)."""

    def __init__(self, temp: Callable[[], str]) -> None:
        self.temp = temp

    def statement(self, stmt: dict) -> tuple[list[dict], dict]:
        """(the statements to run first, the statement over their temporaries); for a
        ``while``, the first ones run before each test."""
        stmt = copy.deepcopy(stmt)  # validated programs are cached and shared: never edited
        kind = statement_kind(stmt)
        for key, where in _REFUSED.get(kind, ()):  # type: ignore[arg-type]
            if holds_yield(stmt.get(key)):
                raise refused(where)
        if kind == "try" and holds_yield([h.get("type") for h in stmt.get("handlers", ())]):
            raise refused("an except clause")
        if kind == "match" and holds_yield([c.get("guard") for c in stmt["cases"]]):
            raise refused("a match guard")
        pre: list[dict] = []
        if kind in ("setitem", "setattr") and stmt.get("op") is not None:
            return pre, self._augmented(stmt, kind, pre)
        cells: list[tuple[Any, Any, str]] = []
        for key in _SLOTS.get(kind, ()):  # type: ignore[arg-type]
            if stmt.get(key) is not None:
                if key == "key":
                    cells.extend(self._key_cells(stmt, "key"))
                else:
                    cells.append((stmt, key, "expr"))
        self._sequence(cells, pre)
        return pre, stmt

    def _augmented(self, stmt: dict, kind: str, pre: list[dict]) -> dict:
        """``x[k] op= v`` / ``o.a op= v``: ``x`` and ``k`` (or ``o``), then the item (the
        attribute), then ``v``: the first three are held in temporaries."""
        op = stmt.pop("op")
        cells = [(stmt, kind, "expr")]
        if kind == "setitem":
            cells += self._key_cells(stmt, "key")
        for container, key, how in cells:
            if holds_yield(container[key]):
                self._lower(container, key, pre)
            self._hold(container, key, how, pre)
        current = self.temp()
        read = {"index": stmt["setitem"], "key": stmt["key"]} if kind == "setitem" else \
            {"attr": stmt["attr"], "of": stmt["setattr"]}
        pre.append({"assign": current, "value": read})
        if holds_yield(stmt["value"]):
            self._lower(stmt, "value", pre)
        stmt["value"] = {"call": op, "args": [{"var": current}, stmt["value"]]}
        return stmt

    # ------------------------------------------------------------------ expressions

    def _sequence(self, cells: list[tuple[Any, Any, str]], pre: list[dict]) -> None:
        """Parts evaluated in this order: those before the last one holding a yield are held
        in temporaries (after their own yields), the last one is lowered, the rest stay."""
        last = max((i for i, (c, k, _) in enumerate(cells) if holds_yield(c[k])), default=-1)
        for i in range(last + 1):
            container, key, how = cells[i]
            if holds_yield(container[key]):
                self._lower(container, key, pre)
            if i < last:
                self._hold(container, key, how, pre)

    def _hold(self, container: Any, key: Any, how: str, pre: list[dict]) -> None:
        """Evaluate the part now, into a temporary (a ``*x`` unpacked now, a ``**m`` copied
        now, as CPython builds its arguments); a literal needs none."""
        value = container[key]
        if type(value) in _LITERALS or type(value) is dict and len(value) == 1 and (
                "float" in value or "ellipsis" in value):
            return
        name = self.temp()
        if how == "star":
            pre.append({"assign": name, "value": {"tuple": [{"star": value}]}})
        elif how == "starstar":
            pre.append({"assign": name, "value": {"dict": [{"starstar": value}]}})
        else:
            pre.append({"assign": name, "value": value})
        container[key] = {"var": name}

    def _key_cells(self, container: Any, key: Any) -> list[tuple[Any, Any, str]]:
        value = container[key]
        if type(value) is list:
            out = []
            for i in range(len(value)):
                out.extend(self._key_cells(value, i))
            return out
        if type(value) is dict and "slice" in value:
            parts = value["slice"]
            return [(parts, i, "expr") for i in range(len(parts)) if parts[i] is not None]
        if type(value) is dict and "ellipsis" in value:
            return []
        return [(container, key, "expr")]

    def _elements(self, items: list) -> list[tuple[Any, Any, str]]:
        return [(item, "star", "star") if type(item) is dict and "star" in item
                else (items, i, "expr") for i, item in enumerate(items)]

    def _lower(self, container: Any, key: Any, pre: list[dict]) -> None:
        """Replace ``container[key]`` (an expression holding a yield) by one without,
        appending what must run first to ``pre``."""
        node = container[key]
        if type(node) is list:
            self._sequence(self._elements(node), pre)
            return
        for kind in YIELD_KEYS:
            if kind in node:
                if holds_yield(node[kind]):
                    self._lower(node, kind, pre)
                name = self.temp()
                pre.append({kind: node[kind], "to": name})
                container[key] = {"var": name}
                return
        if "and" in node or "or" in node:
            self._short_circuit(container, key, pre)
            return
        if "ifexp" in node:
            if holds_yield(node["ifexp"]):
                self._lower(node, "ifexp", pre)
            name = self.temp()
            branches = []
            for part in ("then", "else"):
                body: list[dict] = []
                if holds_yield(node[part]):
                    self._lower(node, part, body)
                body.append({"assign": name, "value": node[part]})
                branches.append(body)
            pre.append({"if": node["ifexp"], "then": branches[0], "else": branches[1]})
            container[key] = {"var": name}
            return
        if "lambda" in node:
            raise refused("a lambda")
        for kind, what in _COMPREHENSIONS.items():
            if kind in node:
                first = node["generators"][0]
                rest = [node[kind], first.get("ifs"), node["generators"][1:], first["target"]]
                if holds_yield(rest):
                    raise ProgramValidationError(f"'yield' inside {what}")
                self._lower(first, "in", pre)  # evaluated where the comprehension stands
                return
        self._sequence(self._children(node), pre)

    def _short_circuit(self, container: Any, key: Any, pre: list[dict]) -> None:
        """``a or (yield b) or c``: ``t = a``, then ``if not t: t = yield b``, then ``if not
        t: t = c`` (``and``: ``if t``), flat: a long chain nests no deeper than one ``if``."""
        node = container[key]
        op = "and" if "and" in node else "or"
        items = node[op]
        name = self.temp()
        test = {"var": name} if op == "and" else {"not": {"var": name}}
        for i in range(len(items)):
            out = pre if i == 0 else []
            if holds_yield(items[i]):
                self._lower(items, i, out)
            out.append({"assign": name, "value": items[i]})
            if i:
                pre.append({"if": test, "then": out})
        container[key] = {"var": name}

    def _children(self, node: dict) -> list[tuple[Any, Any, str]]:
        """An expression's parts in the order CPython evaluates them."""
        if "tuple" in node or "set" in node:
            return self._elements(node["tuple" if "tuple" in node else "set"])
        if "dict" in node:
            cells: list[tuple[Any, Any, str]] = []
            for entry in node["dict"]:
                if type(entry) is dict:
                    cells.append((entry, "starstar", "starstar"))
                else:
                    cells += [(entry, 0, "expr"), (entry, 1, "expr")]
            return cells
        if "call" in node or "method" in node:
            cells = [(node, "call", "expr")] if type(node.get("call")) is dict else []
            cells += self._elements(node.get("args", []))
            kwargs = node.get("kwargs", {})
            cells += [(kwargs, name, "expr") for name in kwargs]
            stars = node.get("kwstar", [])
            cells += [(stars, i, "starstar") for i in range(len(stars))]
            return cells
        if "attr" in node:
            return [(node, "of", "expr")]
        if "index" in node:
            return [(node, "index", "expr"), *self._key_cells(node, "key")]
        if "not" in node:
            return [(node, "not", "expr")]
        if "walrus" in node:
            return [(node, "value", "expr")]
        return []
