"""The JSON form of a program (SPEC §2) as pydantic v2 models.

Statements and expressions are tagged unions whose tag is the key that is present
(``{"assign": ...}`` is an assignment, ``{"call": ...}`` a call), so a wrong program gets one
precise error. ``Program.model_json_schema()`` is the schema ``GET /v1/schema`` publishes.
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

Name = Annotated[
    str,
    Field(pattern=NAME_PATTERN, max_length=128,
          description="A variable or function name (a Python identifier, not a dunder)."),
]
CallName = Annotated[
    str,
    Field(pattern=CALL_NAME_PATTERN, max_length=256,
          description="An op, builtin or user function; `torch.`, `torch.nn.functional.`, `F.`, "
                      "`nn.functional.` and `torch.autograd.` prefixes are accepted."),
]

READABLE_ATTRS = (
    "grad", "shape", "dtype", "device", "requires_grad", "is_leaf", "grad_fn", "T", "mT",
    "ndim", "data", "is_cuda", "values", "indices",
)
WRITABLE_ATTRS = ("grad", "requires_grad")
ReadableAttr = Literal[
    "grad", "shape", "dtype", "device", "requires_grad", "is_leaf", "grad_fn", "T", "mT",
    "ndim", "data", "is_cuda", "values", "indices",
]
WritableAttr = Literal["grad", "requires_grad"]
GradMode = Literal["no_grad", "enable_grad"]


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=False, frozen=True)


# --------------------------------------------------------------------------- expressions

STATEMENT_KEYS = ("assign", "setitem", "setattr", "expr", "if", "while", "for", "break",
                  "continue", "def", "return", "with")
EXPRESSION_KEYS = ("var", "call", "attr", "index", "and", "or", "not", "ifexp")


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
    return _expr_tag(value)


def _stmt_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in STATEMENT_KEYS:
            if key in value:
                return _STMT_TAGS[key]
        return None
    if isinstance(value, BaseModel):
        return type(value).__name__
    return None


_EXPR_TAGS = {"var": "Var", "call": "Call", "attr": "Attr", "index": "Index", "and": "And",
              "or": "Or", "not": "Not", "ifexp": "IfExp"}
_STMT_TAGS = {"assign": "Assign", "setitem": "SetItem", "setattr": "SetAttr", "expr": "ExprStmt",
              "if": "If", "while": "While", "for": "For", "break": "Break",
              "continue": "Continue", "def": "Def", "return": "Return", "with": "With"}

_EXPR_ERROR = ("expected an expression: a number, true/false, null, a string, a list, or an "
               "object with one of the keys " + ", ".join(EXPRESSION_KEYS))
_STMT_ERROR = "expected a statement: an object with one of the keys " + ", ".join(STATEMENT_KEYS)

Number = Annotated[Union[StrictInt, StrictFloat], Field(title="Number")]  # noqa: UP007

Expr = TypeAliasType(
    "Expr",
    Annotated[
        Union[  # noqa: UP007 (string forward references need typing.Union)
            Annotated[Number, Tag("Number")],
            Annotated[StrictBool, Tag("Bool")],
            Annotated[None, Tag("Null")],
            Annotated[StrictStr, Tag("String")],
            Annotated[list["Expr"], Tag("List")],
            Annotated["Var", Tag("Var")],
            Annotated["Call", Tag("Call")],
            Annotated["Attr", Tag("Attr")],
            Annotated["Index", Tag("Index")],
            Annotated["And", Tag("And")],
            Annotated["Or", Tag("Or")],
            Annotated["Not", Tag("Not")],
            Annotated["IfExp", Tag("IfExp")],
        ],
        Discriminator(_expr_tag, custom_error_type="invalid_expression",
                      custom_error_message=_EXPR_ERROR),
    ],
)

Key = TypeAliasType(
    "Key",
    Annotated[
        Union[  # noqa: UP007
            Annotated["SliceKey", Tag("Slice")],
            Annotated["EllipsisKey", Tag("EllipsisKey")],
            Annotated[list["Key"], Tag("KeyTuple")],
            Annotated[Number, Tag("Number")],
            Annotated[StrictBool, Tag("Bool")],
            Annotated[None, Tag("Null")],
            Annotated[StrictStr, Tag("String")],
            Annotated["Var", Tag("Var")],
            Annotated["Call", Tag("Call")],
            Annotated["Attr", Tag("Attr")],
            Annotated["Index", Tag("Index")],
            Annotated["And", Tag("And")],
            Annotated["Or", Tag("Or")],
            Annotated["Not", Tag("Not")],
            Annotated["IfExp", Tag("IfExp")],
        ],
        Discriminator(_key_tag, custom_error_type="invalid_index_key",
                      custom_error_message="expected an index key: an expression, "
                                           "{\"slice\": [start, stop, step]}, "
                                           "{\"ellipsis\": null} or a list of keys"),
    ],
)


class Var(_Node):
    """A variable: a function local, then a session variable, then a constant such as
    `float32` or `pi`. A JSON string is a string literal, never a variable."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"var": "x"}]})
    var: Name


class Call(_Node):
    """A call of an op, a builtin or a user function. Methods take the receiver first
    (`x.sum()` is `{"call": "sum", "args": [x]}`); operators are calls too (`add`, `sub`, `mul`,
    `div`, `floordiv`, `remainder`, `pow`, `matmul`, `neg`, `lt`, `le`, `gt`, `ge`, `eq`, `ne`)."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"call": "arange", "args": [4.0], "kwargs": {"requires_grad": True}},
        {"call": "mul", "args": [2, {"call": "dot", "args": [{"var": "x"}, {"var": "x"}]}]},
    ]})
    call: CallName
    args: list[Expr] = Field(default_factory=list, description="Positional arguments.")
    kwargs: dict[Name, Expr] = Field(default_factory=dict, description="Keyword arguments.")


class Attr(_Node):
    """A whitelisted attribute of a value (`x.grad`, `x.shape`, `m.values` ...)."""

    model_config = ConfigDict(json_schema_extra={
        "examples": [{"attr": "grad", "of": {"var": "x"}}]})
    attr: ReadableAttr
    of: Expr


class Index(_Node):
    """`x[key]`: integers, slices, `null` (a new axis), ellipsis, masks and index tensors."""

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


class SliceKey(_Node):
    """`start:stop:step` inside a key; `null` leaves a part out."""

    slice: list[Expr] = Field(min_length=2, max_length=3)


class EllipsisKey(_Node):
    """`...` inside a key."""

    ellipsis: None


# --------------------------------------------------------------------------- statements

Stmt = TypeAliasType(
    "Stmt",
    Annotated[
        Union[  # noqa: UP007
            Annotated["Assign", Tag("Assign")],
            Annotated["SetItem", Tag("SetItem")],
            Annotated["SetAttr", Tag("SetAttr")],
            Annotated["ExprStmt", Tag("ExprStmt")],
            Annotated["If", Tag("If")],
            Annotated["While", Tag("While")],
            Annotated["For", Tag("For")],
            Annotated["Break", Tag("Break")],
            Annotated["Continue", Tag("Continue")],
            Annotated["Def", Tag("Def")],
            Annotated["Return", Tag("Return")],
            Annotated["With", Tag("With")],
        ],
        Discriminator(_stmt_tag, custom_error_type="invalid_statement",
                      custom_error_message=_STMT_ERROR),
    ],
)

Body = Annotated[list[Stmt], Field(description="A block of statements.")]


class Assign(_Node):
    """`name = value`, or `a, b = value` (unpacking) when `assign` is a list of names."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"assign": "x", "value": {"call": "arange", "args": [4.0],
                                  "kwargs": {"requires_grad": True}}}]})
    assign: Name | list[Name]
    value: Expr


class SetItem(_Node):
    """`target[key] = value`, in place."""

    setitem: Expr
    key: Key
    value: Expr


class SetAttr(_Node):
    """`target.grad = value` or `target.requires_grad = value`."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"setattr": {"var": "x"}, "attr": "grad", "value": None}]})
    setattr: Expr
    attr: WritableAttr
    value: Expr


class ExprStmt(_Node):
    """An expression for its effect; as the program's last statement, its value is the result."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"expr": {"call": "backward", "args": [{"var": "y"}]}}]})
    expr: Expr


class If(_Node):
    """`if cond: then else: else`."""

    if_: Expr = Field(alias="if")
    then: Body
    else_: Body = Field(default_factory=list, alias="else")


class While(_Node):
    """`while cond: body`."""

    while_: Expr = Field(alias="while")
    body: Body


class For(_Node):
    """`for name in iterable: body` over a range, a list, or a tensor's first dimension."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"for": "i", "in": {"call": "range", "args": [300]},
         "body": [{"assign": "y", "value": {"call": "tanh", "args": [{"var": "y"}]}}]}]})
    for_: Name | list[Name] = Field(alias="for")
    in_: Expr = Field(alias="in")
    body: Body


class Break(_Node):
    """`break`."""

    break_: None = Field(alias="break")


class Continue(_Node):
    """`continue`."""

    continue_: None = Field(alias="continue")


class Def(_Node):
    """`def name(params): body`: a user function (recursion allowed, bounded)."""

    def_: Name = Field(alias="def")
    params: list[Name]
    body: Body


class Return(_Node):
    """`return value` (`null` returns None)."""

    return_: Expr = Field(alias="return")


class With(_Node):
    """`with torch.no_grad():` / `with torch.enable_grad():`."""

    with_: GradMode = Field(alias="with")
    body: Body


_SEED_EXAMPLE = [
    {"assign": "x", "value": {"call": "arange", "args": [4.0], "kwargs": {"requires_grad": True}}},
    {"assign": "y", "value": {"call": "mul", "args": [
        2, {"call": "dot", "args": [{"var": "x"}, {"var": "x"}]}]}},
    {"expr": {"call": "backward", "args": [{"var": "y"}]}},
    {"expr": {"attr": "grad", "of": {"var": "x"}}},
]


class Program(RootModel[list[Stmt]]):
    """A program: a list of statements, run in order in the session (SPEC §2)."""

    model_config = ConfigDict(
        title="Program",
        frozen=True,
        json_schema_extra={"examples": [_SEED_EXAMPLE]},
    )


for _model in (Var, Call, Attr, Index, And, Or, Not, IfExp, SliceKey, EllipsisKey, Assign,
               SetItem, SetAttr, ExprStmt, If, While, For, Break, Continue, Def, Return, With,
               Program):
    _model.model_rebuild()

EXPRESSION_TAGS = frozenset(_EXPR_TAGS.values()) | {"Number", "Bool", "Null", "String", "List"}
STATEMENT_TAGS = frozenset(_STMT_TAGS.values())
KEY_TAGS = frozenset({"Slice", "EllipsisKey", "KeyTuple"})
ALL_TAGS = EXPRESSION_TAGS | STATEMENT_TAGS | KEY_TAGS
