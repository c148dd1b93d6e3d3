"""The language runs Python as Python runs it: each snippet is run by CPython itself (the
oracle; tests may ``exec``, the product never does) and by the interpreter in both forms, and
what they print must be identical."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from app.lang import Environment, Limits, ProgramError, compile_source, run_program

SNIPPETS = {
    "chained assignment whose first target is an item or attribute": """
adv = [0.0] * 4
last = 0
for t in reversed(range(4)):
    adv[t] = last = t + 0.5 * last
print(adv, last)
class O:
    pass
o, d = O(), {}
d["k"] = o.v = x = y = [1]
print(d, o.v, x is y, x is d["k"])
xs = [0, 0, 0]
xs[1] = i = 2
print(xs, i)
""",
    # ------------------------------------------------------------------ functions as values
    "functions as values": """
def square(x):
    return x * x
def twice(f, x):
    return f(f(x))
fs = [square, abs, lambda v: v + 1]
table = {"sq": square}
print(twice(square, 3), [f(-2) for f in fs], table["sq"](5))
g = square
print(g(4), g.__name__, (lambda: 1).__name__)
def make_adder(n):
    return lambda x: x + n
print(make_adder(2)(3), list(map(make_adder(10), [1, 2])))
""",
    "closures and late binding": """
def counters():
    out = []
    for i in range(3):
        out.append(lambda i=i: i)
    late = [lambda: i for i in range(3)]
    return [f() for f in out], [f() for f in late]
print(counters())
def outer():
    x = 1
    def inner():
        return x
    x = 2
    return inner()
print(outer())
""",
    "nonlocal and global": """
count = 0
def bump():
    global count
    count += 1
def acc():
    total = 0
    def add(v):
        nonlocal total
        total += v
        return total
    return add
bump(); bump()
a = acc()
a(2)
print(count, a(3))
""",
    "decorators": """
def logged(f):
    def wrapper(*args, **kwargs):
        print("call", f.__name__, args, kwargs)
        return f(*args, **kwargs)
    return wrapper
def times(n):
    def deco(f):
        def run(x):
            for _ in range(n):
                x = f(x)
            return x
        return run
    return deco
@logged
@times(3)
def inc(x):
    return x + 1
print(inc(1))
""",
    "parameters": """
def f(a, b=2, *args, c, d=4, **kw):
    return (a, b, args, c, d, sorted(kw.items()))
print(f(1, c=3))
print(f(1, 5, 6, 7, c=3, z=9, y=8))
print(f(*[1, 2, 3], **{"c": 0, "e": 5}))
def g(x, *, key=None):
    return x, key
print(g(1, key=2))
for bad in ("f()", "f(1, 2)", "f(1, c=1, a=2)", "g(1, 2)", "g(1, other=3)"):
    try:
        eval_me = {"f()": lambda: f(), "f(1, 2)": lambda: f(1, 2),
                   "f(1, c=1, a=2)": lambda: f(1, c=1, a=2), "g(1, 2)": lambda: g(1, 2),
                   "g(1, other=3)": lambda: g(1, other=3)}[bad]
        eval_me()
    except TypeError as e:
        print(type(e).__name__, e)
""",
    "recursion": """
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
print([fib(i) for i in range(12)])
""",
    # ------------------------------------------------------------------ collections
    "dicts": """
d = {"a": 1, "b": 2}
d["c"] = 3
d.update({"d": 4}, e=5)
print(d, len(d), "a" in d, d.get("z"), d.get("z", 0))
print(list(d.keys()), list(d.values()), list(d.items())[:2])
print(d.pop("a"), d.setdefault("f", 6), d.setdefault("b", 0), d)
for k, v in d.items():
    print(k, v, end="; ")
print()
print({k: v * 2 for k, v in d.items() if v % 2}, dict(a=1), dict([("x", 1)]))
del d["b"]
print(sorted(d), {**d, "z": 0})
try:
    d["missing"]
except KeyError as e:
    print("KeyError", e, repr(e))
""",
    "sets and tuples": """
s = {3, 1, 2}
s.add(4)
s.discard(10)
print(sorted(s), 2 in s, sorted(s | {9}), sorted(s & {1, 2}), sorted(s - {1}))
print(sorted({x % 3 for x in range(10)}), frozenset([1]) == frozenset([1]))
t = (1, 2, 3)
print(t, t[1:], t.index(2), t.count(1), len(t), t + (4,), (1,), ())
""",
    "lists and comprehensions": """
xs = [5, 3, 8]
xs.append(1)
xs.extend([9, 0])
xs.insert(0, 7)
xs.sort()
print(xs, xs.pop(), xs.pop(0), xs.index(5), xs.count(3))
xs.sort(key=lambda v: -v)
print(xs, sorted(xs, reverse=True), list(reversed(xs)))
print([[i * j for j in range(3)] for i in range(3)])
print([(i, j) for i in range(3) for j in range(i) if i + j > 1])
print(sum(x * x for x in range(5)), max(xs, key=lambda v: v % 4), min([], default=-1))
print(list(enumerate("ab", 1)), list(zip("ab", [1, 2, 3])), any(x > 8 for x in xs))
gen = (x for x in range(3))
print(next(gen), list(gen), next(gen, "done"))
""",
    "unpacking": """
a, *rest = [1, 2, 3]
*init, last = "abc"
(x, y), z = (1, 2), 3
print(a, rest, init, last, x, y, z)
for i, (k, v) in enumerate({"p": 1, "q": 2}.items()):
    print(i, k, v)
first = second = [1, 2]
print([*range(3), *"ab"], {*[1, 1]})
try:
    a, b = [1, 2, 3]
except ValueError as e:
    print(e)
try:
    a, b, c = [1]
except ValueError as e:
    print(e)
""",
    "strings": """
s = "Hello, World"
print(s.lower(), s.upper(), s.split(", "), "-".join(["a", "b"]), s.replace("l", "L", 2))
print(s.startswith("He"), s.find("o"), s.strip("Hd"), s[::-1], s[:5] * 2, len(s))
print("{} + {} = {}".format(1, 2, 3), "{name}!".format(name="x"), "{:>6.2f}|".format(3.14159))
print(f"{3.5:.1f} {'x'!r} {10:04d} {255:x}", "%d items at %.2f" % (3, 2.5), "%s" % "one")
print("a,b,,c".split(","), "  pad ".strip(), "x".center(5, "*"), "7".zfill(3))
print(str(1.5), repr("q"), int("42"), float("2.5"), bool(""), chr(65), ord("A"))
""",
    "print": """
print("a", "b", sep="")
print("no newline", end=" ")
print("then this")
print(1, 2, 3, sep=", ", end="!\\n")
print()
print([1, "two", (3,)], {"k": [1.5]}, None, True)
""",
    "bitwise and numbers": """
print(5 & 3, 5 | 3, 5 ^ 3, ~5, 1 << 10, 1024 >> 3, True & False)
x = 6
x &= 3
x |= 8
x ^= 1
x <<= 2
x >>= 1
print(x, 7 // 2, -7 // 2, 7 % 3, -7 % 3, 2 ** -1, divmod(7, 2), pow(2, 10), abs(-3.5))
print(round(2.675, 2), round(7.5), int(3.9), float("inf") > 10**300, 10**20)
""",
    "range and slicing": """
r = range(2, 10, 3)
print(list(r), len(r), r[1], r.start, 5 in r, list(range(5))[1:4])
xs = list(range(10))
xs[2:4] = ["a"]
print(xs, xs[::3], xs[-2:])
""",
    "control flow": """
for i in range(3):
    if i == 1:
        continue
    print(i)
else:
    print("done")
n = 0
while n < 10:
    n += 3
    if n > 6:
        break
else:
    print("not printed")
print(n, 1 if n else 2, n > 3 and "big" or "small", not n)
""",
    # ------------------------------------------------------------------ classes
    "classes": """
class Point:
    dims = 2
    def __init__(self, x, y):
        self.x, self.y = x, y
    def __repr__(self):
        return f"Point({self.x}, {self.y})"
    def __add__(self, other):
        return Point(self.x + other.x, self.y + other.y)
    def __eq__(self, other):
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)
    def __len__(self):
        return 2
    def __getitem__(self, i):
        return (self.x, self.y)[i]
    def norm2(self):
        return self.x ** 2 + self.y ** 2
    @staticmethod
    def origin():
        return Point(0, 0)
    @classmethod
    def unit(cls):
        return cls(1, 1)
    @property
    def swapped(self):
        return Point(self.y, self.x)
p = Point(1, 2) + Point.unit()
print(p, p.norm2(), p.swapped, Point.origin(), len(p), list(p), p[0], p == Point(2, 3))
print(Point.dims, p.dims, isinstance(p, Point), type(p).__name__, type(p) is Point)
print(str(p), [p], {"p": p})
""",
    "super() calls across three classes, after the classes change": """
class A:
    def f(self, x):
        return "A.f" + str(x)
    @property
    def p(self):
        return "A.p"
    @classmethod
    def c(cls):
        return "A.c " + cls.__name__
    @staticmethod
    def s(v):
        return "A.s" + str(v)
class B(A):
    def f(self, x):
        return "B>" + super().f(x)
    def g(self):
        return super().p, super().c(), super().s(1)
class C(B):
    def f(self, x, *rest, k=0):
        return "C>" + super().f(x + k) + str(rest)
c = C()
print(c.f(1), c.g())
for i in range(3):
    print(c.f(i, i, k=1))
def newf(self, x):
    return "A2.f" + str(x * 10)
A.f = newf
print(c.f(1))
B.f = lambda self, x: "B2"
print(c.f(1))
class D(A):
    def h(self):
        return super().missing()
try:
    D().h()
except AttributeError as e:
    print(e)
""",
    "inheritance and super": """
class Animal:
    sound = "..."
    def __init__(self, name):
        self.name = name
    def speak(self):
        return f"{self.name} says {self.sound}"
class Dog(Animal):
    sound = "woof"
    def __init__(self, name, tricks=()):
        super().__init__(name)
        self.tricks = list(tricks)
    def speak(self):
        return super().speak() + "!"
class Puppy(Dog):
    def speak(self):
        return "small " + super().speak()
p = Puppy("rex", ["sit"])
print(p.speak(), p.tricks, isinstance(p, Animal), issubclass(Puppy, Animal))
print(isinstance(p, (int, Dog)), type(p).__name__, Dog.speak(p))
class A:
    def who(self):
        return "A"
class B(A):
    def who(self):
        return "B" + super().who()
class C(A):
    def who(self):
        return "C" + super().who()
class D(B, C):
    def who(self):
        return "D" + super().who()
print(D().who())
""",
    "special methods": """
class Seq:
    def __init__(self, n):
        self.n = n
    def __iter__(self):
        return iter(range(self.n))
    def __contains__(self, x):
        return x == "magic"
    def __bool__(self):
        return self.n > 0
    def __call__(self, k):
        return k * self.n
    def __lt__(self, other):
        return self.n < other.n
class Ctx:
    def __enter__(self):
        print("enter")
        return self
    def __exit__(self, kind, value, tb):
        print("exit", kind is None)
        return False
s = Seq(3)
print(list(s), "magic" in s, 1 in s, bool(Seq(0)), s(2), sorted([Seq(2), Seq(1)])[0].n)
with Ctx() as c:
    print("inside", type(c).__name__)
class Box:
    def __init__(self):
        self._v = 0
    @property
    def v(self):
        return self._v
    @v.setter
    def v(self, value):
        self._v = value * 2
b = Box()
b.v = 5
print(b.v, hasattr(b, "v"), hasattr(b, "w"), getattr(b, "w", "no"))
setattr(b, "w", 1)
print(b.w)
""",
    # ------------------------------------------------------------------ exceptions
    "exceptions": """
class MyError(ValueError):
    def __init__(self, code):
        super().__init__(f"code {code}")
        self.code = code
def risky(n):
    if n == 0:
        raise MyError(7)
    if n == 1:
        raise KeyError("k")
    return 1 / (n - 2)
for n in range(4):
    try:
        out = risky(n)
    except MyError as e:
        print("mine", e, e.code, e.args, isinstance(e, ValueError))
    except (KeyError, ZeroDivisionError) as e:
        print(type(e).__name__, e)
    else:
        print("ok", out)
    finally:
        print("finally", n)
def f():
    try:
        return "try"
    finally:
        print("cleanup")
print(f())
try:
    try:
        raise RuntimeError("inner")
    except RuntimeError:
        raise
except Exception as e:
    print("reraised", e, repr(e))
try:
    assert 1 > 2, "math is broken"
except AssertionError as e:
    print("assert", e)
try:
    [][1]
except IndexError as e:
    print(e)
try:
    undefined_name
except NameError as e:
    print(e)
try:
    None.foo
except AttributeError as e:
    print(e)
""",
    # ------------------------------------------------------------------ generators
    "generators": """
def data_iter(batch, items):
    n = len(items)
    for i in range(0, n, batch):
        yield items[i:i + batch]
for b in data_iter(2, [1, 2, 3, 4, 5]):
    print(b)
def counter():
    i = 0
    while True:
        yield i
        i += 1
c = counter()
print(next(c), next(c), [next(c) for _ in range(3)])
def chain(*its):
    for it in its:
        yield from it
print(list(chain([1], (2, 3), range(2))))
def with_return():
    yield 1
    return
    yield 2
print(list(with_return()))
g = (x * x for x in range(4) if x)
print(list(g), list(g))
def gen_try():
    try:
        yield 1
        raise ValueError("in gen")
    except ValueError as e:
        yield str(e)
    finally:
        print("gen finally")
print(list(gen_try()))
""",
    # ------------------------------------------------------------------ modules
    "math": """
import math
print(math.sqrt(2), math.exp(1), math.log(100, 10), math.pi, math.floor(2.7), math.ceil(2.1))
print(math.isclose(0.1 + 0.2, 0.3), math.factorial(10), math.comb(5, 2), math.prod([1, 2, 3]))
from math import sqrt as root, inf
print(root(9), inf)
""",
    "functools and delattr": """
import functools
from functools import partial, reduce
def f(a, b, c=1):
    return a * 100 + b * 10 + c
g = partial(f, 1, c=5)
h = functools.partial(g, 2)
print(g(2), g(3, c=7), h(), h(c=0), callable(g), type(g).__name__)
print(reduce(lambda a, b: a * b, range(1, 6)), reduce(max, [], 9), functools.reduce(f, [1, 2], 0))
print(list(map(partial(pow, 2), [1, 2, 3])))
class A:
    pass
a = A()
a.x = 1
setattr(a, "y", 2)
delattr(a, "x")
print(hasattr(a, "x"), getattr(a, "y"))
try:
    delattr(a, "x")
except AttributeError as e:
    print("AttributeError")
try:
    reduce(max, [])
except TypeError as e:
    print(e)
""",
    # ------------------------------------------------------------------ dunder attributes
    "readable dunder attributes": """
class Base:
    \"\"\"A base.\"\"\"
    def describe(self):
        \"\"\"Say what I am.\"\"\"
        return self.__class__.__name__ + "/" + type(self).__qualname__
class Child(Base):
    pass
def outer():
    def inner():
        pass
    return inner
c = Child()
print(c.describe(), Base().describe(), c.__class__ is Child, type(c) is c.__class__)
print(Child.__name__, Child.__qualname__, Base.__doc__, Child.__doc__, c.__doc__)
print(Base.describe.__doc__, c.describe.__name__, c.describe.__qualname__)
print(outer.__name__, outer().__name__, outer().__qualname__, outer.__doc__)
print((lambda: 0).__name__, print.__name__, len.__qualname__, int.__name__)
print((1).__class__.__name__, "s".__class__, [].__class__.__name__, None.__class__.__name__)
print(getattr(c, "__class__").__name__, hasattr(c, "__name__"), hasattr(Child, "__name__"))
print(c.__class__().describe(), type(c).__class__.__name__, Child.__class__)
try:
    raise KeyError("k")
except Exception as e:
    print(e.__class__.__name__, type(e).__name__, e.__class__)
try:
    c.__name__
except AttributeError as e:
    print(e)
""",
    "classes changed after their methods and attributes were used (call sites' caches)": """
class A:
    def step(self, y):
        return y + 1
class B(A):
    def __call__(self, y):
        return super().step(y)
b = B()
out = [b(1)]
A.step = lambda self, y: y + 10
out.append(b(1))
class C(B):
    pass
c = C()
out.append(c(1))
B.step = lambda self, y: y * 100
out.append(c(1))
class D:
    def __init__(self):
        self.s = 1
d = D()
out.append(d.s)
D.s = property(lambda self: 5)
out.append(d.s)
del D.s
out.append(d.s)
print(out)
""",
}


def _python(source: str) -> list[str]:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(source, "<snippet>", "exec"), {"__name__": "__main__"})  # the oracle
    text = buffer.getvalue()
    return text[:-1].split("\n") if text.endswith("\n") else text.split("\n")


def _ours(source: str, form: str) -> list[str]:
    program = compile_source(source)
    env = Environment()
    if form == "json":
        program = json.loads(json.dumps(program))
        result = run_program(program, env, Limits())
    else:
        result = run_program(program, env, Limits(), source=source)
    return [line for entry in result.printed for line in entry.split("\n")]


@pytest.mark.parametrize("form", ["source", "json"])
@pytest.mark.parametrize("name", list(SNIPPETS))
def test_snippet_prints_what_python_prints(name, form):
    source = SNIPPETS[name]
    assert _ours(source, form) == _python(source)


def test_an_uncaught_exception_carries_its_class_and_text():
    with pytest.raises(ProgramError) as info:
        _ours("class Bad(Exception):\n    pass\nraise Bad('broken')", "source")
    assert info.value.detail == "broken" and info.value.extra["exception"] == "Bad"
    with pytest.raises(ProgramError) as info:
        _ours("{}['k']", "source")
    assert (info.value.detail, info.value.extra["exception"]) == ("'k'", "KeyError")
