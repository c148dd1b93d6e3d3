"""``import json``: ``dumps`` and ``loads`` of plain data as CPython's (``print(json.dumps(
metrics))`` in training loops), with a program's ``default=`` and hooks run by the interpreter;
bounded (steps, text size, indent, nesting) and closed to files and Python objects."""

from __future__ import annotations

import pytest

from app.lang import Environment, LangError, Limits, compile_source, run_program

from .conftest import our_cells, python_cells

CELLS = [
    "import json\nm = {'loss': 0.5, 'acc': [1, 2.5, None, True], 'name': 'x', 1: 'one'}",
    "print(json.dumps(m))\nprint(json.dumps(m, indent=2))\nprint(json.dumps(m, indent='\\t'))",
    "print(json.dumps({2: 1, 1: 2}, sort_keys=True, separators=(',', ':')))",
    "print(json.dumps(float('nan')), json.dumps('é'), json.dumps('é', ensure_ascii=False))",
    "print(json.dumps((1, 2)), json.dumps([]), json.dumps({}), json.dumps(None))",
    "print(json.loads('{\"a\": [1, 2.0, null, \"\\\\u00e9\", true]}'))",
    "print(json.loads(json.dumps(m)) == {str(k): v for k, v in m.items()})",
    "print(json.loads('[1.5, 2]', parse_float=lambda s: 'F' + s, parse_int=lambda s: -int(s)))",
    "print(json.loads('{\"a\": 1, \"b\": 2}', object_hook=lambda d: sorted(d.items())))",
    "print(json.loads('{\"a\": 1}', object_pairs_hook=lambda ps: ps))",
    "class A:\n    pass\nprint(json.dumps([A()], default=lambda o: type(o).__name__))",
    "json.dumps([A()])",
    "json.dumps({(1, 2): 3})",
    "print(json.dumps({(1, 2): 3, 'k': 1}, skipkeys=True))",
    "x = []\nx.append(x)\njson.dumps(x)",
    "json.dumps(float('inf'), allow_nan=False)",
    "json.dumps([float('-inf')], allow_nan=False, indent=1)",
    "json.loads('{bad')",
    "try:\n    json.loads('[1,')\nexcept json.JSONDecodeError as e:\n"
    "    print(type(e).__name__, isinstance(e, ValueError), e)",
    "try:\n    json.loads('')\nexcept ValueError as e:\n    print(repr(type(e)), e)",
    "json.loads(3)",
    "json.dumps(1, foo=2)",
    "json.loads('[1]', foo=2)",
    "json.loads('{}', object_hook=3)",
    "from json import dumps, loads as parse\nprint(dumps(parse('[1, {\"a\": null}]')))",
    "print(json.dumps({'b': [1, 2]}, default=str, indent=1, sort_keys=True))",
]


def _lines(cells: list[tuple]) -> list[tuple]:
    """A run's ``printed`` keeps one print's text whole (``indent=`` makes it several lines)."""
    return [("\n".join(printed).splitlines(), error) for printed, error in cells]


@pytest.mark.parametrize("form", ["source", "json"])
def test_json_as_cpython(form):
    assert _lines(our_cells(CELLS, form)) == python_cells(CELLS)


TORCH_CELLS = [
    "import json\nimport torch\nimport numpy as np",
    "json.dumps({'t': torch.ones(2)})",
    "json.dumps(np.ones(2))",
    "print(json.dumps({'t': torch.ones(2)}, default=lambda t: t.tolist()))",
    "print(json.dumps({'loss': torch.tensor(0.25).item(), 'shape': list(torch.ones(2, 3).shape)}))",
    "print(json.dumps(np.float64(1.5)))",
]


@pytest.mark.parametrize("form", ["source", "json"])
def test_json_of_tensors_and_arrays_as_cpython(form):
    import numpy as np
    import torch  # the oracle

    assert our_cells(TORCH_CELLS, form) == python_cells(TORCH_CELLS, {"torch": torch, "np": np})


def _run(source: str, **limits) -> LangError:
    with pytest.raises(LangError) as info:
        run_program(compile_source(source), Environment(), Limits(**limits), source=source)
    return info.value


@pytest.mark.parametrize(("source", "limits", "limit"), [
    # shared sublists: a 4 MB text from a small list, refused as it grows
    ("import json\nx = [[1] * 1000] * 1000\njson.dumps(x)", {"max_value_elements": 100_000},
     "max_value_elements"),
    ("import json\nx = [[1] * 1000] * 1000\njson.dumps(x)", {"max_steps": 10_000}, "max_steps"),
    ("import json\njson.dumps([[1]], indent=10 ** 8)", {}, "max_value_elements"),
    ("import json\njson.dumps([[1]], indent=' ' * 10 ** 6)", {}, "max_value_elements"),
    ("import json\nx = []\nfor i in range(5000):\n    x = [x]\njson.dumps(x)", {},
     "max_recursion_depth"),
    ("import json\njson.loads('[' * 100000)", {}, "max_recursion_depth"),
    ("import json\nwhile True:\n    json.loads('[1]', parse_int=lambda s: 1)", {"max_steps": 500},
     "max_steps"),
])
def test_json_is_bounded(source, limits, limit):
    assert _run(source, **limits).extra["limit"] == limit


@pytest.mark.parametrize(("source", "text"), [
    ("import json\njson.dumps(1, cls=json)", "the cls argument"),
    ("import json\njson.loads('1', cls=dict)", "the cls argument"),
    ("import json\njson.dump", "json.dump is not supported"),
    ("import json\njson.load", "json.load is not supported"),
    ("import json\njson.JSONEncoder", "json.JSONEncoder is not supported"),
    ("import json\njson.decoder", "json.decoder is not supported"),
])
def test_json_reaches_no_files_or_classes(source, text):
    assert text in _run(source).detail


@pytest.mark.parametrize("source", [
    "import json\njson.__dict__", "import json\njson.loads.__globals__",
    "import json.decoder", "from json import decoder",
])
def test_json_internals_stay_out(source):
    with pytest.raises(LangError):
        run_program(compile_source(source), Environment(), Limits(), source=source)


def test_json_hooks_cannot_reach_python_objects():
    """What ``loads`` hands a hook is plain data, and a hook's value is admitted like any."""
    source = ("import json\nseen = []\njson.loads('{\"a\": [1]}', object_hook=seen.append)\n"
              "print(seen, type(seen[0]).__name__)")
    result = run_program(compile_source(source), Environment(), Limits(), source=source)
    assert result.printed == ["[{'a': [1]}] dict"]
