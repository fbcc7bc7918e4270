"""Regression tests: no silent wrong answers, a clear error for bad input, nothing half-done."""

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.nn.functional as F
from gpugrad import kernels as K

from .conftest import host


def test_std_gradient_is_zero_on_a_constant_slice(device):
    x = gg.tensor([[0.0, 0.0, 0.0], [1.0, 2.0, 4.0]], dtype=gg.float64, device=device,
                  requires_grad=True)
    x.std(1).sum().backward()
    row = np.array([1.0, 2.0, 4.0])
    want = (row - row.mean()) / (row.std(ddof=1) * 2)  # d std / dx = (x - mean) / (std (n-1))
    np.testing.assert_allclose(host(x.grad), [[0, 0, 0], want], rtol=1e-12, atol=1e-15)


def test_integer_tensor_in_place_with_float_raises_and_keeps_state(device):
    i = gg.tensor([1, 2], device=device)
    f = gg.tensor([1.0, 2.0], device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="can't be cast"):
        i += f
    with pytest.raises(RuntimeError, match="can't be cast"):
        i += 1.5
    with pytest.raises(RuntimeError, match="can't be cast"):
        i /= 2
    assert host(i).tolist() == [1, 2] and not i.requires_grad and i.dtype == gg.int64


def test_permute_and_expand_refuse_bad_dims():
    x = gg.randn(2, 3, 4)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.permute(3, 2, 1)
    with pytest.raises(RuntimeError, match="duplicate"):
        x.permute(0, 0, 1)
    with pytest.raises(RuntimeError, match="input.dim"):
        x.permute(1, 0)
    with pytest.raises(RuntimeError, match="-1 isn't allowed"):
        gg.randn(3).expand(-1, 3)
    assert x.permute(-1, 0, 1).shape == (4, 2, 3)


def test_failed_backward_leaves_every_grad_unchanged():
    a = gg.tensor([1.0, 2.0], requires_grad=True)
    b = gg.tensor([3.0, 4.0], requires_grad=True)
    y = a.exp()  # saves its output
    loss = (b * 2).sum() + y.sum()
    with gg.no_grad():
        y += 1  # an in-place change backward would need
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
    assert a.grad is None and b.grad is None


def test_pow_zero_has_zero_gradient_at_zero(device):
    x = gg.tensor([0.0, 2.0], dtype=gg.float64, device=device, requires_grad=True)
    (x ** 0).sum().backward()
    assert host(x.grad).tolist() == [0.0, 0.0]
    x.grad = None
    e = gg.tensor([0.0, 1.0], dtype=gg.float64, device=device)
    (x ** e).sum().backward()
    assert host(x.grad).tolist() == [0.0, 1.0]


def test_gelu_tanh_float16_gradient_is_finite_for_large_inputs(device):
    x = gg.tensor([-3e4, -1e3, 0.5, 1e3, 6e4], dtype=gg.float16, device=device,
                  requires_grad=True)
    F.gelu(x, approximate="tanh").sum().backward()
    np.testing.assert_allclose(host(x.grad), [0, 0, 0.8674, 1, 1], atol=2e-3)
    big = np.array([-1e20, 1e20], np.float32)
    np.testing.assert_allclose(K.TABLE["gelu_tanh_bwd"](big, np.ones(2, np.float32)), [0, 1])


def test_creation_refuses_silent_coercions():
    with pytest.raises(RuntimeError, match="overflow"):
        gg.tensor(2**40, dtype=gg.int32)
    with pytest.raises(TypeError, match="2.5"):
        gg.zeros(2.5)
    with pytest.raises(TypeError, match="1.5"):
        gg.ones(4).view(2, 1.5)
    with pytest.raises(RuntimeError, match="inconsistent with step sign"):
        gg.arange(0, 10, -1)
    assert gg.arange(10, 0, -3).tolist() == [10, 7, 4, 1]


def test_nan_conventions_follow_pytorch(device):
    x = gg.tensor([1.0, float("nan"), 3.0], dtype=gg.float64, device=device,
                  requires_grad=True)
    x.max().backward()
    assert host(x.grad).tolist() == [0.0, 1.0, 0.0]  # the gradient goes to the NaN
    y = gg.tensor([float("nan"), -1.0, 2.0], device=device, requires_grad=True)
    y.relu().sum().backward()
    assert host(y.grad).tolist() == [1.0, 0.0, 1.0]  # relu passes the gradient at NaN


def test_clear_errors_for_bad_indices_and_shapes():
    x = gg.randn(3, 4)
    for key in (1.5, "a"):
        with pytest.raises(IndexError, match="valid indices"):
            x[key]
    with pytest.raises(RuntimeError, match="zero-dimensional"):
        gg.cat([gg.tensor(1.0), gg.tensor(2.0)])
    with pytest.raises(RuntimeError, match=r"size of tensor a \(4\) must match the size of "
                                           r"tensor b \(5\) at non-singleton dimension 1"):
        x * gg.randn(5)
    with pytest.raises(RuntimeError, match="batch dimensions"):
        gg.randn(2, 3, 4) @ gg.randn(3, 4, 5)
    assert x[range(2)].shape == (2, 4)


def test_softmax_of_0d_and_empty(device):
    t = gg.tensor(3.0, device=device)
    assert gg.softmax(t, 0).item() == 1.0 and gg.log_softmax(t, 0).item() == 0.0
    assert gg.randn(0, 3, device=device).softmax(1).shape == (0, 3)
