"""torch.distributions through the language: a VAE (Normal.rsample, kl_divergence) and
REINFORCE (Categorical sample / log_prob / entropy) run in a session cell by cell and print
what torch 2.13 prints for the same cells, both drawing the same random numbers
(tests/app/lang/published.py twins torch's draws with the session's generator)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.lang.published import cells_of, run_ours, run_torch, same_lines

PROGRAM = Path(__file__).parent / "dist_programs" / "vae_reinforce.py.txt"


def test_vae_and_reinforce_print_what_torch_prints():
    pytest.importorskip("torch")
    cells = cells_of(PROGRAM)
    assert len(cells) == 2
    theirs = run_torch(cells)
    ours = run_ours(cells)
    assert len(ours) > 10
    difference = same_lines(ours, theirs)
    assert difference is None, (difference, ours, theirs)
    assert run_ours(cells, json=True) == ours  # the JSON form gives the same run


def test_imports_and_names_in_the_language():
    ours = run_ours([
        "import torch\nfrom torch.distributions import Normal, Bernoulli, kl_divergence\n"
        "from torch.distributions.kl import register_kl\n"
        "from torch.distributions import constraints\n"
        "import torch.distributions as D\n"
        "print(D.Categorical(torch.ones(3)), constraints.positive, D.kl.kl_divergence)\n"
        "print(type(Normal(0.0, 1.0)), isinstance(Normal(0.0, 1.0), D.Distribution))\n"
        "print(torch.distributions.Uniform(0.0, 1.0).entropy())\n"
        "from torch.distributions.transforms import TanhTransform\n"
        "import torch.distributions.transforms as T\n"
        "d = D.TransformedDistribution(D.Normal(0.0, 1.0), [TanhTransform(), T.ExpTransform()])\n"
        "print(d.batch_shape, D.LogNormal(0.0, 1.0).mean)\n"])
    assert ours[0].startswith("Categorical(probs: torch.Size([3])) GreaterThan(lower_bound=0.0)")
    assert ours[1:] == ["<class 'torch.distributions.normal.Normal'> True", "tensor(0.)",
                        "torch.Size([]) tensor(1.6487)"]


def test_register_kl_from_a_program_cannot_reach_other_sessions():
    """The registry is process-wide: a program's registration is refused (and so cannot change
    another session's kl_divergence); a Python function outside the service may register."""
    from app.lang.errors import ProgramError

    with pytest.raises(ProgramError, match="register_kl is not supported"):
        run_ours(["import torch.distributions as D\n@D.register_kl(D.Normal, D.Normal)\n"
                  "def f(p, q):\n    return 0\n"])
    with pytest.raises(ProgramError, match="register_kl is not supported"):
        run_ours(["import torch.distributions as D\n"
                  "D.register_kl(D.Normal, D.Normal)(D.kl_divergence)\n"])
    assert run_ours(["import torch.distributions as D\n"
                     "print(D.kl_divergence(D.Normal(0.0, 1.0), D.Normal(1.0, 1.0)))\n"]) == \
        ["tensor(0.5000)"]

    import engine.distributions as D

    class Mine(D.Normal):
        pass

    @D.register_kl(Mine, Mine)
    def _mine(p, q):
        return p.loc * 0

    assert D.kl_divergence(Mine(1.0, 1.0), Mine(0.0, 1.0)).item() == 0.0
    assert D.kl_divergence(D.Normal(1.0, 1.0), D.Normal(0.0, 1.0)).item() == 0.5


def test_constraint_registries_in_the_language():
    """biject_to / transform_to from a program as torch's (an unconstrained parameter mapped
    onto a constraint); registering into the shared registries is refused, a program's own
    ConstraintRegistry works."""
    from app.lang.errors import ProgramError

    program = (
        "import torch\nfrom torch.distributions import biject_to, transform_to, constraints\n"
        "import torch.distributions as D\n"
        "from torch.distributions.constraint_registry import ConstraintRegistry\n"
        "u = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)\n"
        "t = transform_to(D.Normal.arg_constraints['scale'])\n"
        "scale = t(u)\n"
        "loss = -D.Normal(0.0, scale).log_prob(torch.tensor([0.1, 0.2, 0.3])).sum()\n"
        "loss.backward()\n"
        "print(t, scale, u.grad)\n"
        "s = biject_to(constraints.simplex)\n"
        "y = s(u)\n"
        "print(s, y, s.log_abs_det_jacobian(u, y), s.inv(y))\n"
        "print(biject_to(constraints.interval(-1.0, 2.0)))\n"
        "r = ConstraintRegistry()\n"
        "r.register(constraints.positive, lambda c: D.transforms.SoftplusTransform())\n"
        "print(r(constraints.positive))\n")
    ours = run_ours([program])
    pytest.importorskip("torch")
    assert same_lines(ours, run_torch([program])) is None, ours
    with pytest.raises(ProgramError, match="not supported in programs"):
        run_ours(["import torch.distributions as D\n"
                  "D.transform_to.register(D.constraints.boolean, lambda c: None)\n"])


def test_mixture_and_later_families_in_a_program():
    """A Gaussian mixture fitted by gradient descent on its negative log-likelihood
    (MixtureSameFamily of Independent Normals), a low-rank normal and a few later families'
    log-densities, printed step by step as torch prints them."""
    pytest.importorskip("torch")
    program = (
        "import torch\nimport torch.distributions as D\n"
        "data = torch.tensor([[-2.0, 0.5], [-1.5, 0.0], [2.0, 1.0], [2.5, 1.5], [0.1, -0.2]])\n"
        "logits = torch.zeros(2, requires_grad=True)\n"
        "locs = torch.tensor([[-1.0, 0.0], [1.0, 0.0]], requires_grad=True)\n"
        "raw = torch.zeros(2, 2, requires_grad=True)\n"
        "opt = torch.optim.Adam([logits, locs, raw], lr=0.1)\n"
        "for step in range(5):\n"
        "    opt.zero_grad()\n"
        "    comp = D.Independent(D.Normal(locs, D.transform_to(D.constraints.positive)(raw)),"
        " 1)\n"
        "    gmm = D.MixtureSameFamily(D.Categorical(logits=logits), comp)\n"
        "    loss = -gmm.log_prob(data).mean()\n"
        "    loss.backward()\n"
        "    opt.step()\n"
        "    print(step, round(loss.item(), 6))\n"
        "print(gmm)\n"
        "lr = D.LowRankMultivariateNormal(torch.zeros(2), torch.tensor([[1.0], [0.5]]),"
        " torch.ones(2))\n"
        "print(lr.log_prob(data), lr.entropy())\n"
        "print(D.Weibull(1.0, 2.0).log_prob(torch.tensor(0.5)),"
        " D.Pareto(1.0, 3.0).entropy(), D.VonMises(0.0, 2.0).log_prob(torch.tensor(0.3)))\n"
        "print(D.kl_divergence(D.ContinuousBernoulli(0.3), D.ContinuousBernoulli(0.6)))\n")
    ours = run_ours([program])
    assert len(ours) == 11
    assert same_lines(ours, run_torch([program])) is None, ours


def test_gumbel_softmax_and_reparameterized_families_in_a_program():
    """Gumbel-softmax (RelaxedOneHotCategorical), RelaxedBernoulli, Kumaraswamy, LowRank normal
    and GeneralizedPareto draws feeding a loss, optimised for a few steps: the session draws
    what torch draws (twinned generators), so every printed loss and gradient agrees."""
    pytest.importorskip("torch")
    program = (
        "import torch\nimport torch.distributions as D\ntorch.manual_seed(0)\n"
        "logits = torch.zeros(4, 3, requires_grad=True)\n"
        "a = torch.ones(3, requires_grad=True)\n"
        "w = torch.tensor([[0.5], [0.2], [-0.3]], requires_grad=True)\n"
        "opt = torch.optim.SGD([logits, a, w], lr=0.05)\n"
        "target = torch.tensor([0.2, 0.5, 0.3])\n"
        "for step in range(3):\n"
        "    opt.zero_grad()\n"
        "    y = D.RelaxedOneHotCategorical(torch.tensor(0.5), logits=logits).rsample()\n"
        "    b = D.RelaxedBernoulli(torch.tensor(0.7), logits=logits[:, 0]).rsample((2,))\n"
        "    k = D.Kumaraswamy(a.exp(), 2.0).rsample()\n"
        "    z = D.LowRankMultivariateNormal(torch.zeros(3), w, torch.ones(3)).rsample((2,))\n"
        "    loss = ((y - target) ** 2).sum() + b.mean() + k.sum() + (z ** 2).mean()\n"
        "    loss.backward()\n"
        "    print(step, round(loss.item(), 5), logits.grad.abs().sum().item() > 0,"
        " a.grad, w.grad.T)\n"
        "    opt.step()\n"
        "g = D.GeneralizedPareto(0.0, 1.0, torch.tensor([0.2, -0.1])).rsample((3,))\n"
        "print(g, D.VonMises(torch.tensor([0.0, 1.0]), torch.tensor([2.0, 0.5])).sample((2,)))\n")
    ours = run_ours([program])
    assert len(ours) >= 4
    assert same_lines(ours, run_torch([program])) is None, ours
