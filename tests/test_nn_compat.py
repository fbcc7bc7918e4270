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


# ---------------------------------------------------------------- inplace= and dtype= keywords

def _elu_ref(a, alpha=1.0):
    return np.where(a > 0, a, alpha * np.expm1(np.minimum(a, 0)))


def _sig(a):
    return 1 / (1 + np.exp(-a))


INPLACE = [
    ("relu", lambda x, ip: F.relu(x, inplace=ip), lambda a: np.maximum(a, 0),
     lambda a: (a > 0) * 1.0),
    ("leaky_relu", lambda x, ip: F.leaky_relu(x, 0.1, inplace=ip),
     lambda a: np.where(a > 0, a, 0.1 * a), lambda a: np.where(a > 0, 1.0, 0.1)),
    ("elu", lambda x, ip: F.elu(x, 0.5, inplace=ip), lambda a: _elu_ref(a, 0.5),
     lambda a: np.where(a > 0, 1.0, 0.5 * np.exp(np.minimum(a, 0)))),
    ("silu", lambda x, ip: F.silu(x, inplace=ip), lambda a: a * _sig(a),
     lambda a: _sig(a) * (1 + a * (1 - _sig(a)))),
    ("hardtanh", lambda x, ip: F.hardtanh(x, -0.5, 0.5, inplace=ip),
     lambda a: np.clip(a, -0.5, 0.5), lambda a: ((a > -0.5) & (a < 0.5)) * 1.0),
    ("relu6", lambda x, ip: F.relu6(x, inplace=ip), lambda a: np.clip(a, 0, 6),
     lambda a: ((a > 0) & (a < 6)) * 1.0),
    ("ReLU", lambda x, ip: nn.ReLU(inplace=ip)(x), lambda a: np.maximum(a, 0),
     lambda a: (a > 0) * 1.0),
    ("LeakyReLU", lambda x, ip: nn.LeakyReLU(0.2, inplace=ip)(x),
     lambda a: np.where(a > 0, a, 0.2 * a), lambda a: np.where(a > 0, 1.0, 0.2)),
    ("ELU", lambda x, ip: nn.ELU(inplace=ip)(x), _elu_ref,
     lambda a: np.where(a > 0, 1.0, np.exp(np.minimum(a, 0)))),
    ("ReLU6", lambda x, ip: nn.ReLU6(inplace=ip)(x), lambda a: np.clip(a, 0, 6),
     lambda a: ((a > 0) & (a < 6)) * 1.0),
]
A = np.array([[-2.0, -0.3, 0.2], [0.7, 2.5, 7.0]])  # no kinks at A or 2 A


@pytest.mark.parametrize("name,call,ref,dref", INPLACE, ids=[r[0] for r in INPLACE])
def test_inplace_activation_writes_into_its_input(name, call, ref, dref, device):
    x = gg.tensor(A, device=device)
    view = x[1]
    out = call(x, True)
    assert out is x
    np.testing.assert_allclose(host(x), ref(A), rtol=1e-12)
    np.testing.assert_allclose(host(view), ref(A)[1], rtol=1e-12)  # the storage was written
    # out of place leaves the input alone
    x = gg.tensor(A, device=device)
    out = call(x, False)
    assert out is not x
    np.testing.assert_array_equal(host(x), A)
    np.testing.assert_allclose(host(out), ref(A), rtol=1e-12)


@pytest.mark.parametrize("name,call,ref,dref", INPLACE, ids=[r[0] for r in INPLACE])
def test_inplace_activation_in_a_graph(name, call, ref, dref, device):
    leaf = gg.tensor(A, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in "
                                           "an in-place operation"):
        call(leaf, True)
    np.testing.assert_array_equal(host(leaf), A)
    assert leaf.grad_fn is None
    h = leaf * 2.0
    out = call(h, True)
    assert out is h and h.grad_fn is not None
    np.testing.assert_allclose(host(h), ref(2 * A), rtol=1e-12)
    (h * gg.tensor(A, device=device)).sum().backward()
    np.testing.assert_allclose(host(leaf.grad), 2 * dref(2 * A) * A, rtol=1e-12)


def test_inplace_dropout(device):
    x = gg.ones(200, 50, device=device, dtype=gg.float64)
    out = F.dropout(x, 0.25, True, True)
    assert out is x
    vals = np.unique(host(x))
    np.testing.assert_allclose(vals, [0.0, 1 / 0.75])
    assert 0.2 < (host(x) == 0).mean() < 0.3
    y = gg.ones(3, device=device)
    assert F.dropout(y, 0.5, False, True) is y and host(y).tolist() == [1.0, 1.0, 1.0]
    leaf = gg.ones(3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        F.dropout(leaf, 0.5, True, True)
    h = leaf * 3.0
    m = nn.Dropout(0.5, inplace=True)
    assert m(h) is h
    h.sum().backward()
    kept = host(h) != 0
    np.testing.assert_allclose(host(leaf.grad), np.where(kept, 3.0 * 2.0, 0.0))
    m.eval()
    z = gg.ones(4, device=device)
    assert m(z) is z
    assert repr(nn.Dropout(0.1)) == "Dropout(p=0.1, inplace=False)"
    assert repr(m) == "Dropout(p=0.5, inplace=True)"


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax, F.softmin])
def test_softmax_dtype_casts_the_input_first(fn, device):
    a = np.array([[1.0, 2.0, 3.5], [-1.0, 0.0, 20.0]])
    x = gg.tensor(a, dtype=gg.float32, device=device, requires_grad=True)
    out = fn(x, 1, dtype=gg.float64)
    assert out.dtype == gg.float64
    s = -a if fn is F.softmin else a
    e = np.exp(s - s.max(1, keepdims=True))
    p = e / e.sum(1, keepdims=True)
    ref = np.log(p) if fn is F.log_softmax else p
    np.testing.assert_allclose(host(out), ref, rtol=1e-6)  # from float32 inputs
    out.sum().backward()
    assert x.grad.dtype == gg.float32
    assert fn(x, dim=1).dtype == gg.float32
    if fn is not F.softmin:
        assert getattr(x, fn.__name__)(1, gg.float64).dtype == gg.float64  # Tensor method


# ---------------------------------------------------------------- module hooks

def _lin():
    m = nn.Linear(3, 2)
    with gg.no_grad():
        m.weight.copy_(gg.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]]))
        m.bias.copy_(gg.tensor([0.1, -0.2]))
    return m


W = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
B = np.array([0.1, -0.2])
X = np.array([[1.0, -1.0, 0.5]], dtype=np.float32)  # the layer is float32


def test_forward_pre_hooks_and_forward_hooks_change_inputs_and_outputs():
    m, log = _lin(), []
    h1 = m.register_forward_pre_hook(lambda mod, a: log.append(("pre", mod is m, len(a))))
    h2 = m.register_forward_pre_hook(lambda mod, a: a[0] * 2, prepend=True)  # runs first
    h3 = m.register_forward_hook(lambda mod, a, o: o + 1)
    h4 = m.register_forward_hook(lambda mod, a, kw, o: log.append(("post", dict(kw))),
                                 with_kwargs=True)
    y = m(gg.tensor(X))
    np.testing.assert_allclose(host(y), 2 * X @ W.T + B + 1, rtol=1e-6)
    assert log == [("pre", True, 1), ("post", {})]
    for h in (h1, h2, h3, h4):
        h.remove()
    h1.remove()  # twice: nothing
    np.testing.assert_allclose(host(m(gg.tensor(X))), X @ W.T + B, rtol=1e-6)
    assert len(log) == 2


def test_forward_pre_hook_with_kwargs():
    class Scale(nn.Module):
        def forward(self, a, scale=1.0):
            return a * scale

    m = Scale()
    m.register_forward_pre_hook(lambda mod, a, kw: (a, {"scale": 5.0}), with_kwargs=True)
    assert m(gg.ones(2)).tolist() == [5.0, 5.0]
    bad = Scale()
    bad.register_forward_pre_hook(lambda mod, a, kw: 3, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"forward pre-hook must return None or a tuple of "
                                           r"\(new_args, new_kwargs\), but got 3."):
        bad(gg.ones(2))
    with pytest.raises(TypeError, match="hook must be callable"):
        m.register_forward_hook(3)


def test_always_call_forward_hook_runs_when_forward_raises():
    m, seen = nn.Linear(3, 2), []
    m.register_forward_hook(lambda mod, a, o: seen.append(("always", o)), always_call=True)
    m.register_forward_hook(lambda mod, a, o: seen.append(("plain", o)))
    with pytest.raises(RuntimeError):
        m(gg.ones(1, 4))
    assert seen == [("always", None)]
    with gg.no_grad():
        out = m(gg.ones(1, 3))
    assert [k for k, _ in seen[1:]] == ["always", "plain"] and seen[1][1] is out


def test_hooks_on_the_children_of_a_sequential():
    seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    shapes = []
    for child in seq:
        child.register_forward_hook(lambda mod, a, o: shapes.append(tuple(o.shape)))
    seq(gg.ones(5, 3))
    assert shapes == [(5, 4), (5, 4), (5, 1)]


def test_full_backward_hook_and_pre_hook_see_and_replace_gradients():
    m, log = _lin(), []

    def pre(mod, go):
        log.append(("pre", [host(g).tolist() for g in go]))
        return (go[0] * 3,)

    def post(mod, gi, go):
        log.append(("post", [host(g).tolist() for g in gi], [host(g).tolist() for g in go]))
        return (gi[0] * 10,)

    m.register_full_backward_pre_hook(pre)
    handle = m.register_full_backward_hook(post)
    x = gg.tensor(X, requires_grad=True)
    m(x).sum().backward()
    go = 3 * np.ones((1, 2))
    assert log[0] == ("pre", [[[1.0, 1.0]]])
    assert log[1][2] == [go.tolist()]
    np.testing.assert_allclose(log[1][1][0], go @ W)  # grad_input: what x would get
    np.testing.assert_allclose(host(x.grad), 10 * go @ W)
    np.testing.assert_allclose(host(m.weight.grad), go.T @ X)  # parameters see grad_output
    handle.remove()
    x.grad = None
    m(x).sum().backward()
    np.testing.assert_allclose(host(x.grad), go @ W)  # the pre-hook is still there


def test_full_backward_hook_with_several_inputs_and_outputs():
    class Two(nn.Module):
        def forward(self, a, b):
            return a * b, a + b

    m, rec = Two(), []
    m.register_full_backward_hook(lambda mod, gi, go: rec.append(
        ([None if g is None else host(g).tolist() for g in gi],
         [None if g is None else host(g).tolist() for g in go])))
    a, b = gg.tensor([1.0, 2.0], requires_grad=True), gg.tensor([3.0, 4.0])
    p, q = m(a, b)
    (p.sum() + 2 * q.sum()).backward()
    # d/da (a b + 2 (a + b)) = b + 2; b needs no gradient: zeros, as PyTorch gives
    assert rec == [([[5.0, 6.0], [0.0, 0.0]], [[1.0, 1.0], [2.0, 2.0]])]
    assert host(a.grad).tolist() == [5.0, 6.0]
    rec.clear()
    a.grad = None
    p, q = m(a, b)
    p.sum().backward()  # q unused: its grad_output is None
    assert rec == [([[3.0, 4.0], [0.0, 0.0]], [[1.0, 1.0], None])]


def test_full_backward_hook_without_input_gradients_and_bad_results():
    m, rec = _lin(), []
    m.register_full_backward_hook(lambda mod, gi, go: rec.append((gi, host(go[0]).tolist())))
    with pytest.warns(UserWarning, match="no inputs require gradients"):
        m(gg.ones(1, 3)).sum().backward()
    assert rec == [((None,), [[1.0, 1.0]])]
    np.testing.assert_allclose(host(m.weight.grad), np.ones((2, 3)))
    bad = nn.Linear(3, 1)
    bad.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="Backward hook returned an invalid number of "
                                           "grad_input, got 2, but expected 1"):
        bad(gg.ones(1, 3, requires_grad=True)).sum().backward()


def test_hook_handles_are_context_managers_and_modules_still_copy():
    import copy

    m = _lin()
    with m.register_forward_hook(lambda mod, a, o: o * 0):
        assert host(m(gg.tensor(X))).tolist() == [[0.0, 0.0]]
    np.testing.assert_allclose(host(m(gg.tensor(X))), X @ W.T + B, rtol=1e-6)
    m.register_forward_hook(lambda mod, a, o: o * 2)
    twin = copy.deepcopy(m)
    np.testing.assert_allclose(host(twin(gg.tensor(X))), 2 * (X @ W.T + B), rtol=1e-6)
    assert list(m.state_dict()) == ["weight", "bias"]


# ---------------------------------------------------------------- reprs and small API

def test_norm_layer_reprs_and_bias_false(device):
    assert repr(nn.LayerNorm(4)) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)"
    assert repr(nn.LayerNorm((2, 4), bias=False)) == (
        "LayerNorm((2, 4), eps=1e-05, elementwise_affine=True, bias=False)")
    assert repr(nn.BatchNorm1d(3, affine=False)) == (
        "BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, "
        "track_running_stats=True)")
    bn = nn.BatchNorm1d(3, bias=False).to(device)
    assert bn.bias is None and list(bn.state_dict()) == [
        "weight", "running_mean", "running_var", "num_batches_tracked"]
    assert "bias=False" in repr(bn)
    with gg.no_grad():
        bn.weight.copy_(gg.tensor([1.0, 2.0, 0.5]))
    a = np.random.default_rng(3).normal(size=(6, 3))
    y = bn(gg.tensor(a, dtype=gg.float32, device=device))
    ref = (a - a.mean(0)) / np.sqrt(a.var(0) + 1e-5) * np.array([1.0, 2.0, 0.5])
    np.testing.assert_allclose(host(y), ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(host(bn.running_mean), 0.1 * a.mean(0), rtol=1e-5)
    ln = nn.LayerNorm(3, bias=False).to(device)
    assert ln.bias is None and [n for n, _ in ln.named_parameters()] == ["weight"]
    out = ln(gg.tensor(a, dtype=gg.float32, device=device))
    ref = (a - a.mean(1, keepdims=True)) / np.sqrt(a.var(1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(host(out), ref, rtol=1e-4, atol=1e-5)


def test_parameters_to_vector_and_back(device):
    m = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1)).to(device)
    params = list(m.parameters())
    v = nn.utils.parameters_to_vector(m.parameters())
    want = np.concatenate([host(p).ravel() for p in params])
    assert v.shape == (13,)
    np.testing.assert_array_equal(host(v), want)
    (v * gg.arange(13.0, device=device)).sum().backward()
    grads = np.concatenate([host(p.grad).ravel() for p in params])
    np.testing.assert_array_equal(grads, np.arange(13.0))
    src = gg.arange(13.0, device=device, requires_grad=True) * 2
    nn.utils.vector_to_parameters(src, m.parameters())
    np.testing.assert_array_equal(host(m[0].weight), 2 * np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(host(m[1].bias), [24.0])
    assert all(isinstance(p, nn.Parameter) and p.is_leaf and p.requires_grad
               for p in m.parameters())
    assert m[0].weight.grad_fn is None
    with pytest.raises(TypeError, match="expected gpugrad.Tensor, but got: list"):
        nn.utils.vector_to_parameters([1.0], m.parameters())


def test_hardtanh_and_relu6_pass_no_gradient_at_their_bounds():
    """PyTorch's hardtanh_backward uses min < x < max (clamp uses <=): values from PyTorch."""
    x = gg.tensor([-1.0, 0.0, 1.0, 6.0, 7.0], requires_grad=True)
    F.hardtanh(x).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0, 0.0, 0.0]
    x.grad = None
    F.relu6(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0, 0.0, 0.0]
    x.grad = None
    x.clamp(-1, 1).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]
