"""Op-table rows for the math ops (merged into ``optable.CASES``); same ``Case`` fields."""

import math

import numpy as np

import gpugrad as gg

from .optable import Case

_erf = np.vectorize(math.erf, otypes=[np.float64])
_erfc = np.vectorize(math.erfc, otypes=[np.float64])
P = (0.5, 2.0)  # a positive domain

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
    Case("lerp", gg.lerp, lambda a, b, w: a + w * (b - a), ((3, 4), (4,), (3, 1)), (-1.5, 1.5)),
    Case("lerp_weight_low", lambda a, b: a.lerp(b, 0.3), lambda a, b: a + 0.3 * (b - a),
         ((3, 4), (3, 4))),
    Case("lerp_weight_high", lambda a, b: gg.lerp(a, b, 0.8), lambda a, b: a + 0.8 * (b - a),
         ((3, 4), (3, 4))),
]
