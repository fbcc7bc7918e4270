"""Optimizer state dicts: every optimizer resumes exactly through gpugrad.save / gpugrad.load,
with its state named after the math."""

import copy

import numpy as np
import pytest

import gpugrad as gg
from gpugrad import optim

from .conftest import host

OPTIMIZERS = [
    (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True), {"momentum_buffer"}),
    (optim.SGD, dict(lr=0.05, maximize=True), set()),
    (optim.Adam, dict(lr=0.01, weight_decay=0.01), {"step", "exp_avg", "exp_avg_sq"}),
    (optim.Adam, dict(lr=0.01, amsgrad=True), {"step", "exp_avg", "exp_avg_sq",
                                              "max_exp_avg_sq"}),
    (optim.AdamW, dict(lr=0.01, amsgrad=True), {"step", "exp_avg", "exp_avg_sq",
                                               "max_exp_avg_sq"}),
    (optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True),
     {"step", "square_avg", "momentum_buffer", "grad_avg"}),
    (optim.RMSprop, dict(lr=0.01), {"step", "square_avg"}),
    (optim.Adagrad, dict(lr=0.05, lr_decay=0.01, initial_accumulator_value=0.1),
     {"step", "sum"}),
]


def _make(cls, kw, device):
    gg.manual_seed(0)
    m = gg.nn.Linear(3, 2).to(device)
    params = list(m.parameters())
    # two groups, so group order and per-group options are part of the round trip
    opt = cls([{"params": params[:1]}, {"params": params[1:], "lr": kw["lr"] * 2}], **kw)
    return m, opt


def _train(m, opt, x, steps):
    for _ in range(steps):
        opt.zero_grad()
        (m(x) ** 2).mean().backward()
        opt.step()


@pytest.mark.parametrize("cls,kw,keys", OPTIMIZERS)
def test_every_optimizer_resumes_exactly_through_save_and_load(cls, kw, keys, device, tmp_path):
    x = gg.randn(5, 3, device=device)
    m1, o1 = _make(cls, kw, device)
    _train(m1, o1, x, 6)
    m2, o2 = _make(cls, kw, device)
    _train(m2, o2, x, 3)
    path = tmp_path / "ckpt.pt"
    gg.save({"model": m2.state_dict(), "optim": o2.state_dict()}, path)
    m3, o3 = _make(cls, kw, device)
    ck = gg.load(path)
    m3.load_state_dict(ck["model"])
    o3.load_state_dict(ck["optim"])
    sd = o3.state_dict()
    assert set(sd["state"][0]) == keys
    assert sd["param_groups"] == o2.state_dict()["param_groups"]
    if "step" in keys:
        assert sd["state"][0]["step"] == 3
    _train(m3, o3, x, 3)
    for p, q in zip(m1.parameters(), m3.parameters()):
        np.testing.assert_allclose(host(p), host(q), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("cls,kw,keys", OPTIMIZERS[2:4])
def test_state_dict_round_trip_in_memory_copies_the_state(cls, kw, keys):
    x = gg.randn(4, 3)
    m, o = _make(cls, kw, "cpu")
    _train(m, o, x, 2)
    sd = copy.deepcopy(o.state_dict())
    m2, o2 = _make(cls, kw, "cpu")
    o2.load_state_dict(sd)
    p2 = o2.param_groups[0]["params"][0]
    sd["state"][0]["exp_avg"].zero_()  # the loaded state is a copy
    assert np.abs(host(o2.state[p2]["exp_avg"])).max() > 0


def test_loaded_state_takes_each_parameters_dtype():
    a = gg.tensor([1.0, 2.0], dtype=gg.float64, requires_grad=True)
    o = optim.Adam([a], lr=0.1)
    a.grad = gg.ones(2, dtype=gg.float64)
    o.step()
    b = gg.tensor([1.0, 2.0], dtype=gg.float32, requires_grad=True)
    o2 = optim.Adam([b], lr=0.1)
    o2.load_state_dict(o.state_dict())
    assert o2.state[b]["exp_avg"].dtype == gg.float32
    np.testing.assert_allclose(host(o2.state[b]["exp_avg"]), host(o.state[a]["exp_avg"]))


def test_optimizer_and_scheduler_state_round_trip_through_a_file(tmp_path, device):
    from gpugrad.optim.lr_scheduler import OneCycleLR

    def make():
        p = gg.zeros(2, device=device, requires_grad=True)
        opt = optim.Adam([p], lr=0.1)
        return p, opt, OneCycleLR(opt, max_lr=0.5, total_steps=12)

    def run(p, opt, sched, n):
        lrs = []
        for _ in range(n):
            p.grad = gg.ones(2, device=device)
            opt.step()
            sched.step()
            lrs.append((sched.get_last_lr()[0], opt.param_groups[0]["betas"][0]))
        return lrs

    p1, o1, s1 = make()
    want = run(p1, o1, s1, 10)
    p2, o2, s2 = make()
    run(p2, o2, s2, 4)
    gg.save({"p": p2.detach(), "opt": o2.state_dict(), "sched": s2.state_dict()},
            tmp_path / "c.ckpt")
    ck = gg.load(tmp_path / "c.ckpt")
    p3, o3, s3 = make()
    p3.data = ck["p"]
    o3.load_state_dict(ck["opt"])
    s3.load_state_dict(ck["sched"])
    got = run(p3, o3, s3, 6)
    np.testing.assert_allclose(np.array(got), np.array(want[4:]), rtol=1e-12)
    np.testing.assert_allclose(host(p3), host(p1), rtol=1e-6)
