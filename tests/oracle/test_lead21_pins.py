"""Pins for the version sweep's session-21 leftovers (tests/oracle/version_sweep.py), each
compared with torch 2.13 in the same process: which tensors a node saves decides whether a
backward after an in-place write raises, and, where it does not, which values it reads."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402

from .test_lead20_pins import check_versions  # noqa: E402

# Each program makes one op's node; the test rewrites each named tensor in place (values kept,
# version moved) and compares backward's answer, error text included.
VERSION_CASES = {
    # missed before: torch's node saves these, the engine's rule read them unchecked
    "pow_tensor": ("x = torch.rand(3, dtype=torch.float64, requires_grad=True) + 0.5; "
                   "e = torch.rand(3, dtype=torch.float64); out = x.pow(e)", "x e out"),
    "pow_inplace": ("x = torch.rand(3, dtype=torch.float64, requires_grad=True); "
                    "e = torch.rand(3, dtype=torch.float64); out = (x + 0.5).pow_(e)", "e out"),
    "float_power": ("x = torch.rand(3, dtype=torch.float64, requires_grad=True); "
                    "e = torch.rand(3, dtype=torch.float64); out = torch.float_power(x, e)",
                    "x e out"),
    "pow_number": ("x = torch.rand(3, dtype=torch.float64, requires_grad=True); out = x ** 2",
                   "x out"),
    "sgn": ("x = torch.tensor([0.5, -1.5, 0.0], requires_grad=True); out = x.sgn()", "x out"),
    "addcdiv_": ("x = torch.ones(3, requires_grad=True); a = torch.rand(3); "
                 "b = torch.rand(3) + 1; out = x.clone().addcdiv_(a, b, value=-2)", "a b out"),
    "addcdiv_t1": ("x = torch.ones(3); a = torch.rand(3, requires_grad=True); "
                   "b = torch.rand(3) + 1; out = torch.addcdiv(x, a, b)", "x a b"),
    "index_add_source": ("x = torch.ones(3, 2, requires_grad=True); i = torch.tensor([2, 0]); "
                         "s = torch.ones(2, 2, requires_grad=True) * 2; "
                         "out = torch.index_add(x, 0, i, s)", "x i s"),
    "index_add_self": ("x = torch.ones(3, 2, requires_grad=True); i = torch.tensor([2, 0]); "
                       "s = torch.ones(2, 2); out = torch.index_add(x, 0, i, s)", "x i s"),
    "scatter_reduce": ("x = torch.ones(4, requires_grad=True); i = torch.tensor([0, 0, 3]); "
                       "s = torch.rand(3); out = x.scatter_reduce(0, i, s, 'sum')", "x i s"),
    "index_reduce": ("x = torch.ones(3, 2, requires_grad=True); i = torch.tensor([2, 0, 2]); "
                     "s = torch.rand(3, 2); out = x.index_reduce(0, i, s, 'prod')", "x i s"),
    "lu_solve": ("A = torch.tensor([[4., 1.], [2., 3.]], dtype=torch.float64); "
                 "LU, piv = torch.linalg.lu_factor(A); LU.requires_grad_(); "
                 "B = torch.ones(2, 1, dtype=torch.float64); "
                 "out = torch.linalg.lu_solve(LU, piv, B)", "LU piv B out"),
    "triangular_solve": ("A = torch.tensor([[2., 1.], [0., 3.]], requires_grad=True); "
                         "b = torch.ones(2, 1); out = torch.triangular_solve(b, A)[0]",
                         "A b out"),
    "cholesky_solve": ("L = torch.tensor([[2., 0.], [1., 3.]], requires_grad=True); "
                       "b = torch.ones(2, 1); out = torch.cholesky_solve(b, L)", "L b out"),
    # spurious before: the engine saved what torch's node does not
    "kron": ("x = torch.ones(2, requires_grad=True); y = torch.ones(3, requires_grad=True); "
             "out = torch.kron(x, y)", "x y"),
    "fmod_": ("x = torch.ones(3, requires_grad=True); d = torch.tensor([1.2, 1.5, -0.7]); "
              "out = x.clone().fmod_(d)", "d"),
    "fmod_both": ("x = torch.ones(3, requires_grad=True); "
                  "d = torch.tensor([1.2, 1.5, -0.7], requires_grad=True); out = x.fmod(d)",
                  "x d"),
    "remainder_": ("x = torch.ones(3, requires_grad=True); d = torch.tensor([1.2, 1.5, -0.7]); "
                   "out = x.clone().remainder_(d)", "d"),
    "hardtanh_": ("x = torch.tensor([0.3, -2.0, 2.0], requires_grad=True); v = x * 1; "
                  "out = F.hardtanh_(v)", "x v"),
    "threshold_": ("x = torch.tensor([0.3, -2.0, 2.0], requires_grad=True); v = x * 1; "
                   "out = F.threshold_(v, 0.5, -2.0)", "x v"),
    "relu6_inplace": ("x = torch.tensor([0.3, -2.0, 7.0], requires_grad=True); v = x * 1; "
                      "out = F.relu6(v, inplace=True)", "x v"),
    "relu_": ("x = torch.tensor([0.3, -2.0, 2.0], requires_grad=True); v = x * 1; "
              "out = torch.relu_(v)", "x v"),
    "ldexp": ("x = torch.ones(3, requires_grad=True); e = torch.tensor([1., 2., 3.]); "
              "out = torch.ldexp(x, e)", "x e"),
    "copysign_sign_only": ("x = torch.tensor([0.5, -1.5, 0.0]); "
                           "s = torch.tensor([1., -2., 3.], requires_grad=True); "
                           "out = torch.copysign(x, s)", "x s"),
    "copysign_both": ("x = torch.tensor([0.5, -1.5, 0.0], requires_grad=True); "
                      "s = torch.tensor([1., -2., 3.], requires_grad=True); "
                      "out = torch.copysign(x, s)", "x s"),
    "group_norm_transposed": ("x = torch.rand(4, 2, 2, 2, requires_grad=True); "
                              "w = torch.rand(4, requires_grad=True); "
                              "out = F.group_norm(x.transpose(0, 1), 1, w, eps=0.1) ** 2",
                              "x w"),
    "bilinear_weight": ("a = torch.rand(4, 2); b = torch.rand(4, 3); "
                        "w = torch.rand(5, 2, 3, requires_grad=True); out = F.bilinear(a, b, w)",
                        "a b w"),
    "bilinear_input": ("a = torch.rand(4, 2, requires_grad=True); b = torch.rand(4, 3); "
                       "w = torch.rand(5, 2, 3); out = F.bilinear(a, b, w)", "a b w"),
    "nextafter_other": ("x = torch.tensor([1., 2.]); y = torch.zeros(2, requires_grad=True); "
                        "out = torch.nextafter(x, y)", "x y"),
    "nextafter_self": ("x = torch.tensor([1., 2.], requires_grad=True); y = torch.zeros(2); "
                       "out = torch.nextafter(x, y)", "x y"),
    "embedding_bag_psw": ("i = torch.tensor([1, 2, 4, 0]); off = torch.tensor([0, 2]); "
                          "w = torch.rand(6, 3, requires_grad=True); "
                          "p = torch.rand(4, requires_grad=True); "
                          "out = F.embedding_bag(i, w, off, mode='sum', per_sample_weights=p)",
                          "i off w p"),
    "embedding_bag_psw_weight_only": ("i = torch.tensor([1, 2, 4, 0]); off = torch.tensor([0, 2]); "
                                      "w = torch.rand(6, 3, requires_grad=True); "
                                      "p = torch.rand(4); out = F.embedding_bag(i, w, off, "
                                      "mode='sum', per_sample_weights=p)", "i off w p"),
    "ldexp_exponent": ("x = torch.ones(3); e = torch.tensor([1., 2., 3.], requires_grad=True); "
                       "out = torch.ldexp(x, e)", "x e"),
}


@pytest.mark.parametrize("case", sorted(VERSION_CASES))
def test_backward_checks_the_versions_torch_saves(case):
    check_versions(*VERSION_CASES[case])


def _values_after_write(lib, op: str):
    x = lib.tensor([0.3, -0.2, 0.7, 2.0], dtype=lib.float64, requires_grad=True)
    v = x * 1
    F = lib.nn.functional
    {"hardtanh_": lambda: F.hardtanh_(v), "threshold_": lambda: F.threshold_(v, 0.5, -2.0),
     "relu6": lambda: F.relu6(v, inplace=True)}[op]()
    with lib.no_grad():
        v.fill_(5.0)
    w = lib.tensor([1.0, 2.0, 3.0, 4.0], dtype=lib.float64)
    g, = lib.autograd.grad((v * w).sum(), [x], create_graph=True)
    node = g.grad_fn.next_functions[0][0]
    return g.tolist(), type(node).__name__, [type(n).__name__ for n, _ in node.next_functions
                                             if n is not None]


@pytest.mark.parametrize("op", ["hardtanh_", "threshold_", "relu6"])
def test_inplace_clamp_reads_the_input_as_it_was(op):
    """torch's hardtanh_/threshold_ node saves a clone of the input taken before the write
    (CloneBackward0 is its second-order edge): a later write to the result neither raises nor
    changes the gradient (the engine saved the result and raised)."""
    assert _values_after_write(engine, op) == _values_after_write(torch, op)


def test_kron_reads_operands_changed_in_place():
    """kron's operands reach its product through ``_unsafe_view`` (no view for autograd, a
    version counter of its own): torch does not raise after an operand changed in place and
    its gradient reads the new values; the engine raised."""
    grads = []
    for lib in (torch, engine):
        x = lib.tensor([[1.0, 2.0, 5.0], [3.0, 4.0, 6.0]], dtype=lib.float64, requires_grad=True)
        y = lib.tensor([3.0, 4.0], dtype=lib.float64, requires_grad=True)
        v = x * 1
        k = lib.kron(v, y)
        with lib.no_grad():
            v.mul_(10)
        grads.append([g.tolist() for g in lib.autograd.grad(k.sum(), [x, y])])
    assert grads[1] == grads[0]


def test_group_norm_copies_an_input_out_of_its_suggested_layout():
    """torch's group_norm makes a non-contiguous input contiguous first, on the graph
    (CloneBackward0): its node saves the copy, so the input changing afterwards is no error."""
    seen = []
    for lib in (torch, engine):
        x = lib.ones(4, 2, 2, 2, requires_grad=True)
        y = lib.nn.functional.group_norm(x.transpose(0, 1), 2)
        seen.append((type(y.grad_fn.next_functions[0][0]).__name__, y.stride()))
    assert seen[1] == seen[0] == ("CloneBackward0", (16, 4, 2, 1))
