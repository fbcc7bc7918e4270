"""Op-table rows for the math ops (merged into ``optable.CASES``); same ``Case`` fields."""

import math

import numpy as np

import gpugrad as gg
from gpugrad.ops.sort import PutAlong

from .optable import Case

_erf = np.vectorize(math.erf, otypes=[np.float64])
_erfc = np.vectorize(math.erfc, otypes=[np.float64])
P = (0.5, 2.0)  # a positive domain


def _lower_median(a, axis=None):
    if axis is None:
        a, axis = a.reshape(-1), 0
    n = a.shape[axis]
    return np.take(np.sort(a, axis=axis), (n - 1) // 2, axis=axis)


def _lcse(a, axis):
    m = a.max(axis=axis, keepdims=True)
    return np.log(np.cumsum(np.exp(a - m), axis=axis)) + m

CASES: list = [
    Case("erf", gg.erf, _erf, ((3, 4),), (-2.5, 2.5)),
    Case("erf_method_0d", lambda a: a.erf() * 2, lambda a: _erf(a) * 2, ((),)),
    Case("erfc", gg.erfc, _erfc, ((3, 4),), (-2.5, 2.5)),
    Case("exp2", gg.exp2, np.exp2, ((3, 4),)),
    Case("log2", gg.log2, np.log2, ((3, 4),), P),
    Case("log10", lambda a: a.log10(), np.log10, ((3, 4),), P),
    Case("rsqrt", gg.rsqrt, lambda a: 1 / np.sqrt(a), ((3, 4),), P),
    Case("rsqrt_0d", gg.rsqrt, lambda a: 1 / np.sqrt(a), ((),), P),
    Case("reciprocal", lambda a: a.reciprocal(), lambda a: 1 / a, ((3, 4),), P),
    Case("square", gg.square, np.square, ((3, 4),)),
    Case("tan", gg.tan, np.tan, ((3, 4),), (-1.2, 1.2)),
    Case("asin", gg.asin, np.arcsin, ((3, 4),), (-0.9, 0.9)),
    Case("arccos", gg.arccos, np.arccos, ((3, 4),), (-0.9, 0.9)),
    Case("atan", lambda a: a.arctan(), np.arctan, ((3, 4),), (-3.0, 3.0)),
    Case("sinh", gg.sinh, np.sinh, ((3, 4),)),
    Case("cosh", gg.cosh, np.cosh, ((3, 4),)),
    Case("asinh", gg.asinh, np.arcsinh, ((3, 4),), (-3.0, 3.0)),
    Case("acosh", gg.arccosh, np.arccosh, ((3, 4),), (1.2, 3.0)),
    Case("atanh", gg.atanh, np.arctanh, ((3, 4),), (-0.9, 0.9)),
    # piecewise constant: the gradient is zero (inputs away from the jumps)
    Case("floor", lambda a: gg.floor(a) + a, lambda a: np.floor(a) + a, ((3, 4),), (-3.0, 3.0)),
    Case("ceil", gg.ceil, np.ceil, ((3, 4),), (-3.0, 3.0)),
    Case("trunc", lambda a: a.trunc(), np.trunc, ((3, 4),), (-3.0, 3.0)),
    Case("round", gg.round, np.round, ((3, 4),), (-3.0, 3.0)),
    Case("round_decimals", lambda a: a.round(decimals=1), lambda a: np.round(a, 1), ((3, 4),),
         (-3.0, 3.0), fwd_tol=1e-6),
    Case("sign", gg.sign, np.sign, ((3, 4),)),
    Case("frac", gg.frac, lambda a: a - np.trunc(a), ((3, 4),), (-3.0, 3.0)),
    Case("nan_to_num", lambda a: gg.nan_to_num(a, nan=1.0), lambda a: a, ((3, 4),)),
    # binary elementwise
    Case("atan2", gg.atan2, np.arctan2, ((3, 4), (4,)), P),
    Case("arctan2_quadrants", lambda a, b: a.arctan2(-b) + gg.atan2(-a, b),
         lambda a, b: np.arctan2(a, -b) + np.arctan2(-a, b), ((3, 4), (3, 4)), P),
    Case("hypot", gg.hypot, np.hypot, ((3, 4), (3, 1)), P),
    Case("hypot_neg", lambda a, b: gg.hypot(-a, b), lambda a, b: np.hypot(a, b), ((4,), (4,)), P),
    Case("logaddexp", gg.logaddexp, np.logaddexp, ((3, 4), (4,)), (-3.0, 3.0)),
    Case("logaddexp2", lambda a, b: a.logaddexp2(b), np.logaddexp2, ((3, 4), (3, 4)),
         (-3.0, 3.0)),
    Case("fmod", gg.fmod, np.fmod, ((3, 4), (4,)), P),
    Case("fmod_scaled", lambda a, b: gg.fmod(a * 3.0, b), lambda a, b: np.fmod(a * 3.0, b),
         ((3, 4), (4,)), P),
    Case("fmod_neg_number", lambda a: (-a).fmod(0.7), lambda a: np.fmod(-a, 0.7), ((3, 4),), P),
    Case("remainder", gg.remainder, np.remainder, ((3, 4), (3, 4)), (-2.0, -0.5)),
    Case("remainder_neg", lambda a, b: gg.remainder(-3.0 * a, b),
         lambda a, b: np.remainder(-3 * a, b), ((3, 4), (3, 4)), P),
    Case("remainder_mod", lambda a, b: a * 3.0 % -b, lambda a, b: np.remainder(3 * a, -b),
         ((3, 4), (3, 1)), P),
    Case("rmod_number", lambda a: 5.0 % a, lambda a: np.remainder(5.0, a), ((3, 4),), P),
    Case("addcmul", lambda a, b, c: gg.addcmul(a, b, c, value=0.5),
         lambda a, b, c: a + 0.5 * b * c, ((3, 4), (4,), (3, 1))),
    Case("addcdiv", lambda a, b, c: a.addcdiv(b, c, value=-2.0),
         lambda a, b, c: a - 2.0 * b / c, ((3, 4), (3, 4), (4,)), P),
    Case("clamp_min_max", lambda a: gg.clamp_min(a, -0.5) + a.clamp_max(0.7),
         lambda a: np.maximum(a, -0.5) + np.minimum(a, 0.7), ((3, 4),)),
    Case("nansum", lambda a: gg.nansum(gg.where(a > 1.0, float("nan"), a), dim=1),
         lambda a: np.nansum(np.where(a > 1.0, np.nan, a), axis=1), ((3, 4),)),
    Case("nanmean", lambda a: gg.where(a > 1.0, float("nan"), a).nanmean(),
         lambda a: np.nanmean(np.where(a > 1.0, np.nan, a)), ((3, 4),)),
    Case("diff", lambda a, b: gg.diff(a, n=2, dim=0, prepend=b) * a[:1],
         lambda a, b: np.diff(np.concatenate([b, a]), n=2, axis=0) * a[:1], ((3, 4), (1, 4))),
    Case("repeat_interleave", lambda a: a.repeat_interleave(gg.tensor([2, 0, 3]), dim=0),
         lambda a: np.repeat(a, [2, 0, 3], axis=0), ((3, 4),)),
    Case("repeat_interleave_flat", lambda a: gg.repeat_interleave(a, 2),
         lambda a: np.repeat(a.ravel(), 2), ((2, 3),)),
    Case("mT", lambda a: a.mT @ a, lambda a: np.swapaxes(a, -1, -2) @ a, ((2, 3, 4),)),
    # rounded quotients: piecewise constant, zero gradients (the added terms carry one)
    Case("div_floor", lambda a, b: gg.div(3.0 * a, b, rounding_mode="floor") + a + b,
         lambda a, b: np.floor_divide(3 * a, b) + a + b, ((3, 4), (4,)), P),
    Case("div_trunc", lambda a, b: (-3.0 * a).div(b, rounding_mode="trunc") + a,
         lambda a, b: np.trunc(-3 * a / b) + a, ((3, 4), (3, 1)), P),
    Case("div_number_first", lambda a: gg.div(2.0, a) + gg.pow(2.0, a) + gg.sub(1.0, a),
         lambda a: 2.0 / a + 2.0**a + 1.0 - a, ((3, 4),), P),
    Case("lerp", gg.lerp, lambda a, b, w: a + w * (b - a), ((3, 4), (4,), (3, 1)), (-1.5, 1.5)),
    Case("lerp_weight_low", lambda a, b: a.lerp(b, 0.3), lambda a, b: a + 0.3 * (b - a),
         ((3, 4), (3, 4))),
    Case("lerp_weight_high", lambda a, b: gg.lerp(a, b, 0.8), lambda a, b: a + 0.8 * (b - a),
         ((3, 4), (3, 4))),
    # selection
    Case("clamp_tensors", gg.clamp, lambda a, lo, hi: np.minimum(np.maximum(a, lo), hi),
         ((3, 4), (4,), (3, 1))),
    Case("clip_min_tensor", lambda a, b: a.clip(min=b), np.maximum, ((3, 4), (3, 4))),
    Case("clamp_number_min_tensor_max", lambda a, b: gg.clamp(a, -0.5, max=b),
         lambda a, b: np.minimum(np.maximum(a, -0.5), b), ((3, 4), (4,))),
    # reductions
    Case("sum_axis_keepdims", lambda a: a.sum(axis=1, keepdims=True),
         lambda a: a.sum(1, keepdims=True), ((3, 4),)),
    Case("mean_axis", lambda a: gg.mean(a, axis=(0, 2)), lambda a: a.mean((0, 2)), ((3, 4, 2),)),
    Case("prod_all", gg.prod, np.prod, ((3, 4),), P),
    Case("prod_dim", lambda a: a.prod(1), lambda a: a.prod(1), ((3, 4),), (-2.0, 2.0)),
    Case("prod_dim_keep", lambda a: gg.prod(a, -1, keepdim=True),
         lambda a: a.prod(-1, keepdims=True), ((2, 3, 4),), P),
    Case("prod_0d", gg.prod, np.prod, ((),), P),
    Case("var_correction", lambda a: a.var(axis=1, correction=0, keepdims=True),
         lambda a: a.var(1, keepdims=True), ((3, 5),)),
    Case("var_half_correction", lambda a: gg.var(a, 0, correction=0.5),
         lambda a: ((a - a.mean(0)) ** 2).sum(0) / 3.5, ((4, 3),)),
    Case("std_all", lambda a: a.std(), lambda a: a.std(ddof=1), ((3, 5),)),
    Case("std_unbiased_false", lambda a: a.std(1, False), lambda a: a.std(1), ((3, 5),)),
    Case("var_mean_var", lambda a: gg.var_mean(a, 1)[0], lambda a: a.var(1, ddof=1), ((3, 5),)),
    Case("std_mean", lambda a: gg.std_mean(a, 0)[0] + gg.std_mean(a, 0)[1],
         lambda a: a.std(0, ddof=1) + a.mean(0), ((4, 3),)),
    Case("amax_axis", lambda a: a.amax(axis=(0, 1)), lambda a: a.max((0, 1)), ((3, 4, 2),)),
    Case("aminmax", lambda a: gg.aminmax(a, dim=1).min * 2 + gg.aminmax(a, dim=1).max,
         lambda a: a.min(1) * 2 + a.max(1), ((3, 5),)),
    Case("logsumexp_axis", lambda a: gg.logsumexp(a, axis=0, keepdims=True),
         lambda a: _lse_keep(a), ((3, 5),)),
    Case("max_axis", lambda a: a.max(axis=1).values, lambda a: a.max(1), ((3, 5),)),
    # scans
    Case("cumsum", lambda a: gg.cumsum(a, 1), lambda a: np.cumsum(a, 1), ((3, 4),)),
    Case("cumsum_axis_0d", lambda a: a.cumsum(axis=0), lambda a: a, ((),)),
    Case("cumprod", lambda a: gg.cumprod(a, -1), lambda a: np.cumprod(a, -1), ((3, 4),)),
    Case("cumprod_dim0", lambda a: a.cumprod(0), lambda a: np.cumprod(a, 0), ((4, 3),), P),
    Case("cummax", lambda a: gg.cummax(a, 1).values, lambda a: np.maximum.accumulate(a, 1),
         ((3, 6),)),
    Case("cummin", lambda a: a.cummin(0)[0], lambda a: np.minimum.accumulate(a, 0), ((6, 3),)),
    Case("logcumsumexp", lambda a: gg.logcumsumexp(a, 1), lambda a: _lcse(a, 1), ((3, 6),),
         (-3.0, 3.0)),
    # order statistics
    Case("sort", lambda a: gg.sort(a).values, lambda a: np.sort(a, -1), ((3, 5),)),
    Case("sort_desc_dim0", lambda a: a.sort(0, descending=True)[0],
         lambda a: -np.sort(-a, 0), ((5, 3),)),
    Case("topk", lambda a: gg.topk(a, 2).values, lambda a: -np.sort(-a, -1)[:, :2], ((3, 5),)),
    Case("topk_smallest", lambda a: a.topk(3, dim=0, largest=False).values,
         lambda a: np.sort(a, 0)[:3], ((5, 2),)),
    Case("kthvalue", lambda a: gg.kthvalue(a, 2).values, lambda a: np.sort(a, -1)[:, 1],
         ((3, 5),)),
    Case("median_all", gg.median, _lower_median, ((4, 3),)),
    Case("median_dim", lambda a: a.median(1).values, lambda a: _lower_median(a, 1), ((3, 4),)),
    Case("nanmedian_dim_keep", lambda a: gg.nanmedian(a, 0, keepdim=True).values,
         lambda a: _lower_median(a, 0)[None], ((5, 3),)),
    Case("mode_distinct", lambda a: gg.mode(a, 1).values, lambda a: a.min(1), ((3, 4),)),
    Case("msort", gg.msort, lambda a: np.sort(a, 0), ((4, 3),)),
    Case("nanmedian_all", lambda a: a.nanmedian(), _lower_median, ((3, 3),)),
    # the transpose of the gather behind sort/topk/median (what their second derivatives use)
    Case("put_along", lambda a: PutAlong.apply(a, idx=_PUT_IDX, axis=1, shape=(2, 4)),
         lambda a: _put_along_ref(a), ((2, 3),)),
    # linear algebra
    Case("mm", gg.mm, np.matmul, ((3, 4), (4, 2))),
    Case("bmm", lambda a, b: a.bmm(b), np.matmul, ((2, 3, 4), (2, 4, 5))),
    Case("mv", gg.mv, np.matmul, ((3, 4), (4,))),
    Case("dot", lambda a, b: a.dot(b), np.dot, ((5,), (5,))),
    Case("inner", gg.inner, np.inner, ((2, 4), (3, 4))),
    Case("outer", gg.outer, np.outer, ((3,), (4,))),
    Case("addmm", lambda c, a, b: gg.addmm(c, a, b, beta=0.5, alpha=2.0),
         lambda c, a, b: 0.5 * c + 2.0 * a @ b, ((4,), (3, 2), (2, 4))),
    Case("addmm_beta0", lambda c, a, b: c.addmm(a, b, beta=0), lambda c, a, b: a @ b + 0 * c,
         ((3, 1), (3, 2), (2, 4))),
    Case("addmv", lambda c, a, b: gg.addmv(c, a, b, alpha=-1.0),
         lambda c, a, b: c - a @ b, ((3,), (3, 4), (4,))),
    Case("baddbmm", lambda c, a, b: gg.baddbmm(c, a, b, beta=2.0),
         lambda c, a, b: 2 * c + a @ b, ((3, 4), (2, 3, 2), (2, 2, 4))),
    Case("einsum_matmul", lambda a, b: gg.einsum("ij,jk->ik", a, b), np.matmul,
         ((3, 4), (4, 2))),
    Case("einsum_implicit", lambda a, b: gg.einsum("ij,kj", a, b), lambda a, b: a @ b.T,
         ((3, 4), (2, 4))),
    Case("einsum_diagonal", lambda a: gg.einsum("ii->i", a), np.diagonal, ((4, 4),)),
    Case("einsum_trace", lambda a: gg.einsum("ii", a), np.trace, ((4, 4),)),
    Case("einsum_batch_ellipsis", lambda a, b: gg.einsum("...ij,...jk->...ik", a, b),
         np.matmul, ((2, 3, 4), (4, 5))),
    Case("einsum_sum_ellipsis", lambda a: gg.einsum("i...->i", a), lambda a: a.sum((1, 2)),
         ((2, 3, 4),)),
    Case("einsum_outer_broadcast", lambda a, b: gg.einsum("ij,kj->ikj", a, b),
         lambda a, b: a[:, None, :] * b[None, :, :], ((1, 3), (2, 1))),
    Case("einsum_three", lambda a, b, c: gg.einsum("ij,jk,kl->il", a, b, c),
         lambda a, b, c: a @ b @ c, ((2, 3), (3, 4), (4, 2))),
    Case("einsum_reduce_own", lambda a, b: gg.einsum("ijk,j->i", a, b),
         lambda a, b: np.einsum("ijk,j->i", a, b), ((2, 3, 4), (3,))),
    Case("einsum_repeated_two", lambda a, b: gg.einsum("iij,jk->ik", a, b),
         lambda a, b: np.einsum("iij,jk->ik", a, b), ((3, 3, 2), (2, 4))),
    Case("einsum_sublist", lambda a, b: gg.einsum(a, [0, 1], b, [1], [0]), np.matmul,
         ((3, 4), (4,))),
    Case("norm_fro", gg.norm, np.linalg.norm, ((3, 4),)),
    Case("norm_p1_dim", lambda a: a.norm(1, 1), lambda a: np.abs(a).sum(1), ((3, 4),), P),
    Case("norm_p3_keep", lambda a: gg.norm(a, 3, dim=0, keepdim=True),
         lambda a: (np.abs(a) ** 3).sum(0, keepdims=True) ** (1 / 3), ((3, 4),)),
    Case("norm_inf", lambda a: gg.norm(a, float("inf"), dim=1), lambda a: np.abs(a).max(1),
         ((3, 4),)),
    Case("vector_norm_neg_inf", lambda a: gg.linalg.vector_norm(a, float("-inf")),
         lambda a: np.abs(a).min(), ((3, 4),)),
    Case("vector_norm_half", lambda a: gg.linalg.vector_norm(a, 0.5, dim=(0, 1)),
         lambda a: (np.abs(a) ** 0.5).sum() ** 2, ((3, 4),), P),
    Case("vector_norm_neg1", lambda a: gg.linalg.vector_norm(-a, -1, dim=1),
         lambda a: 1 / (1 / np.abs(a)).sum(1), ((3, 4),), P),
    Case("linalg_norm_dim", lambda a: gg.linalg.norm(a, dim=-1), lambda a: np.sqrt((a * a).sum(-1)),
         ((2, 3, 4),)),
    Case("matrix_norm_fro", gg.linalg.matrix_norm, lambda a: np.sqrt((a * a).sum((-2, -1))),
         ((2, 3, 4),)),
    Case("matrix_norm_1", lambda a: gg.linalg.matrix_norm(a, 1),
         lambda a: np.abs(a).sum(0).max(), ((3, 4),)),
    Case("matrix_norm_inf_keep", lambda a: gg.linalg.matrix_norm(a, float("inf"), keepdim=True),
         lambda a: np.abs(a).sum(-1).max(-1)[..., None, None], ((2, 3, 4),)),
    Case("matrix_norm_neg1", lambda a: gg.linalg.norm(a, -1), lambda a: np.abs(a).sum(0).min(),
         ((3, 4),)),
    Case("matrix_norm_nuc", lambda a: gg.norm(a, "nuc"),
         lambda a: np.linalg.svd(a, compute_uv=False).sum(), ((3, 4),)),
    Case("matrix_norm_2_batch", lambda a: gg.linalg.matrix_norm(a, 2, dim=(0, 2)),
         lambda a: np.linalg.svd(a.transpose(1, 0, 2), compute_uv=False).max(-1),
         ((3, 2, 4),)),
    Case("matrix_norm_neg2", lambda a: gg.linalg.norm(a, -2),
         lambda a: np.linalg.svd(a, compute_uv=False).min(), ((4, 3),)),
    Case("svdvals", gg.linalg.svdvals, lambda a: np.linalg.svd(a, compute_uv=False),
         ((2, 3, 4),)),
]


_PUT_IDX = np.array([[3, 0, 3], [1, 1, 2]])  # repeated indices accumulate


def _put_along_ref(a):
    out = np.zeros((2, 4))
    for i in range(2):
        for j in range(3):
            out[i, _PUT_IDX[i, j]] += a[i, j]
    return out


def _lse_keep(a):
    m = a.max(0, keepdims=True)
    return np.log(np.exp(a - m).sum(0, keepdims=True)) + m


# --- nn.functional compositions: padding, distances, activations, attention -------------------

def _np_cos(a, b, axis, eps=1e-8):
    na = np.maximum(np.sqrt((a * a).sum(axis, keepdims=True)), eps)
    nb = np.maximum(np.sqrt((b * b).sum(axis, keepdims=True)), eps)
    return ((a / na) * (b / nb)).sum(axis)


def _np_sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _np_sdpa(q, k, v, keep=None, bias=None, scale=None):
    s = q @ np.swapaxes(k, -1, -2) * (1 / np.sqrt(q.shape[-1]) if scale is None else scale)
    if bias is not None:
        s = s + bias
    if keep is not None:
        s = np.where(keep, s, -np.inf)
    e = np.exp(s - s.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)) @ v


_SELU_A, _SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
_KEEP = np.array([[1, 0, 1, 1, 0], [1, 1, 0, 0, 1], [0, 1, 1, 1, 1]], dtype=bool)
_PAD_NP = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}

CASES += [
    Case("pad_constant", lambda a: gg.nn.functional.pad(a, (1, 2, 0, 3, 2, 1), value=1.5),
         lambda a: np.pad(a, ((2, 1), (0, 3), (1, 2)), constant_values=1.5), ((2, 3, 4),)),
    Case("pad_constant_crop", lambda a: gg.nn.functional.pad(a, (-1, 2, 1, -1)),
         lambda a: np.pad(a[:, :-1, 1:], ((0, 0), (1, 0), (0, 2))), ((2, 3, 4),)),
    *[Case(f"pad_{mode}", lambda a, mode=mode: gg.nn.functional.pad(a, (2, 1, 1, 2), mode=mode),
           lambda a, mode=mode: np.pad(a, ((0, 0), (1, 2), (2, 1)), mode=_PAD_NP[mode]),
           ((2, 3, 4),)) for mode in _PAD_NP],
    Case("pad_reflect_1d", lambda a: gg.nn.functional.pad(a, (3, 2), mode="reflect"),
         lambda a: np.pad(a, ((0, 0), (3, 2)), mode="reflect"), ((2, 4),)),
    Case("cosine_similarity", lambda a, b: gg.nn.functional.cosine_similarity(a, b),
         lambda a, b: _np_cos(a, b, 1), ((2, 3, 4), (3, 4))),
    Case("cosine_similarity_top", lambda a, b: gg.cosine_similarity(a, b, dim=-1),
         lambda a, b: _np_cos(a, b, -1), ((3, 4), (3, 4))),
    Case("pairwise_distance", lambda a, b: gg.nn.functional.pairwise_distance(a, b),
         lambda a, b: np.sqrt(((a - b + 1e-6) ** 2).sum(-1)), ((3, 4), (3, 4))),
    Case("pairwise_distance_p3_keep",
         lambda a, b: gg.nn.functional.pairwise_distance(a, b, p=3.0, keepdim=True),
         lambda a, b: (np.abs(a - b + 1e-6) ** 3).sum(-1, keepdims=True) ** (1 / 3),
         ((3, 4), (4,))),
    Case("logsigmoid", gg.nn.functional.logsigmoid, lambda a: np.log(_np_sigmoid(a)), ((3, 4),),
         (-5.0, 5.0)),
    Case("selu", gg.nn.functional.selu,
         lambda a: _SELU_S * np.where(a > 0, a, _SELU_A * np.expm1(a)), ((3, 4),)),
    Case("celu", lambda a: gg.nn.functional.celu(a, alpha=0.7),
         lambda a: np.where(a > 0, a, 0.7 * np.expm1(a / 0.7)), ((3, 4),)),
    Case("hardswish", gg.nn.functional.hardswish,
         lambda a: a * np.clip(a + 3, 0, 6) / 6, ((3, 4),), (-4.0, 4.0)),
    Case("hardsigmoid", gg.nn.functional.hardsigmoid,
         lambda a: np.clip(a + 3, 0, 6) / 6, ((3, 4),), (-4.0, 4.0)),
    Case("glu", lambda a: gg.nn.functional.glu(a, dim=1),
         lambda a: a[:, :2] * _np_sigmoid(a[:, 2:]), ((3, 4),)),
    Case("threshold", lambda a: gg.nn.functional.threshold(a, 0.1, -2.0),
         lambda a: np.where(a > 0.1, a, -2.0), ((3, 4),)),
    Case("sdpa", lambda q, k, v: gg.nn.functional.scaled_dot_product_attention(q, k, v),
         _np_sdpa, ((2, 3, 4), (2, 5, 4), (2, 5, 2))),
    Case("sdpa_causal_scale",
         lambda q, k, v: gg.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True,
                                                                       scale=0.5),
         lambda q, k, v: _np_sdpa(q, k, v, keep=np.tri(3, 5, dtype=bool), scale=0.5),
         ((2, 3, 4), (2, 5, 4), (2, 5, 2))),
    Case("sdpa_bool_mask",
         lambda q, k, v: gg.nn.functional.scaled_dot_product_attention(
             q, k, v, attn_mask=gg.tensor(_KEEP)),
         lambda q, k, v: _np_sdpa(q, k, v, keep=_KEEP), ((2, 3, 4), (2, 5, 4), (2, 5, 2))),
    Case("sdpa_float_mask",
         lambda q, k, v, m: gg.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m),
         lambda q, k, v, m: _np_sdpa(q, k, v, bias=m), ((3, 4), (5, 4), (5, 2), (3, 5))),
]


# --- distances, contractions and linear algebra (gpugrad/ops/extra.py) ----------------------

_E4 = 3.0 * np.eye(4)  # added to the random input: a well-conditioned matrix


def _np_spd(a):
    return a @ np.swapaxes(a, -1, -2) + np.eye(a.shape[-1])


def _gg_spd(a):
    return a @ a.mT + gg.eye(a.shape[-1], dtype=a.dtype)


def _np_cross(a, b, axis):
    return np.cross(a, b, axis=axis)


CASES += [
    Case("cdist", gg.cdist, lambda a, b: np.sqrt(((a[:, :, None] - b[:, None]) ** 2).sum(-1)),
         ((2, 3, 4), (2, 5, 4))),
    Case("cdist_p1_bcast", lambda a, b: gg.cdist(a, b, p=1.0),
         lambda a, b: np.abs(a[:, :, None] - b[None, None]).sum(-1), ((2, 3, 4), (5, 4))),
    Case("dist_p3", lambda a, b: a.dist(b, 3), lambda a, b: (np.abs(a - b) ** 3).sum() ** (1 / 3),
         ((3, 4), (4,))),
    Case("tensordot", lambda a, b: gg.tensordot(a, b, dims=([1, 2], [1, 0])),
         lambda a, b: np.tensordot(a, b, axes=([1, 2], [1, 0])), ((2, 3, 4), (4, 3, 5))),
    Case("tensordot_int", lambda a, b: gg.tensordot(a, b, 1),
         lambda a, b: np.tensordot(a, b, 1), ((2, 3), (3, 4))),
    Case("trace", lambda a: a.trace(), np.trace, ((3, 4),)),
    Case("cross_dim", lambda a, b: gg.cross(a, b, dim=0), lambda a, b: _np_cross(a, b, 0),
         ((3, 4), (3, 4))),
    Case("linalg_cross_bcast", gg.linalg.cross, lambda a, b: _np_cross(a, b, -1),
         ((4, 3), (1, 3))),
    Case("logit", gg.logit, lambda a: np.log(a / (1 - a)), ((3, 4),), (0.05, 0.95)),
    Case("logit_eps", lambda a: a.logit(eps=0.2), lambda a: np.log(np.clip(a, 0.2, 0.8)
                                                                   / (1 - np.clip(a, 0.2, 0.8))),
         ((3, 4),), (0.05, 0.95)),
    Case("linalg_inv", lambda a: gg.linalg.inv(a + gg.tensor(_E4, dtype=a.dtype)),
         lambda a: np.linalg.inv(a + _E4), ((2, 4, 4),), fwd_tol=1e-4, f64_tol=1e-10),
    Case("inverse_method", lambda a: (a + gg.tensor(_E4, dtype=a.dtype)).inverse(),
         lambda a: np.linalg.inv(a + _E4), ((4, 4),), fwd_tol=1e-4, f64_tol=1e-10),
    Case("linalg_solve", lambda a, b: gg.linalg.solve(a + gg.tensor(_E4, dtype=a.dtype), b),
         lambda a, b: np.linalg.solve(a + _E4, b), ((2, 4, 4), (2, 4, 3)), fwd_tol=1e-4,
         f64_tol=1e-10),
    Case("linalg_solve_vector", lambda a, b: gg.linalg.solve(a + gg.tensor(_E4, dtype=a.dtype),
                                                             b),
         lambda a, b: np.linalg.solve(a + _E4, b[:, None])[:, 0], ((4, 4), (4,)), fwd_tol=1e-4,
         f64_tol=1e-10),
    Case("linalg_det", lambda a: gg.linalg.det(a + gg.tensor(_E4, dtype=a.dtype)),
         lambda a: np.linalg.det(a + _E4), ((2, 4, 4),), fwd_tol=1e-4, f64_tol=1e-10),
    Case("linalg_slogdet", lambda a: gg.linalg.slogdet(a + gg.tensor(_E4, dtype=a.dtype))[1],
         lambda a: np.linalg.slogdet(a + _E4)[1], ((2, 4, 4),), fwd_tol=1e-4, f64_tol=1e-10),
    Case("logdet_spd", lambda a: _gg_spd(a).logdet(), lambda a: np.log(np.linalg.det(_np_spd(a))),
         ((3, 3),), fwd_tol=1e-4, f64_tol=1e-10),
    Case("linalg_cholesky", lambda a: gg.linalg.cholesky(_gg_spd(a)),
         lambda a: np.linalg.cholesky(_np_spd(a)), ((2, 3, 3),), fwd_tol=1e-4, f64_tol=1e-10),
    Case("cholesky_upper", lambda a: gg.linalg.cholesky(_gg_spd(a), upper=True),
         lambda a: np.swapaxes(np.linalg.cholesky(_np_spd(a)), -1, -2), ((3, 3),),
         fwd_tol=1e-4, f64_tol=1e-10),
]
