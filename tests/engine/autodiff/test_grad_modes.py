"""inference_mode as torch's: tensors made inside are inference tensors (views of them too),
which cannot be saved for backward, written in place or made to require grad outside it."""

from __future__ import annotations

import pytest

import engine


def _story(m) -> list:
    """The same steps on ``m`` (engine or torch): what each gives, or its error's text."""
    out = []

    def step(f):
        try:
            out.append(f())
        except RuntimeError as e:
            out.append(str(e))

    with m.inference_mode():
        x = m.ones(3)
        v = x[:2]
        step(lambda: (x.is_inference(), v.is_inference(), m.is_inference(x * 2),
                      m.is_inference_mode_enabled(), x.requires_grad))
        step(lambda: x.add_(1).tolist())
        n = m.ones(3)
    z = m.ones(3)
    w = m.ones(3, requires_grad=True)
    step(lambda: (z.is_inference(), (x + 1).is_inference(), x.clone().is_inference()))
    step(lambda: x.requires_grad_())
    step(lambda: (w * x).sum())
    step(lambda: (w + x).sum().item())
    step(lambda: x.add_(1))
    step(lambda: v.mul_(2))
    with m.no_grad():
        step(lambda: x.add_(1))
    with m.inference_mode(False):
        step(lambda: (m.is_inference_mode_enabled(), n.is_inference()))
        step(lambda: x.add_(1))
    with m.inference_mode():
        step(lambda: (z.add_(1).tolist(), z[:1].is_inference(), m.ones(1).requires_grad_()
                      .requires_grad))

    @m.inference_mode()
    def double(a):
        return a * 2

    step(lambda: double(z).is_inference())
    return out


def test_inference_tensors_behave_as_torch():
    torch = pytest.importorskip("torch")
    assert _story(engine) == _story(torch)


def test_no_inference_tensor_no_cost():
    import sys

    from engine.autograd import grad_mode

    tensor_module = sys.modules["engine.tensor"]

    with engine.inference_mode():
        with engine.inference_mode():
            pass
        assert tensor_module._new is not grad_mode._plain_new
    assert tensor_module._new is grad_mode._plain_new  # the constructor is the plain one again
