"""Autograd semantics: accumulation, retain_graph, freed graphs, deep chains, version counters,
no_grad, detach, retain_grad, in-place rules and memory release."""

import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import gpugrad as gg

from .conftest import host


def test_gradients_accumulate_in_leaves(device):
    x = gg.tensor([1.0, -2.0, 3.0], device=device, requires_grad=True)
    (x * x).sum().backward()
    (3 * x).sum().backward()
    np.testing.assert_allclose(host(x.grad), [2 + 3, -4 + 3, 6 + 3])


def test_shared_input_accumulates_within_one_backward(device):
    a = gg.tensor(3.0, device=device, requires_grad=True)
    b = a + a  # the seeds' a + a bug: d b / d a is 2, not 1
    b.backward()
    assert a.grad.item() == 2.0


def test_retain_graph_allows_a_second_backward(device):
    x = gg.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = host(x.grad).copy()
    y.backward()
    np.testing.assert_allclose(host(x.grad), 2 * first)
    np.testing.assert_allclose(first, np.exp([1.0, 2.0]) * (1 + np.array([1.0, 2.0])), rtol=1e-6)


def test_second_backward_through_freed_graph_raises(device):
    x = gg.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
    np.testing.assert_allclose(host(x.grad), [2.0, 4.0])  # unchanged by the failed call


def test_shared_subgraph_freed_by_first_backward_raises(device):
    x = gg.tensor([1.0, 2.0], device=device, requires_grad=True)
    h = x.tanh()
    h.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        (h * 2).sum().backward()


def test_non_scalar_backward_without_gradient_raises(device):
    x = gg.ones(3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        (x * 2).backward()


def test_backward_with_gradient_weights(device):
    x = gg.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    (x * x).backward(gg.tensor([1.0, 0.5, -1.0], device=device))
    np.testing.assert_allclose(host(x.grad), [2.0, 2.0, -6.0])
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 1).backward(gg.ones(2, device=device))


def test_backward_on_tensor_without_grad_raises(device):
    with pytest.raises(RuntimeError, match="does not require grad"):
        gg.ones(1, device=device).backward()


def test_deep_chain_of_a_million_ops_backpropagates():
    x = gg.tensor(0.5, requires_grad=True)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0
    y = y + 0.0
    y.backward()
    assert x.grad.item() == 1.0
    del y
    gc.collect()


def test_modifying_a_saved_tensor_in_place_raises_at_backward(device):
    w = gg.tensor([1.0, 2.0], device=device, requires_grad=True)
    x = gg.tensor([3.0, 4.0], device=device, requires_grad=True)
    loss = (w * x).sum()  # mul saves w and x
    with gg.no_grad():
        w -= 0.1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_in_place_through_data_is_caught_too(device):
    w = gg.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = w.tanh()  # saves its output
    y.data.mul_(2)
    with pytest.raises(RuntimeError, match="inplace"):
        y.sum().backward()


def test_in_place_on_unsaved_input_is_fine(device):
    a = gg.tensor([1.0, 2.0], device=device, requires_grad=True)
    b = gg.tensor([3.0, 4.0], device=device)
    y = (a + b).sum()  # add saves nothing
    b += 1
    y.backward()
    np.testing.assert_allclose(host(a.grad), [1.0, 1.0])


def test_in_place_on_leaf_requiring_grad_raises_outside_no_grad(device):
    w = gg.ones(2, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w += 1
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w.zero_()
    np.testing.assert_allclose(host(w), [1.0, 1.0])


def test_in_place_on_non_leaf_records_the_op(device):
    x = gg.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x * 2
    y += x  # y = 3x
    y *= y  # y = 9x^2
    y.sum().backward()
    np.testing.assert_allclose(host(x.grad), [18.0, 36.0])


def test_in_place_arithmetic_under_no_grad_and_on_data(device):
    w = gg.tensor([1.0, 2.0], device=device, requires_grad=True)
    with gg.no_grad():
        w += 1
        w *= 2
        w -= gg.tensor([1.0, 1.0], device=device)
        w /= 2
    np.testing.assert_allclose(host(w), [1.5, 2.5])
    w.data += 1
    w.data.fill_(7.0)
    np.testing.assert_allclose(host(w), [7.0, 7.0])
    w.data.copy_(gg.tensor([1.0, 3.0]))
    np.testing.assert_allclose(host(w), [1.0, 3.0])
    w.data.zero_()
    np.testing.assert_allclose(host(w), [0.0, 0.0])
    assert w.requires_grad and w.is_leaf


def test_in_place_dtype_error_is_clear():
    i = gg.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                       "output type Long"):
        i += 0.5
    np.testing.assert_array_equal(host(i), [1, 2])


def test_no_grad_and_enable_grad(device):
    x = gg.ones(2, device=device, requires_grad=True)
    with gg.no_grad():
        assert not gg.is_grad_enabled()
        y = x * 2
        with gg.enable_grad():
            z = x * 2
    assert gg.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None

    @gg.no_grad()
    def f(t):
        return t * 3

    assert not f(x).requires_grad
    assert gg.is_grad_enabled()
    with gg.set_grad_enabled(False):
        assert not (x * 1).requires_grad
    assert gg.is_grad_enabled()

    @gg.set_grad_enabled(False)
    def g(t):
        return t * 3

    assert gg.is_grad_enabled() and not g(x).requires_grad and g.__name__ == "g"
    gg.set_grad_enabled(False)  # a plain call takes effect at once
    try:
        assert not gg.is_grad_enabled()
    finally:
        gg.set_grad_enabled(True)


def test_detach_shares_storage_and_cuts_the_graph(device):
    x = gg.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    (y * d).sum().backward()  # d is a constant: dy/dx = 2 * d
    np.testing.assert_allclose(host(x.grad), [4.0, 8.0])
    d.data.fill_(0.0)
    np.testing.assert_allclose(host(y), [0.0, 0.0])


def test_non_leaf_grads_only_with_retain_grad(device):
    x = gg.tensor([1.0, 2.0], device=device, requires_grad=True)
    h = x * 3
    k = x * 4
    h.retain_grad()
    (h * k).sum().backward()
    np.testing.assert_allclose(host(h.grad), host(k))
    assert k.grad is None
    assert h.retains_grad and not k.retains_grad


def test_leaf_and_grad_fn_attributes(device):
    x = gg.ones(2, device=device, requires_grad=True)
    y = x + 1
    assert x.is_leaf and not y.is_leaf
    assert y.grad_fn is not None and "Add" in repr(y.grad_fn)
    with pytest.raises(RuntimeError, match="leaf variables"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="floating point"):
        gg.tensor([1, 2]).requires_grad_()


def test_grad_assignment(device):
    x = gg.ones(2, 3, device=device, requires_grad=True)
    x.grad = 0.0
    assert x.grad.shape == (2, 3) and x.grad.dtype == gg.float32
    np.testing.assert_allclose(host(x.grad), 0.0)
    (x * 2).sum().backward()
    np.testing.assert_allclose(host(x.grad), 2.0)
    x.grad = None
    assert x.grad is None
    with pytest.raises(RuntimeError, match="different size"):
        x.grad = gg.ones(3, device=device)
    with pytest.raises(TypeError):
        x.grad = "zero"


def test_gradient_buffers_are_not_shared_between_leaves(device):
    a = gg.ones(3, device=device, requires_grad=True)
    b = gg.ones(3, device=device, requires_grad=True)
    (a + b).sum().backward()
    a.grad.data.mul_(5)  # scaling one leaf's gradient in place...
    np.testing.assert_allclose(host(b.grad), 1.0)  # ...leaves the other's alone
    np.testing.assert_allclose(host(a.grad), 5.0)


def test_graph_nodes_are_released_and_memory_stays_flat():
    w = gg.randn(8, 8, requires_grad=True)
    x = gg.randn(4, 8)

    def step():
        y = (x @ w).tanh().sum()
        y.backward()
        return weakref.ref(y.grad_fn)

    for _ in range(200):
        step()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    refs = []
    for i in range(10_000):
        r = step()
        if i % 100 == 0:
            refs.append(r)  # a sample: holding 10,000 weakrefs would itself cost memory
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert all(r() is None for r in refs)
    assert after - before < 100_000, f"memory grew by {after - before} bytes"
    w.grad = None


def test_backward_from_a_leaf(device):
    x = gg.tensor(2.0, device=device, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0
