"""Op-table rows for the norm ops (merged into ``optable.CASES``); same ``Case`` fields.

References: float64 NumPy, written from the definitions (biased variance, eps inside the root).
"""

import numpy as np

import gpugrad as gg
import gpugrad.nn.functional as F

from .optable import Case

EPS = 1e-5
RM, RV = np.array([0.3, -0.2, 0.1]), np.array([0.5, 1.5, 2.0])  # running statistics (eval)


def _layer_norm(x, k, w=None, b=None):
    axes = tuple(range(x.ndim - k, x.ndim))
    y = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + EPS)
    return y * (1.0 if w is None else w) + (0.0 if b is None else b)


def _batch_norm(x, w=None, b=None, mean=None, var=None):
    axes = (0,) + tuple(range(2, x.ndim))
    view = (-1,) + (1,) * (x.ndim - 2)
    mean = x.mean(axes, keepdims=True) if mean is None else mean.reshape(view)
    var = x.var(axes, keepdims=True) if var is None else var.reshape(view)
    y = (x - mean) / np.sqrt(var + EPS)
    if w is not None:
        y = y * w.reshape(view)
    return y if b is None else y + b.reshape(view)


def _running(x):
    return [gg.tensor(a, dtype=x.dtype, device=x.device) for a in (RM, RV)]


CASES: list = [
    Case("layer_norm_affine", lambda x, w, b: F.layer_norm(x, (5,), w, b),
         lambda x, w, b: _layer_norm(x, 1, w, b), ((4, 5), (5,), (5,))),
    Case("layer_norm", lambda x: F.layer_norm(x, 5), lambda x: _layer_norm(x, 1), ((4, 5),)),
    Case("layer_norm_affine_3d_last2", lambda x, w, b: F.layer_norm(x, (3, 4), w, b),
         lambda x, w, b: _layer_norm(x, 2, w, b), ((2, 3, 4), (3, 4), (3, 4))),
    Case("layer_norm_3d", lambda x: F.layer_norm(x, [4]), lambda x: _layer_norm(x, 1),
         ((2, 3, 4),)),
    Case("layer_norm_weight_only_1d", lambda x, w: F.layer_norm(x, (6,), w),
         lambda x, w: _layer_norm(x, 1, w), ((6,), (6,))),
    Case("layer_norm_bias_only", lambda x, b: F.layer_norm(x, (4,), None, b),
         lambda x, b: _layer_norm(x, 1, None, b), ((3, 4), (4,))),
    Case("batch_norm_train_affine",
         lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
         lambda x, w, b: _batch_norm(x, w, b), ((6, 3), (3,), (3,))),
    Case("batch_norm_train", lambda x: F.batch_norm(x, None, None, training=True),
         _batch_norm, ((6, 3),)),
    Case("batch_norm_train_affine_3d",
         lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
         lambda x, w, b: _batch_norm(x, w, b), ((4, 3, 5), (3,), (3,))),
    Case("batch_norm_train_3d", lambda x: F.batch_norm(x, None, None, training=True),
         _batch_norm, ((2, 3, 4),)),
    Case("batch_norm_eval_affine",
         lambda x, w, b: F.batch_norm(x, *_running(x), w, b, training=False),
         lambda x, w, b: _batch_norm(x, w, b, RM, RV), ((6, 3), (3,), (3,))),
]
