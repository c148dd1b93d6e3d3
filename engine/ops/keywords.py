"""What torch says when a call passes a keyword the callable does not take.

torch's argument parser words it by the callable's own name, which is not always the engine
function that raised: an in-place method names itself (``add_() got an unexpected keyword
argument 'out'``, never the out-of-place op it writes with); a method torch binds without
arguments refuses every keyword before it looks at them (``TensorBase.exp_() takes no keyword
arguments``); ``torch.linalg`` and ``torch.special`` functions carry their ATen names
(``linalg_det()``, ``special_erf()``). These texts are made on the error path only: a call that
binds pays nothing for them.
"""

from __future__ import annotations

import inspect
import types

from .. import errors

# F's functions whose parser name is not the op's (the ATen function F.x calls)
PARSER_NAMES = {"logsigmoid": "log_sigmoid", "threshold": "_threshold"}


def parser_name(name: str) -> str:
    """The name torch's parser gives op ``name``'s function form in its argument errors."""
    if name.startswith("linalg."):
        return "linalg_" + name[len("linalg."):]
    if name.startswith("special."):
        return "special_" + name[len("special."):]
    return PARSER_NAMES.get(name, name)


def keyword_names(fn) -> frozenset[str] | None:
    """The keywords ``fn`` binds (None: it takes any, ``**kwargs``), its first parameter (the
    tensor a method is called on) and ``out`` left out."""
    try:
        params = list(inspect.signature(inspect.unwrap(fn)).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return frozenset(p.name for p in params[1:]
                     if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "out")


def takes_no_arguments(fn) -> bool:
    """Whether ``fn`` takes its input and nothing else (torch binds such a method without
    arguments)."""
    try:
        params = list(inspect.signature(inspect.unwrap(fn)).parameters.values())
    except (TypeError, ValueError):
        return False
    return len(params) == 1 and params[0].kind in (params[0].POSITIONAL_ONLY,
                                                  params[0].POSITIONAL_OR_KEYWORD)


def inplace_keyword_check(name: str, forward):
    """For the in-place method ``name`` written with ``forward``: a function of the call's
    keywords raising torch's text for one it does not take (None when ``forward`` takes any)."""
    if takes_no_arguments(forward):
        def refuse(kwargs):
            raise errors.EngineTypeError(f"TensorBase.{name}() takes no keyword arguments")
        return refuse
    allowed = keyword_names(forward)
    if allowed is None:
        return None

    def check(kwargs):
        for key in kwargs:
            if key not in allowed:
                raise errors.EngineTypeError(
                    f"{name}() got an unexpected keyword argument '{key}'")
    return check


# torch's Python-written functions whose Python name is their dispatch wrapper's
# (``torch.unique(x, axis=0)``: "_return_output() got an unexpected keyword argument 'axis'")
WRAPPER_NAMES = {"unique": "_return_output", "unique_consecutive": "_consecutive_return_output"}


def name_function_forms(ops: dict) -> None:
    """Give each function-only op torch's parser name as its ``__qualname__``, which is what
    Python's own "unexpected keyword argument" text names (and the function forms of
    :data:`WRAPPER_NAMES` their wrapper's name)."""
    for name, d in ops.items():
        if d.name != name or (d.kind != "function" and name not in WRAPPER_NAMES):
            continue
        want = WRAPPER_NAMES.get(name) or parser_name(name)
        if want != name and getattr(d.fn, "__qualname__", want) != want:
            d.fn.__qualname__ = want


# torch.Tensor's methods written in Python (torch/_tensor.py): Python words their argument
# errors, naming them ``Tensor.x``; every other method is torch's C parser's (``x()``)
PYTHON_METHODS = frozenset(("backward", "lu", "norm", "register_hook",
                            "register_post_accumulate_grad_hook", "split", "unflatten",
                            "unique", "unique_consecutive"))


#: Parameters a Python-written Tensor method names unlike its function form:
#: ``Tensor.split(split_size, dim=0)``, ``torch.split(tensor, split_size_or_sections, dim=0)``
METHOD_PARAMETERS = {"split": {"split_size_or_sections": "split_size"}}


def name_methods(tensor_cls) -> None:
    """Give each of ``tensor_cls``'s plain-function methods the name torch's texts give it.
    A method that is also a function form (``torch.norm``) gets its own copy of the function
    (the same code: no call pays for it) under the method's name."""
    for name, m in list(vars(tensor_cls).items()):
        if type(m) is not types.FunctionType or name.startswith("__"):
            continue
        want = f"Tensor.{name}" if name in PYTHON_METHODS else name
        if m.__qualname__ == want:
            continue
        if name in PYTHON_METHODS:
            code = m.__code__
            renames = METHOD_PARAMETERS.get(name)
            if renames:  # the method's own parameter names (the locals renamed, same code)
                code = code.replace(co_varnames=tuple(renames.get(v, v)
                                                      for v in code.co_varnames))
            copy = types.FunctionType(code, m.__globals__, name, m.__defaults__,
                                      m.__closure__)
            copy.__kwdefaults__ = m.__kwdefaults__
            copy.__dict__.update(m.__dict__)
            copy.__doc__, copy.__module__ = m.__doc__, m.__module__
            m = copy
            setattr(tensor_cls, name, m)
        m.__qualname__ = want
