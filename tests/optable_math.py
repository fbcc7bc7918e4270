"""Op-table rows for the math ops (merged into ``optable.CASES``); same ``Case`` fields."""

import math

import numpy as np

import gpugrad as gg

from .optable import Case

_erf = np.vectorize(math.erf, otypes=[np.float64])

CASES: list = [
    Case("erf", gg.erf, _erf, ((3, 4),), (-2.5, 2.5)),
    Case("erf_method_0d", lambda a: a.erf() * 2, lambda a: _erf(a) * 2, ((),)),
]
