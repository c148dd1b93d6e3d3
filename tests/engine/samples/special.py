"""engine/ops/special.py (inverse hyperbolics, exp2, erfc, erfinv, the gamma family, Bessel
functions, torch.special) and engine/ops/reduction_more.py (nansum, nanmean, cummax, cummin,
logcumsumexp ...). Inputs keep inside each function's domain and away from its poles."""

import numpy as np

import engine

from . import Sample, samples

rng = np.random.default_rng(29)


def r(*shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=shape)


samples("asinh", Sample((r(3, 4),), oracle=lambda np_, a: np_.arcsinh(a)),
        Sample((r(),), name="0-d"), Sample((r(0, 2),), name="empty"))
samples("acosh", Sample((r(3, 4, lo=1.2, hi=4.0),), oracle=lambda np_, a: np_.arccosh(a)),
        Sample((r(lo=1.2, hi=3.0),), name="0-d"))
samples("atanh", Sample((r(3, 4, lo=-0.9, hi=0.9),), oracle=lambda np_, a: np_.arctanh(a)),
        Sample((r(2, lo=-0.8, hi=0.8),), name="1-d"))
samples("exp2", Sample((r(3, 4),), oracle=lambda np_, a: np_.exp2(a)),
        Sample((r(),), name="0-d"))
samples("erfc", Sample((r(3, 4, lo=-3.0, hi=3.0),)), Sample((r(),), name="0-d"))
samples("erfinv", Sample((r(3, 4, lo=-0.95, hi=0.95),)), Sample((r(lo=-0.5, hi=0.5),),
                                                                 name="0-d"))

# ---- reductions
# (the differential suite draws NaN into these inputs itself; a NaN in a sample's array
# would leave it no value range to draw from)
samples("nansum", Sample((r(3, 4),)), Sample((r(3, 4), 1), name="dim"),
        Sample((r(2, 3, 2), (0, 2), True), name="dims-keepdim"),
        Sample((r(),), name="0-d"), Sample((r(0, 3), 0), name="empty"))
samples("nanmean", Sample((r(3, 4),)), Sample((r(3, 4), 1), name="dim"),
        Sample((r(2, 3, 2), (0, 2), True), name="dims-keepdim"),
        Sample((r(),), name="0-d"))
samples("cummax", Sample((r(3, 5), 1)), Sample((r(4, 2), 0), name="dim0"),
        Sample((r(), 0), name="0-d"), Sample((r(0, 3), 1), name="empty"))
samples("cummin", Sample((r(3, 5), 1)), Sample((r(4, 2), -2), name="dim-neg"),
        Sample((r(), 0), name="0-d"))
samples("logcumsumexp", Sample((r(3, 5), 1)), Sample((r(4, 2), 0), name="dim0"),
        Sample((r(), 0), name="0-d"), Sample((r(0, 3), 1), name="empty"))

# ---- the gamma family (positive arguments: lgamma's accuracy near its negative zeros is
# NumPy arithmetic's, not glibc's; see the note)
samples("lgamma", Sample((r(3, 4, lo=0.2, hi=6.0),)), Sample((r(lo=1.5, hi=3.0),), name="0-d"))
samples("digamma", Sample((r(3, 4, lo=0.2, hi=6.0),)),
        Sample((r(2, 3, lo=-2.9, hi=-2.1),), name="negative"))
samples("polygamma", Sample((1, r(3, 4, lo=0.2, hi=6.0))), Sample((2, r(2, 3, lo=0.5, hi=4.0)),
                                                                 name="n2"),
        Sample((0, r(3, lo=0.5, hi=3.0)), name="n0"), Sample((3, r(lo=1.0, hi=3.0)), name="n3"))
samples("mvlgamma", Sample((r(3, 4, lo=1.6, hi=5.0), 2)), Sample((r(3, lo=0.6, hi=4.0), 1),
                                                                 name="p1"),
        Sample((r(2, lo=2.2, hi=4.0), 4), name="p4"))
# (the method's receiver comes first: x.polygamma_(n))
samples("polygamma_", Sample((r(3, 4, lo=0.2, hi=6.0), 1)),
        Sample((r(2, 3, lo=0.5, hi=4.0), 2), name="n2"))

# ---- Bessel functions and torch.special's own
samples("i0", Sample((r(3, 4, lo=-5.0, hi=5.0),)), Sample((r(),), name="0-d"),
        Sample((r(4, lo=20.0, hi=40.0),), name="large"))
samples("special.i0e", Sample((r(3, 4, lo=-5.0, hi=5.0),)),
        Sample((r(4, lo=20.0, hi=40.0),), name="large"))
samples("special.i1", Sample((r(3, 4, lo=-5.0, hi=5.0),)),
        Sample((r(4, lo=20.0, hi=40.0),), name="large"))
samples("special.i1e", Sample((r(3, 4, lo=-5.0, hi=5.0),)),
        Sample((r(4, lo=-40.0, hi=-20.0),), name="large"))
samples("special.erfcx", Sample((r(3, 4, lo=-3.0, hi=8.0),)), Sample((r(),), name="0-d"))
samples("special.ndtr", Sample((r(3, 4, lo=-4.0, hi=4.0),)), Sample((r(),), name="0-d"))
samples("special.ndtri", Sample((r(3, 4, lo=0.02, hi=0.98),)),
        Sample((r(lo=0.3, hi=0.7),), name="0-d"))
samples("special.log_ndtr", Sample((r(3, 4, lo=-6.0, hi=4.0),)),
        Sample((r(3, lo=-30.0, hi=-10.0),), name="tail"))
samples("special.entr", Sample((r(3, 4, lo=0.1, hi=3.0),)), Sample((r(lo=0.2, hi=2.0),),
                                                                  name="0-d"))
samples("special.xlog1py", Sample((r(3, 4), r(3, 4, lo=-0.5, hi=3.0))),
        Sample((r(3, 1), r(4, lo=-0.5, hi=3.0)), name="broadcast"),
        Sample((2.5, r(2, 3, lo=-0.5, hi=3.0)), name="number-self"),
        Sample((r(2, 3), 1.5), name="number-other"))


def _same_samples(alias: str, op: str, **kwargs) -> None:
    from . import SAMPLES

    samples(alias, *SAMPLES[op])


for _short, _op in (("expit", "sigmoid"), ("logit", "logit"), ("xlogy", "xlogy"),
                    ("gammaln", "lgamma"), ("digamma", "digamma"), ("psi", "digamma"),
                    ("polygamma", "polygamma"), ("multigammaln", "mvlgamma"), ("i0", "i0"),
                    ("erf", "erf"), ("erfc", "erfc"), ("erfinv", "erfinv"), ("sinc", "sinc"),
                    ("expm1", "expm1"), ("exp2", "exp2"), ("log1p", "log1p"),
                    ("logsumexp", "logsumexp"), ("round", "round"), ("softmax", "softmax"),
                    ("log_softmax", "log_softmax")):
    _same_samples("special." + _short, _op)

# ---- engine/ops/pointwise_binary.py
samples("copysign", Sample((r(3, 4), r(3, 4))), Sample((r(2, 1), r(3)), name="broadcast"),
        Sample((r(2, 3), -1.5), name="number"))
samples("float_power", Sample((r(3, 4, lo=0.3, hi=2.0), r(3, 4))),
        Sample((r(2, 3, lo=0.3, hi=2.0), 2.5), name="number-exponent"),
        Sample((1.7, r(2, 3)), name="number-base"))
samples("msort", Sample((r(4, 3),)), Sample((r(5),), name="1-d"), Sample((r(),), name="0-d"))
samples("heaviside", Sample((np.array([-1.0, 0.0, 2.0, 0.0]), r(4))),
        Sample((r(2, 3), r(3)), name="broadcast"))
samples("gcd", Sample((np.array([[4, 6, -9], [0, 7, 12]]), np.array([6, -4, 3]))))
samples("lcm", Sample((np.array([[4, 6, -9], [0, 7, 12]]), np.array([6, -4, 3]))))
for _name in ("isposinf", "isneginf", "isreal"):
    samples(_name, Sample((r(3, 4),)), Sample((r(),), name="0-d"))
# (integer in-place targets: the in-place specs drawn from gcd's would want a float target)
samples("gcd_", Sample((np.array([[4, 6, -9], [0, 7, 12]]), np.array([6, -4, 3]))))
samples("lcm_", Sample((np.array([[4, 6, -9], [0, 7, 12]]), np.array([6, -4, 3]))))
samples("var_mean", Sample((r(3, 4),)), Sample((r(3, 4), 1), name="dim"),
        Sample((r(2, 3, 2), (0, 2)), {"keepdim": True, "correction": 0},
               name="dims-correction"))
samples("std_mean", Sample((r(3, 4),)), Sample((r(3, 4), 1), name="dim"),
        Sample((r(2, 3, 2), (0, 2)), {"keepdim": True, "correction": 0},
               name="dims-correction"))
samples("aminmax", Sample((r(3, 4),)), Sample((r(3, 4),), {"dim": 1}, name="dim"),
        Sample((r(2, 3),), {"dim": 0, "keepdim": True}, name="keepdim"))
# (torch's gradient for a negative integer exponent is 0, not 2^e: compared with torch in
# test_special_ops.py; finite differences would disagree)
samples("ldexp", Sample((r(3, 4), engine.tensor([1, 2, 0, 3]))), Sample((r(2, 3), r(2, 3)),
                                                                    name="float-exponent"))
samples("bitwise_left_shift", Sample((np.array([[1, -8, 3], [0, 5, 7]]), np.array([1, 2, 70]))))
samples("bitwise_right_shift", Sample((np.array([[1, -8, 3], [0, 5, 7]]),
                                       np.array([1, 2, 70]))))
samples("bitwise_left_shift_", Sample((np.array([[1, -8, 3], [0, 5, 7]]), np.array([1, 2, 3]))))
samples("bitwise_right_shift_", Sample((np.array([[1, -8, 3], [0, 5, 7]]),
                                        np.array([1, 2, 3]))))
