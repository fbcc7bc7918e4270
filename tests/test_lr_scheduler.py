"""Every scheduler's lr sequence against PyTorch's documented closed forms (written out here in
float64), with two parameter groups; state dicts through gpugrad.save / load; warnings."""

import math
import warnings

import numpy as np
import pytest

import gpugrad as gg
from gpugrad import optim
from gpugrad.optim import lr_scheduler as L

BASE = (0.1, 0.05)  # the two groups' lr
N = 25  # steps per sequence


def _optimizer(kind="sgd"):
    ps = [gg.zeros(1, requires_grad=True) for _ in BASE]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(ps, BASE)]
    if kind == "adam":
        return optim.Adam(groups, betas=(0.9, 0.999))
    return optim.SGD(groups, lr=1.0, momentum=0.9)


def _cos(a, b, pct):  # cosine anneal from a to b as pct goes 0 -> 1
    return b + (a - b) / 2 * (1 + math.cos(math.pi * pct))


def _sgdr(e, b, t0, mult, lo):
    t_i, t_cur = t0, e
    while t_cur >= t_i:
        t_cur -= t_i
        t_i *= mult
    return lo + (b - lo) * (1 + math.cos(math.pi * t_cur / t_i)) / 2


def _tri(e, up, down):  # position in a triangular cycle: 0 at base, 1 at peak
    k = e % (up + down)
    return k / up if k <= up else (up + down - k) / down


def _one_cycle(e, top, n, pct, three=False, anneal="cos", div=25.0, final=1e4):
    lo = top / div
    end = lo / final
    f = _cos if anneal == "cos" else (lambda a, b, t: a + (b - a) * t)
    s1 = pct * n - 1
    if e <= s1:
        return f(lo, top, e / s1)
    if three:
        s2 = 2 * pct * n - 2
        if e <= s2:
            return f(top, lo, (e - s1) / (s2 - s1))
        return f(lo, end, (e - s2) / (n - 1 - s2))
    return f(top, end, (e - s1) / (n - 1 - s1))


def _mult_factor(k):
    return 0.9 if k % 2 else 0.95


# name -> (build the scheduler from an optimizer, lr(epoch, base lr, group index), optimizer)
CASES = {
    "LambdaLR": (lambda o: L.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9**e]),
                 lambda e, b, i: b * (1 / (e + 1) if i == 0 else 0.9**e)),
    "MultiplicativeLR": (lambda o: L.MultiplicativeLR(o, _mult_factor),
                         lambda e, b, i: b * math.prod(_mult_factor(k) for k in range(1, e + 1))),
    "StepLR": (lambda o: L.StepLR(o, step_size=3, gamma=0.5),
               lambda e, b, i: b * 0.5 ** (e // 3)),
    "MultiStepLR": (lambda o: L.MultiStepLR(o, milestones=[2, 5, 5, 11], gamma=0.1),
                    lambda e, b, i: b * 0.1 ** sum(m <= e for m in (2, 5, 5, 11))),
    "ConstantLR": (lambda o: L.ConstantLR(o, factor=0.25, total_iters=4),
                   lambda e, b, i: b * (0.25 if e < 4 else 1.0)),
    "LinearLR": (lambda o: L.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=5),
                 lambda e, b, i: b * (0.2 + 0.7 * min(e, 5) / 5)),
    "ExponentialLR": (lambda o: L.ExponentialLR(o, gamma=0.9), lambda e, b, i: b * 0.9**e),
    "PolynomialLR": (lambda o: L.PolynomialLR(o, total_iters=6, power=2.0),
                     lambda e, b, i: b * (1 - min(e, 6) / 6) ** 2),
    "CosineAnnealingLR": (lambda o: L.CosineAnnealingLR(o, T_max=5, eta_min=0.001),
                          lambda e, b, i: 0.001 + (b - 0.001) * (1 + math.cos(math.pi * e / 5))
                          / 2),
    "CosineAnnealingWarmRestarts": (
        lambda o: L.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001),
        lambda e, b, i: _sgdr(e, b, 3, 2, 0.001)),
    "CosineAnnealingWarmRestarts_T_mult_1": (
        lambda o: L.CosineAnnealingWarmRestarts(o, T_0=4),
        lambda e, b, i: _sgdr(e, b, 4, 1, 0.0)),
    "CyclicLR": (lambda o: L.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=[0.1, 0.3],
                                      step_size_up=3, step_size_down=2),
                 lambda e, b, i: (0.01, 0.02)[i] + ((0.1, 0.3)[i] - (0.01, 0.02)[i])
                 * _tri(e, 3, 2)),
    "CyclicLR_triangular2": (
        lambda o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2, mode="triangular2"),
        lambda e, b, i: 0.01 + 0.09 * _tri(e, 2, 2) / 2 ** (e // 4)),
    "CyclicLR_exp_range": (
        lambda o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2, mode="exp_range",
                             gamma=0.95),
        lambda e, b, i: 0.01 + 0.09 * _tri(e, 2, 2) * 0.95**e),
    "OneCycleLR": (lambda o: L.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=N, pct_start=0.3),
                   lambda e, b, i: _one_cycle(e, (1.0, 2.0)[i], N, 0.3)),
    "OneCycleLR_three_phase_linear": (
        lambda o: L.OneCycleLR(o, max_lr=0.5, epochs=5, steps_per_epoch=5, pct_start=0.25,
                               three_phase=True, anneal_strategy="linear", div_factor=10.0,
                               final_div_factor=100.0),
        lambda e, b, i: _one_cycle(e, 0.5, N, 0.25, True, "linear", 10.0, 100.0)),
    "SequentialLR": (lambda o: L.SequentialLR(o, [L.ConstantLR(o, factor=0.1, total_iters=2),
                                                  L.ExponentialLR(o, gamma=0.9)],
                                              milestones=[3]),
                     lambda e, b, i: b * 0.1 if e < 2 else (b if e < 3 else b * 0.9 ** (e - 3))),
    "ChainedScheduler": (lambda o: L.ChainedScheduler([L.ConstantLR(o, factor=0.1, total_iters=3),
                                                       L.ExponentialLR(o, gamma=0.9)]),
                         lambda e, b, i: b * (0.1 if e < 3 else 1.0) * 0.9**e),
}


def _sequence(make, steps=N, kind="sgd"):
    opt = _optimizer(kind)
    sched = make(opt)
    lrs = [sched.get_last_lr()]
    for _ in range(steps):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
        assert lrs[-1] == [g["lr"] for g in opt.param_groups]
    return np.array(lrs), opt, sched


@pytest.mark.parametrize("name", list(CASES))
def test_lr_sequence_matches_the_closed_form(name):
    make, closed = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the right call order warns about nothing
        got, opt, _ = _sequence(make)
    want = np.array([[closed(e, b, i) for i, b in enumerate(BASE)] for e in range(N + 1)])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    initial = {"OneCycleLR": [1.0 / 25, 2.0 / 25], "OneCycleLR_three_phase_linear": [0.05, 0.05],
               "CyclicLR": [0.01, 0.02]}.get(name, [0.01, 0.01] if "Cyclic" in name else BASE)
    assert [g["initial_lr"] for g in opt.param_groups] == list(initial)


def test_cyclic_lr_cycles_momentum_inversely():
    got, opt, _ = _sequence(CASES["CyclicLR"][0], steps=8)
    # momentum goes max_momentum (0.9) -> base_momentum (0.8) as lr goes base -> max
    want = [0.9 - 0.1 * _tri(e, 3, 2) for e in range(9)]
    opt2 = _optimizer()
    s = L.CyclicLR(opt2, base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=2)
    moms = [opt2.param_groups[1]["momentum"]]
    for _ in range(8):
        opt2.step()
        s.step()
        moms.append(opt2.param_groups[1]["momentum"])
    np.testing.assert_allclose(moms, want, rtol=1e-12)


def test_one_cycle_cycles_adams_beta1_and_stops_after_total_steps():
    opt = _optimizer("adam")
    s = L.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    b1 = [opt.param_groups[0]["betas"][0]]
    for _ in range(10):
        opt.step()
        s.step()
        b1.append(opt.param_groups[0]["betas"][0])
        assert opt.param_groups[0]["betas"][1] == 0.999
    # momentum: max (0.95) -> base (0.85) over steps 0..2, then back to max over 2..9
    want = [_cos(0.95, 0.85, e / 2) if e <= 2 else _cos(0.85, 0.95, (e - 2) / 7)
            for e in range(11)]
    np.testing.assert_allclose(b1, want, rtol=1e-12)
    with pytest.raises(ValueError, match="Tried to step 11 times"):
        s.step()


def test_reduce_lr_on_plateau_by_hand():
    opt = optim.SGD([{"params": [gg.zeros(1, requires_grad=True)], "lr": 0.08},
                     {"params": [gg.zeros(1, requires_grad=True)], "lr": 0.05}], lr=1.0)
    s = L.ReduceLROnPlateau(opt, factor=0.5, patience=1, threshold=0.1, cooldown=1,
                            min_lr=[0.03, 0.0])
    # improvement means metric < 0.9 * best. e3: 2 bad epochs > patience 1 -> halve, cooldown
    # 1; e4 improves (and is the cooldown epoch); e6: 2 bad -> group 0 stops at min_lr 0.03;
    # e7 is cooldown; e9: 2 bad -> group 0 would fall 0.03 -> 0.03 (no change), group 1 halves.
    metrics = [1.0, 0.95, 0.93, 0.5, 0.6, 0.6, 0.7, 0.7, 0.7]
    want = [[0.08, 0.05], [0.08, 0.05], [0.04, 0.025], [0.04, 0.025], [0.04, 0.025],
            [0.03, 0.0125], [0.03, 0.0125], [0.03, 0.0125], [0.03, 0.00625]]
    got = []
    for m in metrics:
        s.step(gg.tensor(m))  # a 0-d tensor works as the metric
        got.append(s.get_last_lr())
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert s.best == 0.5 and s.last_epoch == 9


def test_reduce_lr_on_plateau_max_mode_abs_threshold():
    opt = optim.SGD([gg.zeros(1, requires_grad=True)], lr=1.0)
    s = L.ReduceLROnPlateau(opt, mode="max", factor=0.1, patience=0, threshold=0.5,
                            threshold_mode="abs")
    lrs = []
    for m in [1.0, 1.4, 2.0, 2.1]:  # better only if > best + 0.5: e1 yes, e2 no, e3 yes, e4 no
        s.step(m)
        lrs.append(s.get_last_lr()[0])
    np.testing.assert_allclose(lrs, [1.0, 0.1, 0.1, 0.01], rtol=1e-12)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        L.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode"):
        L.ReduceLROnPlateau(opt, mode="up")


@pytest.mark.parametrize("name", ["LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR",
                                  "ConstantLR", "LinearLR", "PolynomialLR", "CosineAnnealingLR",
                                  "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR",
                                  "SequentialLR", "ChainedScheduler"])
def test_state_dict_resumes_the_sequence_through_save_and_load(name, tmp_path):
    make, _ = CASES[name]
    want = _sequence(make)[0]
    opt = _optimizer()
    sched = make(opt)
    for _ in range(7):
        opt.step()
        sched.step()
    gg.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, tmp_path / "s.ckpt")
    ck = gg.load(tmp_path / "s.ckpt")
    opt2 = _optimizer()
    sched2 = make(opt2)
    opt2.load_state_dict(ck["opt"])
    sched2.load_state_dict(ck["sched"])
    assert getattr(sched2, "last_epoch", None) == getattr(sched, "last_epoch", None)
    assert sched2.get_last_lr() == want[7].tolist()
    got = []
    for _ in range(N - 7):
        opt2.step()
        sched2.step()
        got.append(sched2.get_last_lr())
    np.testing.assert_allclose(got, want[8:], rtol=1e-12, atol=1e-15)


def test_reduce_lr_on_plateau_state_round_trip(tmp_path):
    opt = optim.SGD([gg.zeros(1, requires_grad=True)], lr=1.0)
    s = L.ReduceLROnPlateau(opt, patience=0)
    s.step(1.0)
    gg.save(s.state_dict(), tmp_path / "r.ckpt")
    s2 = L.ReduceLROnPlateau(optim.SGD([gg.zeros(1, requires_grad=True)], lr=1.0), patience=0)
    s2.load_state_dict(gg.load(tmp_path / "r.ckpt"))
    assert s2.best == 1.0 and s2.mode_worse == math.inf and s2.last_epoch == 1


def test_callable_objects_keep_their_attributes_in_the_state_dict():
    class Warmup:
        def __init__(self, n):
            self.n = n

        def __call__(self, e):
            return min(1.0, (e + 1) / self.n)

    opt = _optimizer()
    s = L.LambdaLR(opt, [Warmup(4), lambda e: 1.0])
    sd = s.state_dict()
    assert sd["lr_lambdas"] == [{"n": 4}, None]
    w = Warmup(10)
    s2 = L.LambdaLR(_optimizer(), [w, lambda e: 1.0])
    s2.load_state_dict(sd)
    assert w.n == 4


def test_warnings_follow_pytorch():
    opt = _optimizer()
    s = L.StepLR(opt, step_size=3)
    with pytest.warns(UserWarning, match=r"before `optimizer.step\(\)`"):
        s.step()
    with pytest.warns(UserWarning, match="get_last_lr"):
        s.get_lr()
    with pytest.warns(UserWarning, match="epoch parameter"):
        s.step(7)  # the closed form: 0.1 * 0.1 ** (7 // 3)
    np.testing.assert_allclose(s.get_last_lr(), [b * 0.01 for b in BASE], rtol=1e-12)
    opt2 = _optimizer()
    s2 = L.ExponentialLR(opt2, gamma=0.5)
    opt2.step = lambda closure=None: None  # replaced after the scheduler was built
    with pytest.warns(UserWarning, match="overridden"):
        s2.step()


def test_resuming_needs_initial_lr_and_keeps_the_lr():
    opt = _optimizer()
    with pytest.raises(KeyError, match="initial_lr"):
        L.ExponentialLR(opt, gamma=0.5, last_epoch=3)
    for g in opt.param_groups:
        g["initial_lr"] = 1.0
    s = L.ExponentialLR(opt, gamma=0.5, last_epoch=3)
    assert s.get_last_lr() == list(BASE) and s.last_epoch == 4 and s.base_lrs == [1.0, 1.0]


def test_two_schedulers_share_initial_lr_and_compose():
    opt = _optimizer()
    a = L.ExponentialLR(opt, gamma=0.5)
    b = L.StepLR(opt, step_size=2, gamma=0.1)
    assert b.base_lrs == list(BASE)
    for _ in range(4):
        opt.step()
        a.step()
        b.step()
    np.testing.assert_allclose(b.get_last_lr(), [x * 0.5**4 * 0.1**2 for x in BASE],
                               rtol=1e-12)


@pytest.mark.parametrize("make,err,match", [
    (lambda o: L.StepLR(object(), 3), TypeError, "is not an Optimizer"),
    (lambda o: L.LambdaLR(o, [lambda e: 1.0]), ValueError, "Expected 2 lr_lambdas"),
    (lambda o: L.MultiplicativeLR(o, 0.5), TypeError, "lr_lambda should be a function"),
    (lambda o: L.ConstantLR(o, factor=1.5), ValueError, "between 0 and 1"),
    (lambda o: L.LinearLR(o, start_factor=0.0), ValueError, "greater than 0"),
    (lambda o: L.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "T_0"),
    (lambda o: L.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=1.5), ValueError, "T_mult"),
    (lambda o: L.OneCycleLR(o, max_lr=1.0), ValueError, "total_steps"),
    (lambda o: L.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=1.5), ValueError,
     "pct_start"),
    (lambda o: L.OneCycleLR(o, max_lr=[1.0], total_steps=10), ValueError, "same length"),
    (lambda o: L.CyclicLR(o, 0.1, 1.0, mode="square"), ValueError, "mode is invalid"),
    (lambda o: L.CyclicLR(optim.Adagrad(o.param_groups[0]["params"]), 0.1, 1.0), ValueError,
     "momentum"),
    (lambda o: L.SequentialLR(o, [L.StepLR(o, 2)], milestones=[3]), ValueError, "milestone"),
    (lambda o: L.ChainedScheduler([L.StepLR(o, 2), L.StepLR(_optimizer(), 2)]), ValueError,
     "same optimizer"),
    (lambda o: L.SequentialLR(o, [L.ReduceLROnPlateau(o)], milestones=[]), ValueError,
     "ReduceLROnPlateau"),
])
def test_bad_arguments_raise(make, err, match):
    with pytest.raises(err, match=match):
        make(_optimizer())
