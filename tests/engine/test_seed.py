"""The seed chapter (shared/seed/autograd.md), cell by cell against the engine from Python:
each printed value must be exactly the chapter's text."""

import engine as torch


def test_seed_chapter_prints_what_the_chapter_prints():
    x = torch.arange(4.0, requires_grad=True)
    assert repr(x) == "tensor([0., 1., 2., 3.], requires_grad=True)"
    assert x.grad is None
    y = 2 * torch.dot(x, x)
    assert repr(y) == "tensor(28., grad_fn=<MulBackward0>)"
    y.backward()
    assert repr(x.grad) == "tensor([ 0.,  4.,  8., 12.])"
    assert repr(x.grad == 4 * x) == "tensor([True, True, True, True])"

    x.grad.zero_()
    y = x.sum()
    y.backward()
    assert repr(x.grad) == "tensor([1., 1., 1., 1.])"

    x.grad.zero_()
    y = x * x
    u = y.detach()
    z = u * x
    z.sum().backward()
    assert repr(x.grad == u) == "tensor([True, True, True, True])"

    x.grad.zero_()
    y.sum().backward()
    assert repr(x.grad == 2 * x) == "tensor([True, True, True, True])"

    def f(a):
        b = a * 2
        while b.norm().item() < 1000:
            b = b * 2
        if b.sum().item() > 0:
            c = b
        else:
            c = 100 * b
        return c

    torch.manual_seed(0)
    for _ in range(20):  # any draw: f is piecewise linear, so grad == d / a
        a = torch.randn(size=(1,), requires_grad=True)
        d = f(a)
        d.backward()
        assert repr(a.grad == (d / a)) == "tensor([True])"
