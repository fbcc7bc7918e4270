"""Layer and batch normalization as single graph nodes: their ``graph_backward`` (the
differentiable form of backward that higher-order gradients run) against the kernel backward
and against central differences of it, the graph they record, float16, and argument checks."""

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.nn as nn
import gpugrad.nn.functional as F
from gpugrad.autograd import AccumulateGrad
from gpugrad.ops import nn as N

from .conftest import host

RM, RV = np.array([0.3, -0.2, 0.1]), np.array([0.5, 1.5, 2.0])


def _eval_bn(x, w, b):
    rm, rv = (gg.tensor(a, dtype=x.dtype, device=x.device) for a in (RM, RV))
    return F.batch_norm(x, rm, rv, w, b, training=False)


# (name, function of the tensors, shapes); each function makes exactly one norm node.
ROWS = [
    ("layer_norm_affine", lambda x, w, b: F.layer_norm(x, (5,), w, b), ((4, 5), (5,), (5,))),
    ("layer_norm", lambda x: F.layer_norm(x, (5,)), ((4, 5),)),
    ("layer_norm_3d_last2", lambda x, w, b: F.layer_norm(x, (3, 4), w, b),
     ((2, 3, 4), (3, 4), (3, 4))),
    ("layer_norm_bias_only", lambda x, b: F.layer_norm(x, (4,), None, b), ((3, 4), (4,))),
    ("layer_norm_1d", lambda x, w: F.layer_norm(x, (6,), w), ((6,), (6,))),
    ("batch_norm_affine", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
     ((6, 3), (3,), (3,))),
    ("batch_norm_3d", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
     ((4, 3, 5), (3,), (3,))),
    ("batch_norm", lambda x: F.batch_norm(x, None, None, training=True), ((5, 3),)),
    ("batch_norm_eval", _eval_bn, ((6, 3), (3,), (3,))),
]


def _tensors(shapes, device, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-2, 2, s) for s in shapes]
    return arrays, [gg.tensor(a, dtype=gg.float64, device=device, requires_grad=True)
                    for a in arrays]


def _graph_backward(fn, tensors, gy):
    """What an engine computing higher-order gradients does at the node: run its
    ``graph_backward`` with every saved input array replaced by that input's Tensor."""
    out = fn(*tensors)
    node = out.grad_fn
    assert type(node) in (N.LayerNorm, N.BatchNorm)
    by_id = {id(t._data): t for t in tensors}
    for name, value in list(vars(node).items()):
        if id(value) in by_id:
            setattr(node, name, by_id[id(value)])
    return node.graph_backward(gy)


@pytest.mark.parametrize("name,fn,shapes", ROWS, ids=[r[0] for r in ROWS])
def test_graph_backward_gives_the_kernel_gradients(name, fn, shapes, device):
    arrays, ts = _tensors(shapes, device)
    gy = np.random.default_rng(1).standard_normal(fn(*ts).shape)
    fn(*ts).backward(gg.tensor(gy, device=device))
    want = [host(t.grad) for t in ts]
    got = _graph_backward(fn, ts, gg.tensor(gy, device=device))
    assert len(got) == 3
    grads = [g for g in got if g is not None]
    assert len(grads) == len(ts)
    for g, w in zip(grads, want):
        assert isinstance(g, gg.Tensor) and g.shape == w.shape
        np.testing.assert_allclose(host(g), w, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,fn,shapes", ROWS, ids=[r[0] for r in ROWS])
def test_second_order_gradients_match_central_differences(name, fn, shapes, device):
    """s = sum_i <grad_i(x, w, b, gy), u_i>: its gradient by backpropagating through
    ``graph_backward``, against the central difference of s computed with the kernel backward
    (so the two sides share no code), in a random direction of (x, w, b, gy)."""
    arrays, ts = _tensors(shapes, device)
    rng = np.random.default_rng(2)
    out_shape = fn(*ts).shape
    gy0 = rng.standard_normal(out_shape)
    us = [rng.standard_normal(a.shape) for a in arrays]
    gy = gg.tensor(gy0, device=device, requires_grad=True)
    grads = [g for g in _graph_backward(fn, ts, gy) if g is not None]
    s = sum((g * gg.tensor(u, device=device)).sum() for g, u in zip(grads, us))
    s.backward()
    dirs = [rng.standard_normal(a.shape) for a in arrays]
    dgy = rng.standard_normal(out_shape)
    analytic = sum(float((host(t.grad) * v).sum()) for t, v in zip(ts, dirs)
                   if t.grad is not None)  # none: s does not depend on t (the bias)
    analytic += float((host(gy.grad) * dgy).sum())

    def first_order(t):
        xs = [gg.tensor(a + t * v, device=device, requires_grad=True)
              for a, v in zip(arrays, dirs)]
        fn(*xs).backward(gg.tensor(gy0 + t * dgy, device=device))
        return sum(float((host(x.grad) * u).sum()) for x, u in zip(xs, us))

    eps = 1e-6
    numeric = (first_order(eps) - first_order(-eps)) / (2 * eps)
    assert analytic == pytest.approx(numeric, rel=1e-6, abs=1e-6)


def test_second_order_is_not_trivial(device):
    """The layer-norm input Hessian is not zero (the check above could not pass vacuously)."""
    _, (x,) = _tensors(((3, 4),), device)
    (gx, _, _) = _graph_backward(lambda t: F.layer_norm(t, (4,)), [x],
                                 gg.tensor(np.arange(12.0).reshape(3, 4), device=device))
    (gx * gx).sum().backward()
    assert np.abs(host(x.grad)).max() > 1e-3


@pytest.mark.parametrize("layer", ["layer", "batch"])
def test_norm_layers_record_one_node(layer, device):
    m = (nn.LayerNorm(4) if layer == "layer" else nn.BatchNorm1d(4)).to(device)
    x = gg.randn(5, 4, device=device, requires_grad=True)
    y = m(x)
    node = y.grad_fn
    assert type(node) is (N.LayerNorm if layer == "layer" else N.BatchNorm)
    assert all(isinstance(e, AccumulateGrad) for e in node.next_fns)
    assert [e.leaf() for e in node.next_fns] == [x, m.weight, m.bias]


def test_norm_saves_inputs_and_statistics_only(device):
    x = gg.randn(5, 4, device=device, requires_grad=True)
    w = gg.randn(4, device=device, requires_grad=True)
    node = F.layer_norm(x, 4, w).grad_fn
    big = {k for k, v in vars(node).items() if getattr(v, "shape", ()) == (5, 4)}
    assert big == {"x"} and node.x is x._data and node.w is w._data
    assert node.mean.shape == node.rstd.shape == (5, 1)


@pytest.mark.parametrize("fn", [lambda x: F.layer_norm(x, (64,)),
                                lambda x: F.batch_norm(x, None, None, training=True)],
                         ids=["layer_norm", "batch_norm"])
def test_float16_is_normalized_with_float32_statistics(fn, device):
    """Values far from 0 (mean 300, spread 1): the statistics are summed and kept in float32,
    so the result is off by float16's rounding of the output only."""
    rng = np.random.default_rng(3)
    x16 = (300 + rng.standard_normal((32, 64))).astype(np.float16)
    x = gg.tensor(x16, device=device, requires_grad=True)
    y = fn(x)
    assert y.dtype == gg.float16
    x64 = x16.astype(np.float64)
    axis = 1 if y.grad_fn.__class__ is N.LayerNorm else 0
    ref = (x64 - x64.mean(axis, keepdims=True)) / np.sqrt(x64.var(axis, keepdims=True) + 1e-5)
    np.testing.assert_allclose(host(y), ref, rtol=0, atol=4e-3)
    y.backward(gg.ones_like(y))
    assert x.grad.dtype == gg.float16
    np.testing.assert_allclose(host(x.grad), 0.0, atol=2e-2)  # sum(y) does not depend on x


def test_batch_norm_rejects_running_statistics_that_require_grad():
    x = gg.randn(4, 3, requires_grad=True)
    rm, rv = gg.zeros(3, requires_grad=True), gg.ones(3)
    with pytest.raises(RuntimeError, match="not differentiable with respect to running_mean"):
        F.batch_norm(x, rm, rv, training=True)
    with pytest.raises(RuntimeError, match="running_mean"):
        F.batch_norm(x, rm, rv, training=False)
    assert float(rm.abs().sum()) == 0.0  # nothing changed
    with gg.no_grad():
        F.batch_norm(x, rm, rv, training=True)


def test_layer_norm_checks_parameter_shapes():
    with pytest.raises(RuntimeError, match=r"weight of shape \[4\] and normalized_shape = \[3\]"):
        F.layer_norm(gg.randn(2, 3), (3,), gg.ones(4))
    with pytest.raises(RuntimeError, match=r"got bias of shape \[3, 1\]"):
        F.layer_norm(gg.randn(2, 3), (3,), None, gg.zeros(3, 1))


def test_batch_norm_eval_uses_a_copy_of_the_running_statistics(device):
    """Backward after the buffers moved on (a later training step) uses the statistics the
    forward used."""
    bn = nn.BatchNorm1d(3).to(device, gg.float64)
    bn.eval()
    x = gg.randn(6, 3, device=device, dtype=gg.float64, requires_grad=True)
    y = bn(x)
    bn.running_var.fill_(100.0)
    y.backward(gg.ones_like(y))
    np.testing.assert_allclose(host(x.grad), 1.0 / np.sqrt(1.0 + 1e-5), rtol=1e-12)
