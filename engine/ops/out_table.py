"""Which ops take ``out=`` and how (``OutRule``s by family, then each op's own texts), as torch
2.13 does: measured by ``tests/oracle/out_recorder.py`` (its record is
``tests/oracle/out_golden.json``). An op absent here refuses ``out=``.
"""

from __future__ import annotations

from dataclasses import replace

from .out_rules import CAST, CAT_CAST, EXPECTED, FOUND, SAFELY, ByDim, OutRule, Refused

RULES: dict = {}


def _rules(names: str, rule: OutRule | None = None, **kw) -> None:
    for n in names.split():
        RULES[n] = replace(rule or OutRule(), **kw)


# --------------------------------------------------------------------------- families
# Pointwise (TensorIterator): computed in the inputs' dtype, then cast into out; a result that
# cannot be cast raises CAST; an out overlapping an input other than exactly is refused.
_POINTWISE = OutRule(overlap=True)
_rules("""acos acosh add addcdiv addcmul addr asin asinh atan atan2 atanh copysign cos cosh
    deg2rad digamma div erf erfc erfinv exp exp2 expm1 floor_divide fmax fmin fmod hypot i0
    lerp lgamma log log10 log1p log2 logaddexp logaddexp2 logit maximum minimum mul nextafter
    polygamma pow rad2deg reciprocal remainder rsqrt sigmoid sin sinc sinh sqrt square sub tan
    tanh true_divide xlogy
    special.airy_ai special.bessel_j0 special.bessel_j1 special.bessel_y0 special.bessel_y1
    special.chebyshev_polynomial_t special.chebyshev_polynomial_u
    special.chebyshev_polynomial_v special.chebyshev_polynomial_w special.digamma special.entr
    special.erf special.erfc special.erfcx special.erfinv special.exp2 special.expit
    special.expm1 special.gammaln special.hermite_polynomial_h special.hermite_polynomial_he
    special.i0 special.i0e special.i1 special.i1e special.laguerre_polynomial_l
    special.legendre_polynomial_p special.log1p special.log_ndtr special.logit
    special.modified_bessel_i0 special.modified_bessel_i1 special.modified_bessel_k0
    special.modified_bessel_k1 special.ndtr special.ndtri special.polygamma special.psi
    special.scaled_modified_bessel_k0 special.scaled_modified_bessel_k1
    special.shifted_chebyshev_polynomial_t special.shifted_chebyshev_polynomial_u
    special.shifted_chebyshev_polynomial_v special.shifted_chebyshev_polynomial_w special.sinc
    special.spherical_bessel_j0 special.xlog1py special.xlogy special.zeta
    bitwise_and bitwise_left_shift bitwise_or bitwise_right_shift bitwise_xor gcd lcm
    eq ge gt le lt ne logical_and logical_not logical_or logical_xor""", _POINTWISE)
# compositions of pointwise ops (cast as pointwise; no overlap check of their own)
_rules("diff kron normalize outer std var")
# out's dtype exactly
_rules("""addmm addmv avg_pool2d avg_pool3d baddbmm bmm cross gather index_add index_copy
    index_reduce inverse linalg.cholesky linalg.cross linalg.det linalg.eigvalsh linalg.inv
    linalg.lu_solve linalg.matmul linalg.solve linalg.svdvals linalg.vector_norm linear lu_solve
    matmul mm
    msort norm renorm scatter scatter_add scatter_reduce slice_scatter take_along_dim tril triu
    aminmax linalg.cholesky_ex linalg.eigh linalg.inv_ex linalg.lu linalg.lu_factor
    linalg.lu_factor_ex linalg.qr linalg.slogdet linalg.svd lu_unpack qr slogdet sort svd topk
    argmax argmin isin linalg.solve_ex triangular_solve""", cast=None, exact=EXPECTED)
_rules("""abs ceil clamp clamp_max clamp_min floor frac gelu hardshrink neg round sgn sign
    softplus softshrink special.round trunc bitwise_not""", cast=None, exact=FOUND)
# concatenations: cast, with cat's own text; overlap refused
_rules("cat column_stack dstack hstack stack vstack", cast=CAT_CAST, overlap=True)
# linear algebra that casts "safely" (their own prefix)
for _n, _p in (("cholesky", "cholesky"), ("cholesky_inverse", "cholesky_inverse"),
               ("cholesky_solve", "cholesky_solve"), ("linalg.cond", "linalg.cond"),
               ("linalg.pinv", "linalg.pinv"), ("linalg.tensorinv", "tensorinv"),
               ("linalg.tensorsolve", "tensorsolve"),
               ("linalg.matrix_rank", "torch.linalg.matrix_rank"),
               ("linalg.householder_product", "torch.linalg.householder_product"),
               ("orgqr", "torch.linalg.householder_product")):
    _rules(_n, cast=SAFELY.replace("{op}", _p))
_rules("matrix_power linalg.matrix_power", cast=SAFELY.replace("{op}", "matrix_power"),
       exact=EXPECTED)
_rules("diag", cast="diag: result type {R} can't be cast to the desired out= type {O}",
       exact=EXPECTED)
_rules("linalg.lstsq", cast="torch.linalg.lstsq: Expected solution to be safely castable from "
       "{R} dtype, but got solution with dtype {O}")
_rules("lu", cast=None)
_rules("mvlgamma special.multigammaln",
       cast="mvlgamma: result type {R} can't be cast to the desired output type {R}")
# each op's own "same dtype" text
for _names, _text in (
        ("amax amin", "Expected the dtype for input and out to match, but got {R} for input's "
                      "dtype and {O} for out's dtype."),
        ("bucketize searchsorted", "torch.searchsorted(): output tensor's dtype is wrong, it can "
                                   "only be Int(int32) or Long(int64) depending on whether "
                                   "out_int32 flag is True, but we got output tensor's dtype {O} "
                                   "and out_int32 flag is False"),
        ("chain_matmul linalg.multi_dot", "multi_dot(): expected out tensor to have dtype {r} "
                                          "but got {o}"),
        ("cummax cummin logcumsumexp", "expected scalar_type {R} but found {O}"),
        ("dot vdot", "result dtype {O} does not match input dtype {R}"),
        ("inner tensordot", "tensordot: Expected the output tensor to have dtype {R}, but got an "
                            "output tensor with dtype {O}"),
        ("linalg.solve_triangular logsigmoid", "expected scalar type {R} but found {O}"),
        ("nanquantile quantile", "quantile() out tensor must be same dtype as the input tensor"),
        ("addbmm", "self and mat2 must have the same dtype, but got {O} and {R}"),
        ("all", "all only supports bool tensor for result, got: {O}"),
        ("any", "any only supports bool tensor for result, got: {O}"),
        ("float_power", "the output given to float_power has dtype {O} but the operation's "
                        "result requires dtype {R}"),
        ("heaviside", "heaviside is not yet implemented for tensors with different dtypes."),
        ("histc histogram", "torch.histogram: input tensor and hist tensor should have the same "
                            "dtype, but got input {r} and hist {o}"),
        ("index_select", "index_select(): self and result must have the same scalar type"),
        ("isneginf", "isneginf does not support non-boolean outputs."),
        ("isposinf", "isposinf does not support non-boolean outputs."),
        ("signbit", "signbit does not support non-boolean outputs."),
        ("linalg.matrix_norm", "linalg.matrix_norm expected out tensor dtype {R} but got: {O}"),
        ("linalg.norm", "linalg.norm expected out tensor dtype {R} but got: {O}"),
        ("linalg.vecdot", "linalg.vecdot: Expected out of dtype{R} but found {O}"),
        ("masked_select", "masked_select(): self and result must have the same scalar type"),
        ("multinomial", "multinomial expects Long tensor out, got: {O}"),
        ("mv", "addmv input tensors must have the same dtype, but got {O}, {R}, and {R}"),
        ("nan_to_num", "nan_to_num: dtype of out: {O} should be same as input: {R}"),
        ("narrow_copy", "Expected self.dtype() == output.dtype() to be true, but got false.  "
                        "(Could this error message be improved?  If so, please report an "
                        "enhancement request to PyTorch.)"),
        ("nonzero", "nonzero: Expected out tensor to have scalar type Long but got scalar "
                    "type{O}"),
        ("take", "take(): self and out expected to have the same dtype, but got self.dtype = "
                 "{R} and out.dtype = {O}"),
        ("where", "Expected out type to be {R} but got {O}")):
    _rules(_names, cast=None, exact=_text)
_rules("ldexp", cast="ldexp can't be cast to the desired output type {O}")
_rules("frexp", cast=None, exact=("torch.frexp() expects mantissa to have dtype {r} but got {o}",
                                  "torch.frexp() expects exponent to have int dtype but got {o}"))
_rules("kthvalue", cast=None, exact=("output values must be of same type as input",
                                     "output indices must be of scalar type Long"))
_rules("mode", cast=None, exact=("expected scalar type '{R}' but got '{O}' for values output",
                                 "expected scalar type '{R}' but got '{O}' for indices output"))
_rules("lu", cast=None)

# reductions computed in out's dtype (through the op's dtype=)
_rules("cumsum cumprod", family="compute", cast=None,
       kernel=("nonbool", 'NotImplementedError:"{op}_out_cpu" not implemented for \'{O}\''))
_rules("mean", family="compute")
_rules("nanmean nansum", family="compute", cast=None,
       dtype_text="nansum: provided dtype must match dtype of result. Got {O} and {R}.",
       kernel=("float", 'NotImplementedError:"nansum_cpu" not implemented for \'{O}\''))
_rules("sum prod", family="compute", cast=None, needs_dim=True)
_rules("logsumexp special.logsumexp", cast=None,
       kernel=("float", "logsumexp(): Expected floating point type for result tensor, but got: "
                        "{O}"))

# creation ops: their values made in out's dtype; an out that held elements is resized silently
_CREATE = OutRule(family="create", cast=None, warn=False)
_rules("empty eye full ones zeros", _CREATE)
_rules("arange", _CREATE, warn=True,
       kernel=("nonbool", 'NotImplementedError:"arange_cpu" not implemented for \'{O}\''))
_rules("linspace", _CREATE,
       kernel=("nonbool", 'NotImplementedError:"linspace_cpu" not implemented for \'{O}\''))
_rules("logspace", _CREATE,
       kernel=("nonbool", 'NotImplementedError:"logspace_cpu" not implemented for \'{O}\''))
_rules("rand", _CREATE,
       kernel=("float", 'NotImplementedError:"check_uniform_bounds" not implemented for '
                        "'{O}'"))
_rules("randn", _CREATE,
       kernel=("float", 'NotImplementedError:"normal_kernel_cpu" not implemented for \'{O}\''))
_rules("randint", _CREATE, kernel=("nonbool", "to - 1 is out of bounds for bool"))
_rules("randperm", _CREATE,
       kernel=("nonbool", 'NotImplementedError:"randperm" not implemented for \'{O}\''))
# random draws from a tensor's parameters: drawn in out's dtype
_rules("bernoulli", cast=None, warn=False)
_rules("normal", family="compute", cast=None, warn=False,
       kernel=("float", 'NotImplementedError:"normal_kernel_cpu" not implemented for \'{O}\''))

# resized silently
for _n in ("addbmm", "logsigmoid", "lu", "multinomial", "narrow_copy"):
    RULES[_n] = replace(RULES[_n], warn=False)

# several outputs
for _n, _k in (("aminmax", 2), ("linalg.cholesky_ex", 2), ("linalg.eigh", 2),
               ("linalg.inv_ex", 2), ("linalg.lu", 3), ("linalg.lu_factor", 2),
               ("linalg.lu_factor_ex", 3), ("linalg.qr", 2), ("linalg.slogdet", 2),
               ("linalg.svd", 3), ("lu_unpack", 3), ("qr", 2), ("slogdet", 2), ("sort", 2),
               ("svd", 3), ("topk", 2), ("cummax", 2), ("cummin", 2), ("frexp", 2),
               ("histogram", 2), ("kthvalue", 2), ("mode", 2), ("linalg.lstsq", 4), ("lu", 2),
               ("linalg.solve_ex", 2), ("triangular_solve", 2)):
    RULES[_n] = replace(RULES[_n], outputs=_k)

# --------------------------------------------------------------------------- grad-mode names
# the op torch names when an argument requires grad (the default: the op's own name)
_GRAD = {
    "chain_matmul": "mm", "column_stack": "cat", "dstack": "cat", "hstack": "cat",
    "vstack": "cat", "cross": "linalg_cross", "diff": "sub", "float_power": "pow",
    "inverse": "linalg_inv_ex", "kron": "mul", "linalg.cholesky": "linalg_cholesky_ex",
    "linalg.det": "_linalg_det", "linalg.eigh": "_linalg_eigh",
    "linalg.eigvalsh": "_linalg_eigh", "linalg.inv": "linalg_inv_ex",
    "linalg.lu_factor": "linalg_lu_factor_ex", "linalg.matmul": "matmul",
    "linalg.matrix_power": "matmul",
    "linalg.multi_dot": "mm", "linalg.slogdet": "_linalg_slogdet",
    "linalg.solve": "_linalg_solve_ex", "linalg.solve_ex": "_linalg_solve_ex",
    "orgqr": "linalg_householder_product",
    "linalg.svd": "_linalg_svd",
    "linalg.svdvals": "_linalg_svd", "linalg.vecdot": "sum", "logsigmoid": "log_sigmoid_forward",
    "lu_solve": "linalg_lu_solve", "matrix_power": "matmul", "msort": "sort",
    "nanmean": "nansum", "norm": "linalg_vector_norm", "normalize": "div", "outer": "mul",
    "qr": "linalg_qr", "slogdet": "_linalg_slogdet", "square": "pow", "svd": "_linalg_svd",
    "take_along_dim": "gather", "true_divide": "div", "special.multigammaln": "mvlgamma",
    "special.logsumexp": "logsumexp", "special.expit": "sigmoid", "special.gammaln": "lgamma",
    "special.psi": "digamma",
}
for _n, _g in _GRAD.items():
    RULES[_n] = replace(RULES[_n], grad=_g)
for _n in ("special.digamma special.erf special.erfc special.erfinv special.exp2 special.expm1 "
           "special.i0 special.log1p special.logit special.polygamma special.round special.sinc "
           "special.xlogy").split():
    RULES[_n] = replace(RULES[_n], grad=_n.removeprefix("special."))
# torch computes these with autograd and copies the result into out (CopyBackwards), or their
# results are not differentiable
for _n in ("""all any arange argmax argmin bitwise_and bitwise_left_shift bitwise_not bitwise_or
        bitwise_right_shift bitwise_xor bucketize diag empty eq eye floor_divide full gcd ge gt
        heaviside histc histogram inner isin isneginf isposinf lcm le linalg.cond
        linalg.matrix_norm linalg.matrix_rank linalg.norm linalg.tensorinv linalg.tensorsolve
        linspace logical_and logical_not logical_or logical_xor logspace lt lu multinomial
        nanquantile ne nonzero ones quantile rand randint randn randperm searchsorted signbit
        slice_scatter special.airy_ai special.bessel_j0 special.bessel_j1 special.bessel_y0
        special.bessel_y1 special.chebyshev_polynomial_t special.chebyshev_polynomial_u
        special.chebyshev_polynomial_v special.chebyshev_polynomial_w
        special.hermite_polynomial_h special.hermite_polynomial_he special.laguerre_polynomial_l
        special.legendre_polynomial_p special.modified_bessel_i0 special.modified_bessel_i1
        special.modified_bessel_k0 special.modified_bessel_k1 special.ndtr
        special.scaled_modified_bessel_k0 special.scaled_modified_bessel_k1
        special.shifted_chebyshev_polynomial_t special.shifted_chebyshev_polynomial_u
        special.shifted_chebyshev_polynomial_v special.shifted_chebyshev_polynomial_w
        special.spherical_bessel_j0 tensordot zeros""").split():
    RULES[_n] = replace(RULES[_n], grad=None)


# max/min: a full reduction (torch's canCast text), elementwise of two tensors, or along a dim
_CANCAST = ("Expected canCast( typeMetaToScalarType(self.dtype()), typeMetaToScalarType("
            "out.dtype())) to be true, but got false.  (Could this error message be improved?  "
            "If so, please report an enhancement request to PyTorch.)")
for _n in ("max", "min"):
    RULES[_n] = ByDim(OutRule(cast=_CANCAST), OutRule(cast=None, exact=EXPECTED, outputs=2),
                      replace(_POINTWISE, grad={"max": "maximum", "min": "minimum"}[_n]))
for _n in ("median", "nanmedian"):
    RULES[_n] = ByDim(
        f'{_n}() missing 1 required positional arguments: "dim"',
        OutRule(cast=None, outputs=2, grad=_n, order=(1, 0), exact=(
            "Expected tensor for 'values' to have the same type as tensor for argument #2 "
            "'self'; but type {to} does not equal {tr} (while checking "
            "arguments for median)",
            "Expected tensor for argument #1 'indices' to have scalar type {R}; but got "
            "{to} instead (while checking arguments for median)")))
for _n in ("var", "std"):  # along a dim: computed in out's dtype; else cast
    RULES[_n] = ByDim(RULES[_n], replace(RULES[_n], family="upcast"))
_rules("mean", family="compute")
RULES["mean"] = ByDim(replace(RULES["mean"], cast="mean.dtype_out(): input types can't be cast "
                              "to the desired output type {O}"), RULES["mean"])
_rules("empty", _CREATE, family="empty", resize_bumps=1)
_rules("randn", _CREATE, resize_bumps=1,
       kernel=("float", 'NotImplementedError:"normal_kernel_cpu" not implemented for \'{O}\''))
RULES["nanmean"] = replace(RULES["nanmean"], bumps=2)
RULES["lu"] = replace(RULES["lu"], resize_bumps=1)
_rules("kron", grad="mul", bumps=0)

# refused with torch's own texts
for _n in """argsort conv1d conv2d conv3d count_nonzero cumulative_trapezoid dsplit hsplit
        index_fill masked_fill movedim narrow rand_like randn_like repeat_interleave rsub
        squeeze std_mean tensor_split trapezoid trapz var_mean vsplit""".split():
    RULES[_n] = Refused(combination=True)
for _n, _as in (("adaptive_max_pool1d", "_adaptive_max_pool1d"),
                ("adaptive_max_pool2d", "_adaptive_max_pool2d"),
                ("adaptive_max_pool3d", "_adaptive_max_pool3d"),
                ("max_pool1d", "_max_pool1d"), ("max_pool2d", "_max_pool2d"),
                ("max_pool3d", "_max_pool3d"), ("threshold", "_threshold"),
                ("linalg.diagonal", "linalg_diagonal"), ("linalg.matrix_exp", "linalg_matrix_exp"),
                ("linalg.vander", "linalg_vander"), ("special.log_softmax", "special_log_softmax"),
                ("special.softmax", "special_softmax")):
    RULES[_n] = Refused(name=_as)

__all__ = ["CAST", "RULES"]
