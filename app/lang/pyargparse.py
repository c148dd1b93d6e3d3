"""``argparse``: the subset training scripts use, run by CPython's own ``argparse`` over a list
of strings the program gives (a service has no command line: ``parse_args()`` with no list
parses an empty one, so every argument takes its default).

``ArgumentParser(prog=, description=, epilog=, usage=, add_help=, allow_abbrev=,
formatter_class=, argument_default=, prefix_chars=, conflict_handler=)`` (``prog`` defaults to
``main.py``, the help is formatted 78 columns wide, as CPython's without a terminal),
``add_argument`` (``action`` by name: ``store``, ``store_true``, ``store_false``,
``store_const``, ``append``, ``append_const``, ``count``, ``extend``, ``help``;
``type`` a program's function or a builtin type, run as the program's call; ``default``,
``choices``, ``nargs``, ``required``, ``help``, ``metavar``, ``dest``, ``const``),
``add_argument_group``, ``add_mutually_exclusive_group``, ``set_defaults``, ``get_default``,
``parse_args``, ``parse_known_args``, ``format_help``/``print_help``, ``format_usage``/
``print_usage``, ``error``. What argparse writes (help, usage, errors) goes to the run's
printed lines; its exits are the language's ``SystemExit`` (``-h`` ends the run as a script
ends, an error is ``SystemExit: 2`` after argparse's message). ``Namespace`` objects are the
language's. Sub-commands: ``add_subparsers`` (``dest``, ``title``, ``help``, ``required``,
``metavar``) and its ``add_parser`` (``aliases``, ``help`` and a parser's own keywords), with
``set_defaults(func=...)`` as scripts dispatch. Out: ``FileType`` and
``fromfile_prefix_chars`` (files), custom ``Action`` classes (and ``parser_class=``,
``action=`` of ``add_subparsers``), ``exit_on_error=False``.
"""

from __future__ import annotations

import argparse
from typing import Any

from .errors import LangError, ProgramError
from .exceptions import BUILTIN_EXCEPTIONS, exception_of, raised
from .runtime import RunState, current_rs
from .values import (
    LIBRARY_CLASS_MODULES,
    BuiltinType,
    NativeMethod,
    UserClass,
    new_instance,
    user_class_of,
)

WIDTH = 78
_ACTIONS = frozenset({"store", "store_true", "store_false", "store_const", "append",
                      "append_const", "count", "extend", "help"})


def _formatter(base: type) -> type:
    return type(base.__name__, (base,), {
        "__init__": lambda self, prog, indent_increment=2, max_help_position=24, width=None:
        base.__init__(self, prog, indent_increment, max_help_position, WIDTH)})


FORMATTERS = {base: _formatter(base) for base in (
    argparse.HelpFormatter, argparse.ArgumentDefaultsHelpFormatter,
    argparse.RawDescriptionHelpFormatter, argparse.RawTextHelpFormatter,
    argparse.MetavarTypeHelpFormatter)}


class _Exit(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


class _Parser(argparse.ArgumentParser):
    """CPython's parser, writing to the run's printed lines and exiting by an exception."""

    def _print_message(self, message: str, file: Any = None) -> None:
        if message:
            rs = current_rs()
            *lines, last = message.split("\n")
            for line in lines:
                rs.write(line, "\n")
            if last:
                rs.write(last, "")

    def exit(self, status: int = 0, message: str | None = None) -> Any:
        if message:
            self._print_message(message)
        raise _Exit(status)


AGROUP_TYPES = (argparse._ArgumentGroup, argparse._MutuallyExclusiveGroup)


class ArgParser:
    """A program's ``argparse.ArgumentParser`` (or an argument group of one)."""

    __slots__ = ("parser", "kind")

    def __init__(self, parser: Any, kind: str) -> None:
        self.parser, self.kind = parser, kind

    def __repr__(self) -> str:
        if self.kind == "_SubParsersAction":
            a = self.parser
            choices = ", ".join(f"{k!r}: {ArgParser(v, 'ArgumentParser')!r}"
                                for k, v in a.choices.items())
            return (f"_SubParsersAction(option_strings=[], dest={a.dest!r}, nargs='A...', "
                    f"const=None, default=None, type=None, choices={{{choices}}}, "
                    f"required={a.required!r}, help={a.help!r}, metavar={a.metavar!r})")
        if self.kind == "ArgumentParser":
            p = self.parser
            return (f"ArgumentParser(prog={p.prog!r}, usage={p.usage!r}, description="
                    f"{p.description!r}, formatter_class=<class 'argparse."
                    f"{p.formatter_class.__name__}'>, conflict_handler="
                    f"{p.conflict_handler!r}, add_help={p.add_help!r})")
        return f"<argparse.{self.kind} object>"


ArgParser.__module__ = "argparse"


def _exiting(rs: RunState, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run an argparse call; its exit is the language's ``SystemExit``, its errors Python's."""
    try:
        return fn(*args, **kwargs)
    except _Exit as done:
        exc = new_instance(BUILTIN_EXCEPTIONS["SystemExit"])
        exc.attrs["args"] = (done.status,)
        exc.attrs["code"] = done.status
        raise raised(exc) from None
    except LangError:
        raise
    except (TypeError, ValueError) as exc:
        raise ProgramError(str(exc), exception=type(exc).__name__) from None
    except argparse.ArgumentError as exc:
        raise ProgramError(str(exc), exception="ArgumentError") from None


def _parser_options(what: str, formatter_class: Any = None, fromfile_prefix_chars: Any = None,
                    exit_on_error: bool = True, parents: Any = None,
                    **kwargs: Any) -> dict[str, Any]:
    """The keywords of a new parser (``ArgumentParser(...)``, ``subparsers.add_parser(...)``)
    as CPython's argparse takes them, what reads files or changes exiting refused."""
    if fromfile_prefix_chars is not None:
        raise ProgramError(f"{what}(fromfile_prefix_chars=...) is not supported: a "
                           "program reads no files", exception="TypeError")
    if not exit_on_error:
        raise ProgramError(f"{what}(exit_on_error=False) is not supported",
                           exception="TypeError")
    base = argparse.HelpFormatter if formatter_class is None else \
        getattr(formatter_class, "pytype", None)
    if base not in FORMATTERS:
        raise ProgramError(f"{what}(formatter_class=...) takes argparse's help "
                           "formatters only", exception="TypeError")
    parent_parsers = [p.parser for p in parents or ()
                      if isinstance(p, ArgParser) and p.kind == "ArgumentParser"]
    return {**kwargs, "formatter_class": FORMATTERS[base], "parents": parent_parsers}


def _new_parser(rs: RunState, *args: Any, **kwargs: Any) -> ArgParser:
    options = _parser_options("ArgumentParser", **kwargs)
    options.setdefault("prog", "main.py")
    return ArgParser(_exiting(rs, _Parser, *args, **options), "ArgumentParser")


def _kind_of(self: ArgParser, kind: str, name: str) -> None:
    if self.kind != kind:
        raise ProgramError(f"'{self.kind}' object has no attribute '{name}'",
                           exception="AttributeError")


def _add_subparsers(rs: RunState, self: ArgParser, **kwargs: Any) -> ArgParser:
    """``parser.add_subparsers(dest=, title=, description=, help=, required=, metavar=,
    prog=)``: CPython's sub-commands; the parsers it adds are this parser's kind."""
    _kind_of(self, "ArgumentParser", "add_subparsers")
    for refused in ("parser_class", "action"):
        if refused in kwargs:
            raise ProgramError(f"add_subparsers({refused}=...) is not supported",
                               exception="TypeError")
    return ArgParser(_exiting(rs, self.parser.add_subparsers, **kwargs), "_SubParsersAction")


def _add_parser(rs: RunState, self: ArgParser, name: Any, **kwargs: Any) -> ArgParser:
    """``subparsers.add_parser('train', help=, aliases=, ...)``: a parser of its own, its
    ``set_defaults(func=train)`` what the parsed namespace carries."""
    _kind_of(self, "_SubParsersAction", "add_parser")
    options = _parser_options("add_parser", **kwargs)
    return ArgParser(_exiting(rs, self.parser.add_parser, name, **options), "ArgumentParser")


class _TypeCall:
    """A program's ``type=`` as argparse calls it: the program's call; its ``ValueError`` /
    ``TypeError`` / ``ArgumentTypeError`` as argparse expects them."""

    def __init__(self, fn: Any) -> None:
        from .objects import name_of

        self.fn = fn
        try:
            self.__name__ = name_of(fn)
        except ProgramError:
            self.__name__ = repr(fn)

    def __call__(self, text: str) -> Any:
        from .objects import call_value

        try:
            return call_value(current_rs(), self.fn, (text,), {})
        except ProgramError as err:
            value = exception_of(err)
            cls = user_class_of(value)
            if cls is not None and ARGUMENT_TYPE_ERROR in cls.mro:
                raise argparse.ArgumentTypeError(str(err)) from None
            if cls is not None and (BUILTIN_EXCEPTIONS["ValueError"] in cls.mro or
                                    BUILTIN_EXCEPTIONS["TypeError"] in cls.mro):
                raise ValueError(str(err)) from None
            raise

    def __repr__(self) -> str:
        return repr(self.fn)


def _add_argument(rs: RunState, self: ArgParser, *names: Any, **kwargs: Any) -> None:
    action = kwargs.get("action", "store")
    if not isinstance(action, str) or action not in _ACTIONS:
        raise ProgramError(f"add_argument(action={action!r}) is not supported: actions are "
                           f"named ({', '.join(sorted(_ACTIONS))})", exception="ValueError")
    if "type" in kwargs and kwargs["type"] is not None:
        kind = kwargs["type"]
        kwargs["type"] = _TypeCall(kind)
    for name in names:
        if not isinstance(name, str):
            raise ProgramError("add_argument() names must be strings", exception="TypeError")
    _exiting(rs, self.parser.add_argument, *names, **kwargs)


def _namespace(values: dict) -> Any:
    ns = new_instance(NAMESPACE)
    ns.attrs.update(values)
    return ns


def _argv(rs: RunState, args: Any) -> list[str]:
    from .methods import materialize

    if args is None:
        return []  # a service has no command line
    items = materialize(rs, args, "parse_args()")
    return list(items)


def _parse_args(rs: RunState, self: ArgParser, args: Any = None, namespace: Any = None) -> Any:
    known, extra = _parse_known(rs, self, args, namespace)
    if extra:
        _exiting(rs, self.parser.error, f"unrecognized arguments: {' '.join(extra)}")
    return known


def _parse_known(rs: RunState, self: ArgParser, args: Any = None,
                 namespace: Any = None) -> tuple:
    argv = _argv(rs, args)
    start = argparse.Namespace(**(namespace.attrs if namespace is not None else {}))
    parsed, extra = _exiting(rs, self.parser.parse_known_args, argv, start)
    if namespace is not None:
        namespace.attrs.update(vars(parsed))
        return namespace, extra
    return _namespace(vars(parsed)), extra


def _group(kind: str, method: str) -> Any:
    def make(rs: RunState, self: ArgParser, *args: Any, **kwargs: Any) -> ArgParser:
        return ArgParser(_exiting(rs, getattr(self.parser, method), *args, **kwargs), kind)
    return make


def _text(method: str) -> Any:
    return lambda rs, self: _exiting(rs, getattr(self.parser, method))


def _print(method: str) -> Any:
    return lambda rs, self, file=None: _exiting(rs, getattr(self.parser, method))


METHODS: dict[str, Any] = {
    "add_argument": _add_argument,
    "add_argument_group": _group("_ArgumentGroup", "add_argument_group"),
    "add_mutually_exclusive_group": _group("_MutuallyExclusiveGroup",
                                           "add_mutually_exclusive_group"),
    "parse_args": _parse_args, "parse_known_args": _parse_known,
    "add_subparsers": _add_subparsers, "add_parser": _add_parser,
    "set_defaults": lambda rs, self, **kw: _exiting(rs, self.parser.set_defaults, **kw),
    "get_default": lambda rs, self, dest: _exiting(rs, self.parser.get_default, dest),
    "format_help": _text("format_help"), "format_usage": _text("format_usage"),
    "print_help": _print("print_help"), "print_usage": _print("print_usage"),
    "error": lambda rs, self, message: _exiting(rs, self.parser.error, message),
}


def _namespace_init(rs: RunState, self: Any, **kwargs: Any) -> None:
    self.attrs.update(kwargs)


def _namespace_repr(rs: RunState, self: Any) -> str:
    from .builtins import BUILTINS

    parts = [f"{k}={BUILTINS['repr'](rs, v)}" if k.isidentifier() else
             f"**{{{k!r}: {BUILTINS['repr'](rs, v)}}}" for k, v in self.attrs.items()]
    return f"Namespace({', '.join(parts)})"


def _namespace_eq(rs: RunState, self: Any, other: Any) -> bool:
    return user_class_of(other) is NAMESPACE and self.attrs == other.attrs


def _namespace_contains(rs: RunState, self: Any, key: Any) -> bool:
    return key in self.attrs


NAMESPACE = UserClass("Namespace", "Namespace", (), {
    "__init__": NativeMethod("__init__", _namespace_init),
    "__repr__": NativeMethod("__repr__", _namespace_repr),
    "__eq__": NativeMethod("__eq__", _namespace_eq),
    "__contains__": NativeMethod("__contains__", _namespace_contains)}, builtin=True)
ARGUMENT_TYPE_ERROR = UserClass("ArgumentTypeError", "ArgumentTypeError",
                                (BUILTIN_EXCEPTIONS["Exception"],), {}, builtin=True)
for _name in ("Namespace", "ArgumentTypeError"):
    LIBRARY_CLASS_MODULES[_name] = "argparse."

ARGPARSE: dict[str, Any] = {
    "ArgumentParser": BuiltinType("ArgumentParser", _new_parser, ArgParser),
    "Namespace": NAMESPACE, "ArgumentTypeError": ARGUMENT_TYPE_ERROR,
    "SUPPRESS": argparse.SUPPRESS,
    **{base.__name__: BuiltinType(base.__name__, lambda rs, *a, **k: None, base)
       for base in FORMATTERS}}
