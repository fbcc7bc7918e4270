"""RMSprop, Adagrad, Adam/AdamW with amsgrad, and maximize, against the docstrings' algorithms
written out in NumPy float64, on every device."""

import math

import numpy as np
import pytest

import gpugrad as gg
from gpugrad import optim

from .conftest import host

P0 = np.array([1.0, -2.0, 0.5, 3.0])
GRADS = [np.array([0.5, -1.0, 2.0, 0.0]), np.array([-0.25, 0.75, 1.5, -3.0]),
         np.array([1.0, 1.0, -0.5, 0.1]), np.array([0.2, -0.3, 0.1, 0.05])]


def _run(cls, device, dtype=gg.float64, **kw):
    p = gg.tensor(P0, dtype=dtype, device=device, requires_grad=True)
    opt = cls([p], **kw)
    out = []
    for g in GRADS:
        p.grad = gg.tensor(g, dtype=dtype, device=device)
        opt.step()
        out.append(host(p))
    return np.array(out), opt


def _rmsprop_ref(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                 maximize=False):
    p, sq, buf, gavg, out = P0.copy(), np.zeros(4), np.zeros(4), np.zeros(4), []
    for g in GRADS:
        g = -g if maximize else g
        g = g + weight_decay * p
        sq = alpha * sq + (1 - alpha) * g * g
        v = sq
        if centered:
            gavg = gavg + (1 - alpha) * (g - gavg)
            v = sq - gavg * gavg
        if momentum > 0:
            buf = momentum * buf + g / (np.sqrt(v) + eps)
            p = p - lr * buf
        else:
            p = p - lr * g / (np.sqrt(v) + eps)
        out.append(p)
    return np.array(out)


def _adagrad_ref(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                 eps=1e-10, maximize=False):
    p, s, out = P0.copy(), np.full(4, initial_accumulator_value), []
    for t, g in enumerate(GRADS, 1):
        g = -g if maximize else g
        g = g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g
        p = p - clr * g / (np.sqrt(s) + eps)
        out.append(p)
    return np.array(out)


def _adam_ref(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
              maximize=False, decoupled=False):
    b1, b2 = betas
    p, m, v, vmax, out = P0.copy(), np.zeros(4), np.zeros(4), np.zeros(4), []
    for t, g in enumerate(GRADS, 1):
        g = -g if maximize else g
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        denom = np.sqrt(vmax if amsgrad else v) / math.sqrt(1 - b2**t) + eps
        p = p - lr / (1 - b1**t) * m / denom
        out.append(p)
    return np.array(out)


def _sgd_ref(lr, momentum=0.0, weight_decay=0.0, maximize=False):
    p, buf, out = P0.copy(), None, []
    for g in GRADS:
        g = -g if maximize else g
        g = g + weight_decay * p
        if momentum:
            buf = g if buf is None else momentum * buf + g
            g = buf
        p = p - lr * g
        out.append(p)
    return np.array(out)


RMSPROP = [dict(), dict(lr=0.1, alpha=0.9), dict(lr=0.05, alpha=0.9, weight_decay=0.1),
           dict(lr=0.05, alpha=0.8, momentum=0.9), dict(lr=0.05, alpha=0.8, centered=True),
           dict(lr=0.05, alpha=0.8, momentum=0.5, centered=True, weight_decay=0.01),
           dict(lr=0.05, alpha=0.8, momentum=0.5, centered=True, maximize=True)]


@pytest.mark.parametrize("kw", RMSPROP)
def test_rmsprop_matches_the_algorithm(kw, device):
    got, opt = _run(optim.RMSprop, device, **kw)
    np.testing.assert_allclose(got, _rmsprop_ref(**kw), rtol=1e-12, atol=1e-15)
    st = opt.state[opt.param_groups[0]["params"][0]]
    want_keys = {"step", "square_avg"} | ({"momentum_buffer"} if kw.get("momentum") else set())
    want_keys |= {"grad_avg"} if kw.get("centered") else set()
    assert set(st) == want_keys and st["step"] == len(GRADS)


def test_rmsprop_hand_numbers():
    # lr 0.1, alpha 0.5, eps 0, g = 2 then 1: v1 = 2, p1 = 1 - 0.1 * 2 / sqrt(2) = 1 - 0.1 sqrt(2);
    # v2 = 1 + 0.5 = 1.5, p2 = p1 - 0.1 / sqrt(1.5)
    p = gg.tensor([1.0], dtype=gg.float64, requires_grad=True)
    opt = optim.RMSprop([p], lr=0.1, alpha=0.5, eps=0.0)
    for g in (2.0, 1.0):
        p.grad = gg.tensor([g], dtype=gg.float64)
        opt.step()
    assert p.item() == pytest.approx(1 - 0.1 * math.sqrt(2) - 0.1 / math.sqrt(1.5), rel=1e-14)


ADAGRAD = [dict(), dict(lr=0.1, lr_decay=0.5), dict(lr=0.1, weight_decay=0.1),
           dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-6),
           dict(lr=0.1, lr_decay=0.1, weight_decay=0.05, initial_accumulator_value=0.1,
                maximize=True)]


@pytest.mark.parametrize("kw", ADAGRAD)
def test_adagrad_matches_the_algorithm(kw, device):
    got, opt = _run(optim.Adagrad, device, **kw)
    np.testing.assert_allclose(got, _adagrad_ref(**kw), rtol=1e-12, atol=1e-15)


def test_adagrad_hand_numbers():
    # lr 1, lr_decay 1, eps 0: step 1 g=3: sum 9, p = 1 - 1 * 3/3 = 0;
    # step 2 g=4: clr = 1/2, sum 25, p = 0 - 0.5 * 4/5 = -0.4
    p = gg.tensor([1.0], dtype=gg.float64, requires_grad=True)
    opt = optim.Adagrad([p], lr=1.0, lr_decay=1.0, eps=0.0)
    for g in (3.0, 4.0):
        p.grad = gg.tensor([g], dtype=gg.float64)
        opt.step()
    assert p.item() == pytest.approx(-0.4, rel=1e-14)


ADAM = [dict(amsgrad=True, betas=(0.9, 0.9), lr=0.01),
        dict(amsgrad=True, betas=(0.8, 0.95), lr=0.05, weight_decay=0.1),
        dict(betas=(0.9, 0.9), lr=0.01, maximize=True),
        dict(amsgrad=True, betas=(0.9, 0.9), lr=0.01, weight_decay=0.1, maximize=True)]


@pytest.mark.parametrize("kw", ADAM)
@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW])
def test_adam_amsgrad_and_maximize_match_the_algorithm(cls, kw, device):
    got, opt = _run(cls, device, **kw)
    want = _adam_ref(decoupled=cls is optim.AdamW,
                     **{**kw, "weight_decay": kw.get("weight_decay",
                                                     0.01 if cls is optim.AdamW else 0.0)})
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    st = opt.state[opt.param_groups[0]["params"][0]]
    assert ("max_exp_avg_sq" in st) == kw.get("amsgrad", False)


def test_amsgrad_changes_the_result_where_exp_avg_sq_falls():
    # GRADS[.][3] goes 0, -3, 0.1, 0.05: exp_avg_sq falls after step 2, so amsgrad differs.
    plain = _run(optim.Adam, "cpu", betas=(0.9, 0.9), lr=0.01)[0]
    ams, opt = _run(optim.Adam, "cpu", betas=(0.9, 0.9), lr=0.01, amsgrad=True)
    assert abs(ams[-1, 3] - plain[-1, 3]) > 1e-4
    st = opt.state[opt.param_groups[0]["params"][0]]
    np.testing.assert_array_less(host(st["exp_avg_sq"]) - 1e-15, host(st["max_exp_avg_sq"]))


def test_adam_decoupled_weight_decay_is_adamw(device):
    a = _run(optim.Adam, device, lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)[0]
    w = _run(optim.AdamW, device, lr=0.01, weight_decay=0.1)[0]
    np.testing.assert_array_equal(a, w)


@pytest.mark.parametrize("kw", [dict(lr=0.1), dict(lr=0.1, momentum=0.9, weight_decay=0.1)])
def test_sgd_maximize(kw, device):
    got = _run(optim.SGD, device, maximize=True, **kw)[0]
    np.testing.assert_allclose(got, _sgd_ref(maximize=True, **kw), rtol=1e-12)
    assert not np.allclose(got, _sgd_ref(**kw))


@pytest.mark.parametrize("cls,kw,ref", [
    (optim.RMSprop, dict(lr=0.05, alpha=0.9, momentum=0.5, centered=True, eps=1e-3),
     _rmsprop_ref),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.1, eps=1e-3), _adagrad_ref),
    (optim.Adam, dict(lr=0.01, amsgrad=True, eps=1e-3), _adam_ref),
])
@pytest.mark.parametrize("dtype", [gg.float32, gg.float16])
def test_low_precision_parameters_update_in_their_dtype(cls, kw, ref, dtype, device):
    # eps well above float16's smallest subnormal (6e-8): 0 / eps must stay 0, not 0 / 0
    got, opt = _run(cls, device, dtype=dtype, **kw)
    p = opt.param_groups[0]["params"][0]
    assert p.dtype == dtype
    assert all(v.dtype == dtype for v in opt.state[p].values() if isinstance(v, gg.Tensor))
    tol = 2e-6 if dtype == gg.float32 else 3e-3
    np.testing.assert_allclose(got, ref(**kw), rtol=tol, atol=tol)


def test_zero_dim_parameters(device):
    for cls in (optim.RMSprop, optim.Adagrad, optim.Adam):
        p = gg.tensor(1.0, dtype=gg.float64, device=device, requires_grad=True)
        opt = cls([p], lr=0.1)
        p.grad = gg.tensor(0.5, dtype=gg.float64, device=device)
        opt.step()
        assert p.shape == () and p.item() < 1.0
