"""Layers: BatchNorm1d running statistics over several steps against a hand-computed sequence,
LayerNorm, Embedding, LazyLinear, Unflatten, PReLU, and the nn.init initialisers."""

import math

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.nn as nn

from .conftest import host
from .test_nn_functional import check_grad


def _batches(shape, n=4, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(1.5 * i, 1.0 + i, size=shape) for i in range(n)]


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)])
def test_batchnorm_running_stats_sequence(momentum, shape, device):
    bn = nn.BatchNorm1d(3, momentum=momentum).to(device, gg.float64)
    with gg.no_grad():
        bn.weight.copy_(gg.tensor([1.0, 2.0, 0.5], dtype=gg.float64))
        bn.bias.copy_(gg.tensor([0.0, -1.0, 3.0], dtype=gg.float64))
    axes = (0, 2) if len(shape) == 3 else (0,)
    view = (1, 3, 1) if len(shape) == 3 else (1, 3)
    rm, rv = np.zeros(3), np.ones(3)
    w, b = np.array([1.0, 2.0, 0.5]).reshape(view), np.array([0.0, -1.0, 3.0]).reshape(view)
    for k, x in enumerate(_batches(shape), start=1):
        y = bn(gg.tensor(x, dtype=gg.float64, device=device))
        mu, var = x.mean(axes), x.var(axes)  # biased: what the batch is normalized with
        want = (x - mu.reshape(view)) / np.sqrt(var.reshape(view) + 1e-5) * w + b
        np.testing.assert_allclose(host(y), want, rtol=1e-10, atol=1e-10)
        f = 1.0 / k if momentum is None else momentum  # None: the cumulative average
        n = x.size // 3
        rm = (1 - f) * rm + f * mu
        rv = (1 - f) * rv + f * var * n / (n - 1)  # the running variance is unbiased
        np.testing.assert_allclose(host(bn.running_mean), rm, rtol=1e-12)
        np.testing.assert_allclose(host(bn.running_var), rv, rtol=1e-12)
        assert bn.num_batches_tracked.item() == k
    bn.eval()
    x = _batches(shape, 1, seed=9)[0]
    y = bn(gg.tensor(x, dtype=gg.float64, device=device))
    want = (x - rm.reshape(view)) / np.sqrt(rv.reshape(view) + 1e-5) * w + b
    np.testing.assert_allclose(host(y), want, rtol=1e-10, atol=1e-10)
    assert bn.num_batches_tracked.item() == 4  # evaluation changes no statistics
    np.testing.assert_allclose(host(bn.running_mean), rm, rtol=1e-12)


def test_batchnorm_without_running_stats_or_affine(device):
    bn = nn.BatchNorm1d(2, affine=False, track_running_stats=False).to(device)
    assert bn.running_mean is None and bn.num_batches_tracked is None
    assert list(bn.state_dict()) == [] and list(bn.parameters()) == []
    x = np.random.default_rng(1).normal(size=(5, 2))
    bn.eval()  # no running statistics: the batch's are used in evaluation too
    y = bn(gg.tensor(x, device=device))
    np.testing.assert_allclose(host(y), (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), rtol=1e-5,
                               atol=1e-6)


def test_batchnorm_gradients(device):
    bn = nn.BatchNorm1d(3).to(device, gg.float64)
    x = np.random.default_rng(2).normal(size=(5, 3, 2))
    check_grad(lambda t: bn(t), [x], device)
    check_grad(lambda t, w, b: nn.functional.batch_norm(t, None, None, w, b, training=True),
               [x, np.array([1.0, 0.5, 2.0]), np.array([0.1, 0.2, 0.3])], device)


def test_batchnorm_bad_input_changes_nothing(device):
    bn = nn.BatchNorm1d(3).to(device)
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        bn(gg.randn(3, device=device))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(gg.randn(1, 3, device=device))
    with pytest.raises(RuntimeError, match="input with 4 channels"):
        bn(gg.randn(2, 4, device=device))
    assert bn.num_batches_tracked.item() == 0 and host(bn.running_mean).sum() == 0
    bn.eval()
    assert bn(gg.ones(1, 3, device=device)).shape == (1, 3)  # one sample is fine in eval


def test_layernorm_module(device):
    ln = nn.LayerNorm(4).to(device, gg.float64)
    assert host(ln.weight).tolist() == [1] * 4 and host(ln.bias).tolist() == [0] * 4
    x = np.random.default_rng(3).normal(size=(2, 3, 4))
    mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    np.testing.assert_allclose(host(ln(gg.tensor(x, dtype=gg.float64, device=device))),
                               (x - mu) / np.sqrt(var + 1e-5), rtol=1e-12, atol=1e-12)
    check_grad(lambda t: ln(t) * gg.tensor([1.0, 2.0, 3.0, 4.0], dtype=gg.float64,
                                           device=device), [x], device)
    assert nn.LayerNorm(4, bias=False).bias is None
    assert [n for n, _ in nn.LayerNorm(4, bias=False).named_parameters()] == ["weight"]
    assert list(nn.LayerNorm(4, elementwise_affine=False).parameters()) == []


def test_embedding_module(device):
    gg.manual_seed(0)
    e = nn.Embedding(1000, 4, padding_idx=3).to(device)
    w = host(e.weight)
    assert w[3].tolist() == [0, 0, 0, 0]
    assert abs(w.mean()) < 0.1 and abs(w.std() - 1) < 0.1  # N(0, 1)
    idx = gg.tensor([[3, 5], [5, 7]], device=device)
    out = e(idx)
    assert out.shape == (2, 2, 4)
    out.sum().backward()
    g = host(e.weight.grad)
    assert g[5].tolist() == [2] * 4 and g[7].tolist() == [1] * 4 and g[3].tolist() == [0] * 4
    pre = gg.tensor(np.arange(6.0).reshape(3, 2), device=device)
    fe = nn.Embedding.from_pretrained(pre)
    assert not fe.weight.requires_grad and fe.weight._data is pre._data
    np.testing.assert_array_equal(host(fe(gg.tensor([2, 0], device=device))), [[4, 5], [0, 1]])
    assert nn.Embedding.from_pretrained(pre, freeze=False).weight.requires_grad
    with pytest.raises(NotImplementedError, match="max_norm"):
        nn.Embedding(3, 2, max_norm=1.0)
    with pytest.raises(ValueError, match="padding_idx must be within"):
        nn.Embedding(3, 2, padding_idx=3)
    assert nn.Embedding(3, 2, padding_idx=-1).padding_idx == 2
    with pytest.raises(ValueError, match="2-dimensional"):
        nn.Embedding.from_pretrained(gg.zeros(3))


def test_lazy_linear(device):
    lazy = nn.LazyLinear(3).to(device)
    assert isinstance(lazy.weight, nn.UninitializedParameter) and lazy.has_uninitialized_params()
    weight = lazy.weight
    opt = gg.optim.SGD(lazy.parameters(), lr=0.1)  # built before the shapes are known
    x = gg.randn(4, 5, device=device)
    y = lazy(x)
    assert type(lazy) is nn.Linear and lazy.in_features == 5 and y.shape == (4, 3)
    assert lazy.weight is weight and type(weight) is nn.Parameter and weight.shape == (3, 5)
    assert str(weight.device).startswith(device)
    bound = 1 / math.sqrt(5)
    assert np.abs(host(lazy.weight)).max() <= bound and np.abs(host(lazy.bias)).max() <= bound
    np.testing.assert_allclose(host(y), host(x) @ host(lazy.weight).T + host(lazy.bias),
                               rtol=1e-5, atol=1e-6)
    before = host(weight).copy()
    y.sum().backward()
    opt.step()
    np.testing.assert_allclose(host(weight), before - 0.1 * host(weight.grad), rtol=1e-6)
    with pytest.raises(RuntimeError, match="not initialized yet"):
        nn.LazyLinear(2).load_state_dict({"weight": gg.zeros(2, 2), "bias": gg.zeros(2)})
    nobias = nn.LazyLinear(2, bias=False)
    assert nobias(gg.ones(1, 3)).shape == (1, 2) and nobias.bias is None


def test_unflatten(device):
    x = gg.arange(24.0, device=device).reshape(2, 12)
    assert nn.Unflatten(1, (3, 4))(x).shape == (2, 3, 4)
    assert nn.Unflatten(-1, (2, -1))(x).shape == (2, 2, 6)
    np.testing.assert_array_equal(host(nn.Unflatten(1, (3, 4))(x)),
                                  np.arange(24.0).reshape(2, 3, 4))
    with pytest.raises(RuntimeError, match="don't multiply up"):
        nn.Unflatten(1, (5, 2))(x)
    with pytest.raises(TypeError, match="tuple of ints"):
        nn.Unflatten(1, 12)


def test_prelu_module(device):
    m = nn.PReLU(3, init=0.125).to(device, gg.float64)
    assert host(m.weight).tolist() == [0.125] * 3
    x = np.random.default_rng(4).normal(size=(2, 3, 4))
    np.testing.assert_allclose(host(m(gg.tensor(x, dtype=gg.float64, device=device))),
                               np.where(x > 0, x, 0.125 * x), rtol=1e-12)
    m(gg.tensor(x, dtype=gg.float64, device=device)).sum().backward()
    np.testing.assert_allclose(host(m.weight.grad), np.minimum(x, 0).sum((0, 2)), rtol=1e-12)


# --- init ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,param,want", [
    ("linear", None, 1.0), ("conv2d", None, 1.0), ("conv_transpose3d", None, 1.0),
    ("sigmoid", None, 1.0), ("identity", None, 1.0), ("tanh", None, 5 / 3),
    ("relu", None, math.sqrt(2)), ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))),
    ("leaky_relu", 0.2, math.sqrt(2 / 1.04)), ("leaky_relu", 1, 1.0), ("selu", None, 0.75),
])
def test_calculate_gain(name, param, want):
    assert nn.init.calculate_gain(name, param) == pytest.approx(want, rel=1e-15)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity swish"):
        nn.init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        nn.init.calculate_gain("leaky_relu", True)


def test_normal_initialisers_have_the_documented_std(device):
    w = gg.empty(400, 300, device=device)
    nn.init.xavier_normal_(w, gain=2.0)
    assert host(w).std() == pytest.approx(2.0 * math.sqrt(2 / 700), rel=0.02)
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert host(w).std() == pytest.approx(math.sqrt(2) / math.sqrt(400), rel=0.02)
    nn.init.kaiming_normal_(w, a=0.3)  # leaky_relu with slope 0.3, fan_in
    assert host(w).std() == pytest.approx(math.sqrt(2 / 1.09) / math.sqrt(300), rel=0.02)
    assert abs(host(w).mean()) < 0.005
    nn.init.kaiming_uniform_(w, mode="fan_out", nonlinearity="tanh")
    bound = 5 / 3 * math.sqrt(3 / 400)
    assert np.abs(host(w)).max() <= bound and np.abs(host(w)).max() > 0.99 * bound
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        nn.init.kaiming_normal_(w, mode="fan_avg")
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_normal_(gg.empty(3))


def test_trunc_normal_matches_the_truncated_distribution(device):
    from scipy.stats import truncnorm

    w = gg.empty(200_000, device=device)
    for mean, std, a, b in [(0.0, 1.0, -2.0, 2.0), (1.0, 0.5, 0.0, 3.0), (0.0, 1.0, 3.0, 5.0)]:
        nn.init.trunc_normal_(w, mean, std, a, b)
        x = host(w)
        assert x.min() >= a and x.max() <= b
        dist = truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std)
        assert x.mean() == pytest.approx(dist.mean(), abs=5 * dist.std() / math.sqrt(x.size))
        assert x.std() == pytest.approx(dist.std(), rel=0.01)
    with pytest.raises(ValueError, match="a must be smaller than b"):
        nn.init.trunc_normal_(w, a=1.0, b=0.0)


@pytest.mark.parametrize("shape", [(4, 6), (6, 4), (3, 2, 2)])
def test_orthogonal(shape, device):
    w = gg.empty(*shape, device=device, dtype=gg.float64)
    nn.init.orthogonal_(w, gain=1.5)
    m = host(w).reshape(shape[0], -1)
    small = min(m.shape)
    gram = m @ m.T if m.shape[0] == small else m.T @ m
    np.testing.assert_allclose(gram, 2.25 * np.eye(small), atol=1e-12)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        nn.init.orthogonal_(gg.empty(3))


def test_eye_and_constants(device):
    w = nn.Parameter(gg.empty(2, 3, device=device))
    nn.init.eye_(w)
    np.testing.assert_array_equal(host(w), np.eye(2, 3))
    assert w.is_leaf and w.requires_grad
    nn.init.constant_(w, 0.25)
    assert host(w).tolist() == [[0.25] * 3] * 2
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        nn.init.eye_(gg.empty(2, 2, 2))


def test_generator_makes_draws_reproducible_across_devices(device):
    fns = [lambda t, g: nn.init.uniform_(t, -1, 2, generator=g),
           lambda t, g: nn.init.normal_(t, 1, 3, generator=g),
           lambda t, g: nn.init.trunc_normal_(t, generator=g),
           lambda t, g: nn.init.xavier_uniform_(t, generator=g),
           lambda t, g: nn.init.xavier_normal_(t, generator=g),
           lambda t, g: nn.init.kaiming_uniform_(t, generator=g),
           lambda t, g: nn.init.kaiming_normal_(t, generator=g),
           lambda t, g: nn.init.orthogonal_(t, generator=g)]
    for fn in fns:
        a, b = gg.empty(5, 4, device=device), gg.empty(5, 4)
        fn(a, np.random.default_rng(42))
        fn(b, np.random.default_rng(42))
        np.testing.assert_array_equal(host(a), host(b))
        c = gg.empty(5, 4, device=device)
        fn(c, np.random.default_rng(43))
        assert not np.array_equal(host(a), host(c))
    rng = np.random.default_rng(7)
    w = nn.init.uniform_(gg.empty(3, 3, dtype=gg.float64), -1, 2, generator=rng)
    np.testing.assert_array_equal(host(w), np.random.default_rng(7).random((3, 3)) * 3 - 1)
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        nn.init.normal_(gg.empty(2), generator=0)
