"""Loss functions and modules: every reduction against float64 NumPy references written from
PyTorch's documented definitions, gradients by central differences, stability at extremes."""

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.nn as nn
import gpugrad.nn.functional as F

from .conftest import host
from .test_nn_functional import check_grad, check_values

REDUCTIONS = ("none", "mean", "sum")


def _reduce(loss, reduction):
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


def _logp(x, axis=1):
    m = x.max(axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis, keepdims=True))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def ref_nll(logp, t, w=None, ignore=-100, reduction="mean"):
    n, c = logp.shape
    w = np.ones(c) if w is None else w
    valid = t != ignore
    tt = np.where(valid, t, 0)
    wrow = w[tt] * valid
    loss = -logp[np.arange(n), tt] * wrow
    if reduction == "mean":
        return loss.sum() / wrow.sum()
    return _reduce(loss, reduction)


def ref_ce(x, t, w=None, ignore=-100, eps=0.0, reduction="mean"):
    """PyTorch's class-index cross-entropy: (1 - eps) * weighted NLL + eps / C * weighted sum
    of -log p over classes; 'mean' divides both by the summed weights of non-ignored targets."""
    n, c = x.shape
    logp = _logp(x)
    w = np.ones(c) if w is None else w
    valid = t != ignore
    tt = np.where(valid, t, 0)
    wrow = w[tt] * valid
    nll = -logp[np.arange(n), tt] * wrow
    smooth = -(logp * w).sum(1) * valid
    loss = (1 - eps) * nll + eps / c * smooth
    if reduction == "mean":
        return loss.sum() / wrow.sum()
    return _reduce(loss, reduction)


def ref_ce_probs(x, p, w=None, eps=0.0, reduction="mean"):
    n, c = x.shape
    p = (1 - eps) * p + eps / c
    w = np.ones(c) if w is None else w
    loss = -(_logp(x) * p * w).sum(1)
    return loss.sum() / n if reduction == "mean" else _reduce(loss, reduction)


T = np.array([2, 0, 3, 1, 3, 0])
T_IGN = np.array([2, -100, 3, 1, -100, 0])
W = np.array([0.5, 2.0, 1.0, 3.0])


def _targets(device, t=T):
    return gg.tensor(t, device=device)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses(reduction, device):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    d = x - y
    ad = np.abs(d)
    cases = [
        (F.mse_loss, {}, d**2),
        (F.l1_loss, {}, ad),
        (F.smooth_l1_loss, {}, np.where(ad < 1, 0.5 * d**2, ad - 0.5)),
        (F.smooth_l1_loss, {"beta": 0.4}, np.where(ad < 0.4, 0.5 * d**2 / 0.4, ad - 0.2)),
        (F.smooth_l1_loss, {"beta": 0.0}, ad),
        (F.huber_loss, {}, np.where(ad < 1, 0.5 * d**2, ad - 0.5)),
        (F.huber_loss, {"delta": 0.7}, np.where(ad < 0.7, 0.5 * d**2, 0.7 * (ad - 0.35))),
    ]
    for fn, kw, pointwise in cases:
        check_values(lambda a, b, fn=fn, kw=kw: fn(a, b, reduction=reduction, **kw),
                     lambda a, b, p=pointwise: _reduce(p, reduction), [x, y], device)
        check_grad(lambda a, b, fn=fn, kw=kw: fn(a, b, reduction=reduction, **kw), [x, y],
                   device)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction, device):
    rng = np.random.default_rng(1)
    p, t = rng.uniform(0.05, 0.95, size=(3, 4)), rng.uniform(0, 1, size=(3, 4))
    w = rng.uniform(0.5, 2, size=(4,))

    def ref(p, t, w=1.0):
        return _reduce(-w * (t * np.log(p) + (1 - t) * np.log(1 - p)), reduction)

    check_values(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction), ref, [p, t],
                 device)
    check_values(lambda a, b, c: F.binary_cross_entropy(a, b, c, reduction=reduction), ref,
                 [p, t, w], device)
    check_grad(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction), [p, t], device)


def test_binary_cross_entropy_clamps_logs_at_minus_100(device):
    p = gg.tensor([0.0, 1.0, 0.0, 1.0], dtype=gg.float64, device=device, requires_grad=True)
    t = gg.tensor([1.0, 0.0, 0.0, 1.0], dtype=gg.float64, device=device)
    loss = F.binary_cross_entropy(p, t, reduction="none")
    np.testing.assert_array_equal(host(loss), [100.0, 100.0, 0.0, 0.0])
    loss.sum().backward()
    assert np.isfinite(host(p.grad)).all()
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(gg.tensor([1.5], device=device), gg.tensor([1.0], device=device))
    with pytest.raises(ValueError, match="target size"):
        F.binary_cross_entropy(gg.tensor([0.5, 0.5], device=device),
                               gg.tensor([1.0], device=device))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(reduction, device):
    rng = np.random.default_rng(2)
    x, t = rng.normal(0, 3, size=(3, 4)), rng.uniform(0, 1, size=(3, 4))
    w, pw = rng.uniform(0.5, 2, size=(3, 1)), rng.uniform(0.5, 3, size=(4,))

    def ref(x, t, w=1.0, pw=1.0):  # PyTorch's documented form, fine in float64 for |x| < 15
        return _reduce(-w * (pw * t * np.log(_sigmoid(x)) + (1 - t) * np.log(1 - _sigmoid(x))),
                       reduction)

    fn = F.binary_cross_entropy_with_logits
    check_values(lambda a, b: fn(a, b, reduction=reduction), ref, [x, t], device, tol64=1e-11)
    check_values(lambda a, b, c, d: fn(a, b, c, reduction=reduction, pos_weight=d), ref,
                 [x, t, w, pw], device, tol64=1e-11)
    check_grad(lambda a, b, c, d: fn(a, b, c, reduction=reduction, pos_weight=d),
               [x, t, w, pw], device)


def test_bce_with_logits_is_exact_at_huge_logits_in_float32(device):
    x = gg.tensor([1e4, -1e4, 1e4, -1e4, 0.0], device=device, requires_grad=True)
    t = gg.tensor([0.0, 1.0, 1.0, 0.0, 1.0], device=device)
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    assert loss.dtype == gg.float32
    np.testing.assert_allclose(host(loss), [1e4, 1e4, 0, 0, np.log(2)], rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(host(x.grad), [1, -1, 0, 0, -0.5], rtol=1e-6)  # sigmoid(x) - t
    pw = gg.tensor([3.0], device=device)
    x.grad = None
    lossp = F.binary_cross_entropy_with_logits(x, t, pos_weight=pw, reduction="none")
    np.testing.assert_allclose(host(lossp), [1e4, 3e4, 0, 0, 3 * np.log(2)], rtol=1e-6)
    lossp.sum().backward()
    np.testing.assert_allclose(host(x.grad), [1, -3, 0, 0, -1.5], rtol=1e-6)
    with pytest.raises(ValueError, match=r"Target size \(\[4\]\) must be the same"):
        F.binary_cross_entropy_with_logits(x, gg.zeros(4, device=device))


@pytest.mark.parametrize("reduction", REDUCTIONS + ("batchmean",))
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target, device):
    rng = np.random.default_rng(3)
    logq = _logp(rng.normal(size=(4, 5)))
    p = np.exp(_logp(rng.normal(size=(4, 5))))
    p[0, 1] = 0.0  # t log t is 0 at t = 0
    target = np.log(np.where(p > 0, p, 1e-30)) if log_target else p

    def ref(x, t):
        pointwise = np.exp(t) * (t - x) if log_target else \
            np.where(t > 0, t * (np.log(np.where(t > 0, t, 1)) - x), -0.0 * x)
        if reduction == "batchmean":
            return pointwise.sum() / x.shape[0]
        return _reduce(pointwise, reduction)

    def fn(x, t):
        return F.kl_div(x, t, reduction=reduction, log_target=log_target)

    if reduction == "mean":
        with pytest.warns(UserWarning, match="batchmean"):
            check_values(fn, ref, [logq, target], device)
        return
    check_values(fn, ref, [logq, target], device)
    if log_target:
        check_grad(fn, [logq, target], device)
    else:  # the target has a 0 (where t log t has no derivative): the input's gradient only
        check_grad(lambda x: fn(x, gg.tensor(p, dtype=x.dtype, device=x.device)), [logq],
                   device)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss(reduction, weighted, device):
    x = _logp(np.random.default_rng(4).normal(size=(6, 4)))
    w = W if weighted else None
    for t in (T, T_IGN):
        def fn(a, t=t):
            wt = None if w is None else gg.tensor(w, dtype=a.dtype, device=device)
            return F.nll_loss(a, _targets(device, t), weight=wt, reduction=reduction)

        check_values(fn, lambda a, t=t: ref_nll(a, t, w, reduction=reduction), [x], device)
        check_grad(fn, [x], device)
    m = nn.NLLLoss(weight=None if w is None else gg.tensor(w, device=device), ignore_index=1,
                   reduction=reduction)
    got = m(gg.tensor(x, device=device), _targets(device))
    np.testing.assert_allclose(host(got), ref_nll(x, T, w, 1, reduction), rtol=1e-5)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("eps", [0.0, 0.2])
@pytest.mark.parametrize("ignore", [False, True])
def test_cross_entropy_weight_ignore_and_smoothing(reduction, eps, ignore, device):
    x = np.random.default_rng(5).normal(size=(6, 4))
    t = T_IGN if ignore else T
    for w in (None, W):
        def fn(a, w=w):
            wt = None if w is None else gg.tensor(w, dtype=a.dtype, device=device)
            return F.cross_entropy(a, _targets(device, t), weight=wt, reduction=reduction,
                                   label_smoothing=eps)

        check_values(fn, lambda a, w=w: ref_ce(a, t, w, eps=eps, reduction=reduction), [x],
                     device)
        check_grad(fn, [x], device)


def test_cross_entropy_weighted_mean_divides_by_the_weights_of_counted_targets(device):
    """Hand-computed: two rows, uniform logits over 2 classes, so -log p = log 2 everywhere."""
    x = gg.zeros(3, 2, device=device)
    t = gg.tensor([0, 1, -100], device=device)
    w = gg.tensor([1.0, 3.0], device=device)
    # (1 * log2 + 3 * log2) / (1 + 3): the ignored row counts in neither sum
    assert F.cross_entropy(x, t, weight=w).item() == pytest.approx(np.log(2), rel=1e-6)
    # smoothing 0.5: each counted row adds 0.5 * w[t] log2 + 0.25 * (1 + 3) log2
    want = (0.5 * 4 * np.log(2) + 0.25 * 4 * np.log(2) * 2) / 4
    got = F.cross_entropy(x, t, weight=w, label_smoothing=0.5)
    assert got.item() == pytest.approx(want, rel=1e-6)
    everything_ignored = F.cross_entropy(x, gg.tensor([-100] * 3, device=device), weight=w)
    assert np.isnan(everything_ignored.item())


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("eps", [0.0, 0.3])
def test_cross_entropy_probability_targets(reduction, eps, device):
    rng = np.random.default_rng(6)
    x = rng.normal(size=(5, 4))
    p = np.exp(_logp(rng.normal(size=(5, 4))))
    for w in (None, W):
        def fn(a, b, w=w):
            wt = None if w is None else gg.tensor(w, dtype=a.dtype, device=device)
            return F.cross_entropy(a, b, weight=wt, reduction=reduction, label_smoothing=eps)

        check_values(fn, lambda a, b, w=w: ref_ce_probs(a, b, w, eps, reduction), [x, p],
                     device)
        check_grad(fn, [x, p], device)  # the target's gradient too


def test_cross_entropy_nd_inputs(device):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, 4, 3))
    t = np.array([[0, 1, 3], [2, 2, 0]])
    x2 = x.transpose(0, 2, 1).reshape(-1, 4)
    got = F.cross_entropy(gg.tensor(x, dtype=gg.float64, device=device), _targets(device, t),
                          weight=gg.tensor(W, dtype=gg.float64, device=device),
                          reduction="none")
    assert got.shape == (2, 3)
    np.testing.assert_allclose(host(got), ref_ce(x2, t.ravel(), W, reduction="none")
                               .reshape(2, 3), rtol=1e-12)
    p = np.exp(_logp(rng.normal(size=(2, 4, 3))))
    got = F.cross_entropy(gg.tensor(x, dtype=gg.float64, device=device),
                          gg.tensor(p, dtype=gg.float64, device=device))
    p2 = p.transpose(0, 2, 1).reshape(-1, 4)
    assert got.item() == pytest.approx(ref_ce_probs(x2, p2), rel=1e-12)


def test_cross_entropy_errors(device):
    x = gg.randn(3, 4, device=device)
    with pytest.raises(RuntimeError, match="weight tensor should be defined"):
        F.cross_entropy(x, gg.tensor([0, 1, 2], device=device), weight=gg.ones(3, device=device))
    with pytest.raises(RuntimeError, match="ignore_index is not supported"):
        F.cross_entropy(x, gg.zeros(3, 4, device=device), ignore_index=0)
    with pytest.raises(RuntimeError, match="class indices"):
        F.cross_entropy(x, gg.zeros(3, 5, device=device))
    with pytest.raises(ValueError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=1.5)


def test_loss_modules_match_functional_and_repr(device):
    rng = np.random.default_rng(8)
    x = gg.tensor(rng.normal(size=(4, 3)), device=device)
    y = gg.tensor(rng.uniform(size=(4, 3)), device=device)
    t = gg.tensor([0, 2, 1, 2], device=device)
    w = gg.tensor([1.0, 2.0, 0.5], device=device)
    pairs = [
        (nn.L1Loss(reduction="sum"), F.l1_loss(x, y, reduction="sum")),
        (nn.MSELoss(), F.mse_loss(x, y)),
        (nn.SmoothL1Loss(beta=0.5), F.smooth_l1_loss(x, y, beta=0.5)),
        (nn.HuberLoss(delta=0.3), F.huber_loss(x, y, delta=0.3)),
        (nn.KLDivLoss(reduction="batchmean", log_target=True),
         F.kl_div(x, y, reduction="batchmean", log_target=True)),
        (nn.BCEWithLogitsLoss(pos_weight=w), F.binary_cross_entropy_with_logits(x, y,
                                                                               pos_weight=w)),
    ]
    for m, want in pairs:
        np.testing.assert_array_equal(host(m(x, y)), host(want))
    sx = x.sigmoid()
    np.testing.assert_array_equal(host(nn.BCELoss(weight=w)(sx, y)),
                                  host(F.binary_cross_entropy(sx, y, w)))
    ce = nn.CrossEntropyLoss(weight=w, ignore_index=1, label_smoothing=0.1, reduction="sum")
    np.testing.assert_array_equal(host(ce(x, t)), host(F.cross_entropy(
        x, t, w, ignore_index=1, label_smoothing=0.1, reduction="sum")))
    assert list(dict(ce.named_buffers())) == ["weight"] and "weight" in ce.state_dict()
    assert repr(ce) == "CrossEntropyLoss()" and repr(nn.BCEWithLogitsLoss()) == \
        "BCEWithLogitsLoss()"
    with pytest.warns(UserWarning, match="size_average and reduce"):
        legacy = nn.MSELoss(size_average=False)
    assert legacy.reduction == "sum"
    with pytest.raises(ValueError, match="reduction"):
        nn.L1Loss(reduction="batchmean")
    with pytest.raises(ValueError, match="delta"):
        nn.HuberLoss(delta=0.0)
    with pytest.raises(ValueError, match="beta"):
        F.smooth_l1_loss(x, y, beta=-1.0)
    with pytest.warns(UserWarning, match="Using a target size"), \
            pytest.raises(RuntimeError, match="must match the size"):
        F.l1_loss(x, y[:2])
