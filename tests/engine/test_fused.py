"""addmm, addmv, addr, baddbmm, addbmm, addcmul, addcdiv: values, dtypes, node names,
gradients and PyTorch's argument checks (in PyTorch's order), side by side with torch 2.13."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from tests.engine.torch_compare import compare  # noqa: E402

rng = np.random.default_rng(5)


def v(*shape):
    return rng.uniform(-2, 2, size=shape).round(3).tolist()


M23, A24, B43, A22 = v(2, 3), v(2, 4), v(4, 3), v(2, 2)
V4, V2, V3 = v(4), v(2), v(3)
X524, Y543, I523 = v(5, 2, 4), v(5, 4, 3), v(5, 2, 3)
NAN = float("nan")


def o(m, *shape, dtype=None):
    return m.ones(*shape, dtype=dtype)


CASES = {
    # addmm
    "addmm": lambda m, F, leaf: m.addmm(leaf(M23), leaf(A24), leaf(B43)),
    "addmm-beta-alpha": lambda m, F, leaf: m.addmm(leaf(M23), leaf(A24), leaf(B43), beta=0.5,
                                                   alpha=2),
    "addmm-bcast": lambda m, F, leaf: m.addmm(leaf(V3), leaf(A24), leaf(B43)),
    "addmm-0d": lambda m, F, leaf: m.addmm(leaf(1.5), leaf(A24), leaf(B43), alpha=-1),
    "addmm-only-mat1": lambda m, F, leaf: m.addmm(m.tensor(M23, dtype=m.float64), leaf(A24),
                                                  m.tensor(B43, dtype=m.float64)),
    "addmm-beta0-nan": lambda m, F, leaf: m.addmm(m.full((2, 3), NAN), o(m, 2, 4),
                                                  o(m, 4, 3), beta=0),
    "addmm-alpha0-nan": lambda m, F, leaf: m.addmm(o(m, 1, 1), m.tensor([[NAN]]), o(m, 1, 1),
                                                   alpha=0),
    "addmm-beta-tensor": lambda m, F, leaf: m.addmm(leaf(A22), leaf(A22), leaf(A22),
                                                    beta=m.tensor(2.0)),
    "addmm-int": lambda m, F, leaf: m.addmm(o(m, 2, 3, dtype=m.int64), o(m, 2, 4, dtype=m.int64),
                                            o(m, 4, 3, dtype=m.int64), beta=2, alpha=3),
    "addmm-int-float-beta": lambda m, F, leaf: m.addmm(
        o(m, 2, 3, dtype=m.int64), o(m, 2, 4, dtype=m.int64), o(m, 4, 3, dtype=m.int64),
        beta=2.5),
    "addmm-int32": lambda m, F, leaf: m.addmm(o(m, 2, 2, dtype=m.int32),
                                              o(m, 2, 2, dtype=m.int32), o(m, 2, 2, dtype=m.int32)),
    "addmm-half": lambda m, F, leaf: m.addmm(m.tensor(A22, dtype=m.float16),
                                             m.tensor(A22, dtype=m.float16),
                                             m.tensor(A22, dtype=m.float16)),
    "addmm-bool": lambda m, F, leaf: m.addmm(o(m, 2, 2, dtype=m.bool), o(m, 2, 2, dtype=m.bool),
                                             o(m, 2, 2, dtype=m.bool)),
    "addmm-shapes": lambda m, F, leaf: m.addmm(o(m, 2, 3), o(m, 2, 4), o(m, 2, 4)),
    "addmm-input-shape": lambda m, F, leaf: m.addmm(o(m, 3, 3), o(m, 2, 4), o(m, 4, 3)),
    "addmm-input-3d": lambda m, F, leaf: m.addmm(o(m, 1, 2, 2), o(m, 2, 2), o(m, 2, 2)),
    "addmm-mat1-1d": lambda m, F, leaf: m.addmm(o(m, 2, 2), o(m, 2), o(m, 2, 2)),
    "addmm-mat2-3d": lambda m, F, leaf: m.addmm(o(m, 2, 2), o(m, 2, 2), o(m, 2, 2, 2)),
    "addmm-dtype-self": lambda m, F, leaf: m.addmm(o(m, 2, 4, dtype=m.float64), o(m, 2, 4),
                                                   o(m, 2, 4)),
    "addmm-dtype-mats": lambda m, F, leaf: m.addmm(o(m, 2, 2), o(m, 2).double(), o(m, 2, 2)),
    "addmm-scalar": lambda m, F, leaf: m.addmm(1.0, o(m, 2, 2), o(m, 2, 2)),
    # (torch.addmm's function form words this as its two overloads; the method form as here)
    "addmm-beta-1d": lambda m, F, leaf: o(m, 2, 2).addmm(o(m, 2, 2), o(m, 2, 2),
                                                         beta=m.ones(1)),
    "addmv-alpha-str": lambda m, F, leaf: m.addmv(o(m, 2), o(m, 2, 2), o(m, 2), alpha="a"),
    "addmm_": lambda m, F, leaf: (leaf(M23) * 1).addmm_(leaf(A24), leaf(B43), alpha=0.5),
    "addmm_-bcast": lambda m, F, leaf: o(m, 3).addmm_(o(m, 2, 4), o(m, 4, 3)),
    "addmm_-dtype": lambda m, F, leaf: o(m, 2, 2).addmm_(o(m, 2, 2).double(),
                                                          o(m, 2, 2).double()),
    "addmm-method": lambda m, F, leaf: leaf(M23).addmm(leaf(A24), leaf(B43)),
    # addmv
    "addmv": lambda m, F, leaf: m.addmv(leaf(V2), leaf(A24), leaf(V4), beta=-1, alpha=0.5),
    "addmv-0d": lambda m, F, leaf: m.addmv(leaf(2.0), leaf(A24), leaf(V4)),
    "addmv-size1": lambda m, F, leaf: m.addmv(leaf([2.0]), leaf(A24), leaf(V4)),
    "addmv-int": lambda m, F, leaf: m.addmv(o(m, 2, dtype=m.int64), o(m, 2, 2, dtype=m.int64),
                                            o(m, 2, dtype=m.int64), beta=2, alpha=3),
    "addmv-bool": lambda m, F, leaf: m.addmv(o(m, 2, dtype=m.bool), o(m, 2, 2, dtype=m.bool),
                                             o(m, 2, dtype=m.bool)),
    "addmv-vec": lambda m, F, leaf: m.addmv(o(m, 2), o(m, 2, 4), o(m, 2)),
    "addmv-input": lambda m, F, leaf: m.addmv(o(m, 3), o(m, 2, 4), o(m, 4)),
    "addmv-input-2d": lambda m, F, leaf: m.addmv(o(m, 1, 2), o(m, 2, 2), o(m, 2)),
    "addmv-mat-1d": lambda m, F, leaf: m.addmv(o(m, 2), o(m, 2), o(m, 2)),
    "addmv-dtype": lambda m, F, leaf: m.addmv(o(m, 2), o(m, 2, 2).double(), o(m, 2)),
    "addmv-dtype-vec": lambda m, F, leaf: m.addmv(o(m, 2), o(m, 2, 2), o(m, 2).double()),
    "addmv_": lambda m, F, leaf: (leaf(V2) * 1).addmv_(leaf(A24), leaf(V4)),
    "addmv_-bcast": lambda m, F, leaf: o(m, 1).addmv_(o(m, 2, 2), o(m, 2)),
    # addr
    "addr": lambda m, F, leaf: m.addr(leaf(M23), leaf(V2), leaf(V3), beta=2, alpha=-0.5),
    "addr-0d": lambda m, F, leaf: m.addr(leaf(1.0), leaf(V2), leaf(V3)),
    "addr-promote": lambda m, F, leaf: m.addr(leaf(M23, m.float32), leaf(V2), leaf(V3)),
    "addr-int-float": lambda m, F, leaf: m.addr(o(m, 2, 2, dtype=m.int64), o(m, 2), o(m, 2)),
    "addr-int": lambda m, F, leaf: m.addr(o(m, 2, 2, dtype=m.int64), m.tensor([1, 2]),
                                          m.tensor([3, 4]), beta=2),
    "addr-int-float-beta": lambda m, F, leaf: m.addr(o(m, 2, 2, dtype=m.int64),
                                                     o(m, 2, dtype=m.int64),
                                                     o(m, 2, dtype=m.int64), beta=0.5),
    "addr-int-float-alpha": lambda m, F, leaf: m.addr(o(m, 2, 2, dtype=m.int64),
                                                      o(m, 2, dtype=m.int64),
                                                      o(m, 2, dtype=m.int64), alpha=0.5),
    "addr-bool": lambda m, F, leaf: m.addr(o(m, 2, 2, dtype=m.bool), m.tensor([True, False]),
                                           o(m, 2, dtype=m.bool), beta=0),
    "addr-bool-int": lambda m, F, leaf: m.addr(o(m, 2, 2, dtype=m.bool), m.tensor([1, 0]),
                                               o(m, 2, dtype=m.int64)),
    "addr-beta0-nan": lambda m, F, leaf: m.addr(m.full((2, 2), NAN), o(m, 2), o(m, 2), beta=0),
    "addr-2d": lambda m, F, leaf: m.addr(o(m, 2, 3), o(m, 2, 3), o(m, 2)),
    "addr-vec2-2d": lambda m, F, leaf: m.addr(o(m, 2, 2), o(m, 2), o(m, 2, 2)),
    "addr-input": lambda m, F, leaf: m.addr(o(m, 2, 3), o(m, 2), o(m, 2)),
    "addr_": lambda m, F, leaf: (leaf(M23) * 1).addr_(leaf(V2), leaf(V3)),
    "addr_-bcast": lambda m, F, leaf: o(m, 2, 1).addr_(o(m, 2), o(m, 2)),
    # baddbmm / addbmm
    "baddbmm": lambda m, F, leaf: m.baddbmm(leaf(I523), leaf(X524), leaf(Y543), beta=0.5,
                                            alpha=2),
    "baddbmm-bcast": lambda m, F, leaf: m.baddbmm(leaf(V3), leaf(X524), leaf(Y543)),
    "baddbmm-int": lambda m, F, leaf: m.baddbmm(o(m, 2, 2, 2, dtype=m.int64),
                                                o(m, 2, 2, 2, dtype=m.int64),
                                                o(m, 2, 2, 2, dtype=m.int64), beta=2, alpha=3),
    "baddbmm-bool": lambda m, F, leaf: m.baddbmm(o(m, 2, 2, 2, dtype=m.bool),
                                                 o(m, 2, 2, 2, dtype=m.bool),
                                                 o(m, 2, 2, 2, dtype=m.bool)),
    "baddbmm-2d": lambda m, F, leaf: m.baddbmm(o(m, 2, 2), o(m, 2, 2), o(m, 2, 2, 2)),
    "baddbmm-b2-2d": lambda m, F, leaf: m.baddbmm(o(m, 2, 2), o(m, 2, 2, 2), o(m, 2, 2)),
    "baddbmm-batches": lambda m, F, leaf: m.baddbmm(o(m, 2, 2, 2), o(m, 2, 2, 2), o(m, 3, 2, 2)),
    "baddbmm-inner": lambda m, F, leaf: m.baddbmm(o(m, 2, 2, 2), o(m, 2, 2, 3), o(m, 2, 2, 2)),
    "baddbmm-expand": lambda m, F, leaf: m.baddbmm(o(m, 3).double(), o(m, 2, 2, 2),
                                                   o(m, 2, 2, 2)),
    "baddbmm-dtype": lambda m, F, leaf: m.baddbmm(o(m, 2).double(), o(m, 2, 2, 2),
                                                  o(m, 3, 2, 2)),
    "baddbmm_": lambda m, F, leaf: (leaf(I523) * 1).baddbmm_(leaf(X524), leaf(Y543)),
    "baddbmm_-bcast": lambda m, F, leaf: o(m, 2).baddbmm_(o(m, 2, 2, 2), o(m, 2, 2, 2)),
    "addbmm": lambda m, F, leaf: m.addbmm(leaf(M23), leaf(X524), leaf(Y543), beta=-1,
                                          alpha=0.5),
    "addbmm-bcast": lambda m, F, leaf: m.addbmm(leaf(V3), leaf(X524), leaf(Y543)),
    "addbmm-empty": lambda m, F, leaf: m.addbmm(leaf(A22), o(m, 0, 2, 2).double(),
                                                o(m, 0, 2, 2).double()),
    "addbmm-int": lambda m, F, leaf: m.addbmm(o(m, 2, 2, dtype=m.int64),
                                              o(m, 2, 2, 2, dtype=m.int64),
                                              o(m, 2, 2, 2, dtype=m.int64)),
    "addbmm-bool": lambda m, F, leaf: m.addbmm(o(m, 2, 2, dtype=m.bool),
                                               o(m, 2, 2, 2, dtype=m.bool),
                                               o(m, 2, 2, 2, dtype=m.bool)),
    "addbmm-2d": lambda m, F, leaf: m.addbmm(o(m, 2, 2), o(m, 2, 2), o(m, 2, 2, 2)),
    "addbmm-batches": lambda m, F, leaf: m.addbmm(o(m, 2, 2).double(), o(m, 2, 2, 2),
                                                  o(m, 3, 2, 2)),
    "addbmm-inner": lambda m, F, leaf: m.addbmm(o(m, 3), o(m, 2, 2, 3), o(m, 2, 2, 2)),
    "addbmm-inner2": lambda m, F, leaf: m.addbmm(o(m, 2, 2), o(m, 2, 2, 3), o(m, 2, 2, 2)),
    "addbmm-dtype-self": lambda m, F, leaf: m.addbmm(o(m, 2, 2).double(), o(m, 2, 2, 2),
                                                     o(m, 2, 2, 2)),
    "addbmm-dtype-mats": lambda m, F, leaf: m.addbmm(o(m, 2, 2), o(m, 2, 2, 2).double(),
                                                     o(m, 2, 2, 2)),
    "addbmm_": lambda m, F, leaf: (leaf(M23) * 1).addbmm_(leaf(X524), leaf(Y543)),
    # addcmul / addcdiv
    "addcmul": lambda m, F, leaf: m.addcmul(leaf(V3), leaf(V3), leaf(M23), value=2),
    "addcmul-only-t1": lambda m, F, leaf: m.addcmul(m.ones(3), leaf(V3), m.tensor(V3)),
    "addcmul-int": lambda m, F, leaf: m.addcmul(m.tensor([1, 2, 3]), m.tensor([1, 2, 3]),
                                                m.tensor([1, 2, 3]), value=2.5),
    "addcmul-mixed": lambda m, F, leaf: m.addcmul(m.tensor([1, 2, 3]), leaf(V3, m.float32),
                                                  m.tensor([1, 2, 3])),
    "addcmul-0d": lambda m, F, leaf: m.addcmul(leaf(V3, m.float32), m.tensor(2.0),
                                               m.tensor(3.0, dtype=m.float64)),
    "addcmul-0d-all": lambda m, F, leaf: m.addcmul(m.tensor(1.0), m.tensor(2.0),
                                                   m.tensor(3.0, dtype=m.float64)),
    "addcmul-half": lambda m, F, leaf: m.addcmul(m.tensor(V3, dtype=m.float16),
                                                 m.tensor(V3, dtype=m.float16),
                                                 m.tensor(V3, dtype=m.float16), value=0.1),
    "addcmul-bool": lambda m, F, leaf: m.addcmul(m.tensor([True]), m.tensor([True]),
                                                 m.tensor([True])),
    "addcmul-bool-int": lambda m, F, leaf: m.addcmul(m.tensor([True]), m.tensor([1, 2]),
                                                     m.tensor([1, 2]), value=True),
    "addcmul-value-tensor": lambda m, F, leaf: m.addcmul(leaf(V3), leaf(V3), leaf(V3),
                                                         value=m.tensor(2.0)),
    "addcmul-value-1d": lambda m, F, leaf: m.addcmul(leaf(V3), leaf(V3), leaf(V3),
                                                     value=m.tensor([2.0])),
    "addcmul-scalar": lambda m, F, leaf: m.addcmul(leaf(V3), 2.0, leaf(V3)),
    "addcmul-scalar-input": lambda m, F, leaf: m.addcmul(1.0, leaf(V3), leaf(V3)),
    "addcmul_": lambda m, F, leaf: (leaf(V3) * 1).addcmul_(leaf(V3), leaf(V3), value=-1),
    "addcmul_-bcast": lambda m, F, leaf: m.ones(3).addcmul_(m.ones(2, 3), m.ones(3)),
    "addcmul_-int": lambda m, F, leaf: m.tensor([1, 2]).addcmul_(m.ones(2), m.ones(2)),
    "addcdiv": lambda m, F, leaf: m.addcdiv(leaf(V3), leaf(M23), leaf([0.5, -2.0, 3.0]),
                                            value=2),
    "addcdiv-only-t2": lambda m, F, leaf: m.addcdiv(m.ones(3), m.tensor(V3),
                                                    leaf([0.5, -2.0, 3.0])),
    "addcdiv-int-t": lambda m, F, leaf: m.addcdiv(m.tensor([1, 2, 3]), m.tensor([1.0, 2.0, 3.0]),
                                                  m.tensor([1, 2, 3])),
    "addcdiv-ints": lambda m, F, leaf: m.addcdiv(m.ones(3), m.tensor([1, 2, 3]),
                                                 m.tensor([1, 2, 3])),
    "addcdiv-bools": lambda m, F, leaf: m.addcdiv(m.ones(3), m.tensor([True]),
                                                  m.tensor([True])),
    "addcdiv-zero": lambda m, F, leaf: m.addcdiv(m.ones(3), m.ones(3), m.zeros(3)),
    "addcdiv_": lambda m, F, leaf: (leaf(V3) * 1).addcdiv_(leaf(V3), leaf([1.0, 2.0, 4.0])),
    "addcdiv_-int": lambda m, F, leaf: m.tensor([1, 2]).addcdiv_(m.ones(2), m.ones(2)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    compare(CASES[name])
