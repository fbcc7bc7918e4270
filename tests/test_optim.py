"""gpugrad.optim against the docstrings' algorithms, computed by hand in Python floats."""

import math

import numpy as np
import pytest

import gpugrad as gg
from gpugrad import optim

from .conftest import host

GRADS = [0.5, -1.0, 2.0]  # the gradient fed at steps 1, 2, 3


def _run(opt_cls, device, p0=1.0, **kw):
    p = gg.tensor([p0], dtype=gg.float64, device=device, requires_grad=True)
    opt = opt_cls([p], **kw)
    out = []
    for g in GRADS:
        p.grad = gg.tensor([g], dtype=gg.float64, device=device)
        opt.step()
        out.append(p.item())
    return out


def _sgd_by_hand(lr, momentum=0.0, dampening=0.0, wd=0.0, nesterov=False, p=1.0):
    buf, out = None, []
    for g in GRADS:
        g = g + wd * p
        if momentum:
            buf = g if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
        out.append(p)
    return out


def _adam_by_hand(lr, b1, b2, eps, wd, decoupled, p=1.0):
    m = v = 0.0
    out = []
    for t, g in enumerate(GRADS, 1):
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr / (1 - b1**t) * m / (math.sqrt(v) / math.sqrt(1 - b2**t) + eps)
        out.append(p)
    return out


@pytest.mark.parametrize("kw", [
    dict(lr=0.1),
    dict(lr=0.1, weight_decay=0.01),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
    dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1),
])
def test_sgd_matches_the_algorithm(kw, device):
    want = _sgd_by_hand(kw["lr"], kw.get("momentum", 0.0), kw.get("dampening", 0.0),
                        kw.get("weight_decay", 0.0), kw.get("nesterov", False))
    np.testing.assert_allclose(_run(optim.SGD, device, **kw), want, rtol=1e-12)


def test_sgd_hand_numbers():
    # lr 0.1, momentum 0.9: p1 = 1 - 0.1*0.5 = 0.95; buf2 = 0.45 - 1 = -0.55, p2 = 1.005;
    # buf3 = -0.495 + 2 = 1.505, p3 = 0.8545
    np.testing.assert_allclose(_run(optim.SGD, "cpu", lr=0.1, momentum=0.9),
                               [0.95, 1.005, 0.8545], rtol=1e-12)


@pytest.mark.parametrize("cls,decoupled,wd", [(optim.Adam, False, 0.0), (optim.Adam, False, 0.1),
                                              (optim.AdamW, True, 0.1)])
def test_adam_matches_the_algorithm(cls, decoupled, wd, device):
    got = _run(cls, device, lr=0.01, betas=(0.9, 0.99), eps=1e-8, weight_decay=wd)
    np.testing.assert_allclose(got, _adam_by_hand(0.01, 0.9, 0.99, 1e-8, wd, decoupled),
                               rtol=1e-12)


def test_adam_first_step_is_lr_times_sign():
    # With zero state, step 1 moves each weight by lr * g / (|g| + eps') ~= lr * sign(g).
    got = _run(optim.Adam, "cpu", lr=0.01)
    assert got[0] == pytest.approx(1.0 - 0.01, rel=1e-6)


def test_float32_parameters_update_in_float32(device):
    p = gg.ones(4, device=device, requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    (p * p).sum().backward()
    opt.step()
    assert p.dtype == gg.float32
    np.testing.assert_allclose(host(p), 0.9, rtol=1e-6)


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=-1), lambda ps: optim.SGD(ps, lr=0.1, momentum=-0.5),
    lambda ps: optim.SGD(ps, lr=0.1, weight_decay=-1),
    lambda ps: optim.SGD(ps, lr=0.1, nesterov=True),
    lambda ps: optim.Adam(ps, betas=(1.0, 0.9)), lambda ps: optim.Adam(ps, eps=-1),
    lambda ps: optim.AdamW(ps, lr=-0.1), lambda ps: optim.SGD([], lr=0.1),
])
def test_invalid_hyperparameters_raise_value_error(make):
    with pytest.raises(ValueError):
        make([gg.ones(1, requires_grad=True)])


def test_param_groups_and_zero_grad():
    a, b = gg.ones(1, requires_grad=True), gg.ones(1, requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    (a + b).sum().backward()
    opt.step()
    assert a.item() == pytest.approx(0.9) and b.item() == pytest.approx(0.0)
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [a]}, {"params": [a]}], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([a * 2], lr=0.1)


def test_step_makes_old_graphs_stale():
    w = gg.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    loss1 = (w * w).sum()
    (w * w).sum().backward()
    opt.step()
    with pytest.raises(RuntimeError, match="inplace"):
        loss1.backward()


def test_state_dict_resumes_exactly(tmp_path, device):
    def make():
        gg.manual_seed(0)
        m = gg.nn.Linear(3, 2).to(device)
        return m, optim.Adam(m.parameters(), lr=0.01, weight_decay=0.01)

    x = gg.randn(5, 3, device=device)

    def train(m, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            (m(x) ** 2).mean().backward()
            opt.step()

    m1, o1 = make()
    train(m1, o1, 6)
    m2, o2 = make()
    train(m2, o2, 3)
    path = tmp_path / "ckpt.bin"
    gg.save({"model": m2.state_dict(), "optim": o2.state_dict()}, path)
    m3, o3 = make()
    ck = gg.load(path)
    m3.load_state_dict(ck["model"])
    o3.load_state_dict(ck["optim"])
    assert o3.state_dict()["state"][0]["step"] == 3
    train(m3, o3, 3)
    for p, q in zip(m1.parameters(), m3.parameters()):
        np.testing.assert_allclose(host(p), host(q), rtol=1e-6)
    bad = o2.state_dict()
    bad["param_groups"][0]["params"] = [0]
    with pytest.raises(ValueError, match="doesn't match"):
        o3.load_state_dict(bad)
