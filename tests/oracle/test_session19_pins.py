"""Pinned cases of issue 10's silent disagreements (session 19, faith): each is a small
program run on the engine and on torch 2.13 side by side, and each failed on the engine
before its fix."""

import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402


def _layout(t) -> tuple:
    return tuple(t.shape), t.stride(), t.is_contiguous()


_VIEWS = {
    "t": lambda x: x.t(),
    "mT": lambda x: x.mT,
    "transpose": lambda x: x.transpose(0, -1),
}


@pytest.mark.parametrize("shape, view", [
    (shape, view) for shape in [(6, 1), (1, 6), (3, 1, 2, 1), (1, 3, 1)] for view in _VIEWS
    if view != "t" or len(shape) == 2])
def test_grad_of_a_view_keeps_the_views_strides_on_size_one_dims(shape, view):
    """A leaf's gradient arriving as a view (a transpose of a fresh result) that obeys the
    layout contract on the dims of size > 1 is kept by torch as it is, size-1 dims' strides
    included: a (6, 1) leaf's gradient through ``.t()`` has strides (1, 6). The engine copied
    it row-major ((1, 1))."""
    def run(T):
        x = T.ones(*shape, requires_grad=True)
        (_VIEWS[view](x) * 2).sum().backward()
        return _layout(x.grad)

    assert run(engine) == run(torch)
