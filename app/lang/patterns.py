"""``match`` statements: each ``case`` pattern of the JSON form compiled to a matcher.

A matcher is ``(fr, subject, captures) -> bool``: it tests the subject as Python's pattern
matching does (PEP 634) and records the names it would bind in ``captures``; the statement
binds them (as an assignment does) only once the whole pattern has matched, then tests the
guard, as CPython does. The checks CPython makes when it compiles a ``match`` are made here
too, with its texts, so the JSON form refuses what the source form's compile refuses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .builtins import _getattr, _is_type, isinstance_of
from .errors import ProgramError, ProgramValidationError
from .guards import size_guard
from .runtime import Frame
from .values import BuiltinType, UserClass

Matcher = Callable[[Frame, Any, dict], bool]
_MISSING = object()
#: Builtin types whose one positional sub-pattern matches the subject itself (``int(x)``).
_MATCH_SELF = (bool, bytearray, bytes, dict, float, frozenset, int, list, set, str, tuple)
#: Sequences that a sequence pattern does not take apart.
_NOT_SEQUENCES = (str, bytes, bytearray)


def _invalid(message: str) -> ProgramValidationError:
    return ProgramValidationError(message)


def _type_error(message: str) -> ProgramError:
    return ProgramError(message, exception="TypeError")


def irrefutable(pattern: dict) -> str | None:
    """What makes ``pattern`` match anything (CPython's wording), or None."""
    if "wildcard" in pattern:
        return "wildcard"
    if "capture" in pattern and pattern.get("pattern") is None:
        return f"name capture '{pattern['capture']}'"
    if "capture" in pattern:
        return irrefutable(pattern["pattern"])
    if "any" in pattern:
        return next((r for r in map(irrefutable, pattern["any"]) if r is not None), None)
    return None


def check_cases(cases: list) -> None:
    """CPython's refusal of a case that makes the ones after it unreachable."""
    for case in cases[:-1]:
        reason = irrefutable(case["pattern"])
        if reason is not None and case.get("guard") is None:
            raise _invalid(f"{reason} makes remaining patterns unreachable")


def _names(pattern: dict) -> list[str]:
    """The names ``pattern`` binds, in order, with CPython's compile-time refusals."""
    out: list[str] = []

    def add(name: str) -> None:
        if name in out:
            raise _invalid(f"multiple assignments to name '{name}' in pattern")
        out.append(name)

    def walk(p: dict) -> None:
        if "capture" in p:
            if p.get("pattern") is not None:
                walk(p["pattern"])
            add(p["capture"])
        elif "any" in p:
            alternatives = p["any"]
            for alt in alternatives[:-1]:
                reason = irrefutable(alt)
                if reason is not None:
                    raise _invalid(f"{reason} makes remaining patterns unreachable")
            first = set(_names(alternatives[0]))
            for alt in alternatives[1:]:
                if set(_names(alt)) != first:
                    raise _invalid("alternative patterns bind different names")
            for name in _names(alternatives[0]):
                add(name)
        elif "sequence" in p:
            stars = [item for item in p["sequence"] if "star" in item]
            if len(stars) > 1:
                raise _invalid("multiple starred names in sequence pattern")
            for item in p["sequence"]:
                if "star" in item:
                    if item["star"] is not None:
                        add(item["star"])
                else:
                    walk(item)
        elif "mapping" in p:
            seen: list[Any] = []
            for key, sub in p["mapping"]:
                if isinstance(key, (bool, int, float, str)) or key is None:
                    if any(type(key) is type(k) and key == k for k in seen):
                        raise _invalid(f"mapping pattern checks duplicate key ({key!r})")
                    seen.append(key)
                walk(sub)
            if p.get("rest") is not None:
                add(p["rest"])
        elif "instance" in p:
            for sub in p.get("args", ()):
                walk(sub)
            for sub in p.get("kwargs", {}).values():
                walk(sub)

    walk(pattern)
    return out


def _class_name(cls: Any) -> str:
    return cls.name if isinstance(cls, (UserClass, BuiltinType)) else cls.__name__


def _match_args(cls: Any) -> Any:
    """A class's ``__match_args__`` (None: it has none)."""
    if isinstance(cls, UserClass):
        found = cls.lookup("__match_args__")
        if found is not None or cls.pytype is None:
            return found
        return getattr(cls.pytype, "__match_args__", None)
    if isinstance(cls, BuiltinType):
        return getattr(cls.pytype, "__match_args__", None) \
            if isinstance(cls.pytype, type) else None
    return getattr(cls, "__match_args__", None)


def _plural(n: int) -> str:
    return f"{n} positional sub-pattern" + ("" if n == 1 else "s")


class PatternCompiler:
    """Compiles patterns with the statement compiler's expressions and stores."""

    def __init__(self, compiler: Any, scope: Any) -> None:
        self.compiler, self.scope = compiler, scope

    def case(self, pattern: dict) -> tuple[Matcher, tuple]:
        """The matcher of a case's pattern and the stores of the names it binds, in order."""
        names = _names(pattern)
        stores = tuple((name, self.compiler.store_name(name, self.scope)) for name in names)
        return self.pattern(pattern), stores

    def pattern(self, p: dict) -> Matcher:
        for key in ("value", "singleton", "capture", "wildcard", "any", "sequence", "mapping",
                    "instance"):
            if key in p:
                return getattr(self, "_" + key)(p)
        raise _invalid("expected a pattern")  # pragma: no cover - the schema admits nothing else

    def _value(self, p: dict) -> Matcher:
        value = self.compiler.expr(p["value"], self.scope)

        def match_value(fr: Frame, subject: Any, caps: dict) -> bool:
            return bool(subject == value(fr))

        return match_value

    def _singleton(self, p: dict) -> Matcher:
        value = p["singleton"]
        return lambda fr, subject, caps: subject is value

    def _capture(self, p: dict) -> Matcher:
        name = p["capture"]
        sub = self.pattern(p["pattern"]) if p.get("pattern") is not None else None

        def capture(fr: Frame, subject: Any, caps: dict) -> bool:
            if sub is not None and not sub(fr, subject, caps):
                return False
            caps[name] = subject
            return True

        return capture

    def _wildcard(self, p: dict) -> Matcher:
        return lambda fr, subject, caps: True

    def _any(self, p: dict) -> Matcher:
        alternatives = tuple(self.pattern(alt) for alt in p["any"])

        def match_any(fr: Frame, subject: Any, caps: dict) -> bool:
            for alt in alternatives:
                mine: dict = {}
                if alt(fr, subject, mine):
                    caps.update(mine)
                    return True
            return False

        return match_any

    def _sequence(self, p: dict) -> Matcher:
        items = p["sequence"]
        star = next((i for i, item in enumerate(items) if "star" in item), None)
        before = tuple(self.pattern(item) for item in items[:star]) if star is not None \
            else tuple(self.pattern(item) for item in items)
        after = tuple(self.pattern(item) for item in items[star + 1:]) \
            if star is not None else ()
        star_name = items[star]["star"] if star is not None else None
        n = len(before) + len(after)

        def match_sequence(fr: Frame, subject: Any, caps: dict) -> bool:
            if not isinstance(subject, Sequence) or isinstance(subject, _NOT_SEQUENCES):
                return False
            size = len(subject)
            if size < n if star is not None else size != n:
                return False
            for i, sub in enumerate(before):
                if not sub(fr, subject[i], caps):
                    return False
            for i, sub in enumerate(after):
                if not sub(fr, subject[size - len(after) + i], caps):
                    return False
            if star_name is not None:
                size_guard(fr.rs, size - n, "a star pattern's list")
                caps[star_name] = [subject[i] for i in range(len(before), size - len(after))]
            return True

        return match_sequence

    def _mapping(self, p: dict) -> Matcher:
        entries = tuple((self.compiler.expr(key, self.scope), self.pattern(sub))
                        for key, sub in p["mapping"])
        rest = p.get("rest")
        n = len(entries)

        def match_mapping(fr: Frame, subject: Any, caps: dict) -> bool:
            if not isinstance(subject, Mapping) or len(subject) < n:
                return False
            keys = []
            for key, sub in entries:
                k = key(fr)
                if any(k is other or k == other for other in keys):
                    raise ProgramError(f"mapping pattern checks duplicate key ({k!r})",
                                       exception="ValueError")
                keys.append(k)
                value = subject.get(k, _MISSING)
                if value is _MISSING or not sub(fr, value, caps):
                    return False
            if rest is not None:
                size_guard(fr.rs, len(subject), "a mapping pattern's rest")
                left = dict(subject)
                for k in keys:
                    del left[k]
                caps[rest] = left
            return True

        return match_mapping

    def _instance(self, p: dict) -> Matcher:
        cls_value = self.compiler.expr(p["instance"], self.scope)
        positional = tuple(self.pattern(sub) for sub in p.get("args", ()))
        keywords = tuple((name, self.pattern(sub)) for name, sub in p.get("kwargs", {}).items())

        def match_instance(fr: Frame, subject: Any, caps: dict) -> bool:
            cls = cls_value(fr)
            if not _is_type(cls):
                raise _type_error("called match pattern must be a type")
            if not isinstance_of(subject, cls):
                return False
            pairs: list[tuple[Any, Matcher]] = []
            if positional:
                args = _match_args(cls)
                if args is None:  # a builtin type (or a subclass) matches itself: ``int(n)``
                    args = ()
                    pytype = cls.pytype if isinstance(cls, BuiltinType) else \
                        cls if isinstance(cls, type) else None
                    if isinstance(pytype, type) and issubclass(pytype, _MATCH_SELF):
                        if len(positional) > 1:
                            raise _type_error(f"{_class_name(cls)}() accepts {_plural(1)} "
                                              f"({len(positional)} given)")
                        if not positional[0](fr, subject, caps):
                            return False
                        args = None
                elif type(args) is not tuple:
                    raise _type_error(f"{_class_name(cls)}.__match_args__ must be a tuple "
                                      f"(got {type(args).__name__})")
                if args is not None:
                    if len(positional) > len(args):
                        raise _type_error(f"{_class_name(cls)}() accepts {_plural(len(args))} "
                                          f"({len(positional)} given)")
                    for name, sub in zip(args, positional, strict=False):
                        if not isinstance(name, str):
                            raise _type_error("__match_args__ elements must be strings (got "
                                              f"{type(name).__name__})")
                        pairs.append((name, sub))
            pairs.extend(keywords)
            seen: set[str] = set()
            for name, _sub in pairs:
                if name in seen:
                    raise _type_error(f"{_class_name(cls)}() got multiple sub-patterns for "
                                      f"attribute '{name}'")
                seen.add(name)
            for name, sub in pairs:
                value = _getattr(fr.rs, subject, name, _MISSING)
                if value is _MISSING or not sub(fr, value, caps):
                    return False
            return True

        return match_instance


__all__ = ["PatternCompiler", "check_cases"]
