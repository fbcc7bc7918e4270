"""nn behaviour PyTorch scripts rely on: regression losses that warn and broadcast, the
``inplace=``/``dtype=`` keywords of the functional activations, module hooks, reprs and the
parameter/vector utilities. References are float64 NumPy or hand-derived numbers."""

import warnings

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.nn as nn
import gpugrad.nn.functional as F

from .conftest import host

SIZE_WARNING = "Using a target size .* that is different to the input size"


# ---------------------------------------------------------------- regression losses broadcast

def _huber(d, delta=1.0):
    ad = np.abs(d)
    return np.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))


REGRESSION = [
    (F.mse_loss, nn.MSELoss, lambda d: d * d),
    (F.l1_loss, nn.L1Loss, np.abs),
    (F.smooth_l1_loss, nn.SmoothL1Loss, _huber),
    (F.huber_loss, nn.HuberLoss, _huber),
]


@pytest.mark.parametrize("fn,module,ref", REGRESSION, ids=[r[0].__name__ for r in REGRESSION])
@pytest.mark.parametrize("tshape", [(4,), (), (1,), (5,)])
def test_regression_loss_warns_and_broadcasts(fn, module, ref, tshape, device):
    rng = np.random.default_rng(1)
    a = rng.normal(size=(4, 1))
    b = rng.normal(size=tshape)
    x = gg.tensor(a, device=device, requires_grad=True)
    y = gg.tensor(b, device=device)
    with pytest.warns(UserWarning, match=SIZE_WARNING):
        loss = fn(x, y)
    d = a - b  # NumPy's broadcast: the same as PyTorch's
    np.testing.assert_allclose(host(loss), ref(d).mean(), rtol=1e-12)
    loss.backward()
    # d/dx of mean(ref(x - b)) summed over the broadcast target axis, by central differences
    eps = 1e-6
    num = np.array([(ref(d + eps * e).mean() - ref(d - eps * e).mean()) / (2 * eps)
                    for e in np.eye(4).reshape(4, 4, 1)]).reshape(4, 1)
    np.testing.assert_allclose(host(x.grad), num, rtol=1e-6, atol=1e-9)
    with pytest.warns(UserWarning, match=SIZE_WARNING):
        out = module(reduction="none")(x, y)
    assert out.shape == d.shape
    np.testing.assert_allclose(host(out), ref(d), rtol=1e-12)


@pytest.mark.parametrize("fn", [r[0] for r in REGRESSION])
def test_regression_loss_same_shape_is_silent_and_bad_shapes_raise(fn):
    x = gg.randn(2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fn(x, gg.randn(2, 3))
    with pytest.warns(UserWarning, match=SIZE_WARNING), pytest.raises(
            RuntimeError, match=r"The size of tensor a \(3\) must match the size of tensor b "
                                r"\(4\) at non-singleton dimension 1"):
        fn(x, gg.randn(2, 4))


@pytest.mark.parametrize("fn,module,ref", REGRESSION, ids=[r[0].__name__ for r in REGRESSION])
def test_regression_loss_integer_target_is_promoted(fn, module, ref):
    x = gg.tensor([[0.5], [-2.0], [3.0]], requires_grad=True)
    t = gg.tensor([[1], [0], [2]])
    loss = fn(x, t, reduction="sum")
    assert loss.dtype == gg.float32
    np.testing.assert_allclose(host(loss), ref(np.array([-0.5, -2.0, 1.0])).sum(), rtol=1e-6)
    with pytest.warns(UserWarning, match=SIZE_WARNING):
        assert fn(x, gg.tensor([1, 0, 2])).shape == ()
    # a float64 target promotes the result, as in PyTorch
    assert fn(x, t.double()).dtype == gg.float64


def test_kl_div_broadcasts_silently_and_refuses_integers():
    x = gg.tensor([[-1.0], [-2.0]])
    t = gg.tensor([0.25, 0.75])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.kl_div(x, t, reduction="sum")
    xa, ta = np.array([[-1.0], [-2.0]]), np.array([0.25, 0.75])
    np.testing.assert_allclose(host(loss), (ta * (np.log(ta) - xa)).sum(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="kl_div: Integral inputs not supported."):
        F.kl_div(x, gg.tensor([[1], [0]]))
