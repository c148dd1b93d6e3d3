"""The bridge to the engine's libraries: ``torch.X`` names, the firewall, library subclasses.

- **Names.** ``torch.nn.Linear`` is found through whitelists: the engine package behind each
  module (``torch.nn`` → ``engine.nn``) and its ``__all__``, the op table for ``torch.X`` and
  ``F.X``, ``torch.linalg.X`` as the op ``linalg.X``, and a few more (``torch.no_grad``,
  ``torch.Size`` ...). A name outside them is "torch.fft.fft is not supported".
- **The firewall.** Every value library code hands back (a call's result, an attribute, an
  item of an iterator it returned) goes through :func:`admit`: plain values, containers of
  admitted values, tensors and engine objects pass; anything else (a NumPy array, a Python
  module, a frame ...) is refused. Attributes of library objects are public ones only.
- **Subclasses.** A user class whose base is a library class (``nn.Module``,
  ``torch.autograd.Function``, ``Dataset`` ...) gets a Python subclass of that base whose
  methods dispatch to the user's methods, so library code (``Module.__call__`` calling
  ``self.forward``, ``DataLoader`` calling ``ds[i]``) runs the program's code.
"""

from __future__ import annotations

import collections
import importlib
import math
import os
import types
from typing import Any

import numpy as np

import engine
import engine.amp
import engine.backends
import engine.dynamo
import engine.func
import engine.utils.hooks
import engine.version
from engine.ops.positional import TORCH as TORCH_FORMS

from . import checkpoints
from .errors import ProgramError
from .run_warnings import CatchWarnings
from .runtime import CURRENT
from .values import (
    CLASS_VERSION,
    LANG_TYPES,
    BuiltinFunction,
    ClassMethod,
    Function,
    Instance,
    LangIterator,
    NativeMethod,
    OpFunction,
    Property,
    StaticMethod,
    UserClass,
    current_rs,
    invoke,
    type_name,
)

Tensor = engine.Tensor

#: Roots that name a module path (``F.relu`` is ``torch.nn.functional.relu``).
ROOT_ALIASES = {"F": "torch.nn.functional", "nn": "torch.nn", "autograd": "torch.autograd",
                "functional": "torch.nn.functional"}
#: The engine package whose ``__all__`` lists what a program may use from each module.
PACKAGES = {
    "torch.nn": "engine.nn", "torch.nn.functional": "engine.nn.functional",
    "torch.nn.init": "engine.nn.init", "torch.nn.utils": "engine.nn.utils",
    "torch.nn.utils.parametrize": "engine.nn.utils.parametrize",
    "torch.nn.parallel": "engine.nn.parallel",
    "torch.nn.utils.parametrizations": "engine.nn.utils.parametrizations",
    "torch.nn.utils.prune": "engine.nn.utils.prune",
    "torch.nn.utils.rnn": "engine.nn.utils.rnn",
    "torch.optim": "engine.optim", "torch.optim.lr_scheduler": "engine.optim.lr_scheduler",
    "torch.optim.swa_utils": "engine.optim.swa_utils",
    "torch.utils.data": "engine.utils.data", "torch.utils.hooks": "engine.utils.hooks",
    "torch.utils.checkpoint": "engine.utils.checkpoint",
    "torch.amp": "engine.amp",
    "torch.testing": "engine.testing",
    "torch.func": "engine.func",
    "torch.autograd": "engine.autograd",
    "torch.autograd.functional": "engine.autograd.functional",
    "torch.autograd.forward_ad": "engine.autograd.forward_ad",
    "torch.autograd.function": "engine.autograd.function",
    "torch.autograd.graph": "engine.autograd.saved_hooks",
    "torch.distributions": "engine.distributions",
    "torch.distributions.kl": "engine.distributions.kl",
    "torch.distributions.constraints": "engine.distributions.constraints",
    "torch.distributions.transforms": "engine.distributions.transforms",
    "torch.distributions.constraint_registry": "engine.distributions.constraint_registry",
    "torch.version": "engine.version",
}
SUBMODULES = {
    "torch": ("nn", "optim", "utils", "autograd", "func", "linalg", "special", "cuda",
              "accelerator", "backends", "distributions", "amp", "cpu", "testing", "sparse",
              "version"),
    "torch.cuda": ("amp",), "torch.cpu": ("amp",),
    "torch.distributions": ("kl", "constraints", "transforms", "constraint_registry"),
    "torch.backends": ("mps", "cudnn"),
    "torch.nn": ("functional", "init", "utils", "parallel"),
    "torch.optim": ("lr_scheduler", "swa_utils"),
    "torch.nn.utils": ("parametrize", "parametrizations", "prune", "rnn"),
    "torch.utils": ("data", "hooks", "checkpoint"),
    "torch.autograd": ("functional", "forward_ad", "function", "graph"),
    "numpy": ("random", "testing", "linalg", "exceptions"),
    "os": ("path",),
}
#: Modules of torch that hold some of a package's public names (``from
#: torch.utils.data.dataset import random_split`` as PyTorch's text classification tutorial,
#: ``from torch.distributions.normal import Normal`` as CleanRL): their names, torch's
#: ``__all__``, are the package's.
MODULE_VIEWS: dict[str, tuple[str, frozenset[str]]] = {
    "torch.utils.data.dataset": ("torch.utils.data", frozenset({
        "Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset",
        "ChainDataset", "Subset", "random_split"})),
    "torch.utils.data.dataloader": ("torch.utils.data", frozenset({
        "DataLoader", "get_worker_info", "default_collate", "default_convert"})),
    "torch.utils.data.sampler": ("torch.utils.data", frozenset({
        "BatchSampler", "RandomSampler", "Sampler", "SequentialSampler", "SubsetRandomSampler",
        "WeightedRandomSampler"})),
}
MODULE_VIEWS.update({f"torch.distributions.{module}": ("torch.distributions", frozenset(
    names.split())) for module, names in {
        "bernoulli": "Bernoulli", "beta": "Beta", "binomial": "Binomial",
        "categorical": "Categorical", "cauchy": "Cauchy", "chi2": "Chi2",
        "continuous_bernoulli": "ContinuousBernoulli", "dirichlet": "Dirichlet",
        "distribution": "Distribution", "exp_family": "ExponentialFamily",
        "exponential": "Exponential", "fishersnedecor": "FisherSnedecor", "gamma": "Gamma",
        "generalized_pareto": "GeneralizedPareto", "geometric": "Geometric",
        "gumbel": "Gumbel", "half_cauchy": "HalfCauchy", "half_normal": "HalfNormal",
        "independent": "Independent", "inverse_gamma": "InverseGamma",
        "kumaraswamy": "Kumaraswamy", "laplace": "Laplace", "lkj_cholesky": "LKJCholesky",
        "log_normal": "LogNormal", "logistic_normal": "LogisticNormal",
        "lowrank_multivariate_normal": "LowRankMultivariateNormal",
        "mixture_same_family": "MixtureSameFamily", "multinomial": "Multinomial",
        "multivariate_normal": "MultivariateNormal", "negative_binomial": "NegativeBinomial",
        "normal": "Normal",
        "one_hot_categorical": "OneHotCategorical OneHotCategoricalStraightThrough",
        "pareto": "Pareto", "poisson": "Poisson",
        "relaxed_bernoulli": "LogitRelaxedBernoulli RelaxedBernoulli",
        "relaxed_categorical": "ExpRelaxedCategorical RelaxedOneHotCategorical",
        "studentT": "StudentT", "transformed_distribution": "TransformedDistribution",
        "uniform": "Uniform", "von_mises": "VonMises", "weibull": "Weibull",
        "wishart": "Wishart"}.items()})
for _view in MODULE_VIEWS:
    _parent, _, _leaf = _view.rpartition(".")
    SUBMODULES[_parent] = (*SUBMODULES.get(_parent, ()), _leaf)
MODULES = frozenset(PACKAGES) | frozenset(SUBMODULES) | frozenset(MODULE_VIEWS) | {
    "torch.linalg", "torch.special", "torch.sparse", "torch.cuda", "torch.accelerator",
    "torch.backends.mps",
    "torch.backends.cudnn", "torch.functional", "torch.cpu.amp", "torch.cuda.amp",
    "math", "random", "builtins", "numpy", "functools", "copy", "collections", "typing",
    "itertools", "dataclasses", "warnings", "string", "time", "unicodedata", "json",
    "heapq", "operator", "numpy.random", "numpy.testing", "numpy.linalg", "numpy.exceptions",
    "os", "os.path", "io", "pickle", "sys", "contextlib", "abc", "logging", "enum",
    "argparse"}
#: ``torch.functional``'s own functions (its ``__all__``): the very objects ``torch.X`` is.
#: Besides them it has ``F`` (``torch.nn.functional``) and ``torch``. Programs meet it as
#: ``import torch.functional as F`` (PyTorch's "Building Models" tutorial), where ``F.relu``
#: is torch's AttributeError.
TORCH_FUNCTIONAL = frozenset({
    "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_shapes", "broadcast_tensors",
    "cartesian_prod", "block_diag", "cdist", "chain_matmul", "einsum", "istft", "lu", "norm",
    "meshgrid", "pca_lowrank", "split", "stft", "svd_lowrank", "tensordot", "unique",
    "unique_consecutive", "unravel_index"})
#: ``torch.X`` names that are not ops of the table.
TORCH_NAMES = {
    "no_grad": engine.no_grad, "enable_grad": engine.enable_grad,
    "set_grad_enabled": engine.set_grad_enabled, "is_grad_enabled": engine.is_grad_enabled,
    "Size": engine.Size, "Tensor": engine.Tensor, "Generator": engine.Generator,
    "device": engine.Device, "dtype": engine.DType,
    "float32": engine.float32, "float": engine.float32, "float64": engine.float64,
    "double": engine.float64, "float16": engine.float16, "half": engine.float16,
    "int64": engine.int64, "long": engine.int64, "int32": engine.int32, "int": engine.int32,
    "int16": engine.int16, "short": engine.int16, "int8": engine.int8, "uint8": engine.uint8,
    "bool": engine.bool_, "pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan,
    "layout": engine.layout, "memory_format": engine.memory_format,
}
TORCH_NAMES.update(engine.ops.layouts.LAYOUTS)  # torch.strided, torch.sparse_coo, ...
TORCH_NAMES.update(engine.ops.memory_format.FORMATS)  # torch.channels_last, ...
TORCH_NAMES.update(engine.legacy.BY_NAME)  # torch.FloatTensor, torch.LongTensor, ...
for _name in ("inference_mode", "Parameter", "is_inference_mode_enabled", "is_anomaly_enabled",
              "is_anomaly_check_nan_enabled", "use_deterministic_algorithms",
              "are_deterministic_algorithms_enabled",
              "is_deterministic_algorithms_warn_only_enabled", "get_default_device",
              "set_default_device", "set_printoptions", "finfo", "iinfo", "get_rng_state",
              "set_rng_state"):
    if hasattr(engine, _name):
        TORCH_NAMES[_name] = getattr(engine, _name)
TORCH_NAMES["vmap"] = engine.func.vmap  # torch.vmap is torch.func.vmap
TORCH_NAMES.update(checkpoints.TORCH)  # torch.save, torch.load
TORCH_NAMES["compile"] = engine.dynamo.compile
TORCH_NAMES["autocast"] = engine.amp.autocast
#: ``torch.cpu.amp`` / ``torch.cuda.amp``: the deprecated spellings of ``torch.amp``'s names.
AMP_MODULES: dict[str, dict[str, Any]] = {
    "torch.cpu.amp": {"autocast": engine.amp.cpu_autocast,
                      "GradScaler": engine.amp.cpu_grad_scaler},
    "torch.cuda.amp": {"autocast": engine.amp.cuda_autocast,
                       "GradScaler": engine.amp.cuda_grad_scaler}}
engine.dynamo.CLASS_TYPES.append(UserClass)
for _name in ("set_num_threads", "get_num_threads", "set_num_interop_threads",
              "get_num_interop_threads", "set_float32_matmul_precision",
              "get_float32_matmul_precision"):  # per session (engine.backends)
    TORCH_NAMES[_name] = getattr(engine.backends, _name)
MAX_LIBRARY_SUBCLASSES = 1000
"""Library subclasses (Python classes) one run may make; each costs a Python type."""


class LibModule:
    """A library module as a value (``torch``, ``nn``, ``math`` ...): attributes only."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"<module '{self.path}'>"

    def __eq__(self, other: object) -> bool:
        return type(other) is LibModule and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)


LibModule.__name__ = LibModule.__qualname__ = "module"


#: Why whole torch modules are out, added to "X is not supported" for names under them.
REASONS = {
    "torch.jit": "TorchScript compiles a program's Python into its own typed language (with "
                 "its own refusals, traces that freeze control flow and Python side effects, "
                 "ScriptModule .code and .graph), which the service does not reproduce; call "
                 "the module or function itself (torch.compile(...) runs here)",
}
_NO_COMPLEX = "the engine has no complex dtypes (complex64, complex128)"
REASONS.update({
    "torch.linalg.eig": "the eigenvalues and eigenvectors of a general real matrix are complex "
                        f"tensors in torch 2.13 and {_NO_COMPLEX}; for a symmetric matrix, "
                        "torch.linalg.eigh is supported",
    "torch.linalg.eigvals": "the eigenvalues of a general real matrix are a complex tensor in "
                            f"torch 2.13 and {_NO_COMPLEX}; for a symmetric matrix, "
                            "torch.linalg.eigvalsh is supported",
})


def not_supported(path: str) -> ProgramError:
    full = canonical(path)
    for prefix, reason in REASONS.items():
        if full == prefix or full.startswith(prefix + "."):
            return ProgramError(f"{path} is not supported: {reason}",
                                exception="AttributeError")
    return ProgramError(f"{path} is not supported", exception="AttributeError")


_torch_names: dict[str, frozenset[str]] = {}


def torch_names(path: str) -> frozenset[str] | None:
    """torch 2.13's public names in the module ``path`` (canonical), or ``Tensor``'s for
    ``"torch.Tensor"`` (recorded in ``torch_names.py``); Python's for the standard modules a
    program imports and NumPy's; None for any other path."""
    if not _torch_names:
        from .torch_names import MODULE_NAMES, TENSOR_NAMES

        _torch_names.update({p: frozenset(n.split()) for p, n in MODULE_NAMES.items()})
        _torch_names["torch.Tensor"] = frozenset(TENSOR_NAMES.split())
        for name in ("math", "random", "functools", "copy", "collections", "numpy", "typing",
                     "itertools", "warnings", "string", "time", "unicodedata", "json",
                     "heapq", "operator", "os",
                     "os.path", "io", "pickle", "sys", "contextlib", "abc", "logging",
                     "enum", "argparse"):
            module = importlib.import_module(name)  # fixed names, never a program's
            _torch_names[name] = frozenset(n for n in dir(module) if not n.startswith("_"))
    return _torch_names.get(path)


_torch_submodules: dict[str, frozenset[str]] = {}


def torch_lacks_module(path: str, name: str) -> bool:
    """Whether torch has no module ``path.name`` to import: not a public name of ``path`` nor
    one of its submodules (``torch.nn.utils.prune`` imports, though ``dir()`` does not show
    it until something imported it)."""
    if not torch_lacks(path, name):
        return False
    if not _torch_submodules:
        from .torch_names import SUBMODULE_NAMES

        _torch_submodules.update({p: frozenset(n.split()) for p, n in SUBMODULE_NAMES.items()})
    return name not in _torch_submodules.get(path, ())


def torch_lacks(path: str, name: str) -> bool:
    """Whether torch itself has no public ``path.name`` (a module recorded, or
    ``torch.Tensor``): then the error is torch's own text, not "... is not supported"."""
    names = torch_names(path)
    return names is not None and not name.startswith("_") and name not in names


def missing_member(path: str, name: str, shown: str) -> ProgramError:
    """The error for ``path.name`` (``path`` canonical) that the service does not have:
    torch's AttributeError text where torch lacks it too, else "``shown`` is not
    supported" (torch has it, the service does not)."""
    if torch_lacks(path, name):
        return ProgramError(f"module '{path}' has no attribute '{name}'",
                            exception="AttributeError")
    return not_supported(shown)


def missing_tensor_attr(name: str, of_class: bool = False) -> ProgramError:
    """``x.name`` (or ``torch.Tensor.name``) the service lacks: Python's text where torch's
    Tensor lacks it too."""
    if torch_lacks("torch.Tensor", name):
        return ProgramError(f"type object 'Tensor' has no attribute '{name}'" if of_class else
                            f"'Tensor' object has no attribute '{name}'",
                            exception="AttributeError")
    return not_supported(f"{'torch.' if of_class else ''}Tensor.{name}")


def missing_module(full: str, shown: str) -> ProgramError:
    """``import full`` (canonical) of a module the service lacks: Python's
    ModuleNotFoundError where torch has no such module either."""
    parent, _, name = full.rpartition(".")
    while parent and parent not in MODULES:
        parent, _, name = parent.rpartition(".")
    if parent and torch_lacks_module(parent, name):
        return ProgramError(f"No module named '{full}'", exception="ModuleNotFoundError")
    return not_supported(shown)


def missing_import(module: str, name: str, shown: str) -> ProgramError:
    """``from module import name`` (``module`` canonical) the service lacks."""
    if torch_lacks_module(module, name):
        return ProgramError(f"cannot import name '{name}' from '{module}' (unknown location)",
                            exception="ImportError")
    return not_supported(shown)


def canonical(path: str) -> str:
    root, _, rest = path.partition(".")
    root = ROOT_ALIASES.get(root, root)
    return f"{root}.{rest}" if rest else root


#: torch's underscored ops that programs call (``torch.distributions`` code does)
PRIVATE_TORCH_OPS = frozenset({"_standard_gamma", "_standard_gamma_grad"})
#: Private members of torch's modules that published programs use as public ones: the fan
#: computation of ``nn.init`` (model code re-writing a layer's ``reset_parameters``) and the
#: scheduler base class's former name (pytorch-lr-finder's ``ExponentialLR(_LRScheduler)``).
PRIVATE_MEMBERS = {
    "torch.nn.init": frozenset({"_calculate_fan_in_and_fan_out", "_calculate_correct_fan"}),
    "torch.optim.lr_scheduler": frozenset({"_LRScheduler"})}

#: ``__version__`` of the modules that have one: torch's ``TorchVersion``, the NumPy that runs
#: ``import numpy``'s functions
VERSIONS = {"torch": engine.version.__version__, "torch.version": engine.version.__version__,
            "numpy": np.__version__}

_members: dict[tuple[str, str], Any] = {}
_MISSING = object()


def member(path: str, name: str) -> Any:
    """``path.name`` (``path`` canonical), or :data:`_MISSING`."""
    key = (path, name)
    value = _members.get(key, None)
    if value is None:
        value = _find_member(path, name)
        if len(_members) < 100_000:
            _members[key] = value
    return value


def _find_member(path: str, name: str) -> Any:
    from . import builtins as bi
    from . import pymodules

    if name.startswith("_"):
        if name == "__version__":
            return VERSIONS.get(path, _MISSING)
        if path == "torch" and name in PRIVATE_TORCH_OPS:
            return OpFunction(name, engine.ops.lookup(name).fn)
        if name in PRIVATE_MEMBERS.get(path, ()):
            return admit(getattr(_package(path), name))
        return _MISSING
    full = f"{path}.{name}"
    if name in SUBMODULES.get(path, ()):
        return LibModule(full)
    if path == "builtins":
        return bi.BUILTIN_VALUES.get(name, _MISSING)
    if path == "torch.functional":
        if name in TORCH_FUNCTIONAL:
            return member("torch", name)
        return LibModule({"F": "torch.nn.functional", "torch": "torch"}[name]) \
            if name in ("F", "torch") else _MISSING
    if path in pymodules.MODULES:
        return pymodules.MODULES[path].get(name, _MISSING)
    if path in AMP_MODULES:
        return AMP_MODULES[path].get(name, _MISSING)
    if path in bi.DEVICE_MODULES:
        return bi.DEVICE_MODULES[path].get(name, _MISSING)
    if path == "torch.linalg" and name == "LinAlgError":
        from .exceptions import LIBRARY_EXCEPTIONS

        return LIBRARY_EXCEPTIONS["_LinAlgError"]
    if path in ("torch.linalg", "torch.special", "torch.sparse"):  # the table's "linalg.X" ...
        key = f"{path.removeprefix('torch.')}.{name}"
        opdef = engine.ops.lookup(key)
        return OpFunction(key, opdef.fn) if opdef is not None else _MISSING
    if path == "torch":
        if name in TORCH_NAMES:
            return TORCH_NAMES[name]
        if name in bi.TORCH_BUILTINS:
            return bi.TORCH_BUILTINS[name]
    if path == "torch.autograd" and name == "grad":
        return bi.AUTOGRAD_GRAD
    if path in MODULE_VIEWS:
        package, names = MODULE_VIEWS[path]
        return member(package, name) if name in names else _MISSING
    package = _package(path)
    if package is not None and name in getattr(package, "__all__", ()):
        value = getattr(package, name, _MISSING)
        if isinstance(value, types.ModuleType):
            return LibModule(full) if full in MODULES else _MISSING
        if value is not _MISSING:
            return admit(value)
    if path in ("torch", "torch.nn.functional"):
        opdef = engine.ops.lookup(name)
        if opdef is not None:  # (torch.x binding otherwise than F.x: its own callable)
            return OpFunction(name, TORCH_FORMS.get(name, opdef.fn) if path == "torch" else
                              opdef.fn)
    return _MISSING


def _package(path: str) -> Any:
    name = PACKAGES.get(path)
    if name is None:
        return None
    try:
        return importlib.import_module(name)  # a fixed name from PACKAGES, never a program's
    except ImportError:
        return None


def resolve_path(path: str) -> Any:
    """The value of a library path (``torch.nn.Linear``, ``F.relu``, ``math.pi``)."""
    full = canonical(path)
    parts = full.split(".")
    if parts[0] not in ("torch", "math", "random", "builtins", "numpy", "functools", "copy",
                        "collections", "typing", "itertools", "dataclasses", "warnings",
                        "string", "time", "unicodedata", "json", "heapq", "operator",
                        "sys", "contextlib", "abc", "logging", "enum", "argparse"):
        raise not_supported(path)
    value: Any = LibModule(parts[0])
    for part in parts[1:]:
        if isinstance(value, LibModule):
            found = member(value.path, part)
            if found is _MISSING:
                raise missing_member(value.path, part, path)
        else:
            found = public_attr(value, part, _MISSING)
            if found is _MISSING:
                raise missing_tensor_attr(part, of_class=True) if value is Tensor else \
                    not_supported(path)
        value = found
    return value


# --------------------------------------------------------------------------- the firewall

_SAFE = frozenset({type(None), bool, int, float, str, engine.version.TorchVersion, Tensor,
                   engine.Size, engine.DType, engine.Device, engine.layout,
                   engine.memory_format, range, slice, type(Ellipsis), LibModule,
                   CatchWarnings})
_LANG = frozenset(LANG_TYPES)
_ITERATOR_VIEWS = (type({}.keys()), type({}.values()), type({}.items()))
MAX_ADMIT = 1_000_000
#: Types of library objects admitted so far (modules, optimizers, contexts, graph nodes ...).
_LIBRARY_TYPES: set[type] = set()


ENGINE_DIR = os.path.dirname(engine.__file__) + os.sep


#: Engine classes whose torch names are not their own (``type(x.dtype)`` is ``torch.dtype``).
_TORCH_CLASS_NAMES: dict[type, tuple[str, str]] = {
    engine.Tensor: ("torch.Tensor", "Tensor"),
    type(engine.ones(1).shape): ("torch.Size", "Size"),
    type(engine.float32): ("torch.dtype", "dtype"),
    engine.layout: ("torch.layout", "layout"),
    engine.memory_format: ("torch.memory_format", "memory_format"),
    type(engine.ones(1).device): ("torch.device", "device"),
    engine.Generator: ("torch._C.Generator", "Generator"),
    type(engine.legacy.BY_NAME["FloatTensor"]): ("torch.tensortype", "tensortype"),
    # every hook registration's handle (a tensor's, a node's, a module's, an optimizer's)
    engine.utils.hooks.RemovableHandle: ("torch.utils.hooks.RemovableHandle", "RemovableHandle"),
    engine.dynamo.OptimizedModule: ("torch._dynamo.eval_frame.OptimizedModule",
                                    "OptimizedModule"),
    engine.amp.autocast: ("torch.amp.autocast_mode.autocast", "autocast"),
    engine.amp.GradScaler: ("torch.amp.grad_scaler.GradScaler", "GradScaler"),
}
_TORCH_CLASS_NAMES.update({cls: (f"torch.{name}", name)
                           for name, cls in engine.legacy.BY_NAME.items()})
#: Classes the engine keeps in other modules than torch's (recorded from torch 2.13).
_TORCH_CLASS_NAMES.update({cls: (f"torch.autograd.grad_mode.{cls.__name__}", cls.__name__)
                           for cls in (engine.no_grad, engine.enable_grad,
                                       engine.set_grad_enabled)})
_TORCH_CLASS_NAMES[engine.finfo] = ("torch.finfo", "finfo")
_TORCH_CLASS_NAMES[engine.iinfo] = ("torch.iinfo", "iinfo")
_TORCH_CLASS_NAMES.update({getattr(engine.utils.data, name): (
    f"torch.utils.data.{module}.{name}", name) for module, names in (
        ("dataloader", ("DataLoader",)),
        ("dataset", ("Dataset", "IterableDataset", "TensorDataset", "StackDataset",
                     "ConcatDataset", "Subset")),
        ("sampler", ("Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
                     "WeightedRandomSampler", "BatchSampler"))) for name in names})


def torch_class_name(cls: type) -> tuple[str, str]:
    """An engine class's dotted path and ``__name__`` as torch has them
    (``torch.nn.modules.linear.Linear``, ``Linear``; ``torch.dtype``, ``dtype``)."""
    named = _TORCH_CLASS_NAMES.get(cls)
    if named is not None:
        return named
    if issubclass(cls, engine.autograd.Node) and cls is not engine.autograd.Node and \
            not issubclass(cls, engine.autograd.FunctionCtx):
        return cls.__name__, cls.__name__  # torch's node classes are builtins (MulBackward0)
    return f"torch{cls.__module__[6:]}.{cls.__qualname__}", cls.__name__


def is_library_class(value: Any) -> bool:
    return isinstance(value, type) and value.__module__.startswith("engine.")


def is_library_function(value: Any) -> bool:
    """A Python function of the engine: defined in an engine module, or with its code in the
    engine's folder (a wrapper ``functools.wraps`` gave a user function's name)."""
    if getattr(value, "__module__", None) and value.__module__.startswith("engine."):
        return True
    code = getattr(value, "__code__", None)
    return code is not None and code.co_filename.startswith(ENGINE_DIR)


def is_library_object(value: Any) -> bool:
    """An object of an engine library class (a module, an optimizer, a graph node ...)."""
    module = type(value).__module__
    return module.startswith("engine.") or hasattr(type(value), "_lang_class")


def admit(value: Any) -> Any:
    """``value`` as a program may hold it, or a :class:`ProgramError` (see the module doc)."""
    t = type(value)
    if t in _SAFE:
        return value
    if t is tuple:  # ``ctx.saved_tensors``, an op's tuple of tensors
        for item in value:
            if type(item) not in _SAFE:
                break
        else:
            return value
    elif t in _LANG or t in _LIBRARY_TYPES:
        return value
    elif t is types.MethodType:
        owner = value.__self__
        if type(owner) in _LIBRARY_TYPES or isinstance(owner, type) and \
                "_lang_class" in owner.__dict__:
            return value  # ``ctx.save_for_backward``, ``Tanh.apply`` (a library subclass's)
    return _admit(value, [MAX_ADMIT])


def _admit(value: Any, budget: list[int]) -> Any:
    t = type(value)
    budget[0] -= 1
    if budget[0] < 0:
        raise ProgramError("a library value is too large to check", exception="TypeError")
    if t in _SAFE or t in _LANG or isinstance(value, (Tensor, Instance)):
        return value
    if isinstance(value, (list, tuple, set, frozenset, collections.deque)):
        for item in value:
            _admit(item, budget)
        return value
    if isinstance(value, dict):
        for key, item in value.items():
            _admit(key, budget)
            _admit(item, budget)
        return value
    if isinstance(value, _ITERATOR_VIEWS):
        for item in value:
            _admit(item, budget)
        return value
    if isinstance(value, type):
        lang = value.__dict__.get("_lang_class")
        if lang is not None:
            return lang
        if value.__module__.startswith("engine."):
            return value
    elif isinstance(value, np.generic):
        return value.item()
    elif isinstance(value, types.FunctionType):
        if is_library_function(value):
            return value
    elif isinstance(value, types.MethodType):
        owner = value.__self__
        if is_library_object(owner) or is_library_class(owner) or (
                isinstance(owner, type) and "_lang_class" in owner.__dict__):
            return value  # a method of a library object or class
    elif is_library_object(value):
        _LIBRARY_TYPES.add(t)  # the test is the type's alone: the next one is admitted at once
        return value
    elif hasattr(t, "__next__") and t.__module__ in ("builtins", "itertools"):
        return LangIterator(t.__name__, _admitting(value))
    raise ProgramError(f"a library value of type '{t.__name__}' cannot be used in programs",
                       exception="TypeError")


def _admitting(iterator: Any) -> Any:
    for item in iterator:
        yield admit(item)


def admit_all(values: Any) -> Any:
    """Arguments library code passes to user code (a tuple or a dict), admitted."""
    if isinstance(values, dict):
        for item in values.values():
            admit(item)
    else:
        for item in values:
            admit(item)
    return values


def public_attr(obj: Any, name: str, default: Any = _MISSING) -> Any:
    """A public attribute of a library object or class, admitted."""
    if name.startswith("_"):
        return default
    try:
        value = getattr(obj, name)
    except AttributeError:
        return default
    if type(value) is types.FunctionType and isinstance(obj, type):
        value = class_function(obj, name, value)
    return admit(value)


_CLASS_FUNCTIONS: dict[tuple[type, str], types.FunctionType] = {}


def class_function(cls: type, name: str, func: types.FunctionType) -> types.FunctionType:
    """``func``, the engine's function ``name`` read from the library class ``cls``
    (``torch.optim.SGD.step``), named as torch's class holds it: where torch's
    ``__qualname__`` is not the engine's (``SGD.step``, the engine's ``Optimizer.step``;
    ``_forward_unimplemented`` for ``nn.Module.forward``: app/lang/torch_method_names.py), the
    same code under torch's name (one per class and name, so ``SGD.step is SGD.step``);
    ``func`` itself otherwise."""
    if not is_library_class(cls) or not func.__module__.startswith("engine."):
        return func
    key = (cls, name)
    found = _CLASS_FUNCTIONS.get(key)
    if found is not None and found.__code__ is func.__code__:
        return found
    from .torch_method_names import METHOD_QUALNAMES

    qualname = None
    for klass in cls.__mro__:
        if not klass.__module__.startswith("engine."):
            continue
        qualname = METHOD_QUALNAMES.get(torch_class_name(klass)[0], {}).get(name)
        if qualname is not None or name in vars(klass):
            break
    if qualname is None or qualname == func.__qualname__:
        _CLASS_FUNCTIONS[key] = func  # (the engine's name is torch's)
        return func
    copy = types.FunctionType(func.__code__, func.__globals__, qualname.rpartition(".")[2],
                              func.__defaults__, func.__closure__)
    copy.__kwdefaults__ = func.__kwdefaults__
    copy.__dict__.update(func.__dict__)
    copy.__qualname__ = qualname
    copy.__doc__ = func.__doc__
    _CLASS_FUNCTIONS[key] = copy
    return copy


# --------------------------------------------------------------------------- subclasses

def library_base(cls_name: str, bases: list[Any]) -> type | None:
    """The library class among a new class's bases (at most one root), or None."""
    found = None
    for base in bases:
        lib = base.lib_base if isinstance(base, UserClass) else base
        if lib is None:
            continue
        if not is_library_class(lib):
            raise ProgramError(f"{cls_name}: a class can only derive from user classes and "
                               "library classes", exception="TypeError")
        if issubclass(lib, Tensor):
            raise ProgramError("subclassing torch.Tensor is not supported",
                               exception="TypeError")
        if found is not None and found is not lib:
            if issubclass(lib, found):
                found = lib
            elif not issubclass(found, lib):
                raise ProgramError(f"{cls_name}: more than one library base class is not "
                                   "supported", exception="TypeError")
        else:
            found = lib
    return found


def make_library_subclass(cls: UserClass) -> type:
    """The Python subclass of ``cls.lib_base`` whose methods run ``cls``'s methods."""
    rs = current_rs()
    rs.classes += 1
    if rs.classes > MAX_LIBRARY_SUBCLASSES:
        raise rs.limit_error(f"the run made more than {MAX_LIBRARY_SUBCLASSES} subclasses of "
                             "library classes", "max_library_subclasses",
                             MAX_LIBRARY_SUBCLASSES)
    ns: dict[str, Any] = {"__module__": "__main__", "__qualname__": cls.qualname,
                          "_lang_class": cls}
    names: set[str] = set()
    for base in cls.mro:
        names.update(base.ns)
    for name in names:
        value = cls.lookup(name)
        if isinstance(value, (Function, NativeMethod)):
            ns[name] = _dispatcher(name)
        elif isinstance(value, StaticMethod):
            method = _static_dispatcher(name)
            if getattr(value.func, "_once_differentiable", False):  # engine-made wrapper
                method._once_differentiable = True
            ns[name] = staticmethod(method)
        elif isinstance(value, ClassMethod):
            ns[name] = classmethod(_class_dispatcher(name))
        elif isinstance(value, Property):
            ns[name] = property(_dispatcher(name, "fget"),
                                _dispatcher(name, "fset") if value.fset is not None else None)
        elif not name.startswith("__"):
            ns[name] = value
    try:
        return type(cls.lib_base)(cls.name, (cls.lib_base,), ns)
    except TypeError as exc:
        raise ProgramError(f"{cls.name}: cannot derive from {cls.lib_base.__name__} ({exc})",
                           exception="TypeError") from None


def _call_user(name: str, args: tuple, kwargs: dict, part: str | None = None) -> Any:
    from .objects import call_value

    rs = current_rs()
    owner = args[0]
    cls = owner if isinstance(owner, type) else type(owner)
    value = cls._lang_class.lookup(name)
    if part is not None:
        value = getattr(value, part)
    elif isinstance(value, (StaticMethod, ClassMethod)):
        value = value.func
    try:
        return call_value(rs, value, admit_all(args), admit_all(kwargs))
    except ProgramError as exc:
        if name == "__next__" and exc.extra.get("exception") == "StopIteration":
            raise StopIteration from None
        raise


def _dispatcher(name: str, part: str | None = None) -> Any:
    if part is not None or name == "__next__":
        def general(self: Any, *args: Any, **kwargs: Any) -> Any:
            return _call_user(name, (self, *args), kwargs, part)

        general.__name__ = name
        return general

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        cls = type(self)._lang_class  # ``lookup``'s cache hit, inline
        value = cls._cache.get(name) if cls._cache_version == CLASS_VERSION[0] else None
        if value is None:
            value = cls.lookup(name)
        if type(value) is not Function:
            return _call_user(name, (self, *args), kwargs, part)
        for arg in args:  # ``admit_all``, inlined: ``forward(x)`` is every step of a model
            if type(arg) not in _SAFE:
                admit(arg)
        if kwargs:
            admit_all(kwargs)
        code = value.code
        if code.arity == len(args) + 1 and not kwargs:  # what ``invoke`` does, inline
            if code.arity == 2:  # ``forward(self, x)``
                first, second = code.params
                local = {first: self, second: args[0]}
            else:
                local = dict(zip(code.params, (self, *args)))
            return code.enter(CURRENT.get() or current_rs(), value, local)
        return invoke(current_rs(), value, (self, *args), kwargs)

    method.__name__ = name
    return method


def _static_dispatcher(name: str) -> Any:
    holder: list[type] = []

    def method(*args: Any, **kwargs: Any) -> Any:
        value = holder[0]._lang_class.lookup(name).func
        for arg in args:
            if type(arg) not in _SAFE:
                admit(arg)
        if kwargs:
            admit_all(kwargs)
        if type(value) is Function:
            return invoke(current_rs(), value, args, kwargs)
        from .objects import call_value

        return call_value(current_rs(), value, args, kwargs)

    method.__name__ = name
    method._lang_holder = holder  # filled in by bind_static_dispatchers
    return method


def bind_static_dispatchers(pytype: type) -> None:
    for value in pytype.__dict__.values():
        if isinstance(value, staticmethod):
            holder = getattr(value.__func__, "_lang_holder", None)
            if holder is not None:
                holder.append(pytype)


def _class_dispatcher(name: str) -> Any:
    def method(pycls: type, *args: Any, **kwargs: Any) -> Any:
        from .objects import call_value

        cls = pycls._lang_class
        value = cls.lookup(name)
        return call_value(current_rs(), value.func, (cls, *admit_all(args)),
                          admit_all(kwargs))

    method.__name__ = name
    return method


def describe_library_value(value: Any) -> str:
    return type_name(value)


__all__ = ["BuiltinFunction", "LibModule", "admit", "admit_all", "resolve_path", "member",
           "public_attr", "library_base", "make_library_subclass"]
