"""Values, dtypes and errors of the padding, distance, attention, counting and linear-algebra
functions (their gradients are op-table rows in ``optable_math.py``)."""

import math

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.nn as nn
import gpugrad.nn.functional as F

from .conftest import host


def _t(a, device="cpu", dtype=gg.float64, **kw):
    return gg.tensor(np.asarray(a, dtype=np.float64), dtype=dtype, device=device, **kw)


# --- pad -------------------------------------------------------------------------------------


def test_pad_modes_by_hand(device):
    x = _t([[1.0, 2.0, 3.0]], device)
    assert host(F.pad(x, (2, 1), value=9.0)).tolist() == [[9, 9, 1, 2, 3, 9]]
    assert host(F.pad(x, (2, 1), mode="reflect")).tolist() == [[3, 2, 1, 2, 3, 2]]
    assert host(F.pad(x, (2, 1), mode="replicate")).tolist() == [[1, 1, 1, 2, 3, 3]]
    assert host(F.pad(x, (2, 1), mode="circular")).tolist() == [[2, 3, 1, 2, 3, 1]]
    assert host(F.pad(x, (-1, 0, 1, 0))).tolist() == [[0, 0], [2, 3]]
    assert F.pad(x, (1, 1)).dtype == gg.float64


def test_pad_keeps_integer_dtype_and_pads_leading_dims():
    x = gg.arange(6).reshape(1, 2, 3)
    y = F.pad(x, (0, 0, 0, 0, 1, 1), value=-1)
    assert y.dtype == gg.int64 and y.shape == (3, 2, 3)
    assert y[0].tolist() == [[-1] * 3] * 2 and y[1].tolist() == [[0, 1, 2], [3, 4, 5]]


def test_pad_errors():
    x = gg.zeros(2, 3)
    with pytest.raises(RuntimeError, match="divisible by 2"):
        F.pad(x, (1,))
    with pytest.raises(RuntimeError, match="less than or equal to two times"):
        F.pad(x, (1, 1, 1, 1, 1, 1))
    with pytest.raises(NotImplementedError, match="Unrecognised padding mode foo"):
        F.pad(x, (1, 1), mode="foo")
    with pytest.raises(NotImplementedError, match="Padding size 2 is not supported for 1D"):
        F.pad(gg.zeros(3), (1, 1), mode="reflect")
    with pytest.raises(RuntimeError, match="Padding size should be less than"):
        F.pad(x, (3, 0), mode="reflect")


def test_pad_reflect_gradient_accumulates_at_mirrored_positions():
    x = _t([1.0, 2.0, 3.0], requires_grad=True)
    F.pad(x.reshape(1, 3), (2, 2), mode="reflect").sum().backward()
    # padded: [3, 2, 1, 2, 3, 2, 1]: x0 twice, x1 three times, x2 twice
    assert x.grad.tolist() == [2.0, 3.0, 2.0]


# --- distances -------------------------------------------------------------------------------


def test_cosine_similarity_values_and_layer(device):
    a = _t([[1.0, 0.0], [3.0, 4.0]], device)
    b = _t([[0.0, 2.0], [6.0, 8.0]], device)
    np.testing.assert_allclose(host(F.cosine_similarity(a, b)), [0.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(host(gg.cosine_similarity(a, b, dim=0)),
                               [18 / (math.sqrt(10) * math.sqrt(36)), 32 / (4 * math.sqrt(68))])
    np.testing.assert_allclose(host(nn.CosineSimilarity(dim=1)(a, b)), [0.0, 1.0], atol=1e-12)
    zero = _t([[0.0, 0.0]], device)  # the norm is clamped at eps: 0, not NaN
    assert host(F.cosine_similarity(zero, zero)).tolist() == [0.0]


def test_pairwise_distance_values_and_layer():
    a, b = _t([[0.0, 0.0], [1.0, 1.0]]), _t([[3.0, 4.0], [1.0, 1.0]])
    np.testing.assert_allclose(host(F.pairwise_distance(a, b, eps=0.0)), [5.0, 0.0])
    layer = nn.PairwiseDistance(p=1.0, eps=0.0, keepdim=True)
    assert layer(a, b).tolist() == [[7.0], [0.0]]
    assert repr(layer) == "PairwiseDistance()"
    assert gg.pairwise_distance(a[0], b[0], eps=0.0).item() == 5.0


def test_cdist_dist_values_and_errors():
    x1, x2 = _t([[0.0, 0.0], [1.0, 0.0]]), _t([[0.0, 3.0], [4.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(host(gg.cdist(x1, x2)),
                               [[3.0, 4.0, 1.0], [math.sqrt(10), 3.0, 0.0]])
    assert host(gg.cdist(x1, x2, p=0)).tolist() == [[1, 1, 1], [2, 1, 0]]
    np.testing.assert_allclose(gg.dist(x1, x1 + 1.0).item(), 2.0)
    assert gg.dist(x1, x1 + 1.0, p=float("inf")).item() == 1.0
    with pytest.raises(RuntimeError, match="at least 2D"):
        gg.cdist(gg.ones(3), gg.ones(3))
    with pytest.raises(RuntimeError, match="same number of columns"):
        gg.cdist(gg.ones(2, 3), gg.ones(4, 2))
    with pytest.raises(RuntimeError, match="non-negative p"):
        gg.cdist(gg.ones(2, 3), gg.ones(4, 3), p=-1)


def test_cdist_gradient_is_zero_at_coincident_points():
    x = _t([[1.0, 2.0]], requires_grad=True)
    gg.cdist(x, _t([[1.0, 2.0]])).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0]]


# --- activations and their layers ------------------------------------------------------------


def test_activation_values_by_hand():
    x = _t([-6.0, -1.0, 0.0, 1.0, 6.0])
    np.testing.assert_allclose(host(F.hardsigmoid(x)), [0, 1 / 3, 0.5, 2 / 3, 1])
    np.testing.assert_allclose(host(F.hardswish(x)), [0, -1 / 3, 0, 2 / 3, 6])
    np.testing.assert_allclose(host(F.logsigmoid(_t([-1000.0, 0.0, 1000.0]))),
                               [-1000.0, -math.log(2), 0.0])
    np.testing.assert_allclose(host(F.celu(x, alpha=2.0))[:2], [2 * math.expm1(-3),
                                                                2 * math.expm1(-0.5)])
    np.testing.assert_allclose(F.selu(_t(1.0)).item(), 1.0507009873554805)
    assert host(F.threshold(x, 0.5, -9.0)).tolist() == [-9, -9, -9, 1, 6]
    assert host(F.glu(_t([[1.0, 2.0, 0.0, 1000.0]]))).tolist() == [[0.5, 2.0]]


@pytest.mark.parametrize("layer, fn", [
    (nn.LogSigmoid(), F.logsigmoid), (nn.SELU(), F.selu), (nn.CELU(0.5), lambda x: F.celu(x, 0.5)),
    (nn.Hardswish(), F.hardswish), (nn.Hardsigmoid(), F.hardsigmoid),
    (nn.GLU(0), lambda x: F.glu(x, 0)),
    (nn.Threshold(0.1, 2.0), lambda x: F.threshold(x, 0.1, 2.0)),
])
def test_layers_apply_their_functions(layer, fn):
    x = _t(np.linspace(-3, 3, 8).reshape(2, 4))
    assert host(layer(x)).tolist() == host(fn(x)).tolist()


def test_layer_reprs_as_pytorch():
    assert repr(nn.SELU(True)) == "SELU(inplace=True)"
    assert repr(nn.CELU(2.0, True)) == "CELU(alpha=2.0, inplace=True)"
    assert repr(nn.Threshold(0.1, 20.0)) == "Threshold(threshold=0.1, value=20.0)"
    assert repr(nn.GLU()) == "GLU(dim=-1)"
    assert repr(nn.Hardswish(True)) == "Hardswish()"
    assert repr(nn.CosineSimilarity()) == "CosineSimilarity()"


def test_inplace_activations_write_into_the_input():
    x = _t([-1.0, 4.0])
    assert F.hardswish(x, inplace=True) is x
    np.testing.assert_allclose(host(x), [-1 / 3, 4.0])
    y = _t([-1.0, 4.0])
    nn.Threshold(0.0, 7.0, inplace=True)(y)
    assert y.tolist() == [7.0, 4.0]


def test_glu_errors():
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 0 is "
                                           "size 3"):
        F.glu(gg.ones(3))


# --- gumbel_softmax and attention ------------------------------------------------------------


def test_gumbel_softmax_soft_and_hard():
    gg.manual_seed(0)
    logits = _t([[1.0, 2.0, 0.5]] * 4000, requires_grad=True)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(host(soft.sum(-1)), 1.0, atol=1e-12)
    hard = F.gumbel_softmax(logits, hard=True)
    h = host(hard)
    assert set(np.unique(h)) <= {0.0, 1.0} and (h.sum(-1) == 1).all()
    # argmax(logits + Gumbel) is distributed as softmax(logits)
    p = np.exp([1.0, 2.0, 0.5]) / np.exp([1.0, 2.0, 0.5]).sum()
    np.testing.assert_allclose(h.mean(0), p, atol=0.03)
    (hard * _t([1.0, 0.0, 0.0])).sum().backward()  # straight through: the soft sample's gradient
    assert np.abs(host(logits.grad)).sum() > 0


def test_sdpa_uniform_scores_average_the_values():
    q, k = gg.zeros(1, 2, 3, dtype=gg.float64), gg.zeros(1, 4, 3, dtype=gg.float64)
    v = _t(np.arange(8.0).reshape(1, 4, 2))
    out = F.scaled_dot_product_attention(q, k, v)
    np.testing.assert_allclose(host(out), [[[3.0, 4.0], [3.0, 4.0]]])
    causal = F.scaled_dot_product_attention(gg.zeros(1, 4, 3, dtype=gg.float64), k, v,
                                            is_causal=True)
    np.testing.assert_allclose(host(causal)[0, :, 0], [0.0, 1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="attn_mask should not be set"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=gg.ones(2, 4, dtype=gg.bool),
                                       is_causal=True)


def test_sdpa_dropout_keeps_the_expectation():
    gg.manual_seed(0)
    q, k = gg.zeros(2000, 3, dtype=gg.float64), gg.zeros(50, 3, dtype=gg.float64)
    out = host(F.scaled_dot_product_attention(q, k, gg.ones(50, 1, dtype=gg.float64),
                                              dropout_p=0.5))
    # each row: (kept weights of 1/50) * 2, so its mean is 1; some rows differ from 1
    assert abs(out.mean() - 1.0) < 0.02 and out.std() > 0.05


# --- contractions and triangles --------------------------------------------------------------


def test_tensordot_trace_cross_by_hand():
    a = gg.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(host(gg.tensordot(a, a, dims=([0, 1], [0, 1]))), 55.0)
    assert gg.tensordot(a, a.T, dims=1).tolist() == (host(a) @ host(a).T).tolist()
    assert gg.tensordot(a, a, dims=0).shape == (2, 3, 2, 3)
    assert gg.arange(9).reshape(3, 3).trace().item() == 12
    assert gg.arange(9).reshape(3, 3).trace().dtype == gg.int64
    e = gg.eye(3)
    assert gg.cross(e[0:1], e[1:2], dim=1).tolist() == [[0.0, 0.0, 1.0]]
    # rows e0 x e2 = -e1, e1 x e0 = -e2, e2 x e1 = -e0
    assert gg.linalg.cross(e, e.roll(1, 0)).tolist() == [[0, -1, 0], [0, 0, -1], [-1, 0, 0]]
    with pytest.raises(RuntimeError, match="expected a matrix"):
        gg.trace(gg.ones(3))
    with pytest.raises(RuntimeError, match="must have length 3"):
        gg.linalg.cross(gg.ones(3, 4), gg.ones(3, 4))
    with pytest.raises(RuntimeError, match="no dimension of size 3"):
        gg.cross(gg.ones(4, 2), gg.ones(4, 2))
    with pytest.raises(RuntimeError, match="contracted dimensions need to match"):
        gg.tensordot(a, a, dims=1)


def test_logit_values_and_dtype():
    np.testing.assert_allclose(host(gg.logit(_t([0.5, 0.75]))), [0.0, math.log(3)])
    np.testing.assert_allclose(host(_t([0.0, 1.0]).logit(eps=0.25)), [-math.log(3), math.log(3)])
    assert gg.logit(gg.tensor([0, 1])).dtype == gg.float32


def test_tril_triu_indices_match_numpy():
    for r, c, k in [(3, 4, 0), (4, 3, -1), (3, 3, 1), (0, 3, 0), (3, 3, 5)]:
        lo, up = gg.tril_indices(r, c, k), gg.triu_indices(r, c, k)
        assert lo.dtype == gg.int64 and lo.shape[0] == 2
        assert lo.tolist() == [list(v) for v in np.tril_indices(r, k, c)]
        assert up.tolist() == [list(v) for v in np.triu_indices(r, k, c)]
    assert gg.tril_indices(2, 2, dtype=gg.int32).dtype == gg.int32


# --- searching and counting ------------------------------------------------------------------


def test_searchsorted_and_bucketize():
    s = gg.tensor([1.0, 2.0, 2.0, 3.0])
    v = gg.tensor([[0.5, 2.0], [2.5, 9.0]])
    assert gg.searchsorted(s, v).tolist() == [[0, 1], [3, 4]]
    assert gg.searchsorted(s, v, right=True).tolist() == [[0, 3], [3, 4]]
    assert gg.searchsorted(s, v, side="right").tolist() == [[0, 3], [3, 4]]
    assert gg.searchsorted(s, 2.0).item() == 1 and gg.searchsorted(s, 2.0).shape == ()
    assert gg.searchsorted(s, v, out_int32=True).dtype == gg.int32
    rows = gg.tensor([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]])
    assert gg.searchsorted(rows, gg.tensor([[2.5], [25.0]])).tolist() == [[2], [2]]
    assert gg.searchsorted(gg.tensor([3.0, 1.0, 2.0]), gg.tensor([1.5]),
                           sorter=gg.tensor([1, 2, 0])).tolist() == [1]
    assert gg.bucketize(v, s).tolist() == [[0, 1], [3, 4]]
    assert gg.bucketize(v, s, right=True).tolist() == [[0, 3], [3, 4]]
    with pytest.raises(RuntimeError, match="side and right can't be set to opposites"):
        gg.searchsorted(s, v, side="left", right=True)
    with pytest.raises(RuntimeError, match="boundaries tensor must be 1 dimension"):
        gg.bucketize(v, rows)
    with pytest.raises(RuntimeError, match="first N-1 dimensions"):
        gg.searchsorted(rows, gg.tensor([2.5]))


def test_bincount():
    x = gg.tensor([1, 4, 4, 0, 1, 4])
    assert gg.bincount(x).tolist() == [1, 2, 0, 0, 3] and gg.bincount(x).dtype == gg.int64
    assert x.bincount(minlength=7).tolist() == [1, 2, 0, 0, 3, 0, 0]
    w = gg.tensor([0.5, 1.0, 2.0, 3.0, 0.25, 1.0])
    out = gg.bincount(x, w)
    assert out.tolist() == [3.0, 0.75, 0.0, 0.0, 4.0] and out.dtype == gg.float32
    assert gg.bincount(x, gg.tensor([1, 1, 1, 1, 1, 1])).dtype == gg.float64
    assert gg.bincount(gg.tensor([], dtype=gg.int64)).tolist() == []
    with pytest.raises(RuntimeError, match="1-d non-negative integral"):
        gg.bincount(gg.tensor([-1, 2]))
    with pytest.raises(NotImplementedError, match="not implemented for 'Float'"):
        gg.bincount(gg.tensor([1.0]))
    with pytest.raises(RuntimeError, match="derivative for aten::bincount"):
        gg.bincount(x, w.requires_grad_())


# --- linear algebra --------------------------------------------------------------------------


def test_linalg_values_by_hand(device):
    a = _t([[4.0, 2.0], [2.0, 3.0]], device)
    np.testing.assert_allclose(host(gg.linalg.inv(a)), np.array([[3, -2], [-2, 4]]) / 8)
    assert gg.linalg.det(a).item() == pytest.approx(8.0)
    sign, lad = gg.linalg.slogdet(-a)
    assert sign.item() == 1.0 and lad.item() == pytest.approx(math.log(8))
    assert gg.logdet(_t([[-1.0, 0.0], [0.0, 1.0]], device)).isnan().item()
    el = gg.linalg.cholesky(a)
    np.testing.assert_allclose(host(el), [[2.0, 0.0], [1.0, math.sqrt(2)]])
    np.testing.assert_allclose(host(a.cholesky(upper=True)), host(el).T)
    np.testing.assert_allclose(host(gg.linalg.solve(a, _t([8.0, 7.0], device))), [1.25, 1.5])
    np.testing.assert_allclose(host(gg.linalg.solve(a, _t([[8.0, 7.0]], device), left=False)),
                               [[1.25, 1.5]])


def test_linalg_decompositions_reconstruct():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 3))
    q, r = gg.linalg.qr(_t(a))
    np.testing.assert_allclose(host(q @ r), a, atol=1e-12)
    assert q.shape == (4, 3) and gg.linalg.qr(_t(a), mode="complete").Q.shape == (4, 4)
    s = a.T @ a
    w, v = gg.linalg.eigh(_t(s))
    np.testing.assert_allclose(host(w), np.linalg.eigvalsh(s))
    np.testing.assert_allclose(host(v @ gg.diag(w) @ v.T), s, atol=1e-12)
    u, sv, vh = gg.linalg.svd(_t(a))
    assert u.shape == (4, 4) and vh.shape == (3, 3)
    u, sv, vh = gg.linalg.svd(_t(a), full_matrices=False)
    np.testing.assert_allclose(host(u * sv @ vh), a, atol=1e-12)
    with pytest.raises(NotImplementedError, match="gradient is not implemented"):
        gg.linalg.svd(_t(a, requires_grad=True))


def test_linalg_errors():
    with pytest.raises(RuntimeError, match="must be batches of square matrices, but they are 2 "
                                           "by 3"):
        gg.linalg.inv(gg.ones(2, 3))
    with pytest.raises(RuntimeError, match="Expected a floating point .* Got Long"):
        gg.linalg.inv(gg.ones(2, 2, dtype=gg.int64))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        gg.linalg.det(gg.ones(3))
    with pytest.raises(gg.linalg.LinAlgError, match="singular"):
        gg.linalg.inv(gg.ones(2, 2))
    with pytest.raises(gg.linalg.LinAlgError, match="not positive-definite"):
        gg.linalg.cholesky(-gg.eye(2))
    with pytest.raises(RuntimeError, match=r"Incompatible shapes .* \(2x2 and 3x2\)"):
        gg.linalg.solve(gg.eye(2), gg.ones(3, 2))
    assert issubclass(gg.linalg.LinAlgError, RuntimeError)
