"""gpugrad.optim against the docstrings' algorithms, computed by hand in Python floats."""

import copy
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


# --- validation at construction -------------------------------------------------------------

NAN = float("nan")


@pytest.mark.parametrize("make,value", [
    (lambda ps: optim.Adam(ps, betas=(0.9,)), "(0.9,)"),
    (lambda ps: optim.Adam(ps, betas=(0.9, 0.99, 0.999)), "(0.9, 0.99, 0.999)"),
    (lambda ps: optim.Adam(ps, betas=(NAN, 0.9)), "nan"),
    (lambda ps: optim.Adam(ps, betas=(0.9, -0.1)), "-0.1"),
    (lambda ps: optim.AdamW(ps, betas=(0.9, 1.0)), "1.0"),
    (lambda ps: optim.Adam(ps, lr=NAN), "nan"),
    (lambda ps: optim.Adam(ps, eps=NAN), "nan"),
    (lambda ps: optim.AdamW(ps, weight_decay=-0.5), "-0.5"),
    (lambda ps: optim.Adam(ps, weight_decay=NAN), "nan"),
    (lambda ps: optim.SGD(ps, lr=NAN), "nan"),
    (lambda ps: optim.SGD(ps, lr=0.1, momentum=NAN), "nan"),
    (lambda ps: optim.SGD(ps, lr=0.1, weight_decay=NAN), "nan"),
    (lambda ps: optim.RMSprop(ps, alpha=-0.1), "-0.1"),
    (lambda ps: optim.RMSprop(ps, alpha=NAN), "nan"),
    (lambda ps: optim.RMSprop(ps, eps=-1e-8), "-1e-08"),
    (lambda ps: optim.RMSprop(ps, momentum=-0.9), "-0.9"),
    (lambda ps: optim.RMSprop(ps, weight_decay=-1), "-1"),
    (lambda ps: optim.RMSprop(ps, lr=-0.01), "-0.01"),
    (lambda ps: optim.Adagrad(ps, lr_decay=-1), "-1"),
    (lambda ps: optim.Adagrad(ps, initial_accumulator_value=-0.1), "-0.1"),
    (lambda ps: optim.Adagrad(ps, eps=NAN), "nan"),
    (lambda ps: optim.Adagrad(ps, weight_decay=NAN), "nan"),
    (lambda ps: optim.Adagrad(ps, lr=-1), "-1"),
])
def test_invalid_values_raise_value_error_naming_the_value(make, value):
    with pytest.raises(ValueError, match="Invalid") as e:
        make([gg.ones(1, requires_grad=True)])
    assert value in str(e.value)


def test_non_numbers_raise_type_error():
    with pytest.raises(TypeError, match="lr|learning rate"):
        optim.SGD([gg.ones(1, requires_grad=True)], lr="0.1")
    with pytest.raises(TypeError, match="beta"):
        optim.Adam([gg.ones(1, requires_grad=True)], betas=(0.9, None))


def test_defaults_follow_pytorch():
    p = [gg.ones(1, requires_grad=True)]
    assert optim.SGD(p).defaults["lr"] == 1e-3
    d = optim.RMSprop(p).defaults
    assert (d["lr"], d["alpha"], d["eps"], d["momentum"], d["centered"]) == (
        1e-2, 0.99, 1e-8, 0.0, False)
    d = optim.Adagrad(p).defaults
    assert (d["lr"], d["lr_decay"], d["initial_accumulator_value"], d["eps"]) == (
        1e-2, 0.0, 0.0, 1e-10)
    d = optim.AdamW(p).defaults
    assert (d["lr"], d["betas"], d["eps"], d["weight_decay"], d["amsgrad"]) == (
        1e-3, (0.9, 0.999), 1e-8, 1e-2, False)
    assert all(o.defaults["maximize"] is False for o in (
        optim.SGD(p), optim.Adam(p), optim.AdamW(p), optim.RMSprop(p), optim.Adagrad(p)))


# --- add_param_group --------------------------------------------------------------------------


def test_add_param_group_fills_defaults_and_leaves_the_callers_dict_alone():
    a, b = gg.ones(2, requires_grad=True), gg.ones(3, requires_grad=True)
    opt = optim.Adam([a], lr=0.01, betas=(0.8, 0.9))
    group = {"params": b, "lr": 0.5}
    opt.add_param_group(group)
    assert group == {"params": b, "lr": 0.5}
    g = opt.param_groups[1]
    assert g["params"] == [b] and g["lr"] == 0.5 and g["betas"] == (0.8, 0.9)
    a.grad, b.grad = gg.ones(2), gg.ones(3)
    opt.step()  # Adam's first step moves each weight by ~lr
    np.testing.assert_allclose(host(a), 0.99, rtol=1e-6)
    np.testing.assert_allclose(host(b), 0.5, rtol=1e-6)


@pytest.mark.parametrize("group,err,match", [
    ({"params": "a"}, ValueError, "more than one parameter group"),
    ({"params": {"x"}}, TypeError, "ordered collections"),
    ({"params": [1.0]}, TypeError, "can only optimize Tensors"),
    ({"params": "b", "lr": -1.0}, ValueError, "Invalid learning rate: -1.0"),
    ({"params": "b", "betas": (0.9,)}, ValueError, "betas"),
    ({"lr": 0.1}, ValueError, "params"),
])
def test_add_param_group_rejects_bad_groups_without_changing_the_optimizer(group, err, match):
    a, b = gg.ones(1, requires_grad=True), gg.ones(1, requires_grad=True)
    opt = optim.Adam([a])
    if isinstance(group.get("params"), str):  # "a" / "b" stand for the tensors
        group = {**group, "params": {"a": [a], "b": [b]}[group["params"]]}
    with pytest.raises(err, match=match):
        opt.add_param_group(group)
    assert len(opt.param_groups) == 1


def test_duplicate_parameters_in_a_group_warn_and_update_once():
    a = gg.tensor([1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate"):
        opt = optim.SGD([a, a], lr=0.1)
    a.grad = gg.tensor([1.0])
    opt.step()
    assert a.item() == pytest.approx(0.9)


def test_adagrad_state_exists_from_construction_and_for_added_groups():
    a, b = gg.ones(2, requires_grad=True), gg.ones(2, requires_grad=True)
    opt = optim.Adagrad([a], initial_accumulator_value=0.25)
    assert opt.state[a]["step"] == 0
    np.testing.assert_array_equal(host(opt.state[a]["sum"]), [0.25, 0.25])
    opt.add_param_group({"params": [b], "lr": 1.0, "initial_accumulator_value": 0.0})
    b.grad = gg.tensor([2.0, -2.0])
    opt.step()  # step 1 of b: sum = 4, b -= 1 * 2 / 2
    np.testing.assert_allclose(host(b), [0.0, 2.0], atol=1e-7)
    assert opt.state[b]["step"] == 1 and opt.state[a]["step"] == 0


# --- a failed step changes nothing ------------------------------------------------------------


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.RMSprop, optim.Adagrad])
def test_a_step_that_raises_changes_nothing(cls, device):
    a = gg.tensor([1.0, 2.0], device=device, requires_grad=True)
    b = gg.tensor([3.0, 4.0], device=device, requires_grad=True)
    kw = {"momentum": 0.9} if cls in (optim.SGD, optim.RMSprop) else {}
    opt = cls([{"params": [a]}, {"params": [b]}], lr=0.1, **kw)
    a.grad, b.grad = gg.ones(2, device=device), gg.ones(2, device=device)
    before = {k: (host(v) if isinstance(v, gg.Tensor) else v)
              for p in (a, b) for k, v in opt.state.get(p, {}).items()}
    opt.param_groups[1]["lr"] = float("nan")  # e.g. a broken schedule
    with pytest.raises(ValueError, match="Invalid learning rate: nan"):
        opt.step()
    b.data = gg.zeros(3, device=device)  # now b's gradient no longer fits b
    opt.param_groups[1]["lr"] = 0.1
    with pytest.raises(RuntimeError, match=r"gradient of shape \[2\]"):
        opt.step()
    np.testing.assert_array_equal(host(a), [1.0, 2.0])
    after = {k: (host(v) if isinstance(v, gg.Tensor) else v)
             for p in (a, b) for k, v in opt.state.get(p, {}).items()}
    assert after.keys() == before.keys()
    for k in before:
        np.testing.assert_array_equal(after[k], before[k])


def test_a_step_refuses_state_that_no_longer_fits_its_parameter():
    a = gg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([a], lr=0.1)
    a.grad = gg.ones(2)
    opt.step()
    a.data, a.grad = gg.zeros(3), None
    a.grad = gg.ones(3)
    with pytest.raises(RuntimeError, match="exp_avg"):
        opt.step()
    assert opt.state[a]["step"] == 1
    np.testing.assert_array_equal(host(a), [0.0, 0.0, 0.0])


def test_load_state_dict_checks_everything_before_changing_anything():
    a = gg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([a], lr=0.1)
    a.grad = gg.ones(2)
    opt.step()
    sd = copy.deepcopy(opt.state_dict())
    bad = copy.deepcopy(sd)
    bad["param_groups"][0]["lr"] = -1.0
    with pytest.raises(ValueError, match="Invalid learning rate"):
        opt.load_state_dict(bad)
    bad = copy.deepcopy(sd)
    bad["state"][0]["exp_avg"] = gg.zeros(3)
    with pytest.raises(ValueError, match="shape"):
        opt.load_state_dict(bad)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.state[a]["step"] == 1
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        opt.load_state_dict({"state": {}})
