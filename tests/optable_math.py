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
]
