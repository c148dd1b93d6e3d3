"""torch's argument-parser signatures for every table op, per form: a golden recorder.

torch's C functions bind their arguments with a parser built from signature strings
(``matmul(Tensor input, Tensor other, *, Tensor out=None)``); its refusals (wrong type,
missing, extra, unexpected keyword, "invalid combination ... expected one of") are worded from
them. This records, for each table op's function form (the callable the differential suite
calls: ``torch.x``, ``F.x``, ``torch.linalg.x``, ``torch.special.x``) and method form
(``Tensor.x``, in-place ones included), the exact strings of its parser, taken from torch
itself:

* the candidates are the signature strings compiled into torch's Python bindings
  (``libtorch_python``), grouped by the parser name;
* a call with 30 positional arguments that no signature takes makes torch print its parser's
  visible signatures (``expected one of: * (...)``) when it has several: those are matched
  back to their strings (``Signature.shown``);
* a parser of one signature prints none: each candidate is checked against torch's texts for
  probe calls (too many arguments, none, a foreign object at each of the first positions, an
  unknown keyword), and the one that words every probe as torch does is kept.

Python-level functions (many of ``F``'s, ``Tensor.norm``...) are not the parser's and are left
out. ``.venv/bin/python -m tests.oracle.signature_recorder`` rewrites
engine/ops/signatures.json (the engine reads it on its error path, engine/ops/signatures.py);
tests/oracle/test_signature_errors.py compares the engine's texts with torch's.
"""

from __future__ import annotations

import inspect
import json
import pathlib
import re
import sys
import warnings

import torch

import engine
from engine.ops import OPS
from engine.ops import signatures as sg

from .backends import _torch_function

_PARSERS = (type(torch.matmul), type(torch.Tensor.add))
_SIG = re.compile(rb"(?<![\x21-\x7e])([A-Za-z_][A-Za-z0-9_]*\([^\x00\n]*?\)"
                  rb"(?:\|hidden|\|deprecated)?)\x00")


class _Probe:
    pass


def pool() -> dict[str, list[str]]:
    """Every signature string in torch's Python bindings, by parser name."""
    lib = pathlib.Path(torch.__file__).parent / "lib" / "libtorch_python.so"
    out: dict[str, list[str]] = {}
    for m in _SIG.finditer(lib.read_bytes()):
        try:
            text = m.group(1).decode("ascii")
        except UnicodeDecodeError:
            continue
        name = text[:text.index("(")]
        try:
            sg.Signature(text)
        except Exception:  # noqa: BLE001 - not a signature string
            continue
        if " " not in text and not text.endswith("()") and "()|" not in text:
            continue
        out.setdefault(name, [])
        if text not in out[name]:
            out[name].append(text)
    return out


def torch_text(fn, args, kwargs) -> str | None:
    try:
        fn(*args, **kwargs)
    except TypeError as e:
        return str(e)
    except Exception:  # noqa: BLE001 - not the parser's refusal
        return None
    return None


_LISTING = re.compile(r"^(\w+)\(\) received an invalid combination of arguments - got .*?, "
                      r"but expected (one of:\n(?:.*\n)*|\(.*\))$", re.S)


def record_one(fn, method: bool, strings: dict[str, list[str]]):
    """The strings of ``fn``'s parser, or (None, why)."""
    tt = torch.ones(2, 3)
    et = engine.ones(2, 3)
    self_t = (tt,) if method else ()
    many = tuple(_Probe() for _ in range(30))
    text = torch_text(fn, self_t + many, {})
    if text is None:
        return None, "no TypeError for 30 arguments"
    noargs = re.match(r"^(TensorBase\.\w+)\(\) takes no arguments \(", text)
    if noargs is not None:  # a method bound without arguments (METH_NOARGS)
        return [f"{noargs.group(1)}|noargs"], None
    m = _LISTING.match(text)
    name = re.match(r"^(\w+)\(", text)
    if name is None:
        return None, f"unread text {text[:80]!r}"
    name = name.group(1)
    cands = [s for s in strings.get(name, ()) if not s.endswith(("|hidden", "|deprecated"))]
    if m is not None:  # several signatures: the printed ones, matched back to strings
        body = m.group(2)
        shown = [line[3:] for line in body.splitlines() if line.startswith(" * ")] \
            if body.startswith("one of") else [body]
        chosen = []
        for line in shown:
            hits = [s for s in cands if sg.Signature(s).shown() == line]
            hits = [s for s in hits if _fits(s, method)] or hits
            if not hits:
                return None, f"no string prints as {name}{line}"
            chosen.append(hits[0])
        # the hidden (deprecated) strings of the parser bind calls too, and make it a parser
        # of several signatures: those of the same form (a function's name its tensor "input"
        # or "self", a method's not)
        inputs = _has_input(chosen[0])
        for s in strings.get(name, ()):
            if s.endswith(("|hidden", "|deprecated")) and _has_input(s) == inputs and \
                    (not method or _fits(s, method)):
                chosen.append(s)
        return chosen, None
    probes = [(many, {}), ((), {}), ((_Probe(),), {}), ((), {"__probe__": 1})]
    if not method:
        probes += [((0,), {}), (("t", _Probe()), {}), (("t", "t", _Probe()), {}),
                   (("t", 1.5), {}), (("t", None), {})]
    else:
        probes += [(("t", _Probe()), {}), ((1.5,), {}), ((None,), {})]
    keep = []
    for s in cands:
        if not _fits(s, method):
            continue
        sig = [sg.Signature(s)]
        ok = True
        for args, kw in probes:
            targs = tuple(tt if a == "t" else a for a in args)
            eargs = tuple(et if a == "t" else a for a in args)
            want = torch_text(fn, self_t + targs, kw)
            got = _refusal(sig, eargs, kw)
            if want is not None and want != got:
                ok = False
                break
        if ok:
            keep.append(s)
    if not keep:
        return None, f"no candidate of {name} reproduces the probes ({len(cands)})"
    return keep[:1], None


def _has_input(s: str) -> bool:
    return any(p.type == "Tensor" and p.name in ("input", "self")
               for p in sg.Signature(s).params)


def _fits(s: str, method: bool) -> bool:
    """Whether a string can be a method's (no ``input``/``self`` tensor first) or a
    function's."""
    params = sg.Signature(s).params
    first = params[0] if params else None
    is_fn = first is not None and first.type == "Tensor" and first.name in ("input", "self")
    return not is_fn if method else True


def _refusal(sigs, args, kwargs):
    try:
        if len(sigs) == 1:
            sg._parse(sigs[0], tuple(args), dict(kwargs), True)
            return None
    except sg._Refused as e:
        return e.text
    except Exception as e:  # noqa: BLE001
        return str(e)
    return None


def _is_tensor_annotation(a) -> tuple[bool, bool]:
    """(whether a parameter is annotated a Tensor, whether None is allowed)."""
    text = str(a)
    if "List" in text or "list" in text or "Tuple" in text or "tuple" in text:
        return False, False
    if "Tensor" not in text:
        return False, False
    return True, "Optional" in text or "None" in text


def record_python(fn) -> dict | None:
    """For a function torch writes in Python (``F.mse_loss``): its parameters, and for each
    Tensor parameter what torch raises when it holds something else (a foreign object in it,
    the other arguments valid), its type's name left as ``{type}``: the body's first touch
    (``'{type}' object has no attribute 'size'``, an inner parser's refusal ...)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    params, base = [], []
    for p in sig.parameters.values():
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            return None
        is_t, none_ok = _is_tensor_annotation(p.annotation)
        params.append([p.name, p.kind is p.KEYWORD_ONLY, p.default is not p.empty, is_t,
                       none_ok])
        if p.default is p.empty and p.kind is not p.KEYWORD_ONLY:
            if not is_t:
                return None  # a required argument of another type: no plain base call
            base.append(p.name)
    touch, numbers = {}, {}
    for name, _kw_only, _has_default, is_t, _none_ok in params:
        if not is_t:
            continue
        for probe in (_Probe(), 1, 1.5, True):
            args = [torch.ones(2, 3) for _ in base]
            kwargs = {}
            if name in base:
                args[base.index(name)] = probe
            else:
                kwargs[name] = probe
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fn(*args, **kwargs)
            except Exception as e:  # noqa: BLE001 - what torch raises is what is recorded
                found = [type(e).__name__, str(e)]
            else:
                found = None  # (torch took it)
            if not isinstance(probe, _Probe):  # a Python number: its own outcome, as is
                numbers.setdefault(name, {})[type(probe).__name__] = found
                continue
            if found is None or "_Probe" not in found[1] or "invalid combination" in found[1]:
                continue  # (a text that does not name the type, or marks it by type)
            # (a class's repr names its module: "<class 'int'>" for a builtin)
            text = found[1].replace(f"{_Probe.__module__}._Probe", "_Probe")
            touch[name] = [found[0], text.replace("_Probe", "{type}")]
    if not touch:
        return None
    return {"params": params, "touch": touch, "numbers": numbers}


def record() -> dict:
    strings = pool()
    out: dict = {"function": {}, "method": {}, "python": {}, "torch": {}}
    missed: dict = {"function": {}, "method": {}}
    for name, d in sorted(OPS.items()):
        forms = []
        if d.kind != "method":
            try:
                fn = _torch_function(name)
            except Exception:  # noqa: BLE001
                fn = None
            if fn is not None:
                forms.append(("function", fn, False))
                # ``torch.x`` where the function form is another callable (``F.relu``, a
                # Python function): its own parser's strings, as "torch"
                tfn = getattr(torch, name, None) if "." not in name else None
                if tfn is not None and tfn is not fn and isinstance(tfn, _PARSERS):
                    sigs, _why = record_one(tfn, False, strings)
                    if sigs is not None:
                        out["torch"][name] = sigs
        if d.kind != "function" and "." not in name:
            m = getattr(torch.Tensor, name, None)
            if m is not None:
                forms.append(("method", m, True))
        for form, fn, method in forms:
            if not isinstance(fn, _PARSERS):
                missed[form][name] = "a Python function"
                if form == "function":
                    found = record_python(fn)
                    if found is not None:
                        out["python"][name] = found
                continue
            sigs, why = record_one(fn, method, strings)
            if sigs is None:
                missed[form][name] = why
            else:
                out[form][name] = sigs
    out["_not_recorded"] = missed
    return out


def main() -> None:
    table = record()
    sg.GOLDEN.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    n = {f: len(table[f]) for f in ("function", "method")}
    m = {f: len(table["_not_recorded"][f]) for f in ("function", "method")}
    print(f"recorded {n}, not recorded {m}", file=sys.stderr)


if __name__ == "__main__":
    main()
