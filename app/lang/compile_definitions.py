"""The code compiler, definitions: ``def``, ``lambda``, ``class`` and comprehensions — the
constructs that open a scope of their own (see :mod:`app.lang.scopes`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import scopes
from .builtins import OBJECT
from .calls import Closure
from .compile_statements import straight_entry
from .errors import ProgramError, ProgramValidationError
from .guards import size_guard
from .library import bind_static_dispatchers, library_base, make_library_subclass
from .methods import iterate
from .objects import apply_decorator
from .pyabc import record_abstracts
from .pycollections import NAMED_TUPLE, named_tuple_from_class
from .runtime import RETURN, Frame, make_frame
from .schema import SPECIAL_METHODS
from .scopes import Scope
from .values import (
    ClassMethod,
    Code,
    ContextFunction,
    Function,
    GeneratorValue,
    Property,
    StaticMethod,
    UserClass,
    classes_changed,
)


def enclosing_for(scope: Scope) -> Callable[[Frame], tuple]:
    """How a scope defined in ``scope`` finds the locals of the functions around it."""
    if scope.kind == scopes.FUNCTION:
        return lambda fr: (fr.locals, *fr.enclosing)
    if scope.kind == scopes.CLASS:
        return lambda fr: fr.enclosing
    return lambda fr: ()


def _param_parts(params: list) -> tuple[tuple[str, ...], list[Any]]:
    names = tuple(p if isinstance(p, str) else p["name"] for p in params)
    defaults = [p["default"] for p in params if not isinstance(p, str)]
    return names, defaults


class DefinitionCompiler:
    unit: bytes
    expr: Callable[..., Closure]
    block: Callable[..., Closure]
    gen_block: Callable[..., Closure]
    store_name: Callable[..., Any]
    store: Callable[..., Any]
    register: Callable[[Code, dict], Code]

    # ------------------------------------------------------------------ functions

    def _function_parts(self, node: dict, params_key: str, scope: Scope, pointer: str
                        ) -> tuple[tuple[str, ...], Closure, Closure, list[str]]:
        params, defaults = _param_parts(node[params_key])
        if node.get("posonly", 0) > len(params):
            raise ProgramValidationError(f"{pointer}: posonly is {node['posonly']} but there are "
                                         f"only {len(params)} parameters", pointer=pointer)
        first_default = next((i for i, p in enumerate(node[params_key])
                              if not isinstance(p, str)), len(params))
        if any(isinstance(p, str) for p in node[params_key][first_default:]):
            raise ProgramValidationError(f"{pointer}: parameter without a default follows "
                                         "parameter with a default", pointer=pointer)
        default_closures = tuple(self.expr(d, scope) for d in defaults)
        kwonly, kwdefaults = [], []
        for p in node.get("kwonly", ()):
            if isinstance(p, str):
                kwonly.append(p)
            else:
                kwonly.append(p["name"])
                kwdefaults.append((p["name"], self.expr(p["default"], scope)))
        kw_t = tuple(kwdefaults)
        return (params, lambda fr: tuple([d(fr) for d in default_closures]),
                lambda fr: {k: d(fr) for k, d in kw_t}, kwonly)

    def _def(self, node: dict, pointer: str, scope: Scope, loop: bool, func: bool) -> Closure:
        name = node["def"]
        if name.startswith("__") and (scope.kind != scopes.CLASS
                                      or name not in SPECIAL_METHODS):
            raise ProgramValidationError(f"{pointer}/def: special method names ({name}) are "
                                         "only for methods", pointer=f"{pointer}/def")
        decorators = tuple(self.expr(d, scope) for d in node.get("decorators", ()))
        params, defaults, kwdefaults, kwonly = self._function_parts(node, "params", scope,
                                                                    pointer)
        inner = scopes.function_scope(node, scope, pointer)
        if inner.generator:
            body = self.gen_block(node["body"], f"{pointer}/body", inner, loop=False)
        else:
            body = self.block(node["body"], f"{pointer}/body", inner, loop=False, func=True,
                              body=True)
        code = self.register(Code(name, inner.qualname, params,
                                  sum(1 for p in node["params"] if not isinstance(p, str)),
                                  node.get("vararg"), tuple(kwonly), node.get("kwarg"), body,
                                  inner.generator, docstring(node["body"]),
                                  node.get("posonly", 0)), node)
        enclosing = enclosing_for(scope)
        store = self.store_name(name, scope)

        def run(fr: Frame) -> None:
            decorating = [d(fr) for d in decorators]
            value: Any = Function(code, defaults(fr), kwdefaults(fr), enclosing(fr), fr.glob)
            for decorator in reversed(decorating):
                value = apply_decorator(fr.rs, decorator, value)
            store(fr, value)

        return run

    def _lambda(self, node: dict, scope: Scope) -> Closure:
        params, defaults, kwdefaults, kwonly = self._function_parts(node, "lambda", scope,
                                                                    "lambda")
        inner = scopes.lambda_scope(node, scope)
        value = self.expr(node["body"], inner)

        def body(fr: Frame) -> Any:
            fr.retval = value(fr)
            return RETURN

        body.straight = straight_entry((), value)  # type: ignore[attr-defined]  # a call's
        # entry returns the value directly (a lambda's body counts no statement step)

        code = self.register(Code("<lambda>", inner.qualname, params,
                                  sum(1 for p in node["lambda"] if not isinstance(p, str)),
                                  node.get("vararg"), tuple(kwonly), node.get("kwarg"), body,
                                  False, None, node.get("posonly", 0)), node)
        enclosing = enclosing_for(scope)

        def run(fr: Frame) -> Function:
            return Function(code, defaults(fr), kwdefaults(fr), enclosing(fr), fr.glob)

        return run

    # ------------------------------------------------------------------ classes

    def _class(self, node: dict, pointer: str, scope: Scope, loop: bool,
               func: bool) -> Closure:
        name = node["class"]
        bases = tuple(self.expr(b, scope) for b in node.get("bases", ()))
        decorators = tuple(self.expr(d, scope) for d in node.get("decorators", ()))
        inner = scopes.class_scope(node, scope, pointer)
        body = self.block(node["body"], f"{pointer}/body", inner, loop=False, func=False)
        enclosing = enclosing_for(scope)
        store = self.store_name(name, scope)
        qualname = inner.qualname
        doc = docstring(node["body"])
        annotations = tuple((name, text) for name, text in node.get("fields", ()))
        match_args = tuple(node["match_args"]) if node.get("match_args") is not None else None

        def run(fr: Frame) -> None:
            base_values = [b(fr) for b in bases]
            decorating = [d(fr) for d in decorators]
            ns: dict[str, Any] = {}
            if match_args is not None:
                ns["__match_args__"] = match_args
            body(make_frame(fr.rs, ns, fr.glob, enclosing(fr), fr.func))
            if NAMED_TUPLE in base_values:  # ``class P(NamedTuple): x: int``
                if len(base_values) > 1:
                    raise ProgramError("can only inherit from a NamedTuple type and Generic",
                                       exception="TypeError")
                value: Any = named_tuple_from_class(fr.rs, name, annotations, ns)
            else:
                value = make_class(name, qualname, base_values, ns)
                value.doc = doc
                value.annotations = annotations
            for decorator in reversed(decorating):
                value = apply_decorator(fr.rs, decorator, value)
            store(fr, value)

        return run

    # ------------------------------------------------------------------ comprehensions

    def _comprehension(self, node: dict, scope: Scope, kind: str) -> Closure:
        generators = node["generators"]
        walrus: set[str] = set()
        scopes.walrus_names([gen["in"] for gen in generators], walrus)
        if walrus:
            raise ProgramValidationError("assignment expression cannot be used in a "
                                         "comprehension iterable expression")
        inner = scopes.comprehension_scope(generators, scope, kind)
        first = self.expr(generators[0]["in"], scope)  # evaluated where the comprehension is
        levels = []
        for i, gen in enumerate(generators):
            source = first if i == 0 else self.expr(gen["in"], inner)
            target = gen["target"]
            store = self.store(target, inner)
            direct = target if isinstance(target, str) else None
            conds = tuple(self.expr(c, inner) for c in gen.get("ifs", ()))
            levels.append((source, store, direct, conds))
        if kind == "dictcomp":
            key_c = self.expr(node["dictcomp"][0], inner)
            value_c = self.expr(node["dictcomp"][1], inner)
            element = lambda fr: (key_c(fr), value_c(fr))  # noqa: E731
        else:
            element = self.expr(node[kind], inner)
        levels_t = tuple(levels)
        enclosing = enclosing_for(scope)
        last = len(levels_t) - 1

        def produce(child: Frame, level: int, iterable: Any) -> Any:
            _, store, direct, conds = levels_t[level]
            local = child.locals
            for item in iterate(child.rs, iterable):
                rs = child.rs
                rs.steps += 1
                if rs.steps >= rs.next_check:
                    rs.check()
                if direct is not None:
                    local[direct] = item
                else:
                    store(child, item)
                if conds and not all(c(child) for c in conds):
                    continue
                if level == last:
                    yield element(child)
                else:
                    yield from produce(child, level + 1, levels_t[level + 1][0](child))

        if kind == "genexp":
            def run_gen(fr: Frame) -> GeneratorValue:
                source = first(fr)
                iterate(fr.rs, source)  # a non-iterable fails here, as in Python
                child = make_frame(fr.rs, {}, fr.glob, enclosing(fr), fr.func)
                return GeneratorValue("<genexpr>", "<genexpr>", produce(child, 0, source),
                                      child)
            return run_gen

        if kind == "listcomp" and last == 0 and levels_t[0][2] is not None \
                and not levels_t[0][3]:
            name = levels_t[0][2]

            def run_simple(fr: Frame) -> list:  # [f(v) for v in xs]: no generator frames
                rs = fr.rs
                child = make_frame(rs, {}, fr.glob, enclosing(fr), fr.func)
                local = child.locals
                limit = rs.limits.max_value_elements
                out: list = []
                for item in iterate(rs, first(fr)):
                    rs.steps += 1
                    if rs.steps >= rs.next_check:
                        rs.check()
                    local[name] = item
                    out.append(element(child))
                    if len(out) > limit:
                        size_guard(rs, len(out), "a comprehension")
                return out

            return run_simple

        def run(fr: Frame) -> Any:
            rs = fr.rs
            child = make_frame(rs, {}, fr.glob, enclosing(fr), fr.func)
            limit = rs.limits.max_value_elements
            if kind == "listcomp":
                out: Any = []
                add = out.append
            elif kind == "setcomp":
                out = set()
                add = out.add
            else:
                out = {}

                def add(pair: tuple) -> None:
                    out[pair[0]] = pair[1]
            for value in produce(child, 0, first(fr)):
                add(value)
                if len(out) > limit:
                    size_guard(rs, len(out), "a comprehension")
            return out

        return run

    def _listcomp(self, node: dict, scope: Scope) -> Closure:
        return self._comprehension(node, scope, "listcomp")

    def _setcomp(self, node: dict, scope: Scope) -> Closure:
        return self._comprehension(node, scope, "setcomp")

    def _dictcomp(self, node: dict, scope: Scope) -> Closure:
        return self._comprehension(node, scope, "dictcomp")

    def _genexp(self, node: dict, scope: Scope) -> Closure:
        return self._comprehension(node, scope, "genexp")


def _functions_in(value: Any) -> list[Function]:
    if isinstance(value, Function):
        return [value]
    if isinstance(value, (StaticMethod, ClassMethod)):
        return _functions_in(value.func)
    if isinstance(value, ContextFunction):
        return _functions_in(value.func)
    if isinstance(value, Property):
        return [f for part in (value.fget, value.fset, value.fdel) for f in _functions_in(part)]
    return []


def docstring(body: list) -> str | None:
    """A body's docstring: its first statement when that is a string literal."""
    first = body[0] if body else None
    if isinstance(first, dict) and len(first) == 1 and isinstance(first.get("expr"), str):
        return first["expr"]
    return None


def make_class(name: str, qualname: str, bases: list[Any], ns: dict[str, Any]) -> UserClass:
    """A class from its bases and the namespace its body filled."""
    for base in bases:
        if not (isinstance(base, UserClass) or isinstance(base, type)
                and base.__module__.startswith("engine.")):
            from .values import type_name

            raise ProgramError(f"{name}: bases must be classes, not '{type_name(base)}'",
                               exception="TypeError")
    lib = library_base(name, bases)
    user_bases = tuple(b for b in bases if isinstance(b, UserClass))
    if not user_bases and lib is None:
        user_bases = (OBJECT,)
    cls = UserClass(name, qualname, user_bases, ns, lib_base=lib)
    for value in ns.values():
        for function in _functions_in(value):
            if function.owner is None:
                function.owner = cls
    record_abstracts(cls)
    classes_changed()
    if lib is not None:
        cls.pytype = make_library_subclass(cls)
        bind_static_dispatchers(cls.pytype)
    return cls
