"""``torch.optim.Optimizer``: parameter groups, per-parameter state, ``zero_grad``,
``state_dict`` / ``load_state_dict``, step hooks and torch's repr.

A subclass gives its defaults and ``_update_group(group)``, which updates the parameters of
one group in place (under ``no_grad``) from their ``.grad``; ``step(closure=None)`` is common.
State tensors are engine tensors (``state_dict()`` shows them as torch does: ``step`` a 0-d
float32 tensor, moment buffers shaped like their parameter).
"""

from __future__ import annotations

import sys
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from .. import errors
from ..dtypes import default_float, float32, float64
from ..memory import register_holder
from ..modes import enable_grad, no_grad
from ..tensor import Tensor, _wrap
from ..utils.hooks import RemovableHandle

_tensor_module = sys.modules[Tensor.__module__]  # (engine.tensor is also torch.tensor)


class _RequiredParameter:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _typename(value: Any) -> str:
    if isinstance(value, Tensor):
        return errors.type_name(value)
    return type(value).__name__


def _copy_plain(value: Any) -> Any:
    """A deep copy of lists, tuples and dicts (tensors and other values are shared)."""
    if isinstance(value, dict):
        return {k: _copy_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_copy_plain(v) for v in value)
    return value


def step_tensor() -> Tensor:
    """A fresh ``step`` counter: ``tensor(0.)``, float64 when the default dtype is float64
    and float32 otherwise (torch's ``_get_scalar_dtype``)."""
    import numpy as np

    dt = float64 if default_float() is float64 else float32
    return _wrap(np.zeros((), dtype=dt.np), dt)


@register_holder
class Optimizer:
    """Base class of the optimizers (``torch.optim.Optimizer``)."""

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._step_pre_hooks: dict[int, Callable] = {}
        self._step_post_hooks: dict[int, Callable] = {}
        self._opt_called = False
        if isinstance(params, Tensor):
            raise errors.EngineTypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {_typename(params)}")
        param_groups = list(params)
        if len(param_groups) == 0:
            raise errors.EngineValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (a dict with ``params`` and any option overrides)."""
        if not isinstance(param_group, dict):
            raise errors.EngineTypeError(
                f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise errors.EngineTypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list "
                "instead.")
        else:
            params = list(params)
        if params and isinstance(params[0], tuple):
            names = []
            plain = []
            for item in params:
                if not (isinstance(item, tuple) and len(item) == 2):
                    raise errors.EngineValueError(
                        "all optimizer params should be with/without names. Some param names "
                        "are missing")
                names.append(item[0])
                plain.append(item[1])
            param_group["param_names"] = names
            params = plain
        param_group["params"] = params
        for param in params:
            if not isinstance(param, Tensor):
                raise errors.EngineTypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    f"{_typename(param)}")
            if not (param.grad_fn is None or param.retains_grad):
                raise errors.EngineValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise errors.EngineValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}")
            param_group.setdefault(name, default)
        ids = [id(p) for p in params]
        if len(ids) != len(set(ids)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if not seen.isdisjoint(ids):
            raise errors.EngineValueError(
                "some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)
        self._init_group_state(param_group)

    def _init_group_state(self, group: dict[str, Any]) -> None:
        """State an optimizer creates with its groups (Adagrad's sums); most create it lazily."""

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every parameter (to None, or to zeros in place)."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One optimization step; ``closure`` (re-evaluating the loss) is called first, with
        gradients enabled, and its value returned."""
        self._run_pre_hooks()
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._update_group(group)
        self._opt_called = True
        self._run_post_hooks()
        return loss

    def _run_pre_hooks(self) -> None:
        for hook in list(self._step_pre_hooks.values()):
            result = hook(self, (), {})
            if result is not None:
                raise errors.EngineRuntimeError(
                    f"optimizer step pre-hook must return None or a tuple of (new_args, "
                    f"new_kwargs), but got {result}.")

    def _run_post_hooks(self) -> None:
        for hook in list(self._step_post_hooks.values()):
            hook(self, (), {})

    def _update_group(self, group: dict[str, Any]) -> None:
        raise NotImplementedError

    #: what torch says when a gradient of the group is sparse (``Embedding(sparse=True)``):
    #: "<name> does not support sparse gradients"; SGD and SparseAdam take them
    _sparse_refusal: str | None = None

    def _with_grads(self, group: dict[str, Any]) -> list[tuple[Tensor, Tensor]]:
        """The group's parameters that have a gradient, with it; a sparse gradient is refused
        before any of the group's parameters is updated, as torch's ``_init_group`` does."""
        pairs = [(p, p._grad) for p in group["params"] if p._grad is not None]
        sparse = _tensor_module._sparse_type  # (SparseCOO, set by engine.ops.sparse_coo)
        for _, g in pairs:
            if type(g._data) is sparse:
                self._refuse_sparse()
        return pairs

    def _refuse_sparse(self) -> None:
        name = next(c.__name__ for c in type(self).__mro__
                    if c.__module__.startswith("engine.optim."))
        raise errors.EngineRuntimeError(self._sparse_refusal or
                                        f"{name} does not support sparse gradients")

    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` runs before each ``step``."""
        handle = RemovableHandle(self._step_pre_hooks)
        self._step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` runs after each ``step``."""
        handle = RemovableHandle(self._step_post_hooks)
        self._step_post_hooks[handle.id] = hook
        return handle

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [{options..., "params": [indices]}]}``
        with parameters numbered in group order (the state tensors are shared, not copied)."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: s for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore options and state saved by ``state_dict()`` (parameters matched by order;
        moment tensors are cast to each parameter's dtype and device)."""
        if not isinstance(state_dict, dict) or "param_groups" not in state_dict or \
                "state" not in state_dict:
            raise errors.EngineValueError(
                "optimizer state_dict must be a dict with 'state' and 'param_groups'")
        groups = self.param_groups
        saved_groups = _copy_plain(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise errors.EngineValueError(
                "loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise errors.EngineValueError(
                "loaded state dict contains a parameter group that doesn't match the size of "
                "optimizer's group")
        by_index = {old: p for g, s in zip(groups, saved_groups)
                    for old, p in zip(s["params"], g["params"])}
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in by_index:
                param = by_index[key]
                state[param] = {k: _cast(param, v, k) for k, v in value.items()}
            else:
                state[key] = value
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            new_groups.append(saved)
        self.state = state
        self.param_groups = new_groups

    def __repr__(self) -> str:
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"


def _cast(param: Tensor, value: Any, key: str) -> Any:
    if isinstance(value, Tensor):
        if key == "step":
            return value
        if param.dtype.is_floating_point:
            return value.to(dtype=param.dtype, device=param.device)
        return value.to(device=param.device)
    if isinstance(value, dict):
        return {k: _cast(param, v, k) for k, v in value.items()}
    return value


def check(ok: bool, message: str) -> None:
    """torch's ValueError for an invalid option."""
    if not ok:
        raise errors.EngineValueError(message)


def check_tensor_lr(lr: Any) -> None:
    """torch's first check of a tensor ``lr`` (every optimizer's ``__init__``)."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise errors.EngineValueError("Tensor lr must be 1-element")


def unsupported(name: str, **flags: Any) -> None:
    """torch's implementation switches we do not have (``fused``, ``capturable``,
    ``differentiable``): accepted when off, refused when on."""
    for flag, value in flags.items():
        if value:
            raise errors.NotSupported(f"{name}({flag}=True) is not supported")
