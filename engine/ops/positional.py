"""The callables of the op forms whose parameters torch orders (or names) differently from the
table's function.

The table's function of an op is the one the differential suite calls as torch's "function"
form: ``F.x`` for the ops of torch.nn.functional, else ``torch.x``. torch's other forms of some
of those ops bind their arguments differently, so a call written for them, given to the table's
function, binds a value to another parameter, often silently:

- ``Tensor.softmax(dim, dtype=None)`` / ``torch.softmax(input, dim, dtype=None)``: F.softmax's
  third parameter is ``_stacklevel`` (``x.softmax(0, torch.float64)`` computed in float32);
  the same for log_softmax, and ``torch.special.softmax(input, dim, dtype=None)``;
- ``torch.norm(input, p, dim, keepdim, out, dtype)``: ``out`` before ``dtype`` (Tensor.norm
  has no ``out``);
- the ``torch.x`` of an F.x (aten's own schema): ``torch.batch_norm(input, weight, bias,
  running_mean, running_var, training, momentum, eps, cudnn_enabled)``, ``torch.embedding(
  weight, indices, ...)``, the losses' ``reduction`` as aten's enum int (0 none, 1 mean, 2 sum;
  another int: none, as aten's apply_loss_reduction) after no ``size_average``/``reduce``,
  ``torch.dropout(input, p, train)``, ``torch.group_norm``/``layer_norm``'s trailing cudnn
  flag, ``torch.rrelu``'s ``generator``, ``torch.adaptive_max_pool1d`` returning the indices
  too.

Found mechanically (``python -m tests.oracle.positional_sweep``: torch's signatures per form
against the engine's, then every form called with all-positional arguments). :func:`install`
puts the methods on ``Tensor`` and the function forms in the table (before the guards, which
then bind them by torch's signatures); :data:`TORCH` holds the ``torch.x`` callables, which a
program's ``torch.x`` resolves to (app/lang/library.py), each bound by torch.x's own parser
signatures first (``signatures.guarded`` with form "torch"). ``engine.x`` stays the table's
function (the engine's own callers and tests use F's order).
"""

from __future__ import annotations

from .. import errors

TORCH: dict = {}
"""``torch.x`` -> its callable, where torch.x binds otherwise than the table's function."""


def _dim(dim, named: dict):
    # torch's parser takes NumPy's ``axis=`` for ``dim`` (the guard has checked the call)
    return named.pop("axis") if "axis" in named else dim


def _reduction(value) -> str:
    # aten's at::Reduction enum as its loss kernels read it. (torch.x's parser reads the
    # signature's default ``at::Reduction::Mean`` as 0: ``torch.margin_ranking_loss(a, b, t)``
    # is unreduced, measured on torch 2.13; the defaults below are that 0.)
    return "mean" if value == 1 else "sum" if value == 2 else "none"


def _torch_forms(table: dict) -> dict:
    fn = {name: table[name].fn for name in (
        "softmax", "log_softmax", "batch_norm", "binary_cross_entropy_with_logits",
        "cosine_embedding_loss", "ctc_loss", "dropout", "alpha_dropout",
        "feature_alpha_dropout", "embedding", "group_norm", "hinge_embedding_loss",
        "layer_norm", "margin_ranking_loss", "poisson_nll_loss", "triplet_margin_loss",
        "adaptive_max_pool1d")}

    def softmax(input, dim=None, dtype=None, **named):  # (named: out=, axis=)
        return fn["softmax"](input, _dim(dim, named), dtype=dtype, **named)

    def log_softmax(input, dim=None, dtype=None, **named):
        return fn["log_softmax"](input, _dim(dim, named), dtype=dtype, **named)

    def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
                   cudnn_enabled):
        return fn["batch_norm"](input, running_mean, running_var, weight, bias, training,
                                momentum, eps)

    def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None,
                                         reduction=0):
        return fn["binary_cross_entropy_with_logits"](
            input, target, weight, reduction=_reduction(reduction), pos_weight=pos_weight)

    def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
        return fn["cosine_embedding_loss"](input1, input2, target, margin,
                                           reduction=_reduction(reduction))

    def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0,
                 zero_infinity=False):
        return fn["ctc_loss"](log_probs, targets, input_lengths, target_lengths, blank,
                              _reduction(reduction), zero_infinity)

    def dropout(input, p, train):
        return fn["dropout"](input, p, train)

    def alpha_dropout(input, p, train):
        return fn["alpha_dropout"](input, p, train)

    def feature_alpha_dropout(input, p, train):
        return fn["feature_alpha_dropout"](input, p, train)

    def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
        # aten's padding_idx: a row index, a negative one meaning none (F.embedding counts a
        # negative one from the end)
        return fn["embedding"](indices, weight, padding_idx if padding_idx >= 0 else None,
                               scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)

    def embedding_bag(*args, **kwargs):
        raise errors.NotSupported(
            "torch.embedding_bag (aten's form returning four tensors) is not supported; "
            "torch.nn.functional.embedding_bag is")

    def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
        return fn["group_norm"](input, num_groups, weight, bias, eps)

    def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
        return fn["hinge_embedding_loss"](input, target, margin,
                                          reduction=_reduction(reduction))

    def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05,
                   cudnn_enable=True):
        return fn["layer_norm"](input, normalized_shape, weight, bias, eps)

    def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
        return fn["margin_ranking_loss"](input1, input2, target, margin,
                                         reduction=_reduction(reduction))

    def poisson_nll_loss(input, target, log_input, full, eps, reduction):
        return fn["poisson_nll_loss"](input, target, log_input, full, eps=eps,
                                      reduction=_reduction(reduction))

    def rrelu(input, lower=0.125, upper=0.3333333333333333, training=False, generator=None):
        from .activation import _rrelu

        return _rrelu(input, lower, upper, bool(training), False, generator)

    def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-06,
                            swap=False, reduction=0):
        return fn["triplet_margin_loss"](anchor, positive, negative, margin, p, eps, swap,
                                         reduction=_reduction(reduction))

    def adaptive_max_pool1d(input, output_size):
        return fn["adaptive_max_pool1d"](input, output_size, True)

    forms = dict(locals())
    return {name: f for name, f in forms.items() if callable(f) and name != "fn"}


def install(table: dict, tensor_cls) -> None:
    """The methods on ``tensor_cls``, the function forms in ``table`` and :data:`TORCH`
    (after out_rules.install, before the guards)."""
    import dataclasses

    from .signatures import guarded

    softmax, log_softmax = table["softmax"].fn, table["log_softmax"].fn

    def softmax_method(self, dim=None, dtype=None, **named):  # (the guard binds the call)
        return softmax(self, _dim(dim, named), dtype=dtype)

    def log_softmax_method(self, dim=None, dtype=None, **named):
        return log_softmax(self, _dim(dim, named), dtype=dtype)

    for name, method in (("softmax", softmax_method), ("log_softmax", log_softmax_method)):
        method.__name__ = method.__qualname__ = name
        method.__doc__ = table[name].fn.__doc__
        setattr(tensor_cls, name, method)

    norm = table["norm"].fn

    def norm_function(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
        if out is None:
            return norm(input, p, dim, keepdim, dtype=dtype)
        return norm(input, p, dim, keepdim, dtype=dtype, out=out)

    special_softmax = table["special.softmax"].fn

    def special_softmax_function(input, dim=None, dtype=None, **named):
        return special_softmax(input, _dim(dim, named), dtype=dtype, **named)

    matrix_rank, pinv = table["linalg.matrix_rank"].fn, table["linalg.pinv"].fn

    def matrix_rank_function(A, tol=None, hermitian=False, **named):
        # torch's (input, tol, hermitian=False) overload: ``tol`` an absolute tolerance
        if tol is not None:
            named.update(atol=tol, rtol=0.0)
        return matrix_rank(A, hermitian=hermitian, **named)

    def pinv_function(A, rcond=None, hermitian=False, **named):
        # torch's (input, rcond, hermitian=False) overload: ``rcond`` a relative tolerance
        if rcond is not None:
            named.update(rtol=rcond)
        return pinv(A, hermitian=hermitian, **named)

    sub, rsub = table["subtract"].fn, table["rsub"].fn

    def subtract_function(input, other, alpha=1, **named):
        # torch's (input, Scalar other, Scalar alpha=1) overload: alpha by position (with a
        # Tensor ``other`` only by keyword: the guard's signatures refuse it positionally)
        return sub(input, other, alpha=alpha, **named)

    def rsub_function(input, other, alpha=1):
        return rsub(input, other, alpha=alpha)

    subtract_ = tensor_cls.subtract_

    def subtract__method(self, other, alpha=1):
        return subtract_(self, other, alpha=alpha)

    subtract__method.__name__ = subtract__method.__qualname__ = "subtract_"
    tensor_cls.subtract_ = subtract__method
    if "subtract_" in table:
        table["subtract_"] = dataclasses.replace(table["subtract_"], fn=subtract__method)

    for name, f in (("norm", norm_function), ("special.softmax", special_softmax_function),
                    ("linalg.matrix_rank", matrix_rank_function),
                    ("linalg.pinv", pinv_function), ("subtract", subtract_function),
                    ("rsub", rsub_function)):
        old = table[name].fn
        f.__name__ = f.__qualname__ = name.rsplit(".", 1)[-1]
        f.__doc__ = old.__doc__
        for attr in ("operator", "operator_form"):
            if hasattr(old, attr):
                setattr(f, attr, getattr(old, attr))
        table[name] = dataclasses.replace(table[name], fn=f)
    tensor_cls.subtract = table["subtract"].fn  # (torch's method: the same overloads)

    for name, f in _torch_forms(table).items():
        f.__name__ = f.__qualname__ = name
        f.__doc__ = table[name].fn.__doc__ if name in table else f.__doc__
        TORCH[name] = guarded(name, "torch", f)
