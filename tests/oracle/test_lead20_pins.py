"""Pins for what the lead found running programs from outside the corpus in session 20, each
compared with torch 2.13 in the same process."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402
from engine.autograd import functional as ours_functional  # noqa: E402


def _shape_of(result):
    """The containers and shapes of a Jacobian: list and tuple told apart, as a program sees."""
    if isinstance(result, (list, tuple)):
        return (type(result).__name__, [_shape_of(r) for r in result])
    return tuple(result.shape)


def _cases():
    return [
        (lambda x, y: 2 * x.exp() + 3 * y, 2),
        (lambda x, y: (x * y, x + y), 2),
        (lambda x: (x.sin(), x.cos()), 1),
        (lambda x: x.exp(), 1),
        (lambda x: (x.sin(), x.cos()), (1,)),
        (lambda x: x.exp(), (1,)),
    ]


@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
@pytest.mark.parametrize("case", range(6))
def test_jacobian_containers_are_torchs(strategy, case):
    """``jacobian(strategy="forward-mode")`` answers a list where inputs are a tuple and the
    output a tensor (a list of lists for a tuple of outputs), as torch's does; reverse mode
    answers tuples (session 20: the engine gave tuples in both modes)."""
    answers = []
    for lib, jacobian in ((torch, torch.autograd.functional.jacobian),
                          (engine, ours_functional.jacobian)):
        f, arity = _cases()[case]
        x = lib.tensor([0.25, 0.5, 0.75], dtype=lib.float64)
        y = lib.tensor([1.5, -2.0, 0.5], dtype=lib.float64)
        if isinstance(arity, tuple):
            inputs = (x,)
        else:
            inputs = (x, y) if arity == 2 else x
        answers.append(_shape_of(jacobian(f, inputs, vectorize=True, strategy=strategy)))
    assert answers[1] == answers[0]


def test_forward_mode_jacobian_keeps_the_graph_of_inputs_that_require_grad():
    """torch's forward-mode Jacobian does not detach: with inputs that require grad its answer
    has a graph (``ReshapeAliasBackward0`` at the root, so hessian's forward-over-reverse
    answers print a grad_fn), and gradients flow through it (session 20: the engine detached)."""
    seen = []
    for lib, functional in ((torch, torch.autograd.functional), (engine, ours_functional)):
        x = lib.tensor([0.25, 0.5, 0.75], dtype=lib.float64, requires_grad=True)
        y = lib.tensor([1.5, -2.0, 0.5], dtype=lib.float64)
        jac = functional.jacobian(lambda a, b: a.sin() * b.exp(), (x, y), vectorize=True,
                                  strategy="forward-mode")
        (jac[0] * jac[1]).sum().backward()
        hess = functional.hessian(lambda a: (a ** 3).sum(), y, vectorize=True,
                                  outer_jacobian_strategy="forward-mode")
        seen.append((type(jac[0].grad_fn).__name__, x.grad.tolist(), repr(hess),
                     hess.requires_grad))
    assert seen[1] == seen[0]


# Version counters of what a node saves (session 20). Each program makes one op's node, then
# rewrites one tensor in place under no_grad (its values unchanged, its version moved), then
# runs backward: torch raises exactly where its node saved that tensor. Before, the engine's
# index, mask, target, weight and running-statistics arguments were read by the backward
# rules without a saved-tensor check: changing an index in place after the forward gave a
# gradient computed from the new values with no error (gather, index_select, x[idx], take,
# embedding, scatter, index_add, index_put, masked_fill, put, sort/topk indices ...).
VERSION_CASES = {
    "getitem": ("x = torch.zeros(3, 2, requires_grad=True); i = torch.tensor([0, 2]); "
                "out = x[i]", "x i"),
    "getitem_mask": ("x = torch.zeros(3, 2, requires_grad=True); "
                     "m = torch.tensor([True, False, True]); out = x[m]", "x m"),
    "setitem": ("x = torch.zeros(3, 2, requires_grad=True); i = torch.tensor([0, 2]); "
                "s = torch.ones(2, requires_grad=True); out = x * 1; out[i] = s[:, None]",
                "x i s"),
    "gather": ("x = torch.zeros(3, 2, requires_grad=True); i = torch.tensor([[0, 2]]); "
               "out = x.gather(0, i)", "x i"),
    "take": ("x = torch.zeros(3, 2, requires_grad=True); i = torch.tensor([[0, 2]]); "
             "out = x.take(i)", "x i"),
    "take_along_dim": ("x = torch.zeros(3, 2, requires_grad=True); "
                       "i = torch.tensor([[0, 2]]); out = torch.take_along_dim(x, i, 0)", "x i"),
    "index_select": ("x = torch.zeros(3, 2, requires_grad=True); i = torch.tensor([0, 2]); "
                     "out = x.index_select(0, i)", "x i"),
    "index_add": ("x = torch.zeros(3, 2, requires_grad=True); i = torch.tensor([0, 2]); "
                  "s = torch.ones(2, 2, requires_grad=True); out = x.index_add(0, i, s * 1)",
                  "x i s"),
    "index_add_plain_source": ("x = torch.zeros(3, 2, requires_grad=True); "
                               "i = torch.tensor([0, 2]); s = torch.ones(2, 2); "
                               "out = x.index_add(0, i, s)", "x i s"),
    "index_copy": ("x = torch.zeros(3, 2, requires_grad=True); i = torch.tensor([0, 2]); "
                   "s = torch.ones(2, 2, requires_grad=True); out = x.index_copy(0, i, s)",
                   "x i s"),
    "index_fill": ("x = torch.zeros(3, 2, requires_grad=True); i = torch.tensor([0, 2]); "
                   "out = x.index_fill(0, i, 1.0)", "x i"),
    "scatter": ("x = torch.zeros(3, 2, requires_grad=True); i = torch.tensor([[0, 2]]); "
                "s = torch.ones(1, 2, requires_grad=True); out = x.scatter(0, i, s)", "x i s"),
    "scatter_add": ("x = torch.zeros(3, 2, requires_grad=True); i = torch.tensor([[0, 2]]); "
                    "s = torch.ones(1, 2, requires_grad=True); out = x.scatter_add(0, i, s)",
                    "x i s"),
    "masked_fill": ("x = torch.zeros(3, 2, requires_grad=True); "
                    "m = torch.tensor([True, False]); out = x.masked_fill(m, 1.0)", "x m"),
    "masked_scatter": ("x = torch.zeros(3, 2, requires_grad=True); "
                       "m = torch.tensor([True, False]); s = torch.ones(3, 2, requires_grad=True);"
                       " out = x.masked_scatter(m, s)", "x m s"),
    "masked_select": ("x = torch.zeros(3, 2, requires_grad=True); "
                      "m = torch.tensor([True, False]); out = x.masked_select(m)", "x m"),
    "put": ("x = torch.zeros(3, 2, requires_grad=True); i = torch.tensor([0, 2]); "
            "s = torch.ones(2, requires_grad=True); out = x.put(i, s)", "x i s"),
    "put_plain_source": ("x = torch.zeros(3, 2, requires_grad=True); i = torch.tensor([0, 2]); "
                         "s = torch.ones(2); out = x.put(i, s, accumulate=True)", "x i s"),
    "index_put": ("x = torch.zeros(3, 2, requires_grad=True); i = torch.tensor([0, 2]); "
                  "s = torch.ones(2, requires_grad=True); "
                  "out = x.index_put((i,), s[:, None], accumulate=True)", "x i s"),
    "embedding": ("w = torch.zeros(3, 2, requires_grad=True); i = torch.tensor([0, 2]); "
                  "out = F.embedding(i, w)", "w i"),
    "embedding_bag": ("w = torch.randn(5, 2, requires_grad=True); i = torch.tensor([0, 2, 4]); "
                      "o = torch.tensor([0, 1]); out = F.embedding_bag(i, w, o)", "w i o"),
    "nll_loss": ("x = torch.zeros(3, 2, requires_grad=True); t = torch.tensor([0, 1, 1]); "
                 "w = torch.tensor([1., 2.]); out = F.nll_loss(x, t, weight=w)", "x t w"),
    "cross_entropy": ("x = torch.zeros(3, 2, requires_grad=True); t = torch.tensor([0, 1, 1]);"
                      " w = torch.tensor([1., 2.]); out = F.cross_entropy(x, t, weight=w)",
                      "x t w"),
    "binary_cross_entropy": ("x = torch.full((3,), 0.3, requires_grad=True); "
                             "t = torch.tensor([0., 1., 1.]); w = torch.tensor([1., 2., 3.]); "
                             "out = F.binary_cross_entropy(x, t, weight=w)", "x t w"),
    "bce_with_logits": ("x = torch.full((3,), 0.3, requires_grad=True); "
                        "t = torch.tensor([0., 1., 1.]); w = torch.tensor([1., 2., 3.]); "
                        "p = torch.tensor([2., 2., 2.]); "
                        "out = F.binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=p)",
                        "x t w p"),
    "multi_margin_loss": ("x = torch.randn(3, 4, requires_grad=True); "
                          "t = torch.tensor([0, 1, 3]); w = torch.rand(4); "
                          "out = F.multi_margin_loss(x, t, weight=w)", "x t w"),
    "ctc_loss": ("lp = torch.randn(5, 1, 3).log_softmax(2).detach().requires_grad_(); "
                 "t = torch.tensor([[1, 2]]); il = torch.tensor([5]); tl = torch.tensor([2]); "
                 "out = F.ctc_loss(lp, t, il, tl)", "lp t il tl"),
    "batch_norm_train": ("x = torch.randn(4, 3, requires_grad=True); "
                         "w = torch.ones(3, requires_grad=True); rm = torch.zeros(3); "
                         "rv = torch.ones(3); out = F.batch_norm(x, rm, rv, w, training=True)",
                         "x w rm rv"),
    "batch_norm_eval": ("x = torch.randn(4, 3, requires_grad=True); rm = torch.zeros(3); "
                        "rv = torch.ones(3); out = F.batch_norm(x, rm, rv, training=False)",
                        "x rm rv"),
    "layer_norm": ("x = torch.randn(4, 3, requires_grad=True); w = torch.ones(3); "
                   "b = torch.zeros(3); out = F.layer_norm(x, (3,), w, b)", "x w b"),
    "sort": ("x = torch.randn(5, requires_grad=True); v, i = x.sort(); out = v", "x i"),
    "topk": ("x = torch.randn(5, requires_grad=True); v, i = x.topk(2); out = v", "x i"),
    "max_unpool1d": ("x = torch.randn(1, 1, 2, requires_grad=True); "
                     "i = torch.tensor([[[1, 2]]]); out = F.max_unpool1d(x, i, 2)", "x i"),
    # a quotient saves its divisor always and its dividend where the divisor needs a gradient
    # (the engine saved both; with a rounding mode, neither)
    "div": ("x = torch.ones(3, requires_grad=True); y = torch.full((3,), 2.); out = x / y",
            "x y"),
    "div_both": ("x = torch.ones(3, requires_grad=True); "
                 "y = torch.full((3,), 2., requires_grad=True); out = x / y", "x y"),
    "div_floor": ("x = torch.ones(3, requires_grad=True); "
                  "y = torch.full((3,), 2., requires_grad=True); "
                  "out = torch.div(x, y, rounding_mode='floor')", "x y"),
    "div_number": ("x = torch.ones(3, requires_grad=True); out = (x * 1) / 2", "x"),
    # lerp saves its weight, and input and end only for the weight's gradient
    "lerp": ("s = torch.ones(3, requires_grad=True); e = torch.full((3,), 2.); "
             "out = torch.lerp(s, e, 0.3)", "s e"),
    "lerp_tensor_weight": ("s = torch.ones(3, requires_grad=True); e = torch.full((3,), 2.); "
                           "w = torch.full((3,), 0.3); out = torch.lerp(s, e, w)", "s e w"),
    "lerp_weight_grad": ("s = torch.ones(3); e = torch.full((3,), 2.); "
                         "w = torch.full((3,), 0.3, requires_grad=True); "
                         "out = torch.lerp(s, e, w)", "s e w"),
    "hypot": ("x = torch.rand(3, requires_grad=True); y = torch.rand(3); "
              "out = torch.hypot(x, y)", "x y"),
    # products save an operand only where the other needs a gradient: the engine saved both
    # and refused a backward after a weight was updated in place (an error torch has not)
    "mm": ("x = torch.ones(2, 3); w = torch.ones(3, 2, requires_grad=True); out = x.mm(w)",
           "x w"),
    "mm_left": ("x = torch.ones(2, 3, requires_grad=True); w = torch.ones(3, 2); "
                "out = x.mm(w)", "x w"),
    "matmul": ("x = torch.ones(2, 3); w = torch.ones(3, 2, requires_grad=True); out = x @ w",
               "x w"),
    "matmul_vector": ("x = torch.ones(3); w = torch.ones(3, 2, requires_grad=True); "
                      "out = x @ w", "x w"),
    "linear": ("x = torch.ones(2, 3); w = torch.ones(2, 3, requires_grad=True); "
               "b = torch.ones(2, requires_grad=True); out = F.linear(x, w, b)", "x w b"),
    "linear_input": ("x = torch.ones(2, 3, requires_grad=True); w = torch.ones(2, 3); "
                     "out = F.linear(x, w)", "x w"),
    "linear_1d": ("x = torch.ones(3, requires_grad=True); w = torch.ones(2, 3); "
                  "b = torch.ones(2); out = F.linear(x, w, b)", "x w b"),
    "bmm": ("x = torch.ones(1, 2, 3); w = torch.ones(1, 3, 2, requires_grad=True); "
            "out = x.bmm(w)", "x w"),
    "mv": ("x = torch.ones(2, 3); w = torch.ones(3, requires_grad=True); out = x.mv(w)", "x w"),
    "dot": ("x = torch.ones(3); w = torch.ones(3, requires_grad=True); out = x.dot(w)", "x w"),
    "vdot": ("x = torch.ones(3); w = torch.ones(3, requires_grad=True); out = torch.vdot(x, w)",
             "x w"),
    "einsum": ("x = torch.ones(2, 3); w = torch.ones(3, 2, requires_grad=True); "
               "out = torch.einsum('ij,jk->ik', x, w)", "x w"),
    "tensordot": ("x = torch.ones(2, 3); w = torch.ones(3, 2, requires_grad=True); "
                  "out = torch.tensordot(x, w, 1)", "x w"),
    "multi_dot": ("x = torch.ones(2, 3); w = torch.ones(3, 2, requires_grad=True); "
                  "out = torch.linalg.multi_dot([x, w])", "x w"),
}


def _after_rewrite(lib, source: str, name: str) -> str:
    env = {"torch": lib, "F": lib.nn.functional}
    exec(source, env)  # (the test's own programs)
    t = env[name]
    with lib.no_grad():
        t.copy_(t.clone())
    try:
        env["out"].sum().backward()
    except RuntimeError as e:
        return str(e)
    return "ok"


def check_versions(source: str, names: str) -> None:
    """Each of ``names`` changed in place after ``source`` ran: backward answers as torch's."""
    for name in names.split():
        want = _after_rewrite(torch, source, name)
        got = _after_rewrite(engine, source, name)
        assert got == want, f"after {name} changed in place"


@pytest.mark.parametrize("case", sorted(VERSION_CASES))
def test_backward_checks_the_versions_torch_saves(case):
    check_versions(*VERSION_CASES[case])


def test_an_index_changed_after_the_forward_is_refused_not_used():
    """The silent case: the index's values change; torch refuses, the engine used the new
    values (a+b gradient rows moved)."""
    texts = []
    for lib in (torch, engine):
        x = lib.arange(6.0, dtype=lib.float64).reshape(2, 3).requires_grad_()
        idx = lib.tensor([[0, 1, 0], [1, 0, 1]])
        y = lib.gather(x, 0, idx) * lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
        idx.fill_(0)
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
        texts.append(str(info.value))
        assert x.grad is None
    assert texts[1] == texts[0]


def test_a_bool_mask_is_named_as_torch_names_it():
    """torch's version error names a bool tensor ``CPUBoolType`` (no legacy class name)."""
    texts = []
    for lib in (torch, engine):
        x = lib.ones(3, requires_grad=True)
        m = lib.tensor([True, False, True])
        y = x.masked_fill(m, 0.0)
        m.logical_not_()
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
        texts.append(str(info.value))
    assert texts[1] == texts[0]
    assert "[CPUBoolType [3]]" in texts[0]


def test_lerp_by_a_number_saves_no_tensor():
    """A second backward through lerp with a number weight goes through in torch (its node
    keeps the number, no tensor); the engine's saved input and end made it raise."""
    seen = []
    for lib in (torch, engine):
        x = lib.ones(3, requires_grad=True)
        e = lib.zeros(3, requires_grad=True)
        y = lib.lerp(x, e, 0.3)
        y.sum().backward()
        y.sum().backward()
        seen.append((x.grad.tolist(), e.grad.tolist()))
    assert seen[1] == seen[0]
