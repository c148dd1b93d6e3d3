"""The seed chapter (shared/seed/autograd.md), cell by cell against the engine from Python:
each printed value must be exactly the chapter's text."""

import engine as torch


def on_device(text: str, device: str) -> str:
    """The chapter's repr as PyTorch prints it for a tensor on ``device``."""
    if device == "cpu":
        return text
    for mark in (", requires_grad=", ", grad_fn="):
        if mark in text:
            return text.replace(mark, f", device='{device}'{mark}", 1)
    return text[:-1] + f", device='{device}')"


def test_seed_chapter_prints_what_the_chapter_prints():
    run_seed_chapter()


def run_seed_chapter():
    x = torch.arange(4.0, requires_grad=True)
    dev = str(x.device)

    def check(value, text):
        assert repr(value) == on_device(text, dev)

    check(x, "tensor([0., 1., 2., 3.], requires_grad=True)")
    assert x.grad is None
    y = 2 * torch.dot(x, x)
    check(y, "tensor(28., grad_fn=<MulBackward0>)")
    y.backward()
    check(x.grad, "tensor([ 0.,  4.,  8., 12.])")
    check(x.grad == 4 * x, "tensor([True, True, True, True])")

    x.grad.zero_()
    y = x.sum()
    y.backward()
    check(x.grad, "tensor([1., 1., 1., 1.])")

    x.grad.zero_()
    y = x * x
    u = y.detach()
    z = u * x
    z.sum().backward()
    check(x.grad == u, "tensor([True, True, True, True])")

    x.grad.zero_()
    y.sum().backward()
    check(x.grad == 2 * x, "tensor([True, True, True, True])")

    def f(a):
        b = a * 2
        while b.norm().item() < 1000:
            b = b * 2
        if b.sum().item() > 0:
            c = b
        else:
            c = 100 * b
        return c

    # f is piecewise linear: f(a) = k a. For a > 0, k is a power of two and d / a is exact
    # (as in the chapter's run); for a < 0 the factor 100 rounds, so compare closely there.
    torch.manual_seed(0)
    for _ in range(20):
        a = torch.randn(size=(1,), requires_grad=True)
        d = f(a)
        d.backward()
        if a.item() > 0:
            check(a.grad == (d / a), "tensor([True])")
        else:
            assert abs(a.grad.item() - (d / a).item()) <= 1e-6 * abs(a.grad.item())
