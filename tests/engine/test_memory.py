"""``engine.held_bytes``: what a session's memory cap counts."""

import numpy as np

import engine


def test_a_tensor_counts_its_buffer_once_and_views_count_their_base():
    x = engine.zeros(1000)  # float32: 4,000 bytes
    assert engine.held_bytes([x]) == 4000
    assert engine.held_bytes([x, x, x[10:20], x.view(10, 100)]) == 4000
    assert engine.held_bytes([[x], {"a": (x,)}]) == 4000
    assert engine.held_bytes([1, "s", None, 2.5, object()]) == 0


def test_grads_and_buffers_saved_for_backward_are_counted_until_freed():
    w = engine.ones(1000, requires_grad=True)
    h = w.exp()  # saves its output (the graph keeps h's buffer even if h is dropped)
    y = (h * 3.0).sum()
    del h
    graph = engine.held_bytes([w, y])
    assert graph == 4000 + 4000 + 4  # w, exp's saved output, y
    y.backward()
    assert engine.held_bytes([w]) == 8000  # w and w.grad
    assert engine.held_bytes([w, y]) == 8000 + 4  # backward freed the saved output


def test_index_tensors_saved_by_a_node_count():
    x = engine.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    values, _ = x.max(dim=1)  # the node saves the int64 indices (not an output we hold)
    assert engine.held_bytes([values]) == x.nbytes + values.nbytes + 3 * 8
