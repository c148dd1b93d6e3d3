"""The JSON form of a program (SPEC §2) as pydantic v2 models.

Statements and expressions are tagged unions whose tag is the key that is present
(``{"assign": ...}`` is an assignment, ``{"call": ...}`` a call), so a wrong program gets one
precise error. ``Program.model_json_schema()`` is the schema ``GET /v1/schema`` publishes.
Every construct of the source form has one canonical node here; ``app/lang/README.md`` lists
them with the Python each one stands for.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    RootModel,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    Tag,
)
from typing_extensions import TypeAliasType

_IDENT = r"(?:[A-Za-z][A-Za-z0-9_]*|_(?:[A-Za-z0-9][A-Za-z0-9_]*)?)"  # no leading "__"
NAME_PATTERN = rf"^{_IDENT}$"
CALL_NAME_PATTERN = rf"^{_IDENT}(?:\.{_IDENT})*$"

#: Special methods a class may define (and the interpreter calls); no other dunder exists.
SPECIAL_METHODS = (
    "__init__", "__call__", "__repr__", "__str__", "__len__", "__getitem__", "__setitem__",
    "__delitem__", "__contains__", "__iter__", "__next__", "__enter__", "__exit__", "__eq__",
    "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__hash__", "__bool__", "__add__",
    "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
    "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__pow__", "__rpow__",
    "__matmul__", "__rmatmul__", "__and__", "__rand__", "__or__", "__ror__", "__xor__",
    "__rxor__", "__lshift__", "__rlshift__", "__rshift__", "__rrshift__", "__neg__", "__pos__",
    "__abs__", "__invert__", "__iadd__", "__isub__", "__imul__", "__itruediv__",
    "__ifloordiv__", "__imod__", "__ipow__", "__imatmul__", "__float__", "__int__",
    "__index__", "__format__", "__post_init__",
)
#: Dunder attributes a program may read, never write: a value's class (``x.__class__``), a
#: class's or function's names and a user function's or class's docstring. None of them leads
#: to Python's internals (see :func:`app.lang.objects.dunder_attr`).
READ_DUNDERS = ("__class__", "__name__", "__qualname__", "__doc__", "__version__",
                "__members__")
#: Dunder attributes a program may name: those, and ``__init__`` (``super().__init__(...)``).
ATTR_DUNDERS = ("__init__", *READ_DUNDERS)
_SPECIAL = "|".join(name[2:-2] for name in SPECIAL_METHODS)
DEF_NAME_PATTERN = rf"^(?:{_IDENT}|__(?:{_SPECIAL})__)$"
ATTR_NAME_PATTERN = rf"^(?:{_IDENT}|{'|'.join(ATTR_DUNDERS)})$"
#: A method call's name may also be a special method (``self.__getitem__(k)``), which runs only
#: where a program's class defines it (:func:`app.lang.objects.special_method_call`).
METHOD_NAME_PATTERN = rf"^(?:{_IDENT}|{'|'.join(READ_DUNDERS)}|__(?:{_SPECIAL})__)$"

Name = Annotated[
    str,
    Field(pattern=NAME_PATTERN, max_length=128,
          description="A variable or function name (a Python identifier, not a dunder)."),
]
DefName = Annotated[
    str,
    Field(pattern=DEF_NAME_PATTERN, max_length=128,
          description="A function name; inside a class also a special method (`__init__`, "
                      "`__call__`, `__len__`, `__getitem__`, `__repr__`, operators ...)."),
]
AttrName = Annotated[
    str,
    Field(pattern=ATTR_NAME_PATTERN, max_length=128,
          description="An attribute name: public or `_private`, plus `__init__` and the "
                      "read-only `__class__`, `__name__`, `__qualname__`, `__doc__`, "
                      "`__version__`; no other dunder."),
]
MethodName = Annotated[
    str,
    Field(pattern=METHOD_NAME_PATTERN, max_length=128,
          description="A method name: an attribute name, or a special method (`__getitem__`, "
                      "`__len__`, `__repr__` ...) called by name, which runs only where the "
                      "program's own class defines it."),
]
CallName = Annotated[
    str,
    Field(pattern=CALL_NAME_PATTERN, max_length=256,
          description="A name (a user function, builtin or op, resolved as Python resolves a "
                      "bare name), or a library path such as `torch.tanh`, `F.relu`, "
                      "`nn.Linear`, `torch.optim.SGD`, `math.sqrt` (never a user function)."),
]
ModulePath = Annotated[str, Field(pattern=CALL_NAME_PATTERN, max_length=256)]

#: Tensor attributes a program may read (methods are the op table's).
READABLE_ATTRS = (
    "grad", "shape", "dtype", "device", "requires_grad", "is_leaf", "grad_fn", "T", "mT",
    "ndim", "data", "is_cuda", "values", "indices", "retains_grad", "itemsize", "nbytes",
    "layout", "_version", "is_sparse",
)
#: Tensor attributes a program may assign.
WRITABLE_ATTRS = ("grad", "requires_grad", "data")
GradMode = Literal["no_grad", "enable_grad"]


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=False, frozen=True)


# --------------------------------------------------------------------------- tags

STATEMENT_KEYS = ("assign", "setitem", "setattr", "expr", "if", "while", "for", "break",
                  "continue", "def", "return", "with", "class", "try", "raise", "assert",
                  "global", "nonlocal", "yield", "yield_from", "delete", "import",
                  "from_import", "match")
EXPRESSION_KEYS = ("var", "call", "method", "attr", "index", "and", "or", "not", "ifexp",
                   "lambda", "tuple", "set", "dict", "float", "lib", "listcomp", "setcomp",
                   "dictcomp", "genexp", "walrus", "ellipsis", "yield", "yield_from")

_EXPR_TAGS = {"var": "Var", "call": "Call", "method": "Method", "attr": "Attr",
              "index": "Index", "and": "And", "or": "Or", "not": "Not", "ifexp": "IfExp",
              "lambda": "Lambda", "tuple": "TupleLit", "set": "SetLit", "dict": "DictLit",
              "float": "FloatLit", "lib": "Lib", "listcomp": "ListComp",
              "setcomp": "SetComp", "dictcomp": "DictComp", "genexp": "GenExp",
              "walrus": "NamedExpr", "ellipsis": "EllipsisLit", "yield": "YieldExpr",
              "yield_from": "YieldFromExpr"}
_STMT_TAGS = {"assign": "Assign", "setitem": "SetItem", "setattr": "SetAttr", "expr": "ExprStmt",
              "if": "If", "while": "While", "for": "For", "break": "Break",
              "continue": "Continue", "def": "Def", "return": "Return", "with": "With",
              "class": "ClassDef", "try": "Try", "raise": "Raise", "assert": "Assert",
              "global": "Global", "nonlocal": "Nonlocal", "yield": "Yield",
              "yield_from": "YieldFrom", "delete": "Delete", "import": "Import",
              "from_import": "FromImport", "match": "Match"}


def _expr_tag(value: Any) -> str | None:
    if isinstance(value, bool):
        return "Bool"
    if isinstance(value, (int, float)):
        return "Number"
    if value is None:
        return "Null"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "List"
    if isinstance(value, dict):
        for key in EXPRESSION_KEYS:
            if key in value:
                return _EXPR_TAGS[key]
        return None
    if isinstance(value, BaseModel):
        return type(value).__name__
    return None


def _element_tag(value: Any) -> str | None:
    if isinstance(value, dict) and "star" in value or isinstance(value, Star):
        return "Star"
    return "Expr" if _expr_tag(value) is not None else None


def _key_tag(value: Any) -> str | None:
    if isinstance(value, list):
        return "KeyTuple"
    if isinstance(value, dict):
        if "slice" in value:
            return "Slice"
        if "ellipsis" in value:
            return "EllipsisKey"
    if isinstance(value, SliceKey):
        return "Slice"
    if isinstance(value, EllipsisKey):
        return "EllipsisKey"
    return "Expr" if _expr_tag(value) is not None else None


def _target_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "Name"
    if isinstance(value, list):
        return "Unpack"
    if isinstance(value, dict):
        for key, tag in (("star", "Star"), ("index", "Index"), ("attr", "Attr")):
            if key in value:
                return tag
        return None
    if isinstance(value, BaseModel):
        return type(value).__name__
    return None


def _callee_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "Name"
    return "Expr" if _expr_tag(value) is not None else None


def _param_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "Name"
    if isinstance(value, (dict, ParamDefault)):
        return "Default"
    return None


def _entry_tag(value: Any) -> str | None:
    if isinstance(value, list):
        return "Pair"
    if isinstance(value, (dict, StarStar)):
        return "StarStar"
    return None


#: The patterns of a ``case``, by the key that is present.
PATTERN_KEYS = {"value": "MatchValue", "singleton": "MatchSingleton", "capture": "MatchAs",
                "wildcard": "MatchWildcard", "any": "MatchOr", "sequence": "MatchSequence",
                "mapping": "MatchMapping", "instance": "MatchClass"}


def _keyed_tag(value: Any, tags: dict[str, str]) -> str | None:
    """The tag of a node: that of the first key of ``tags`` it has (a model: its class)."""
    if isinstance(value, dict):
        return next((tag for key, tag in tags.items() if key in value), None)
    if isinstance(value, BaseModel):
        return type(value).__name__
    return None


def _pattern_tag(value: Any) -> str | None:
    return _keyed_tag(value, PATTERN_KEYS)


def _sequence_item_tag(value: Any) -> str | None:
    if isinstance(value, dict) and "star" in value or isinstance(value, MatchStar):
        return "MatchStar"
    return "Pattern" if _pattern_tag(value) is not None else None


def _stmt_tag(value: Any) -> str | None:
    return _keyed_tag(value, _STMT_TAGS)


_EXPR_ERROR = ("expected an expression: a number, true/false, null, a string, a list, or an "
               "object with one of the keys " + ", ".join(EXPRESSION_KEYS))
_STMT_ERROR = "expected a statement: an object with one of the keys " + ", ".join(STATEMENT_KEYS)

Number = Annotated[Union[StrictInt, StrictFloat], Field(title="Number")]  # noqa: UP007

_EXPR_CASES = (
    Annotated[Number, Tag("Number")],
    Annotated[StrictBool, Tag("Bool")],
    Annotated[None, Tag("Null")],
    Annotated[StrictStr, Tag("String")],
    Annotated[list["Element"], Tag("List")],
    Annotated["Var", Tag("Var")],
    Annotated["Call", Tag("Call")],
    Annotated["Method", Tag("Method")],
    Annotated["Attr", Tag("Attr")],
    Annotated["Index", Tag("Index")],
    Annotated["And", Tag("And")],
    Annotated["Or", Tag("Or")],
    Annotated["Not", Tag("Not")],
    Annotated["IfExp", Tag("IfExp")],
    Annotated["Lambda", Tag("Lambda")],
    Annotated["TupleLit", Tag("TupleLit")],
    Annotated["SetLit", Tag("SetLit")],
    Annotated["DictLit", Tag("DictLit")],
    Annotated["FloatLit", Tag("FloatLit")],
    Annotated["Lib", Tag("Lib")],
    Annotated["ListComp", Tag("ListComp")],
    Annotated["SetComp", Tag("SetComp")],
    Annotated["DictComp", Tag("DictComp")],
    Annotated["GenExp", Tag("GenExp")],
    Annotated["NamedExpr", Tag("NamedExpr")],
    Annotated["EllipsisLit", Tag("EllipsisLit")],
    Annotated["YieldExpr", Tag("YieldExpr")],
    Annotated["YieldFromExpr", Tag("YieldFromExpr")],
)

Expr = TypeAliasType(
    "Expr",
    Annotated[
        Union[_EXPR_CASES],  # noqa: UP007 (string forward references need typing.Union)
        Discriminator(_expr_tag, custom_error_type="invalid_expression",
                      custom_error_message=_EXPR_ERROR),
    ],
)

Element = TypeAliasType(
    "Element",
    Annotated[
        Union[Annotated["Star", Tag("Star")], Annotated[Expr, Tag("Expr")]],  # noqa: UP007
        Discriminator(_element_tag, custom_error_type="invalid_expression",
                      custom_error_message=_EXPR_ERROR + " (or {\"star\": expression})"),
    ],
)

Key = TypeAliasType(
    "Key",
    Annotated[
        Union[Annotated["SliceKey", Tag("Slice")],  # noqa: UP007
              Annotated["EllipsisKey", Tag("EllipsisKey")],
              Annotated[list["Key"], Tag("KeyTuple")], Annotated[Expr, Tag("Expr")]],
        Discriminator(_key_tag, custom_error_type="invalid_index_key",
                      custom_error_message="expected an index key: an expression, "
                                           "{\"slice\": [start, stop, step]}, "
                                           "{\"ellipsis\": null} or a list of keys"),
    ],
)

Target = TypeAliasType(
    "Target",
    Annotated[
        Union[  # noqa: UP007
            Annotated[Name, Tag("Name")],
            Annotated[list["Target"], Tag("Unpack")],
            Annotated["StarTarget", Tag("Star")],
            Annotated["Index", Tag("Index")],
            Annotated["Attr", Tag("Attr")],
        ],
        Discriminator(_target_tag, custom_error_type="invalid_target",
                      custom_error_message="expected an assignment target: a name, a list of "
                                           "targets, {\"star\": target}, an index or an "
                                           "attribute"),
    ],
)

Param = TypeAliasType(
    "Param",
    Annotated[
        Union[Annotated[Name, Tag("Name")],  # noqa: UP007
              Annotated["ParamDefault", Tag("Default")]],
        Discriminator(_param_tag, custom_error_type="invalid_parameter",
                      custom_error_message="expected a parameter: a name or "
                                           "{\"name\": ..., \"default\": expression}"),
    ],
)


Pattern = TypeAliasType(
    "Pattern",
    Annotated[
        Union[tuple(Annotated[name, Tag(name)]  # noqa: UP007
                    for name in dict.fromkeys(PATTERN_KEYS.values()))],
        Discriminator(_pattern_tag, custom_error_type="invalid_pattern",
                      custom_error_message="expected a pattern: an object with one of the "
                                           "keys " + ", ".join(PATTERN_KEYS)),
    ],
)


# --------------------------------------------------------------------------- expressions

class Var(_Node):
    """A variable: a local, an enclosing function's local, a session variable, a builtin
    (`print`, `len` ...), an op, or a constant such as `float32` or `pi`, in that order. A JSON
    string is a string literal, never a variable."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"var": "x"}]})
    var: Name


class Lib(_Node):
    """A library member by its path: `torch.float32`, `nn.Linear`, `F.relu`, `math.pi`.
    `F` is `torch.nn.functional` and `nn` is `torch.nn`. The first part is read as a name,
    as Python reads `torch.float32`: where the program has bound it (`torch = ...`, `import
    torch.functional as F`, a parameter `math`), the path is read through that value."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"lib": "torch.float64"}]})
    lib: CallName


class FloatLit(_Node):
    """A float written so that it survives JavaScript, which writes `2.0` as `2`:
    `{"float": 2}` is `2.0`; also `"NaN"`, `"Infinity"`, `"-Infinity"`."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"float": 0}]})
    float: Number | Literal["NaN", "Infinity", "-Infinity"]


class EllipsisLit(_Node):
    """`...` (Python's `Ellipsis`) as a value: `def f(): ...`, `x = ...` (in a key it is
    the same node, NumPy's and torch's "all the other dimensions")."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"ellipsis": None}]})
    ellipsis: None


class Star(_Node):
    """`*value` inside a list, tuple, set or the arguments of a call."""

    star: Expr


class StarStar(_Node):
    """`**value` inside a dict literal."""

    starstar: Expr


class Call(_Node):
    """A call. `call` is a name (resolved as Python resolves a bare name: a local, a session
    variable or user function, a builtin, an op), a library path (`torch.tanh`, `F.relu`:
    its first part read as `Lib` reads it; `builtins.X` is always the language's builtin),
    or an expression whose value is called (`f(x)(y)`,
    `fs[0](x)`). Operators are calls of their names (`add`, `sub`, `mul`, `div`,
    `floordiv`, `remainder`, `pow`, `matmul`, `neg`, `lt` ... `and_`, `or_`, `xor`,
    `lshift`, `rshift`, `invert`): these names are always the operators. `{"star": E}` in
    `args` is `*E`; `kwstar` lists the `**E` arguments."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"call": "torch.arange", "args": [{"float": 4}], "kwargs": {"requires_grad": True}},
        {"call": "mul", "args": [2, {"call": "torch.dot", "args": [{"var": "x"},
                                                                    {"var": "x"}]}]},
    ]})
    call: Annotated[
        Union[Annotated[CallName, Tag("Name")], Annotated[Expr, Tag("Expr")]],  # noqa: UP007
        Discriminator(_callee_tag, custom_error_type="invalid_callee",
                      custom_error_message="expected a name, a library path or an "
                                           "expression object"),
    ]
    args: list[Element] = Field(default_factory=list, description="Positional arguments.")
    kwargs: dict[Name, Expr] = Field(default_factory=dict, description="Keyword arguments.")
    kwstar: list[Expr] = Field(default_factory=list, description="`**mapping` arguments.")


class Method(_Node):
    """A method call, receiver first: `x.sum(dim=0)` is
    `{"method": "sum", "args": [x], "kwargs": {"dim": 0}}`. The method is looked up on the
    receiver (a tensor's ops, an object's class, a list's, dict's or string's methods), never
    among user functions."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"method": "backward", "args": [{"var": "y"}]}]})
    method: MethodName
    args: list[Element] = Field(min_length=1, description="The receiver, then the arguments.")
    kwargs: dict[Name, Expr] = Field(default_factory=dict)
    kwstar: list[Expr] = Field(default_factory=list)


class Attr(_Node):
    """An attribute: a tensor's (`grad`, `shape`, `dtype` ...), an object's, a library
    object's public ones. No dunder but the read-only `__class__`, `__name__`, `__qualname__`,
    `__doc__` (and `__init__` to call it)."""

    model_config = ConfigDict(json_schema_extra={
        "examples": [{"attr": "grad", "of": {"var": "x"}}]})
    attr: AttrName
    of: Expr


class Index(_Node):
    """`x[key]`: integers, slices, `null` (a new axis), ellipsis, masks, index tensors,
    ranges and lists; dict keys."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"index": {"var": "x"}, "key": [{"slice": [None, None, None]}, 1]}]})
    index: Expr
    key: Key


class And(_Node):
    """`a and b and ...`: short-circuit, Python truthiness; the value is the deciding operand."""

    and_: list[Expr] = Field(alias="and", min_length=1)


class Or(_Node):
    """`a or b or ...`: short-circuit, Python truthiness; the value is the deciding operand."""

    or_: list[Expr] = Field(alias="or", min_length=1)


class Not(_Node):
    """`not a`."""

    not_: Expr = Field(alias="not")


class IfExp(_Node):
    """`then if ifexp else else`."""

    ifexp: Expr
    then: Expr
    else_: Expr = Field(alias="else")


class ParamDefault(_Node):
    """A parameter with a default value (evaluated when the function is defined)."""

    name: Name
    default: Expr


POSONLY_DOC = ("How many of the first parameters are positional-only (`def f(a, b, /, c)` has "
               "`\"posonly\": 2`): a call cannot pass them by keyword.")


class Lambda(_Node):
    """`lambda params: body`. Parameters as for `def`."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"lambda": ["x"], "body": {"call": "mul", "args": [{"var": "x"}, 2]}}]})
    lambda_: list[Param] = Field(alias="lambda")
    posonly: int = Field(default=0, ge=0, description=POSONLY_DOC)
    vararg: Name | None = None
    kwonly: list[Param] = Field(default_factory=list)
    kwarg: Name | None = None
    body: Expr


class TupleLit(_Node):
    """`(a, b)`: a tuple (a JSON list is a Python list)."""

    tuple: list[Element]


class SetLit(_Node):
    """`{a, b}`: a set."""

    set: list[Element] = Field(min_length=1)


class DictLit(_Node):
    """`{k: v, **other}`: pairs `[key, value]` in order, and `{"starstar": mapping}`."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"dict": [["lr", 0.1]]}]})
    entries: list[Annotated[
        Union[Annotated[tuple[Expr, Expr], Tag("Pair")],  # noqa: UP007
              Annotated[StarStar, Tag("StarStar")]],
        Discriminator(_entry_tag, custom_error_type="invalid_entry",
                      custom_error_message="expected [key, value] or {\"starstar\": mapping}"),
    ]] = Field(alias="dict")


class Comprehension(_Node):
    """`for target in iterable if cond ...` inside a comprehension."""

    target: Target
    in_: Expr = Field(alias="in")
    ifs: list[Expr] = Field(default_factory=list)


class ListComp(_Node):
    """`[elt for ... in ... if ...]`."""

    listcomp: Expr
    generators: list[Comprehension] = Field(min_length=1)


class SetComp(_Node):
    """`{elt for ... in ...}`."""

    setcomp: Expr
    generators: list[Comprehension] = Field(min_length=1)


class DictComp(_Node):
    """`{key: value for ... in ...}`: `dictcomp` is `[key, value]`."""

    dictcomp: tuple[Expr, Expr]
    generators: list[Comprehension] = Field(min_length=1)


class GenExp(_Node):
    """`(elt for ... in ...)`: a lazy generator."""

    genexp: Expr
    generators: list[Comprehension] = Field(min_length=1)


class NamedExpr(_Node):
    """`(walrus := value)`: assigns the value to the name and is that value. Inside a
    comprehension the name belongs to the scope around the comprehension, as in Python."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"walrus": "n", "value": {"call": "len", "args": [{"var": "xs"}]}}]})
    walrus: Name
    value: Expr


class YieldExpr(_Node):
    """`(yield value)` inside a larger expression of a generator function's statement
    (`total += (yield x)`, `f((yield))`, `a = b = yield v`): its value is what the generator
    is resumed with. The statement runs in CPython's order: what it evaluates before the
    yield is held in hidden temporaries across the suspension. Not in a lambda, a
    comprehension (but its first iterable), an assignment target, an `assert`'s message, a
    `match` guard, an `except` clause, a decorator or a default value."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"call": "print", "args": [{"yield": None}]}]})
    yield_: Expr = Field(alias="yield")


class YieldFromExpr(_Node):
    """`(yield from iterable)` inside a larger expression: its value is what the inner
    generator returned. Where `YieldExpr` may stand."""

    yield_from: Expr


class SliceKey(_Node):
    """`start:stop:step` inside a key; `null` leaves a part out."""

    slice: list[Expr] = Field(min_length=2, max_length=3)


class EllipsisKey(_Node):
    """`...` inside a key."""

    ellipsis: None


class StarTarget(_Node):
    """`*rest` in an unpacking target."""

    star: Target


# --------------------------------------------------------------------------- statements

Stmt = TypeAliasType(
    "Stmt",
    Annotated[
        Union[tuple(Annotated[name, Tag(name)] for name in _STMT_TAGS.values())],  # noqa: UP007
        Discriminator(_stmt_tag, custom_error_type="invalid_statement",
                      custom_error_message=_STMT_ERROR),
    ],
)

Body = Annotated[list[Stmt], Field(description="A block of statements.")]


class Assign(_Node):
    """`target = value`: a name, `a, (b, *rest) = value` (a list of targets, `{"star": t}`),
    `x[k] = value` (an index) or `obj.attr = value` (an attribute). A chained assignment
    `self.a = self.b = 0.0` lists its later targets under `also`: the value is evaluated once,
    then stored into `assign` and into each of `also`, left to right, as CPython does."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"assign": "x", "value": {"call": "torch.arange", "args": [{"float": 4}],
                                  "kwargs": {"requires_grad": True}}},
        {"assign": {"attr": "val", "of": {"var": "self"}},
         "also": [{"attr": "sum", "of": {"var": "self"}}], "value": {"float": 0}}]})
    assign: Target
    also: list[Target] = Field(default_factory=list, description=(
        "The later targets of a chained assignment (`a = b[0] = c.d = value`), stored in "
        "order after `assign`, each with the one value."))
    value: Expr


#: ``x[k] op= v`` / ``o.a op= v``: the in-place operator of an augmented assignment.
InplaceOp = Literal["iadd", "isub", "imul", "idiv", "ifloordiv", "iremainder", "ipow",
                    "imatmul", "iand", "ior", "ixor", "ilshift", "irshift"]


class SetItem(_Node):
    """`target[key] = value`, in place: `value` is evaluated first, then `target`, then `key`,
    as CPython does. With `op` (`x[k] += v` is `"op": "iadd"`), `target` and `key` are
    evaluated once, then the item is read, then `value`, and the operator's result is stored."""

    setitem: Expr
    key: Key
    op: InplaceOp | None = None
    value: Expr


class SetAttr(_Node):
    """`target.attr = value`: a tensor's `grad`, `requires_grad` or `data`; an object's
    attributes."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"setattr": {"var": "x"}, "attr": "grad", "value": None}]})
    setattr: Expr
    attr: AttrName
    op: InplaceOp | None = Field(default=None, description=(
        "`o.a += v` is `\"op\": \"iadd\"`: `o` is evaluated once, then `o.a` is read, then "
        "`value`; without it `value` is evaluated before `o`, as CPython does."))
    value: Expr


class ExprStmt(_Node):
    """An expression for its effect; as the program's last statement, its value is the result."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"expr": {"method": "backward", "args": [{"var": "y"}]}}]})
    expr: Expr


class If(_Node):
    """`if cond: then else: else`."""

    if_: Expr = Field(alias="if")
    then: Body
    else_: Body = Field(default_factory=list, alias="else")


class While(_Node):
    """`while cond: body else: else` (the `else` runs when the loop ends without `break`)."""

    while_: Expr = Field(alias="while")
    body: Body
    else_: Body = Field(default_factory=list, alias="else")


class For(_Node):
    """`for target in iterable: body else: else` over anything iterable (a range, a list,
    a dict's keys, a generator, a tensor's first dimension ...)."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"for": "i", "in": {"call": "range", "args": [300]},
         "body": [{"assign": "y", "value": {"call": "torch.tanh", "args": [{"var": "y"}]}}]}]})
    for_: Target = Field(alias="for")
    in_: Expr = Field(alias="in")
    body: Body
    else_: Body = Field(default_factory=list, alias="else")


class Break(_Node):
    """`break`."""

    break_: None = Field(alias="break")


class Continue(_Node):
    """`continue`."""

    continue_: None = Field(alias="continue")


class Def(_Node):
    """`@decorators def name(params, *vararg, kwonly, **kwarg): body`. A parameter is a name
    or `{"name": ..., "default": ...}`. A body with `yield` makes a generator function.
    Recursion is allowed (bounded)."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"def": "f", "params": ["x", {"name": "scale", "default": 2}],
         "body": [{"return": {"call": "mul", "args": [{"var": "x"}, {"var": "scale"}]}}]}]})
    def_: DefName = Field(alias="def")
    params: list[Param]
    posonly: int = Field(default=0, ge=0, description=POSONLY_DOC)
    vararg: Name | None = None
    kwonly: list[Param] = Field(default_factory=list)
    kwarg: Name | None = None
    decorators: list[Expr] = Field(default_factory=list,
                                   description="Applied bottom-up, as in Python.")
    body: Body


class ClassDef(_Node):
    """`@decorators class name(bases): body`. Bases are user classes or library classes
    (`nn.Module`, `torch.autograd.Function`, `torch.utils.data.Dataset`, exceptions)."""

    class_: Name = Field(alias="class")
    bases: list[Expr] = Field(default_factory=list)
    decorators: list[Expr] = Field(default_factory=list)
    fields: list[tuple[Name, str]] = Field(
        default_factory=list,
        description="The class body's annotated names in order, each with its annotation's "
                    "text (`x: int = 0` gives `[\"x\", \"int\"]`): the fields `@dataclass` "
                    "makes.")
    slots: list[Name | Literal["__dict__", "__weakref__"]] | None = Field(
        default=None,
        description="`__slots__ = (\"x\", \"y\")` in the class body: the only attributes "
                    "its objects may have (with every class of its MRO setting them; "
                    "`\"__dict__\"` among them lifts the bound).")
    match_args: list[Name] | None = Field(
        default=None,
        description="`__match_args__ = (\"x\", \"y\")` in the class body: the attributes "
                    "the positional sub-patterns of a class pattern (`case C(a, b):`) match.")
    body: Body


class Return(_Node):
    """`return value` (`null` returns None)."""

    return_: Expr = Field(alias="return")


class With(_Node):
    """`with value as target: body`; `"no_grad"` / `"enable_grad"` are short for
    `torch.no_grad()` / `torch.enable_grad()`."""

    with_: Annotated[
        Union[Annotated[GradMode, Tag("Mode")], Annotated[Expr, Tag("Expr")]],  # noqa: UP007
        Discriminator(lambda v: "Mode" if isinstance(v, str) else "Expr",
                      custom_error_type="invalid_with",
                      custom_error_message="expected 'no_grad', 'enable_grad' or an "
                                           "expression object"),
    ] = Field(alias="with")
    as_: Target | None = Field(default=None, alias="as")
    body: Body


class Handler(_Node):
    """`except type as name: body` (`type` null or absent: a bare `except:`)."""

    type: Expr | None = None
    as_: Name | None = Field(default=None, alias="as")
    body: Body


class Try(_Node):
    """`try: ... except ...: ... else: ... finally: ...`."""

    try_: Body = Field(alias="try")
    handlers: list[Handler] = Field(default_factory=list)
    else_: Body = Field(default_factory=list, alias="else")
    finally_: Body = Field(default_factory=list, alias="finally")


class Raise(_Node):
    """`raise value from cause`; `null` re-raises the exception being handled."""

    raise_: Expr = Field(alias="raise")
    from_: Expr | None = Field(default=None, alias="from")


class Assert(_Node):
    """`assert test, msg`."""

    assert_: Expr = Field(alias="assert")
    msg: Expr | None = None


class Global(_Node):
    """`global a, b` inside a function."""

    global_: list[Name] = Field(alias="global", min_length=1)


class Nonlocal(_Node):
    """`nonlocal a, b` inside a nested function."""

    nonlocal_: list[Name] = Field(alias="nonlocal", min_length=1)


class Yield(_Node):
    """`yield value` (in a generator function's body); with `to`, `to = yield value`: the
    target is bound to what the generator is resumed with (`None` by `next`, `v` by
    `send(v)`)."""

    yield_: Expr = Field(alias="yield")
    to: Target | None = None


class YieldFrom(_Node):
    """`yield from iterable`; with `to`, `to = yield from iterable`: the target is bound to
    the value the inner generator returned."""

    yield_from: Expr
    to: Target | None = None


class Delete(_Node):
    """`del a, x[k], obj.attr`."""

    delete: list[Target] = Field(min_length=1)


class Import(_Node):
    """`import torch.nn as nn`: binds `as` (or the first part of the path) to the module
    (`import torch` binds `torch`, `import torch.optim` too: a statement, as in Python; an
    unknown `torch` module is CPython's ModuleNotFoundError).
    Only `torch`, its library modules, `math`, `random`, `functools`, `copy`, `collections`,
    `itertools`, `typing`, `warnings`, `dataclasses`, `time` (its clocks and `sleep`),
    `unicodedata` (`normalize`, `category`), `json` (`dumps`, `loads`), `heapq`, `operator`
    (its operator functions, `itemgetter`, `attrgetter`),
    `string` (its constants) and `numpy` (a subset: `numpy.random`, `numpy.testing`,
    `numpy.linalg`) can be imported."""

    import_: ModulePath = Field(alias="import")
    as_: Name | None = Field(default=None, alias="as")


class FromImport(_Node):
    """`from torch.utils.data import DataLoader, TensorDataset as TD`: `names` are names or
    `[name, alias]`."""

    from_import: ModulePath
    names: list[Name | tuple[Name, Name]] = Field(min_length=1)


class MatchValue(_Node):
    """A literal or a dotted name's value (`case 1:`, `case "a":`, `case Color.RED:`):
    matches a subject equal to it (`==`)."""

    value: Expr


class MatchSingleton(_Node):
    """`case None:`, `case True:`, `case False:`: matches that very object (`is`)."""

    singleton: StrictBool | None


class MatchAs(_Node):
    """`case x:` (a capture: matches anything and binds it), or `case pattern as x:`."""

    capture: Name
    pattern: Pattern | None = None


class MatchWildcard(_Node):
    """`case _:`: matches anything, binds nothing."""

    wildcard: None


class MatchOr(_Node):
    """`case p1 | p2 | ...:`: the first alternative that matches (each binds the same names)."""

    any: list[Pattern] = Field(min_length=2)


class MatchStar(_Node):
    """`*rest` (or `*_`: `null`) in a sequence pattern: the items the others leave, a list."""

    star: Name | None


class MatchSequence(_Node):
    """`case [p1, p2, *rest]:` (or `(p1, p2)`): a list, tuple, range, `torch.Size`, deque
    ... (not a string, a tensor or a dict) of that many items, each matching its pattern."""

    sequence: list[Annotated[
        Union[Annotated[MatchStar, Tag("MatchStar")],  # noqa: UP007
              Annotated[Pattern, Tag("Pattern")]],
        Discriminator(_sequence_item_tag, custom_error_type="invalid_pattern",
                      custom_error_message="expected a pattern or {\"star\": name}"),
    ]]


class MatchMapping(_Node):
    """`case {"k": p, **rest}:`: a dict (any mapping) holding each key (a literal or a dotted
    name's value) with a value matching its pattern; `rest` binds a dict of the other keys."""

    mapping: list[tuple[Expr, Pattern]]
    rest: Name | None = None


class MatchClass(_Node):
    """`case Cls(p1, attr=p2):`: an instance of the class (a program's or a library's) whose
    positional sub-patterns match the attributes named by `__match_args__` (a builtin type's
    one positional sub-pattern matches the subject itself) and whose keyword ones match the
    attributes of those names."""

    instance: Expr
    args: list[Pattern] = Field(default_factory=list)
    kwargs: dict[Name, Pattern] = Field(default_factory=dict)


class MatchCase(_Node):
    """`case pattern if guard: body`."""

    pattern: Pattern
    guard: Expr | None = None
    body: Body


class Match(_Node):
    """`match subject: case ...`: the subject is evaluated once; the first case whose
    pattern matches (its names then bound, as by an assignment) and whose guard is true runs
    its body."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"match": {"var": "x"}, "cases": [
            {"pattern": {"sequence": [{"capture": "a"}, {"star": "rest"}]},
             "body": [{"expr": {"call": "print", "args": [{"var": "a"}]}}]},
            {"pattern": {"wildcard": None}, "body": []}]}]})
    match: Expr
    cases: list[MatchCase] = Field(min_length=1)


_SEED_EXAMPLE = [
    {"assign": "x", "value": {"call": "torch.arange", "args": [{"float": 4}],
                              "kwargs": {"requires_grad": True}}},
    {"assign": "y", "value": {"call": "mul", "args": [
        2, {"call": "torch.dot", "args": [{"var": "x"}, {"var": "x"}]}]}},
    {"expr": {"method": "backward", "args": [{"var": "y"}]}},
    {"expr": {"attr": "grad", "of": {"var": "x"}}},
]


class Program(RootModel[list[Stmt]]):
    """A program: a list of statements, run in order in the session (SPEC §2)."""

    model_config = ConfigDict(
        title="Program",
        frozen=True,
        json_schema_extra={"examples": [_SEED_EXAMPLE]},
    )


for _model in (Var, Lib, FloatLit, EllipsisLit, Star, StarStar, Call, Method, Attr, Index, And, Or,
               Not, IfExp, ParamDefault, Lambda, TupleLit, SetLit, DictLit, Comprehension, ListComp,
               SetComp, DictComp, GenExp, SliceKey, EllipsisKey, StarTarget, Assign, SetItem,
               SetAttr, ExprStmt, If, While, For, Break, Continue, Def, ClassDef, Return, With,
               Handler, Try, Raise, Assert, Global, Nonlocal, Yield, YieldFrom, YieldExpr,
               YieldFromExpr, Delete, Import,
               FromImport, NamedExpr, MatchValue, MatchSingleton, MatchAs, MatchWildcard, MatchOr,
               MatchStar, MatchSequence, MatchMapping, MatchClass, MatchCase, Match, Program):
    _model.model_rebuild()

EXPRESSION_TAGS = frozenset(_EXPR_TAGS.values()) | {"Number", "Bool", "Null", "String", "List",
                                                    "Star", "Pair", "StarStar", "Expr"}
STATEMENT_TAGS = frozenset(_STMT_TAGS.values()) | {"Mode"}
KEY_TAGS = frozenset({"Slice", "EllipsisKey", "KeyTuple", "Name", "Unpack", "Default"})
PATTERN_TAGS = frozenset(PATTERN_KEYS.values()) | {"MatchStar", "Pattern"}
ALL_TAGS = EXPRESSION_TAGS | STATEMENT_TAGS | KEY_TAGS | PATTERN_TAGS
