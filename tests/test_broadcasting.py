"""Property tests: binary ops over broadcasting shape pairs, and the algebra of gradients."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import gpugrad as gg

from .conftest import host

OPS = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
    "maximum": (gg.maximum, np.maximum),
    "pow": (lambda a, b: a**b, lambda a, b: a**b),
}

shapes = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3)


def _arrays(shape_pair, seed):
    rng = np.random.default_rng(seed)
    (sa, sb) = shape_pair.input_shapes
    return rng.uniform(0.5, 2.0, sa), rng.uniform(0.5, 2.0, sb)


@settings(max_examples=60, deadline=None)
@given(shapes, st.sampled_from(sorted(OPS)), st.integers(0, 2**16))
def test_binary_ops_broadcast_like_numpy(pair, name, seed):
    fn, ref = OPS[name]
    a, b = _arrays(pair, seed)
    ta = gg.tensor(a, dtype=gg.float64, requires_grad=True)
    tb = gg.tensor(b, dtype=gg.float64, requires_grad=True)
    out = fn(ta, tb)
    assert out.shape == pair.result_shape
    np.testing.assert_allclose(host(out), ref(a, b), rtol=1e-12)
    gy = np.random.default_rng(seed + 1).standard_normal(pair.result_shape)
    out.backward(gg.tensor(gy, dtype=gg.float64))
    assert ta.grad.shape == a.shape and tb.grad.shape == b.shape


@settings(max_examples=60, deadline=None)
@given(shapes, st.integers(0, 2**16))
def test_broadcast_gradient_is_the_adjoint_of_broadcasting(pair, seed):
    """<grad_a, da> equals <gy, d out> for a perturbation da of a: for out = a * b,
    d out = broadcast(da) * b, so summing the gradient back must satisfy this identity."""
    a, b = _arrays(pair, seed)
    rng = np.random.default_rng(seed + 2)
    gy = rng.standard_normal(pair.result_shape)
    da = rng.standard_normal(a.shape)
    ta = gg.tensor(a, dtype=gg.float64, requires_grad=True)
    (ta * gg.tensor(b, dtype=gg.float64)).backward(gg.tensor(gy, dtype=gg.float64))
    lhs = float((host(ta.grad) * da).sum())
    rhs = float((gy * (np.broadcast_to(da, pair.result_shape) * b)).sum())
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10, atol=1e-10)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-3, 3), min_size=1, max_size=6), st.floats(-2, 2), st.floats(-2, 2))
def test_gradient_is_linear_in_the_output(values, alpha, beta):
    """grad of (alpha f + beta g) equals alpha grad f + beta grad g."""
    def grad(fn):
        x = gg.tensor(values, dtype=gg.float64, requires_grad=True)
        fn(x).backward()
        return host(x.grad)

    f = lambda x: (x.tanh() * x).sum()  # noqa: E731
    g = lambda x: (x * x).exp().mean()  # noqa: E731
    combined = grad(lambda x: alpha * f(x) + beta * g(x))
    np.testing.assert_allclose(combined, alpha * grad(f) + beta * grad(g), rtol=1e-9, atol=1e-9)
