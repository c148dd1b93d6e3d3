"""``import dataclasses``: ``@dataclass`` (init, repr, eq, order, frozen, unsafe_hash,
kw_only, inheritance, ``__post_init__``), ``field``, ``fields``, ``asdict``, ``astuple``,
``replace``, ``is_dataclass``, ``MISSING`` and ``FrozenInstanceError`` as CPython has them
(each program's printed lines compared with CPython running the same source), in both forms;
classes and objects live in the session; hostile uses stop at the limits."""

from __future__ import annotations

import contextlib
import io

import pytest

from app.lang import Environment
from app.lang.errors import LangError, ProgramError

BASICS = """\
from dataclasses import dataclass, field, fields, asdict, astuple, replace, is_dataclass
from dataclasses import FrozenInstanceError
import dataclasses
@dataclass
class P:
    x: int
    y: float = 0.5
    tags: list = field(default_factory=list)
    n: int = field(default=3, repr=False)
p = P(1)
print(p, p == P(1), p == P(2), P(1, 2.0, ['a']), p != P(1, 0.5, ['b']))
print([f.name for f in fields(p)], asdict(p), astuple(p), P.y, P.n)
print(replace(p, x=5), is_dataclass(p), is_dataclass(P), is_dataclass(3))
print(dataclasses.MISSING is fields(P)[0].default, fields(P)[2].default_factory)
print(fields(P)[3].repr, fields(P)[1].init, fields(P)[1].default, fields(P)[1].compare)
@dataclass(frozen=True, order=True)
class Fz:
    a: int
    b: str = 'z'
f = Fz(2)
try:
    f.a = 3
except FrozenInstanceError as e:
    print('frozen:', e, type(e).__name__, isinstance(e, AttributeError))
try:
    del f.a
except AttributeError as e:
    print('frozen:', e)
try:
    f.other = 1
except AttributeError as e:
    print('frozen:', e)
print(Fz(1) < Fz(2), sorted([Fz(3), Fz(1, 'b'), Fz(1, 'a')]), len({Fz(1), Fz(1), Fz(2)}))
print(Fz(1) <= Fz(1), Fz(2) > Fz(1, 'zz'), Fz(1) >= Fz(2), {Fz(1): 'one'}[Fz(1)])
try:
    {p}
except TypeError as e:
    print(e)
"""

MORE = """\
from dataclasses import dataclass, field, fields, asdict
@dataclass
class Base:
    x: int
    y: int = 2
@dataclass
class Q(Base):
    z: int = 7
    label: str = 'q'
    def __post_init__(self):
        self.total = self.x + self.y + self.z
    def scaled(self, k):
        return Q(self.x * k, self.y, self.z * k)
q = Q(1, z=2)
print(q, q.total, q.scaled(3), [f.name for f in fields(Q)], isinstance(q, Base))
for make in (lambda: Base(), lambda: Base(1, 2, 3), lambda: Base(1, w=2),
             lambda: Base(1, x=2), lambda: Q(1, 2, 3, 'a', 5)):
    try:
        make()
    except TypeError as e:
        print(e)
try:
    @dataclass
    class B:
        a: int = 1
        b: int
except TypeError as e:
    print(e)
for bad in ([], {}, set()):
    try:
        @dataclass
        class M:
            a: object = bad
    except ValueError as e:
        print(e)
@dataclass(kw_only=True)
class K:
    a: int
    b: int = 2
print(K(a=1), K(b=1, a=0))
for make in (lambda: K(1), lambda: K()):
    try:
        make()
    except TypeError as e:
        print(e)
@dataclass
class C:
    from_class: int = 4
    shared: float = 1.5
print(C.from_class, C(), C(5).from_class, C(shared=2.0))
@dataclass(eq=False, repr=False)
class Plain:
    v: int
a = Plain(1)
print(a == Plain(1), a == a, len({a, a}))
@dataclass(init=False)
class NoInit:
    v: int = 3
    def __init__(self, v2):
        self.v = v2 * 2
print(NoInit(4))
@dataclass
class Outer:
    inner: Base
    items: list = field(default_factory=lambda: [Base(0)])
    table: dict = field(default_factory=dict)
o = Outer(Base(5), table={'k': Base(6)})
print(o, asdict(o))
@dataclass(unsafe_hash=True)
class H:
    k: int
    note: str = field(default='', compare=False)
print(len({H(1), H(1, 'x'), H(2)}), H(1) == H(1, 'y'))
@dataclass
class Counted:
    n: int = 0
    def bump(self):
        self.n += 1
        return self
print(Counted().bump().bump())
"""


def cpython_lines(source: str) -> list[str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "<program>", "exec"), {"__name__": "__main__"})  # the oracle
    return out.getvalue().splitlines()


@pytest.mark.parametrize("source", [BASICS, MORE], ids=["basics", "more"])
def test_programs_print_what_cpython_prints(form, source):
    ours = [line for entry in form(source).printed for line in entry.split("\n")]
    assert ours == cpython_lines(source)


def test_a_fields_type_is_its_annotations_text(form):
    out = form("from dataclasses import dataclass, fields\nimport torch\n@dataclass\n"
               "class A:\n    t: torch.Tensor\n    n: int = 1\n"
               "[f.type for f in fields(A)]").result
    assert out == ["torch.Tensor", "int"]


def test_classes_and_objects_live_in_the_session(form):
    env = Environment()
    form("from dataclasses import dataclass, field, replace\n@dataclass(frozen=True)\n"
         "class Cfg:\n    n_embd: int = 32\n    n_head: int = 4\n    dropout: float = 0.0\n"
         "c = Cfg(n_head=8)", env)
    assert repr(form("replace(c, dropout=0.1)", env).result) == \
        "Cfg(n_embd=32, n_head=8, dropout=0.1)"
    with pytest.raises(ProgramError, match="cannot assign to field 'n_head'") as info:
        form("x = 1\nc.n_head = 2", env)
    assert info.value.extra["exception"] == "FrozenInstanceError"
    assert form("(x, c.n_head)", env).result == (1, 8)


def test_the_class_body_annotations_are_in_the_json_form():
    from app.lang import compile_source

    program = compile_source("class A:\n    a: int\n    b: 'list[int]' = 2\n    c = 3\n")
    node = program["program"][0] if isinstance(program, dict) else program[0]
    assert node["fields"] == [["a", "int"], ["b", "'list[int]'"]]


@pytest.mark.parametrize("source, message", [
    ("from dataclasses import dataclass\n@dataclass(slots=True)\nclass A:\n    a: int",
     "slots=True"),
    ("from dataclasses import dataclass\nimport torch.nn as nn\n@dataclass\n"
     "class M(nn.Module):\n    a: int = 1", "subclass of a library class"),
    ("from dataclasses import dataclass\ndataclass(3)", "should be called on a class"),
    ("from dataclasses import fields\nfields(3)", "dataclass type or instance"),
    ("from dataclasses import field\nfield(default=1, default_factory=list)",
     "cannot specify both"),
    ("from dataclasses import asdict\nasdict({})", r"asdict\(\) should be called"),
])
def test_refusals_are_clear(form, source, message):
    with pytest.raises(LangError, match=message):
        form(source)


@pytest.mark.parametrize("source, limit", [
    ("from dataclasses import dataclass, field\n@dataclass\nclass R:\n"
     "    r: object = field(default_factory=lambda: R())\nR()", "max_recursion_depth"),
    ("from dataclasses import dataclass, field\n@dataclass\nclass G:\n"
     "    xs: list = field(default_factory=lambda: list(range(10**9)))\nG()",
     "max_value_elements"),
])
def test_hostile_defaults_are_bounded(form, source, limit):
    with pytest.raises(LangError) as info:
        form(source)
    assert info.value.extra.get("limit") == limit


@pytest.mark.parametrize("source", [
    "from dataclasses import dataclass\n@dataclass\nclass A:\n    a: int = 1\n"
    "A.__dataclass_fields__",
    "from dataclasses import dataclass, fields\n@dataclass\nclass A:\n    a: int = 1\n"
    "fields(A)[0].__dict__",
    "import dataclasses\ndataclasses._process",
])
def test_no_path_leads_to_python_internals(form, source):
    with pytest.raises(LangError):
        form(source)
