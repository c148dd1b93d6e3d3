"""``Tensor.to`` and the casts bound by torch 2.13's overloads, side by side with torch: a
string first is a device (``x.to('float64')`` is "Invalid device string", never a dtype),
an int is an accelerator's index, the positional ``non_blocking`` / ``copy`` are read (a
positional ``copy=True`` copies), a bool or float value first is a dtype as torch's parser
reads it, and the casts (``x.double()``) take no positional argument. Compared: the result's
dtype, device and whether it is ``x`` itself, or the error's class and text."""

from __future__ import annotations

import warnings

import pytest

import engine

torch = pytest.importorskip("torch")

FORMS = [
    "x.to('float64')", "x.to('torch.float64')", "x.to('double')", "x.to('float32')",
    "x.to('float64', m.float64)", "x.to('float64', non_blocking=True)", "x.to('')",
    "x.to('cpu', 'float64')", "x.to('float64', 'cpu')", "x.to(x, 'float64')",
    "x.to(None, 'float64')", "x.to(dtype='float64')", "x.to('cpu', dtype='float64')",
    "x.to(device='cpu', dtype='float64')", "x.to(device='float64')",
    "x.to('cpu')", "x.to('cpu', m.float64)", "x.to(m.device('cpu'), m.float64)",
    "x.to(m.float64)", "x.to(dtype=m.float64)", "x.to(m.float32)",
    "x.to(m.float32, False, True)", "x.to(m.float32, True, True)",
    "x.to(m.float32, False, False)", "x.to('cpu', m.float32, False, True)",
    "x.to('cpu', None, False, True)", "x.to(x, False, True)", "x.to(x, False, False)",
    "x.to(x.double(), True)", "x.to(m.float32, copy=True)", "x.to(m.float32, True, copy=True)",
    "x.to(None)", "x.to(None, None)", "x.to('cpu', None)", "x.to(m.float64, None)",
    "x.to(m.float64, 1)", "x.to(m.float64, m.float64)", "x.to(m.float64, 'cpu')",
    "x.to(0)", "x.to(2)", "x.to(-1)", "x.to(0, m.float64)", "x.to(device=-1)",
    "x.to(True)", "x.to(False)", "x.to(1.0)", "x.to(m.float64, False, False, m.preserve_format)",
    "x.to(x, False, False, m.preserve_format)", "x.to(m.float64, memory_format=m.channels_last)",
    "x.to(m.float64, foo=1)", "x.double(m.float32)", "x.float(m.float32)", "x.half(1, 2)",
    "x.double(memory_format=m.preserve_format)", "x.half(memory_format=1)",
    "x.type('float64')", "x.type('torch.DoubleTensor')", "m.ones(2, device=0)",
    "m.ones(2, device=-1)", "m.ones(2, device='')", "m.device(-1)",
]


def _outcome(m, form: str):
    x = m.ones(2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = eval(form, {"m": m, "x": x})  # noqa: S307 (the forms above)
        except Exception as e:  # noqa: BLE001 (the class and text are compared)
            kind = next(c.__name__ for c in type(e).__mro__
                        if c.__name__ in ("TypeError", "RuntimeError", "ValueError",
                                          "AssertionError"))
            return "raises", kind, str(e)
    if not isinstance(r, m.Tensor):
        return "value", str(r)
    return "tensor", str(r.dtype), str(r.device), r is x


@pytest.mark.parametrize("form", FORMS)
def test_to_binds_as_torch(form):
    assert _outcome(engine, form) == _outcome(torch, form)


def test_programs_read_a_string_as_a_device():
    """In a program too: ``x.to('float64')`` is torch's device error, a positional copy
    copies."""
    import contextlib
    import io

    from app.lang import Environment, Limits, compile_source, run_program

    program = """x = torch.ones(2)
for f in (lambda: x.to('float64'), lambda: x.to('double'), lambda: x.to('cpu', 'float64')):
    try:
        f()
    except Exception as e:
        print(type(e).__name__, str(e).splitlines()[0])
print(x.to(torch.float32, False, True) is x, x.to(torch.float32) is x)
"""
    printed = run_program(compile_source("import torch\n" + program), Environment(),
                          Limits()).printed
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(program, {"torch": torch})  # the oracle
    assert "\n".join(printed) == out.getvalue().rstrip("\n")
