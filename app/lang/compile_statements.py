"""The code compiler, statements: each JSON statement becomes a closure ``fr -> signal`` (None,
``BREAK``, ``CONTINUE`` or ``RETURN``). In a generator function's body, statements that contain
a ``yield`` become Python generator functions instead, so ``yield`` suspends the body where it
stands while every other statement keeps the plain, fast form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import engine
from engine.modes import _grad_enabled

from . import calls
from .arrays import index_retry, tensor_key
from .calls import PREBOUND_ROOTS, Closure, call_statement, mark_roots_bound, op1_statement
from .dataclass_module import PARAMS as DATACLASS_PARAMS
from .errors import LangError, ProgramError, ProgramValidationError
from .exceptions import (
    catchable,
    convert_exception,
    exception_of,
    is_exception,
    is_exception_class,
    located,
    raised,
)
from .library import _MISSING as LIB_MISSING
from .library import (
    MODULES,
    LibModule,
    admit,
    canonical,
    member,
    missing_import,
    missing_module,
    resolve_path,
)
from .methods import iterate
from .objects import (
    PLAIN_LIBRARY_TYPES,
    call_special,
    del_attr,
    get_attr,
    instantiate,
    library_getattr,
    set_attr,
)
from .patterns import PatternCompiler, check_cases
from .run_warnings import CatchWarnings
from .runtime import (
    BREAK,
    CONTINUE,
    RETURN,
    RETURN_ALONE,
    RETURN_BODY,
    UNBOUND,
    Frame,
    RunState,
    framed_entry,
)
from .schema import WRITABLE_ATTRS
from .scopes import Scope
from .shared import SHARED_CONTAINERS, unshared
from .values import Instance, Property, user_class_of
from .yield_lowering import Lowering, statement_holds_yield

Tensor = engine.Tensor
_MISSING = UNBOUND
Store = Callable[[Frame, Any], None]
#: ``with torch.no_grad():`` / ``torch.enable_grad()`` as what their ``__enter__`` and
#: ``__exit__`` do (the mode's context variable set, then reset), without making the manager
#: and two Python-level calls: a program cannot see the manager it does not bind.
set_grad, reset_grad = _grad_enabled.set, _grad_enabled.reset


def invalid(pointer: str, message: str) -> ProgramValidationError:
    return ProgramValidationError(f"{pointer}: {message}", pointer=pointer)


def loop_limit(rs: RunState, limit: int) -> LangError:
    return rs.limit_error(f"a loop ran more than {limit} iterations (max_loop_iterations)",
                          "max_loop_iterations", limit)


def has_yield(stmt: dict) -> bool:
    """Whether a statement contains a ``yield`` (not looking into nested definitions)."""
    stack = [stmt]
    while stack:
        s = stack.pop()
        if "yield" in s or "yield_from" in s or statement_holds_yield(s):
            return True
        if "def" in s or "class" in s:
            continue
        for key in ("then", "else", "body", "try", "finally"):
            part = s.get(key)
            if isinstance(part, list):
                stack.extend(p for p in part if isinstance(p, dict))
        for handler in s.get("handlers", ()) if "try" in s else ():
            stack.extend(handler["body"])
        for case in s.get("cases", ()) if "match" in s else ():
            stack.extend(case["body"])
    return False


def unpack_items(value: Any, n: int, star: int | None) -> list:
    """The items of ``value`` for ``n`` targets (``star`` the index of ``*rest``), with
    Python's error texts."""
    t = type(value)
    if (t is tuple or t is list) and star is None and len(value) == n:
        return value
    try:
        it = iter(value)
    except TypeError:
        if isinstance(value, Tensor):
            raise
        from .values import type_name

        raise ProgramError(f"cannot unpack non-iterable {type_name(value)} object",
                           exception="TypeError") from None
    if star is None:
        items = []
        for item in it:
            items.append(item)
            if len(items) > n:
                raise ProgramError(f"too many values to unpack (expected {n})",
                                   exception="ValueError")
        if len(items) < n:
            raise ProgramError(f"not enough values to unpack (expected {n}, got {len(items)})",
                               exception="ValueError")
        return items
    items = list(it)
    if len(items) < n - 1:
        raise ProgramError(f"not enough values to unpack (expected at least {n - 1}, got "
                           f"{len(items)})", exception="ValueError")
    after = n - 1 - star
    return [*items[:star], items[star:len(items) - after], *items[len(items) - after:]]


def unpack_attr(attr: tuple, names: tuple[str, ...], unit: bytes, pointer: str) -> Closure:
    """``a, b = obj.name`` into the frame's own locals (``x, = ctx.saved_tensors``), ``obj`` a
    variable: :meth:`StatementCompiler.statement_value`'s unpacking with the attribute read
    (``attr``, what the compiled ``obj.name`` carries) in the same closure; a library object's
    attribute is read there, any other value's as the attribute's closure reads it."""
    fast, obj, name, other = attr
    n = len(names)
    only = names[0]

    def run(fr: Frame) -> None:
        rs = fr.rs
        rs.steps += 1
        if rs.steps >= rs.next_check:
            rs.check()
        try:
            try:
                value = fr.locals[fast]
            except KeyError:
                value = obj(fr)
            if type(value) in PLAIN_LIBRARY_TYPES:
                try:
                    items = getattr(value, name)
                except LangError:
                    raise
                except Exception:
                    items = library_getattr(value, name)  # the error as programs see it
                if type(items) in SHARED_CONTAINERS:
                    items = unshared(value, name, items)
                if type(items) is tuple:  # ``ctx.saved_tensors``: admit's tuple check, inline
                    for item in items:
                        if type(item) is not Tensor:
                            items = admit(items)
                            break
                else:
                    items = admit(items)
            else:
                items = other(rs, value)
            if type(items) is not tuple and type(items) is not list or len(items) != n:
                items = unpack_items(items, n, None)
        except Exception as exc:
            raise located(exc, unit, pointer, rs.limits) from None
        if n == 1:
            fr.locals[only] = items[0]
        else:
            local = fr.locals
            for target, item in zip(names, items):
                local[target] = item

    return run


def _store_root(name: str) -> Store:
    """A global store of a library root's name (``random = torch.rand(2, 3)``, ``import
    torch.functional as F``): the session's variable, journaled; the module the name has
    without an import (``import torch``, ``import torch.nn.functional as F``) leaves no
    variable, so library paths keep their fast path."""
    default = resolve_path(name)

    def store(fr: Frame, value: Any) -> None:
        g = fr.glob
        journal = fr.rs.journal
        if name not in journal:
            journal[name] = g.get(name, _MISSING)
        if type(value) is LibModule and value == default:
            g.pop(name, None)
        else:
            mark_roots_bound(fr.rs.env, g)
            g[name] = value

    return store


class StatementCompiler:
    unit: bytes
    expr: Callable[..., Closure]
    key: Callable[..., Closure]
    read: Callable[..., Closure]
    fast_name: Callable[..., str | None]

    # ------------------------------------------------------------------ blocks

    def block(self, stmts: list, pointer: str, scope: Scope, *, loop: bool,
              func: bool, body: bool = False) -> Closure:
        """The statements ``stmts``; ``body``: they are a function's body (which also gets
        its :func:`straight_body` where it has one)."""
        compiled = tuple(self.stmt(s, f"{pointer}/{i}", scope, loop=loop, func=func)
                         for i, s in enumerate(stmts))
        if not compiled:
            return lambda fr: None
        straight = straight_body(compiled) if body else None
        if len(compiled) == 1:
            if straight is None:
                return compiled[0]

            def run_one(fr: Frame) -> Any:  # the statement, as a block (its closure is shared)
                return stmt(fr)

            stmt = compiled[0]
            run_one.straight = straight  # type: ignore[attr-defined]
            return run_one

        def run_block(fr: Frame) -> Any:
            for stmt in compiled:
                signal = stmt(fr)
                if signal is not None:
                    return signal
            return None

        run_block.stmts = compiled  # type: ignore[attr-defined]  # a call runs them inline
        run_block.straight = straight  # type: ignore[attr-defined]
        return run_block

    def gen_block(self, stmts: list, pointer: str, scope: Scope, *, loop: bool) -> Closure:
        """A block of a generator's body, as a Python generator function."""
        parts = []
        for i, s in enumerate(stmts):
            sub = f"{pointer}/{i}"
            if has_yield(s):
                parts.append((True, self.gen_stmt(s, sub, scope, loop=loop)))
            else:
                parts.append((False, self.stmt(s, sub, scope, loop=loop, func=True)))
        parts_t = tuple(parts)
        last = parts[-1][1] if parts else None
        if parts and parts[-1][0] and hasattr(last, "parts") and \
                all(not is_gen and getattr(stmt, "plain", False) for is_gen, stmt in parts[:-1]):
            # plain statements, then ``yield value`` (a loop body's ``y = ...; yield y``): one
            # generator, the yield statement's step and location inline (``gen_stmt``)
            plain = tuple(stmt for _, stmt in parts[:-1])
            value, unit, ypointer = last.parts

            def run_block_yield(fr: Frame) -> Any:
                for stmt in plain:
                    stmt(fr)
                rs = fr.rs
                rs.steps += 1
                if rs.steps >= rs.next_check:
                    rs.check()
                try:
                    yield value(fr)
                except Exception as exc:
                    raise located(exc, unit, ypointer, fr.rs.limits) from None
                return None

            return run_block_yield

        def run_block(fr: Frame) -> Any:
            for is_gen, stmt in parts_t:
                signal = (yield from stmt(fr)) if is_gen else stmt(fr)
                if signal is not None:
                    return signal
            return None

        return run_block

    def stmt(self, node: dict, pointer: str, scope: Scope, *, loop: bool,
             func: bool) -> Closure:
        if "yield" in node or "yield_from" in node or not func and statement_holds_yield(node):
            raise invalid(pointer, "'yield' outside function")
        if "assign" in node:
            return self._assign(node, pointer, scope)
        if ("break" in node or "continue" in node) and not loop:
            raise invalid(pointer, "'break' outside loop" if "break" in node
                          else "'continue' not properly in loop")
        if "return" in node and not func:
            raise invalid(pointer, "'return' outside function")
        if "return" in node and node["return"] is not None:
            return self.counted_value(self.expr(node["return"], scope), pointer, returns=True,
                                      fast=self.fast_name(node["return"], scope))
        if "expr" in node and len(node) == 1:  # ``ctx.save_for_backward(out)``, ``opt.step()``
            return self.counted_value(self.expr(node["expr"], scope), pointer)
        if "with" in node and self._grad_mode(node, scope) is not None:  # torch.no_grad()
            body = self.block(node["body"], f"{pointer}/body", scope, loop=loop, func=func)
            make, mode = self._manager(node, scope)
            return self.counted(body, pointer, mode=mode,
                                managed=self._managed(make, body, None))
        key = next(k for k in node if k in self._STATEMENTS)
        run = self._STATEMENTS[key](self, node, pointer, scope, loop, func)
        return self.counted(run, pointer)

    def counted_value(self, value: Closure, pointer: str, *, returns: bool = False,
                      store: str | None = None, glob: str | None = None,
                      unpack: tuple[str, ...] | None = None, fast: str | None = None) -> Closure:
        """:meth:`statement_value`, in one closure with its expression where that is a
        one-argument op (:func:`op1_statement`), a library method of a variable
        (:func:`call_statement`) or, for unpacking, a variable's attribute
        (:func:`unpack_attr`)."""
        run = self._counted_value(value, pointer, returns=returns, store=store, glob=glob,
                                  unpack=unpack, fast=fast)
        if returns:
            run.returning = True  # type: ignore[attr-defined]  # always RETURN (or raises)
        else:
            run.plain = True  # type: ignore[attr-defined]  # always None (or raises)
        return run

    def _counted_value(self, value: Closure, pointer: str, *, returns: bool = False,
                       store: str | None = None, glob: str | None = None,
                       unpack: tuple[str, ...] | None = None,
                       fast: str | None = None) -> Closure:
        general = self.statement_value(value, pointer, returns=returns, store=store, glob=glob,
                                       unpack=unpack, fast=fast)
        if unpack is not None:
            attr = getattr(value, "attr", None)
            if attr is not None:
                return unpack_attr(attr, unpack, self.unit, pointer)
            return general
        if not returns and store is None and glob is None:
            library1 = getattr(value, "library1", None)
            if library1 is not None:
                return call_statement(library1, general, self.unit, pointer)
        op1 = getattr(value, "op1", None)
        if op1 is None:
            return general
        run = op1_statement(op1, general, self.unit, pointer, store=store, glob=glob,
                            returns=returns)
        if returns:
            run.value = op1_statement(op1, general, self.unit, pointer,  # type: ignore
                                      returns=True, value_form=True)
        return run

    def statement_value(self, value: Closure, pointer: str, *, returns: bool = False,
                        store: str | None = None, glob: str | None = None,
                        unpack: tuple[str, ...] | None = None,
                        fast: str | None = None) -> Closure:
        """A statement that is one expression and what becomes of its value: an expression
        statement (dropped), ``return value`` (``returns``; ``fast``: the value is that local,
        read inline), ``name = value`` into the frame's own locals (``store``) or a global
        (``glob``: the session's variables, journaled for the notebook's undo), ``a, b = value``
        into the frame's own locals (``unpack``). Counted as :meth:`counted` counts a
        statement, in one closure: the expression runs with no call level of the statement's
        own around it. One closure per kind, each without a test of the kind: one shared
        closure testing it costs 4-10 bytecodes a statement (2.5 % of the custom Function
        row's); the kinds share the step count's lines and :func:`located`."""
        unit = self.unit
        if returns:
            def run_return(fr: Frame) -> Any:
                rs = fr.rs
                rs.steps += 1
                if rs.steps >= rs.next_check:
                    rs.check()
                if fast is not None and fast in fr.locals:  # `return name`
                    fr.retval = fr.locals[fast]
                    return RETURN
                try:
                    fr.retval = value(fr)
                except Exception as exc:
                    raise located(exc, unit, pointer, fr.rs.limits) from None
                return RETURN

            def return_value(fr: Frame) -> Any:  # run_return giving the value (a call's)
                rs = fr.rs
                rs.steps += 1
                if rs.steps >= rs.next_check:
                    rs.check()
                if fast is not None:  # `return name`
                    local = fr.locals
                    if fast in local:
                        return local[fast]
                try:
                    return value(fr)
                except Exception as exc:
                    raise located(exc, unit, pointer, fr.rs.limits) from None

            run_return.value = return_value  # type: ignore[attr-defined]
            #: what a call's straight body runs inline (``straight_body``)
            run_return.parts = (value, fast, unit, pointer)  # type: ignore[attr-defined]
            return run_return
        if store is not None:
            def run_local(fr: Frame) -> None:
                rs = fr.rs
                rs.steps += 1
                if rs.steps >= rs.next_check:
                    rs.check()
                try:
                    fr.locals[store] = value(fr)
                except Exception as exc:
                    raise located(exc, unit, pointer, fr.rs.limits) from None

            return run_local
        if glob is not None:
            def run_global(fr: Frame) -> None:
                rs = fr.rs
                rs.steps += 1
                if rs.steps >= rs.next_check:
                    rs.check()
                try:
                    v = value(fr)
                except Exception as exc:
                    raise located(exc, unit, pointer, fr.rs.limits) from None
                space = fr.glob
                journal = rs.journal
                if glob not in journal:
                    journal[glob] = space.get(glob, _MISSING)
                space[glob] = v

            return run_global
        if unpack is not None:
            n = len(unpack)
            only = unpack[0]

            def run_unpack(fr: Frame) -> None:
                rs = fr.rs
                rs.steps += 1
                if rs.steps >= rs.next_check:
                    rs.check()
                try:
                    items = value(fr)
                    if type(items) is not tuple and type(items) is not list or len(items) != n:
                        items = unpack_items(items, n, None)
                except Exception as exc:
                    raise located(exc, unit, pointer, fr.rs.limits) from None
                if n == 1:
                    fr.locals[only] = items[0]
                else:
                    local = fr.locals
                    for name, item in zip(unpack, items):
                        local[name] = item

            return run_unpack

        def run_expr(fr: Frame) -> None:
            rs = fr.rs
            rs.steps += 1
            if rs.steps >= rs.next_check:
                rs.check()
            try:
                value(fr)
            except Exception as exc:
                raise located(exc, unit, pointer, fr.rs.limits) from None

        return run_expr

    def counted(self, body: Closure, pointer: str, mode: Any = None,
                managed: Closure | None = None) -> Closure:
        """A statement's closure ``body`` counted as a step, what it raises located at it;
        ``mode``: a grad mode (``torch.no_grad``) the body runs under, in the same closure (a
        closure of its own: a test of ``mode`` in every statement costs 2 bytecodes each);
        ``managed``: the ``with`` statement run the general way (when the session binds
        ``torch`` to something else)."""
        unit = self.unit
        if mode is not None:
            enabled = mode is engine.enable_grad

            def run_under_mode(fr: Frame) -> Any:
                rs = fr.rs
                rs.steps += 1
                if rs.steps >= rs.next_check:
                    rs.check()
                try:
                    if calls.ROOTS_BOUND and "torch" in fr.glob:
                        return managed(fr)  # type: ignore[misc]
                    token = set_grad(enabled)
                    try:
                        return body(fr)
                    finally:
                        reset_grad(token)
                except Exception as exc:
                    raise located(exc, unit, pointer, fr.rs.limits) from None

            return run_under_mode

        def stmt(fr: Frame) -> Any:
            rs = fr.rs
            rs.steps += 1
            if rs.steps >= rs.next_check:
                rs.check()
            try:
                return body(fr)
            except Exception as exc:
                raise located(exc, unit, pointer, fr.rs.limits) from None

        return stmt

    def gen_counted(self, body: Closure, pointer: str) -> Closure:
        unit = self.unit

        def stmt(fr: Frame) -> Any:
            rs = fr.rs
            rs.steps += 1
            if rs.steps >= rs.next_check:
                rs.check()
            try:
                return (yield from body(fr))
            except Exception as exc:
                raise located(exc, unit, pointer, fr.rs.limits) from None

        return stmt

    def result_stmt(self, node: dict, pointer: str, scope: Scope) -> Closure:
        if statement_holds_yield(node):
            raise invalid(pointer, "'yield' outside function")
        value = self.expr(node["expr"], scope)

        def run(fr: Frame) -> None:
            fr.rs.result = value(fr)

        return self.counted(run, pointer)

    # ------------------------------------------------------------------ assignment

    def store_name(self, name: str, scope: Scope) -> Store:
        kind, index = scope.resolve(name)
        if kind == "local" or kind == "class":
            def local(fr: Frame, value: Any) -> None:
                fr.locals[name] = value
            return local
        if kind == "free":
            def free(fr: Frame, value: Any) -> None:
                fr.enclosing[index][name] = value
            return free

        if name in PREBOUND_ROOTS:
            return _store_root(name)

        def glob(fr: Frame, value: Any) -> None:
            g = fr.glob
            journal = fr.rs.journal
            if name not in journal:
                journal[name] = g.get(name, _MISSING)
            g[name] = value

        return glob

    def store(self, target: Any, scope: Scope) -> Store:
        if isinstance(target, str):
            return self.store_name(target, scope)
        if isinstance(target, list):
            stars = [i for i, t in enumerate(target) if isinstance(t, dict) and "star" in t]
            if len(stars) > 1:
                raise ProgramValidationError("multiple starred expressions in assignment")
            star = stars[0] if stars else None
            parts = tuple(self.store(t["star"] if i == star else t, scope)
                          for i, t in enumerate(target))
            n = len(parts)

            if n == 2:  # `a, b = ...`, `for i, (x, y) in ...`
                first, second = parts

                def store_two(fr: Frame, value: Any) -> None:
                    a, b = unpack_items(value, 2, star)
                    first(fr, a)
                    second(fr, b)

                return store_two

            def store_all(fr: Frame, value: Any) -> None:
                for part, item in zip(parts, unpack_items(value, n, star), strict=True):
                    part(fr, item)

            return store_all
        if "star" in target:
            raise ProgramValidationError("starred assignment target must be in a list or tuple")
        if "index" in target:
            obj = self.expr(target["index"], scope)
            key = self.key(target["key"], scope)

            def store_item(fr: Frame, value: Any) -> None:
                set_item(fr.rs, obj(fr), key(fr), value)

            return store_item
        obj = self.expr(target["of"], scope)
        name = target["attr"]

        def store_attr(fr: Frame, value: Any) -> None:
            set_attr(fr.rs, obj(fr), name, value)

        return store_attr

    def _assign(self, node: dict, pointer: str, scope: Scope) -> Closure:
        value = self.expr(node["value"], scope)
        target = node["assign"]
        if node.get("also"):  # ``a = b.c = d[0] = value``: the value once, stores in order
            stores = tuple(self.store(t, scope) for t in (target, *node["also"]))

            def assign_chain(fr: Frame) -> None:
                v = value(fr)
                for store_one in stores:
                    store_one(fr, v)

            return self.counted(assign_chain, pointer)
        if isinstance(target, str):
            kind, _ = scope.resolve(target)
            if kind == "local" or kind == "class":
                return self.counted_value(value, pointer, store=target)
            if kind == "global" and target not in PREBOUND_ROOTS:
                return self.counted_value(value, pointer, glob=target)
        if isinstance(target, list) and target and all(
                isinstance(t, str) and scope.resolve(t)[0] in ("local", "class")
                for t in target):
            return self.counted_value(value, pointer, unpack=tuple(target))
        store = self.store(target, scope)

        def assign(fr: Frame) -> None:
            store(fr, value(fr))

        return self.counted(assign, pointer)

    def _setitem(self, node: dict, pointer: str, scope: Scope, loop: bool,
                 func: bool) -> Closure:
        """``obj[key] = value``: CPython's order, value, obj, key; ``obj[key] op= value``
        (``"op"``): obj and key once, the item, value, the operator, the store."""
        target = self.expr(node["setitem"], scope)
        key = self.key(node["key"], scope)
        value = self.expr(node["value"], scope)
        if node.get("op") is not None:
            apply = calls.inplace_operator(node["op"])

            def run_augmented(fr: Frame) -> None:
                obj = target(fr)
                k = key(fr)
                set_item(fr.rs, obj, k, apply(fr.rs, get_item(fr.rs, obj, k), value(fr)))

            return run_augmented
        fast = self.fast_name(node["setitem"], scope)
        if fast is not None and type(node["key"]) in (str, int):
            const = node["key"]

            def run_const(fr: Frame) -> None:  # ``state['y'] = v``: variable and key inline
                v = value(fr)
                try:
                    obj = fr.locals[fast]
                except KeyError:
                    obj = target(fr)
                if type(obj) is dict and const in obj:  # a key it has: no growth to guard
                    obj[const] = v
                else:
                    set_item(fr.rs, obj, const, v)

            return run_const

        def run(fr: Frame) -> None:
            v = value(fr)
            obj = target(fr)
            set_item(fr.rs, obj, key(fr), v)

        return run

    def _setattr(self, node: dict, pointer: str, scope: Scope, loop: bool,
                 func: bool) -> Closure:
        target = self.expr(node["setattr"], scope)
        attr = node["attr"]
        value = self.expr(node["value"], scope)
        tensor_writable = attr in WRITABLE_ATTRS
        augmented = calls.inplace_operator(node["op"]) if node.get("op") is not None else None

        def run(fr: Frame) -> None:
            if augmented is None:  # CPython's order: the value, then the object
                v = value(fr)
                obj = target(fr)
            else:  # ``o.a += v``: o once, then o.a, then v
                obj = target(fr)
                rs = fr.rs
                v = augmented(rs, get_attr(rs, obj, attr), value(fr))
            if tensor_writable and type(obj) is Tensor:
                try:
                    setattr(obj, attr, v)
                except Exception as exc:
                    raise convert_exception(exc, f"setattr {attr}", fr.rs.limits) from None
                return
            if isinstance(obj, Instance) and type(obj.cls.lookup(attr)) is not Property \
                    and not attr.startswith("__") and obj.cls.lookup(DATACLASS_PARAMS) is None \
                    and obj.cls.slots is None:
                obj.attrs[attr] = v
                return
            set_attr(fr.rs, obj, attr, v)

        return run

    def _expr(self, node: dict, pointer: str, scope: Scope, loop: bool, func: bool) -> Closure:
        body = self.expr(node["expr"], scope)

        def run(fr: Frame) -> None:
            body(fr)

        return run

    def _delete(self, node: dict, pointer: str, scope: Scope, loop: bool,
                func: bool) -> Closure:
        parts = tuple(self._deleter(t, scope) for t in node["delete"])

        def run(fr: Frame) -> None:
            for part in parts:
                part(fr)

        return run

    def _deleter(self, target: Any, scope: Scope) -> Closure:
        if isinstance(target, str):
            name = target
            kind, index = scope.resolve(name)
            if kind == "global":
                def delete_global(fr: Frame) -> None:
                    glob = fr.glob
                    if name not in glob:
                        raise ProgramError(f"name '{name}' is not defined",
                                           exception="NameError")
                    journal = fr.rs.journal
                    if name not in journal:
                        journal[name] = glob[name]
                    del glob[name]
                return delete_global

            def delete_local(fr: Frame) -> None:
                space = fr.enclosing[index] if kind == "free" else fr.locals
                if name not in space:
                    raise ProgramError(f"cannot access local variable '{name}' where it is not "
                                       "associated with a value",
                                       exception="UnboundLocalError")
                del space[name]
            return delete_local
        if isinstance(target, list):
            parts = tuple(self._deleter(t, scope) for t in target)

            def delete_all(fr: Frame) -> None:
                for part in parts:
                    part(fr)
            return delete_all
        if "index" in target:
            obj = self.expr(target["index"], scope)
            key = self.key(target["key"], scope)

            def delete_item(fr: Frame) -> None:
                container = obj(fr)
                k = key(fr)
                try:
                    del container[k]
                except Exception as exc:
                    raise convert_exception(exc, "delitem", fr.rs.limits) from None
            return delete_item
        if "attr" in target:
            obj = self.expr(target["of"], scope)
            name = target["attr"]
            return lambda fr: del_attr(fr.rs, obj(fr), name)
        raise ProgramValidationError("cannot delete this target")

    # ------------------------------------------------------------------ control flow

    def _if(self, node: dict, pointer: str, scope: Scope, loop: bool, func: bool) -> Closure:
        cond = self.expr(node["if"], scope)
        then = self.block(node["then"], f"{pointer}/then", scope, loop=loop, func=func)
        orelse = self.block(node.get("else", []), f"{pointer}/else", scope, loop=loop,
                            func=func)

        def run(fr: Frame) -> Any:
            if cond(fr):
                return then(fr)
            return orelse(fr)

        return run

    def _while(self, node: dict, pointer: str, scope: Scope, loop: bool,
               func: bool) -> Closure:
        cond = self.expr(node["while"], scope)
        body = self.block(node["body"], f"{pointer}/body", scope, loop=True, func=func)
        orelse = self.block(node["else"], f"{pointer}/else", scope, loop=loop, func=func) \
            if node.get("else") else None

        def run(fr: Frame) -> Any:
            rs = fr.rs
            limit = rs.limits.max_loop_iterations
            n = 0
            while cond(fr):
                n += 1
                if n > limit:
                    raise loop_limit(rs, limit)
                rs.steps += 1
                if rs.steps >= rs.next_check:
                    rs.check()
                signal = body(fr)
                if signal is not None:
                    if signal is BREAK:
                        return None
                    if signal is RETURN:
                        return signal
            if orelse is not None:
                return orelse(fr)
            return None

        return run

    def _for(self, node: dict, pointer: str, scope: Scope, loop: bool, func: bool) -> Closure:
        iterable = self.expr(node["in"], scope)
        body = self.block(node["body"], f"{pointer}/body", scope, loop=True, func=func)
        orelse = self.block(node["else"], f"{pointer}/else", scope, loop=loop, func=func) \
            if node.get("else") else None
        target = node["for"]
        store = self.store(target, scope)
        name = target if isinstance(target, str) else None
        kind = scope.resolve(name)[0] if name is not None else None
        direct = kind in ("local", "class")  # the target is fr.locals[name]
        top = kind == "global" and name not in PREBOUND_ROOTS

        # one closure per kind of target, each without a test of the kind
        if direct:
            def run_local(fr: Frame) -> Any:
                rs = fr.rs
                limit = rs.limits.max_loop_iterations
                it = iterate(rs, iterable(fr))
                local = fr.locals
                for n, item in enumerate(it, 1):
                    if n > limit:
                        raise loop_limit(rs, limit)
                    rs.steps += 1
                    if rs.steps >= rs.next_check:
                        rs.check()
                    local[name] = item
                    signal = body(fr)
                    if signal is not None:
                        if signal is BREAK:
                            return None
                        if signal is RETURN:
                            return signal
                if orelse is not None:
                    return orelse(fr)
                return None

            return run_local
        if top:
            def run_global(fr: Frame) -> Any:
                rs = fr.rs
                limit = rs.limits.max_loop_iterations
                it = iterate(rs, iterable(fr))
                space = fr.glob
                for n, item in enumerate(it, 1):
                    if n > limit:
                        raise loop_limit(rs, limit)
                    rs.steps += 1
                    if rs.steps >= rs.next_check:
                        rs.check()
                    if n == 1:  # journaled once: the journal keeps it until the statement ends
                        journal = rs.journal
                        if name not in journal:
                            journal[name] = space.get(name, _MISSING)
                    space[name] = item
                    signal = body(fr)
                    if signal is not None:
                        if signal is BREAK:
                            return None
                        if signal is RETURN:
                            return signal
                if orelse is not None:
                    return orelse(fr)
                return None

            return run_global

        def run(fr: Frame) -> Any:
            rs = fr.rs
            limit = rs.limits.max_loop_iterations
            it = iterate(rs, iterable(fr))
            for n, item in enumerate(it, 1):
                if n > limit:
                    raise loop_limit(rs, limit)
                rs.steps += 1
                if rs.steps >= rs.next_check:
                    rs.check()
                store(fr, item)
                signal = body(fr)
                if signal is not None:
                    if signal is BREAK:
                        return None
                    if signal is RETURN:
                        return signal
            if orelse is not None:
                return orelse(fr)
            return None

        return run

    def _break(self, node: dict, pointer: str, scope: Scope, loop: bool,
               func: bool) -> Closure:
        return lambda fr: BREAK

    def _continue(self, node: dict, pointer: str, scope: Scope, loop: bool,
                  func: bool) -> Closure:
        return lambda fr: CONTINUE

    def _return(self, node: dict, pointer: str, scope: Scope, loop: bool,
                func: bool) -> Closure:
        value = self.expr(node["return"], scope)

        def run(fr: Frame) -> Any:
            fr.retval = value(fr)
            return RETURN

        return run

    def _declaration(self, node: dict, pointer: str, scope: Scope, loop: bool,
                     func: bool) -> Closure:
        return lambda fr: None  # global / nonlocal: decided when the scope was analysed

    # ------------------------------------------------------------------ with

    @staticmethod
    def _grad_mode(node: dict, scope: Scope) -> Any:
        """The grad mode a ``with`` statement sets with no manager value to keep
        (``with torch.no_grad():``), or None (also where ``torch`` is the program's own
        local)."""
        spec = node["with"]
        if scope.resolve("torch")[0] != "global":
            return None
        if isinstance(spec, str):
            return engine.no_grad if spec == "no_grad" else engine.enable_grad
        if isinstance(spec, dict) and spec.get("call") in (
                "torch.no_grad", "torch.enable_grad") and not spec.get("args") \
                and not spec.get("kwargs") and node.get("as") is None:
            return engine.no_grad if spec["call"] == "torch.no_grad" else engine.enable_grad
        return None

    def _manager(self, node: dict, scope: Scope) -> tuple[Closure, Any]:
        """(closure making the manager, a fixed grad mode for the fast path or None). With a
        mode, the closure is the general way, for a session that binds ``torch``."""
        spec = node["with"]
        if isinstance(spec, str):  # "no_grad": short for torch.no_grad()
            spec = {"call": f"torch.{spec}"}
        return self.expr(spec, scope), self._grad_mode(node, scope)

    def _managed(self, make: Closure, body: Closure, store: Any) -> Closure:
        """``with make() [as store]: body`` the general way."""

        def run(fr: Frame) -> Any:
            manager = make(fr)
            exit_ = enter_manager(fr, manager, store)
            try:
                signal = body(fr)
            except BaseException as exc:
                if exit_(exc):
                    return None
                raise
            exit_(None)
            return signal

        return run

    def _with(self, node: dict, pointer: str, scope: Scope, loop: bool, func: bool) -> Closure:
        make, mode = self._manager(node, scope)
        body = self.block(node["body"], f"{pointer}/body", scope, loop=loop, func=func)
        store = self.store(node["as"], scope) if node.get("as") is not None else None
        managed = self._managed(make, body, store)
        if mode is not None:
            enabled = mode is engine.enable_grad

            def run_mode(fr: Frame) -> Any:
                if calls.ROOTS_BOUND and "torch" in fr.glob:
                    return managed(fr)
                token = set_grad(enabled)
                try:
                    return body(fr)
                finally:
                    reset_grad(token)
            return run_mode
        return managed

    # ------------------------------------------------------------------ exceptions

    def _handlers(self, node: dict, pointer: str, scope: Scope, loop: bool, func: bool,
                  gen: bool) -> tuple:
        out = []
        for i, handler in enumerate(node.get("handlers", ())):
            kind = self.expr(handler["type"], scope) if handler.get("type") is not None \
                else None
            name = handler.get("as")
            store = self.store_name(name, scope) if name else None
            sub = f"{pointer}/handlers/{i}/body"
            body = self.gen_block(handler["body"], sub, scope, loop=loop) if gen else \
                self.block(handler["body"], sub, scope, loop=loop, func=func)
            out.append((kind, name, store, body))
        return tuple(out)

    def _try(self, node: dict, pointer: str, scope: Scope, loop: bool, func: bool) -> Closure:
        body = self.block(node["try"], f"{pointer}/try", scope, loop=loop, func=func)
        handlers = self._handlers(node, pointer, scope, loop, func, gen=False)
        orelse = self.block(node["else"], f"{pointer}/else", scope, loop=loop, func=func) \
            if node.get("else") else None
        final = self.block(node["finally"], f"{pointer}/finally", scope, loop=loop,
                           func=func) if node.get("finally") else None

        def attempt(fr: Frame) -> Any:
            try:
                signal = body(fr)
            except ProgramError as exc:
                handler = match_handler(fr, handlers, exc)
                if handler is None:
                    raise
                _, name, store, handler_body = handler
                rs = fr.rs
                rs.handling.append(exc)
                if store is not None:
                    store(fr, exception_of(exc))
                try:
                    return handler_body(fr)
                finally:
                    rs.handling.pop()
            if signal is None and orelse is not None:
                return orelse(fr)
            return signal

        if final is None:
            return attempt

        def run(fr: Frame) -> Any:
            try:
                signal = attempt(fr)
            except ProgramError:
                after = final(fr)
                if after is not None:
                    return after
                raise
            after = final(fr)
            return signal if after is None else after

        return run

    def _raise(self, node: dict, pointer: str, scope: Scope, loop: bool,
               func: bool) -> Closure:
        value = self.expr(node["raise"], scope) if node["raise"] is not None else None
        cause = self.expr(node["from"], scope) if node.get("from") is not None else None

        def run(fr: Frame) -> None:
            rs = fr.rs
            if value is None:
                if not rs.handling:
                    raise ProgramError("No active exception to reraise",
                                       exception="RuntimeError")
                raise rs.handling[-1]
            raise raised(exception_value(rs, value(fr)),
                         None if cause is None else cause(fr))

        return run

    def _assert(self, node: dict, pointer: str, scope: Scope, loop: bool,
                func: bool) -> Closure:
        test = self.expr(node["assert"], scope)
        msg = self.expr(node["msg"], scope) if node.get("msg") is not None else None

        def run(fr: Frame) -> None:
            if not test(fr):
                from .exceptions import BUILTIN_EXCEPTIONS

                args = () if msg is None else (msg(fr),)
                raise raised(instantiate(fr.rs, BUILTIN_EXCEPTIONS["AssertionError"], args,
                                         {}))

        return run

    # ------------------------------------------------------------------ imports

    def _import(self, node: dict, pointer: str, scope: Scope, loop: bool,
                func: bool) -> Closure:
        path = node["import"]
        full = canonical(path)
        alias = node.get("as")
        store = self.store_name(alias or path.split(".", 1)[0], scope)
        if full not in MODULES:
            def fail(fr: Frame) -> None:
                raise missing_module(full, path)
            return fail
        value = LibModule(full if alias else canonical(path.split(".", 1)[0]))
        return lambda fr: store(fr, value)

    def _from_import(self, node: dict, pointer: str, scope: Scope, loop: bool,
                     func: bool) -> Closure:
        module = node["from_import"]
        full = canonical(module)
        bindings = []
        for entry in node["names"]:
            name, alias = (entry, entry) if isinstance(entry, str) else entry
            bindings.append((name, self.store_name(alias, scope)))

        def run(fr: Frame) -> None:
            if full not in MODULES:
                raise missing_module(full, module)
            for name, store in bindings:
                value = member(full, name)
                if value is LIB_MISSING:
                    raise missing_import(full, name, f"{module}.{name}")
                store(fr, value)

        return run

    # ------------------------------------------------------------------ generators

    def gen_stmt(self, node: dict, pointer: str, scope: Scope, *, loop: bool) -> Closure:
        """A statement with a ``yield`` in a generator's body, as a generator function."""
        if statement_holds_yield(node):
            return self._gen_lowered(node, pointer, scope, loop=loop)
        if "yield" in node:
            value = self.expr(node["yield"], scope)
            unit = self.unit
            if node.get("to") is not None:
                return self._yield_to(value, self.store(node["to"], scope), pointer)

            def run_yield(fr: Frame) -> Any:  # gen_counted around ``yield value``, in one
                rs = fr.rs
                rs.steps += 1
                if rs.steps >= rs.next_check:
                    rs.check()
                try:
                    yield value(fr)
                except Exception as exc:
                    raise located(exc, unit, pointer, fr.rs.limits) from None
            run_yield.parts = (value, unit, pointer)  # type: ignore[attr-defined]  # gen_block
            return run_yield
        if "yield_from" in node:
            source = self.expr(node["yield_from"], scope)
            to = self.store(node["to"], scope) if node.get("to") is not None else None

            def run_yield_from(fr: Frame) -> Any:
                result = yield from iterate(fr.rs, source(fr))
                if to is not None:
                    to(fr, result)
            return self.gen_counted(run_yield_from, pointer)
        if "if" in node:
            cond = self.expr(node["if"], scope)
            then = self.gen_block(node["then"], f"{pointer}/then", scope, loop=loop)
            orelse = self.gen_block(node.get("else", []), f"{pointer}/else", scope, loop=loop)

            def run_if(fr: Frame) -> Any:
                return (yield from (then if cond(fr) else orelse)(fr))
            return self.gen_counted(run_if, pointer)
        if "while" in node:
            return self.gen_counted(self._gen_while(node, pointer, scope, loop), pointer)
        if "for" in node:
            return self.gen_counted(self._gen_for(node, pointer, scope, loop), pointer)
        if "with" in node:
            return self.gen_counted(self._gen_with(node, pointer, scope, loop), pointer)
        if "try" in node:
            return self.gen_counted(self._gen_try(node, pointer, scope, loop), pointer)
        if "match" in node:
            return self.gen_counted(self._gen_match(node, pointer, scope, loop), pointer)
        raise invalid(pointer, "'yield' cannot appear in this statement")  # pragma: no cover

    def _gen_lowered(self, node: dict, pointer: str, scope: Scope, *, loop: bool) -> Closure:
        """A statement whose expressions hold a ``yield`` (``total += (yield x)``), lowered
        (:mod:`app.lang.yield_lowering`): what it evaluates before each yield goes into
        hidden locals (``.0`` ...), dropped when the statement is done; the statements that
        lowering makes are located at the statement itself."""
        bound = scope.bound
        temps: list[str] = []

        def temp() -> str:
            name = f".{sum(1 for b in bound if b[:1] == '.')}"
            bound.add(name)
            temps.append(name)
            return name

        try:
            pre, main = Lowering(temp).statement(node)
        except ProgramValidationError as exc:
            raise invalid(pointer, exc.detail) from None
        at = f"{pointer}/.lowered"
        parts = tuple((has_yield(s), self.gen_stmt(s, at, scope, loop=loop) if has_yield(s)
                       else self.stmt(s, at, scope, loop=loop, func=True)) for s in pre)
        unit = self.unit
        names = tuple(temps)

        def before(fr: Frame) -> Any:
            try:
                for is_gen, part in parts:
                    if is_gen:
                        yield from part(fr)
                    else:
                        part(fr)
            except Exception as exc:
                for i, (u, p) in enumerate(exc.__dict__.get("trace", ())):
                    if u == unit and (p == at or p.startswith(at + "/")):
                        exc.__dict__["trace"][i] = (u, pointer)
                raise

        if "while" in main:
            run = self.gen_counted(self._gen_while(main, pointer, scope, loop, before=before),
                                   pointer)
            main_gen = True
        else:
            main_gen = has_yield(main)
            run = self.gen_stmt(main, pointer, scope, loop=loop) if main_gen else \
                self.stmt(main, pointer, scope, loop=loop, func=True)

        def run_lowered(fr: Frame) -> Any:
            try:
                if "while" not in main:
                    yield from before(fr)
                if main_gen:
                    return (yield from run(fr))
                return run(fr)
            finally:
                local = fr.locals
                for name in names:
                    local.pop(name, None)

        return run_lowered

    def _yield_to(self, value: Closure, store: Store, pointer: str) -> Closure:
        """``target = yield value``: the target gets what the generator is resumed with."""
        unit = self.unit

        def run_yield_to(fr: Frame) -> Any:
            rs = fr.rs
            rs.steps += 1
            if rs.steps >= rs.next_check:
                rs.check()
            try:
                store(fr, (yield value(fr)))
            except Exception as exc:
                raise located(exc, unit, pointer, fr.rs.limits) from None
        return run_yield_to

    def _gen_while(self, node: dict, pointer: str, scope: Scope, loop: bool,
                   before: Closure | None = None) -> Closure:
        """``before``: what a lowered test (``while (yield) is not None``) runs before each
        evaluation of it."""
        cond = self.expr(node["while"], scope)
        body = self.gen_block(node["body"], f"{pointer}/body", scope, loop=True)
        orelse = self.gen_block(node.get("else", []), f"{pointer}/else", scope, loop=loop)

        def run(fr: Frame) -> Any:
            n = 0
            while True:
                if before is not None:
                    yield from before(fr)
                if not cond(fr):
                    break
                rs = fr.rs
                n += 1
                if n > rs.limits.max_loop_iterations:
                    raise loop_limit(rs, rs.limits.max_loop_iterations)
                rs.steps += 1
                if rs.steps >= rs.next_check:
                    rs.check()
                signal = yield from body(fr)
                if signal is BREAK:
                    return None
                if signal is RETURN:
                    return signal
            return (yield from orelse(fr))

        return run

    def _gen_for(self, node: dict, pointer: str, scope: Scope, loop: bool) -> Closure:
        iterable = self.expr(node["in"], scope)
        body = self.gen_block(node["body"], f"{pointer}/body", scope, loop=True)
        orelse = self.gen_block(node.get("else", []), f"{pointer}/else", scope, loop=loop)
        store = self.store(node["for"], scope)

        def run(fr: Frame) -> Any:
            it = iterate(fr.rs, iterable(fr))
            n = 0
            for item in it:
                rs = fr.rs
                n += 1
                if n > rs.limits.max_loop_iterations:
                    raise loop_limit(rs, rs.limits.max_loop_iterations)
                rs.steps += 1
                if rs.steps >= rs.next_check:
                    rs.check()
                store(fr, item)
                signal = yield from body(fr)
                if signal is BREAK:
                    return None
                if signal is RETURN:
                    return signal
            return (yield from orelse(fr))

        return run

    def _gen_with(self, node: dict, pointer: str, scope: Scope, loop: bool) -> Closure:
        make, mode = self._manager(node, scope)
        body = self.gen_block(node["body"], f"{pointer}/body", scope, loop=loop)
        store = self.store(node["as"], scope) if node.get("as") is not None else None

        def run(fr: Frame) -> Any:
            manager = mode() if mode is not None and not (
                calls.ROOTS_BOUND and "torch" in fr.glob) else make(fr)
            exit_ = enter_manager(fr, manager, store)
            try:
                signal = yield from body(fr)
            except BaseException as exc:
                if exit_(exc):
                    return None
                raise
            exit_(None)
            return signal

        return run

    def _gen_try(self, node: dict, pointer: str, scope: Scope, loop: bool) -> Closure:
        body = self.gen_block(node["try"], f"{pointer}/try", scope, loop=loop)
        handlers = self._handlers(node, pointer, scope, loop, True, gen=True)
        orelse = self.gen_block(node.get("else", []), f"{pointer}/else", scope, loop=loop)
        final = self.gen_block(node.get("finally", []), f"{pointer}/finally", scope,
                               loop=loop) if node.get("finally") else None

        def attempt(fr: Frame) -> Any:
            try:
                signal = yield from body(fr)
            except ProgramError as exc:
                handler = match_handler(fr, handlers, exc)
                if handler is None:
                    raise
                _, name, store, handler_body = handler
                fr.rs.handling.append(exc)
                if store is not None:
                    store(fr, exception_of(exc))
                try:
                    return (yield from handler_body(fr))
                finally:
                    # resumed by a later run, the generator left its handler there: that
                    # run's stack has not got this exception
                    handling = fr.rs.handling
                    if handling and handling[-1] is exc:
                        handling.pop()
            if signal is None:
                return (yield from orelse(fr))
            return signal

        def run(fr: Frame) -> Any:
            if final is None:
                return (yield from attempt(fr))
            try:
                signal = yield from attempt(fr)
            except ProgramError:
                after = yield from final(fr)
                if after is not None:
                    return after
                raise
            after = yield from final(fr)
            return signal if after is None else after

        return run

    # ------------------------------------------------------------------ match

    def _match_selector(self, node: dict, pointer: str, scope: Scope) -> Closure:
        """``fr -> i``: the index of the case whose pattern matches the subject and whose
        guard holds (its names bound), or -1."""
        check_cases(node["cases"])
        subject = self.expr(node["match"], scope)
        patterns = PatternCompiler(self, scope)
        cases = []
        for case in node["cases"]:
            matcher, stores = patterns.case(case["pattern"])
            guard = self.expr(case["guard"], scope) if case.get("guard") is not None else None
            cases.append((matcher, stores, guard))
        cases_t = tuple(cases)

        def select(fr: Frame) -> int:
            value = subject(fr)
            for i, (matcher, stores, guard) in enumerate(cases_t):
                caps: dict = {}
                if not matcher(fr, value, caps):
                    continue
                for name, store in stores:
                    store(fr, caps[name])
                if guard is None or guard(fr):
                    return i
            return -1

        return select

    def _match(self, node: dict, pointer: str, scope: Scope, loop: bool,
               func: bool) -> Closure:
        select = self._match_selector(node, pointer, scope)
        bodies = tuple(self.block(case["body"], f"{pointer}/cases/{i}/body", scope, loop=loop,
                                  func=func) for i, case in enumerate(node["cases"]))

        def run(fr: Frame) -> Any:
            i = select(fr)
            return bodies[i](fr) if i >= 0 else None

        return run

    def _gen_match(self, node: dict, pointer: str, scope: Scope, loop: bool) -> Closure:
        select = self._match_selector(node, pointer, scope)
        bodies = tuple(self.gen_block(case["body"], f"{pointer}/cases/{i}/body", scope,
                                      loop=loop) for i, case in enumerate(node["cases"]))

        def run(fr: Frame) -> Any:
            i = select(fr)
            if i < 0:
                return None
            return (yield from bodies[i](fr))

        return run

    _STATEMENTS: dict[str, Any] = {
        "match": _match, "setitem": _setitem, "setattr": _setattr, "expr": _expr, "if": _if,
        "while": _while,
        "for": _for, "break": _break, "continue": _continue, "return": _return,
        "with": _with, "try": _try, "raise": _raise, "assert": _assert,
        "global": _declaration, "nonlocal": _declaration, "delete": _delete,
        "import": _import, "from_import": _from_import,
    }


# --------------------------------------------------------------------------- helpers

def get_item(rs: RunState, obj: Any, key: Any) -> Any:
    """``obj[key]`` read (what an ``index`` expression does with its values)."""
    try:
        return obj[key]
    except LangError:
        raise
    except Exception as exc:
        return index_retry(obj, key, exc, rs.limits)


def set_item(rs: RunState, obj: Any, key: Any, value: Any) -> None:
    """``obj[key] = value`` (tensors in place, lists, dicts, objects with ``__setitem__``)."""
    from .guards import size_guard

    try:
        if isinstance(obj, list) and isinstance(key, slice):
            from .methods import materialize

            value = materialize(rs, value, "a list")
            size_guard(rs, len(obj) + len(value), "a list")
        elif isinstance(obj, dict) and key not in obj:
            size_guard(rs, len(obj) + 1, "a dict")
        elif isinstance(obj, engine.Tensor):
            np_key = tensor_key(key)  # NumPy arrays index as torch reads them
            if np_key is not None:
                key = np_key
        obj[key] = value
    except Exception as exc:
        raise convert_exception(exc, "setitem", rs.limits) from None


def match_handler(fr: Frame, handlers: tuple, exc: ProgramError) -> Any:
    if not catchable(exc):
        return None
    value = None
    for handler in handlers:
        kind = handler[0]
        if kind is None:
            return handler
        spec = kind(fr)
        if value is None:
            value = exception_of(exc)
        if exception_matches(value, spec):
            return handler
    return None


def exception_matches(value: Any, spec: Any) -> bool:
    specs = spec if isinstance(spec, tuple) else (spec,)
    for cls in specs:
        if not is_exception_class(cls):
            raise ProgramError("catching classes that do not inherit from BaseException is "
                               "not allowed", exception="TypeError")
        if cls in user_class_of(value).mro:
            return True
    return False


def exception_value(rs: RunState, value: Any) -> Any:
    """What ``raise value`` raises: an exception object (a class is instantiated)."""
    if is_exception_class(value):
        return instantiate(rs, value, (), {})
    if is_exception(value):
        return value
    raise ProgramError("exceptions must derive from BaseException", exception="TypeError")


def enter_manager(fr: Frame, manager: Any, store: Store | None) -> Callable[[Any], bool]:
    """Enter a context manager; return its exit, called with the exception (or None) and
    answering whether the exception is suppressed."""
    rs = fr.rs
    if isinstance(manager, Instance):
        enter = manager.cls.lookup("__enter__")
        leave = manager.cls.lookup("__exit__")
        if enter is None or leave is None:
            raise ProgramError(f"'{manager.cls.name}' object does not support the context "
                               "manager protocol", exception="TypeError")
        value = call_special(rs, manager, enter, ())
        if store is not None:
            store(fr, value)

        def exit_user(exc: Any) -> bool:
            if exc is None:
                call_special(rs, manager, leave, (None, None, None))
                return False
            if not isinstance(exc, ProgramError):
                return False  # a limit: no user code runs after it
            value = exception_of(exc)
            return bool(call_special(rs, manager, leave, (value.cls, value, None)))

        return exit_user
    from .library import admit, is_library_object

    if type(manager) is CatchWarnings:  # ``warnings.catch_warnings()``
        try:
            manager.enter(rs)
        except RuntimeError as exc:
            raise ProgramError(str(exc), exception="RuntimeError") from None
        if store is not None:
            store(fr, None)

        def exit_warnings(exc: Any) -> bool:
            manager.exit(rs)
            return False

        return exit_warnings
    if not (is_library_object(manager) and hasattr(type(manager), "__enter__")
            and hasattr(type(manager), "__exit__")):
        from .values import type_name

        raise ProgramError(f"'{type_name(manager)}' object does not support the context "
                           "manager protocol", exception="TypeError")
    try:
        value = admit(manager.__enter__())
    except Exception as exc:
        raise convert_exception(exc, "__enter__", rs.limits) from None
    if store is not None:
        store(fr, value)

    def exit_library(exc: Any) -> bool:
        if exc is None or not isinstance(exc, ProgramError):
            manager.__exit__(None, None, None)
            return False
        return bool(manager.__exit__(type(exc), exc, None))

    return exit_library



def straight_body(compiled: tuple) -> Entry | None:
    """A function body of plain statements (assignments, unpacking and expression
    statements, each compiled by ``counted_value``: none breaks, continues or returns) and
    an optional final ``return value``, as the call's entry (:func:`straight_entry`): the
    statements run one after another with no signal to test and the value comes back with no
    stop in ``frame.retval``. Each statement closure counts its own step and locates its own
    error (a general ``return value``'s step and location are the entry's, in the same
    order), so steps, checks and errors are those of the statement loop. None for any other
    body."""
    *plain, last = compiled
    if not all(getattr(s, "plain", False) for s in plain):
        return None
    final = ret = None
    if getattr(last, "plain", False):
        plain.append(last)
    elif getattr(last, "returning", False) and getattr(last, "value", None) is not None:
        ret = getattr(last, "parts", None)  # a general ``return value``: run inline
        if ret is None:
            final = last.value  # ``return torch.tanh(x)``: its fused closure
    else:
        return None
    return straight_entry(tuple(plain), final, ret)


#: How a call enters a user function's body: ``enter(rs, func, locals)`` -> the call's value
#: (``values.Code.enter``).
Entry = Callable[[RunState, Any, dict], Any]


_enter_return = framed_entry("enter_return(pre, value, fast, unit, pointer)",
                             "enter_return(rs, func, local)", RETURN_BODY,
                             scope={"located": located})
_enter_final = framed_entry("enter_final(pre, final)", "enter_final(rs, func, local)", """\
    for stmt in pre:
        stmt(frame)
    return final(frame)
""")
#: the entries of a body that is its final ``return`` alone (no loop over no statements)
_enter_return_alone = framed_entry("enter_return_alone(value, fast, unit, pointer)",
                                   "enter_return_alone(rs, func, local)", RETURN_ALONE,
                                   scope={"located": located})
_enter_final_alone = framed_entry("enter_final_alone(final)",
                                  "enter_final_alone(rs, func, local)", """\
    return final(frame)
""")
_enter_plain = framed_entry("enter_plain(pre)", "enter_plain(rs, func, local)", """\
    for stmt in pre:
        stmt(frame)
""", after="return None")


def straight_entry(pre: tuple, final: Closure | None,
                   ret: tuple | None = None) -> Entry:
    """The entry of a straight body (:func:`straight_body`; a lambda: ``final`` alone): in
    one Python call, what :func:`values.invoke_bound` does (the frame linked to the caller's
    under the depth limit, ``runtime.framed_entry``) and the body: the statements ``pre``,
    then ``final(frame)`` (the call's value; None without it) or, ``ret`` = (value, fast,
    unit, pointer), a ``return value`` statement's step, local read and location inline
    (``runtime.RETURN_BODY``)."""
    if ret is not None:
        enter = _enter_return(pre, *ret) if pre else _enter_return_alone(*ret)
        enter.parts = (pre, ret)  # custom_functions._straight_runner2
        return enter
    if final is not None:
        return _enter_final(pre, final) if pre else _enter_final_alone(final)
    return _enter_plain(pre)
