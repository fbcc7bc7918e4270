"""Op-table rows for the index and shape ops (merged into ``optable.CASES``); same ``Case``
fields. Index tensors are built on the input's device; the NumPy references are written
independently (loops where NumPy has no one-call equivalent)."""

import numpy as np

import gpugrad as gg

from .optable import Case


def _t(arr, like):
    """An index/mask tensor on ``like``'s device."""
    return gg.tensor(arr, device=like.device)


def _clone_set(key, value_fn=None):
    """``y = a.clone(); y[key] = v; y`` (v from value_fn(other inputs) or a number)."""
    def fn(a, *vs):
        y = a.clone()
        y[key(a) if callable(key) else key] = value_fn(*vs) if value_fn else 5.0
        return y
    return fn


def _np_set(key, value_fn=None):
    def ref(a, *vs):
        y = a.copy()
        y[key] = value_fn(*vs) if value_fn else 5.0
        return y
    return ref


# -- references along a dimension (loops: independent of the implementation) -----------------

def _np_gather(x, dim, idx):
    out = np.empty(idx.shape)
    for pos in np.ndindex(*idx.shape):
        src = list(pos)
        src[dim] = idx[pos]
        out[pos] = x[tuple(src)]
    return out


def _np_scatter(x, dim, idx, src, op=None, include_self=True):
    """x with src sent to idx along dim: replaced (op None), or reduced by op
    ("sum", "prod", "mean", "amax", "amin")."""
    out = x.copy()
    sent: dict = {}
    for pos in np.ndindex(*idx.shape):
        dst = list(pos)
        dst[dim] = idx[pos]
        sent.setdefault(tuple(dst), []).append(src[pos] if np.ndim(src) else src)
    for dst, vals in sent.items():
        vals = ([x[dst]] if include_self and op else []) + vals
        if op is None:
            out[dst] = vals[-1]
        else:
            out[dst] = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max,
                        "amin": np.min}[op](vals)
    return out


def _np_diag_set(x, src, offset, d1, d2):
    out = x.copy()
    view = np.diagonal(out, offset, d1, d2)
    view.flags.writeable = True
    view[...] = src
    return out


def _np_roll(x, shifts, dims):
    for s, d in zip(shifts, dims):
        n = x.shape[d]
        x = np.take(x, [(i - s) % n for i in range(n)], axis=d)
    return x


def _np_repeat(x, reps):
    x = x.reshape((1,) * (len(reps) - x.ndim) + x.shape)
    for d, r in enumerate(reps):
        x = np.concatenate([x] * r, axis=d)
    return x


PERM = np.array([[2, 0, 1, 3], [1, 3, 0, 2], [0, 1, 3, 2]])  # no repeats along dim 1
DUPS = np.array([[0, 0, 2], [3, 1, 1], [2, 2, 2]])  # repeats along dim 1 (reductions)
MASK = np.array([[True, False, True, True], [False, False, False, True],
                 [True, True, False, False]])
ROWMASK = np.array([True, False, True])
IDX = np.array([2, 0, 2])
ROWS = np.array([[2, 0, 1, 2], [1, 2, 0, 0]])  # no repeats along dim 0

CASES = [
    # getitem with ranges, lists, tuples, mixed with slices/None/...
    Case("index_range", lambda a: a[range(3), _t([0, 2, 1], a)],
         lambda a: a[np.arange(3), [0, 2, 1]], ((3, 4),)),
    Case("index_list", lambda a: a[[0, 2, 0]], lambda a: a[[0, 2, 0]], ((3, 4),)),
    Case("index_list_pairs", lambda a: a[[0, 1, 1], [1, 2, 1]],
         lambda a: a[[0, 1, 1], [1, 2, 1]], ((3, 4),)),
    Case("index_list_slice", lambda a: a[1:, [0, 3, 3]], lambda a: a[1:, [0, 3, 3]], ((3, 4),)),
    Case("index_none_ellipsis_list", lambda a: a[None, ..., (0, 2)],
         lambda a: a[None, ..., [0, 2]], ((2, 3, 4),)),
    Case("index_split_advanced", lambda a: a[[0, 1], :, [1, 3]],
         lambda a: a[[0, 1], :, [1, 3]], ((2, 3, 4),)),
    Case("index_bool_list_and_int", lambda a: a[[True, False, True], 1:3],
         lambda a: a[ROWMASK, 1:3], ((3, 4),)),
    Case("index_mask_and_int", lambda a: a[_t(ROWMASK, a), 2], lambda a: a[ROWMASK, 2],
         ((3, 4),)),
    # setitem: the value gets grad[key], the overwritten places of the target get zero
    Case("setitem_slice_tensor", _clone_set((0, slice(1, 3)), lambda v: v),
         _np_set((0, slice(1, 3)), lambda v: v), ((3, 4), (2,))),
    Case("setitem_number", _clone_set((slice(None), 1)), _np_set((slice(None), 1)), ((3, 4),)),
    Case("setitem_list_broadcast", _clone_set([0, 2], lambda v: v),
         _np_set([0, 2], lambda v: v), ((3, 4), (4,))),
    Case("setitem_mask_0d", _clone_set(lambda a: a > 0, lambda v: v),
         lambda a, v: np.where(a > 0, v, a), ((3, 4), ())),
    Case("setitem_range_pairs", _clone_set((range(3), [3, 0, 1]), lambda v: v * 2),
         _np_set((np.arange(3), [3, 0, 1]), lambda v: v * 2), ((3, 4), (3,))),
    Case("setitem_into_buffer",
         lambda v: _into_buffer(v), lambda v: np.stack([np.zeros(3), v, np.zeros(3)]),
         ((3,),)),
    Case("index_put_accumulate",
         lambda a, v: a.index_put((_t([0, 2, 0], a),), v, accumulate=True),
         lambda a, v: _np_scatter(a, 0, np.array([[0] * 4, [2] * 4, [0] * 4]), v, "sum"),
         ((3, 4), (3, 4))),
    Case("index_put_inplace", lambda a, v: _inplace(a, lambda y: y.index_put_(
        (_t([1, 2], a), _t([3, 0], a)), v)),
         _np_set(([1, 2], [3, 0]), lambda v: v), ((3, 4), (2,))),
    # along a dimension
    Case("gather", lambda a: gg.gather(a, 1, _t(DUPS, a)), lambda a: _np_gather(a, 1, DUPS),
         ((3, 4),)),
    Case("gather_dim0_small", lambda a: a.gather(0, _t([[2, 0, 1]], a)),
         lambda a: _np_gather(a, 0, np.array([[2, 0, 1]])), ((3, 4),)),
    Case("take_along_dim", lambda a: gg.take_along_dim(a, _t(PERM[:, :2], a), 1),
         lambda a: np.take_along_axis(a, PERM[:, :2], 1), ((3, 4),)),
    Case("take_along_dim_broadcast", lambda a: a.take_along_dim(_t([[3, 0]], a), dim=1),
         lambda a: a[:, [3, 0]], ((3, 4),)),
    Case("take_along_dim_flat", lambda a: gg.take_along_dim(a, _t([11, -1, 0], a)),
         lambda a: a.reshape(-1)[[11, -1, 0]], ((3, 4),)),
    Case("take", lambda a: gg.take(a, _t([[0, 11], [5, -1]], a)),
         lambda a: a.reshape(-1)[[[0, 11], [5, -1]]], ((3, 4),)),
    Case("index_select", lambda a: gg.index_select(a, 1, _t([3, 0, 3], a)),
         lambda a: a[:, [3, 0, 3]], ((3, 4),)),
    Case("scatter_src", lambda a, s: a.scatter(1, _t(PERM[:, :3], a), s),
         lambda a, s: _np_scatter(a, 1, PERM[:, :3], s), ((3, 4), (3, 5))),
    Case("scatter_value", lambda a: gg.scatter(a, 1, _t(PERM[:, :2], a), value=-1.5),
         lambda a: _np_scatter(a, 1, PERM[:, :2], -1.5), ((3, 4),)),
    Case("scatter_inplace", lambda a, s: _inplace(a, lambda y: y.scatter_(0, _t(ROWS, a), s)),
         lambda a, s: _np_scatter(a, 0, ROWS, s), ((3, 4), (2, 4))),
    Case("scatter_add", lambda a, s: gg.scatter_add(a, 1, _t(DUPS, a), s),
         lambda a, s: _np_scatter(a, 1, DUPS, s, "sum"), ((3, 4), (3, 3))),
    Case("scatter_add_inplace",
         lambda a, s: _inplace(a, lambda y: y.scatter_add_(1, _t(DUPS, a), s)),
         lambda a, s: _np_scatter(a, 1, DUPS, s, "sum"), ((3, 4), (3, 3))),
    *[
        Case(f"scatter_reduce_{r}{'' if incl else '_noself'}",
             lambda a, s, r=r, incl=incl: a.scatter_reduce(1, _t(DUPS, a), s, r,
                                                           include_self=incl),
             lambda a, s, r=r, incl=incl: _np_scatter(a, 1, DUPS, s, r, incl),
             ((3, 4), (3, 3)), (0.5, 2.0) if r == "prod" else (-2.0, 2.0))
        for r in ("sum", "prod", "mean", "amax", "amin") for incl in (True, False)
    ],
    Case("scatter_multiply", lambda a, s: a.scatter(0, _t(DUPS[:2, :3], a), s, reduce="multiply"),
         lambda a, s: _np_scatter(a, 0, DUPS[:2, :3], s, "prod"), ((4, 4), (2, 3)),
         (0.5, 2.0)),
    Case("index_add", lambda a, s: gg.index_add(a, 0, _t(IDX, a), s, alpha=2.0),
         lambda a, s: _np_scatter(a, 0, np.repeat(IDX[:, None], 4, 1), 2 * s, "sum"),
         ((3, 4), (3, 4))),
    Case("index_add_inplace", lambda a, s: _inplace(a, lambda y: y.index_add_(1, _t(IDX, a), s)),
         lambda a, s: _np_scatter(a, 1, np.repeat(IDX[None], 3, 0), s, "sum"),
         ((3, 4), (3, 3))),
    Case("index_copy", lambda a, s: a.index_copy(1, _t([3, 0], a), s),
         lambda a, s: _np_set((slice(None), [3, 0]), lambda v: v)(a, s), ((3, 4), (3, 2))),
    Case("index_fill_tensor", lambda a, v: a.index_fill(1, _t([0, 2], a), v),
         lambda a, v: _np_set((slice(None), [0, 2]), lambda w: w)(a, v), ((3, 4), ())),
    Case("index_fill_inplace", lambda a: _inplace(a, lambda y: y.index_fill_(0, _t([1], a), 0.5)),
         _np_set(1, lambda: 0.5), ((3, 4),)),
    Case("masked_fill", lambda a: a.masked_fill(_t(MASK, a), -1.0),
         lambda a: np.where(MASK, -1.0, a), ((3, 4),)),
    Case("masked_fill_tensor_bcast", lambda a, v: gg.masked_fill(a, _t(ROWMASK[:, None], a), v),
         lambda a, v: np.where(ROWMASK[:, None], v, a), ((3, 4), ())),
    Case("masked_fill_inplace", lambda a, v: _inplace(a, lambda y: y.masked_fill_(
        _t(MASK[0], a), v)), lambda a, v: np.where(MASK[0], v, a), ((3, 4), ())),
    Case("masked_select", lambda a: gg.masked_select(a, _t(MASK, a)), lambda a: a[MASK],
         ((3, 4),)),
    Case("masked_select_bcast", lambda a: a.masked_select(_t(MASK, a)),
         lambda a: np.broadcast_to(a, (3, 4))[MASK], ((4,),)),
    Case("masked_scatter", lambda a, s: a.masked_scatter(_t(MASK, a), s),
         lambda a, s: _np_masked_scatter(a, MASK, s), ((3, 4), (2, 5))),
    Case("masked_scatter_inplace",
         lambda a, s: _inplace(a, lambda y: y.masked_scatter_(_t(ROWMASK[:, None], a), s)),
         lambda a, s: _np_masked_scatter(a, np.broadcast_to(ROWMASK[:, None], (3, 4)), s),
         ((3, 4), (9,))),
    Case("where_number_right", lambda a: gg.where(a > 0, a, 0.0),
         lambda a: np.where(a > 0, a, 0.0), ((3, 4),)),
    Case("where_number_left", lambda a: gg.where(a > 0, 2.5, a),
         lambda a: np.where(a > 0, 2.5, a), ((3, 4),)),
    Case("tensor_where", lambda a, b: a.where(a > b, b), lambda a, b: np.where(a > b, a, b),
         ((3, 4), (4,))),
    # shape
    Case("chunk", lambda a: _weighted(gg.chunk(a, 3, 1), 1), lambda a: _np_weighted(
        np.split(a, [2, 4], 1), 1), ((3, 5),)),
    Case("split_int", lambda a: _weighted(a.split(2, dim=0), 0),
         lambda a: _np_weighted(np.split(a, [2, 4], 0), 0), ((5, 3),)),
    Case("split_sizes", lambda a: _weighted(gg.split(a, [1, 3, 1], -1), -1),
         lambda a: _np_weighted(np.split(a, [1, 4], -1), -1), ((2, 5),)),
    Case("tensor_split", lambda a: _weighted(gg.tensor_split(a, 3), 0),
         lambda a: _np_weighted(np.array_split(a, 3), 0), ((7, 2),)),
    Case("tensor_split_indices", lambda a: _weighted(a.tensor_split([1, 4], dim=1), 1),
         lambda a: _np_weighted(np.split(a, [1, 4], 1), 1), ((2, 6),)),
    Case("unbind", lambda a: gg.stack([p * (i + 1.0) for i, p in enumerate(a.unbind(1))]),
         lambda a: np.stack([a[:, i] * (i + 1.0) for i in range(a.shape[1])]), ((3, 4),)),
    Case("narrow", lambda a: a.narrow(1, -3, 2), lambda a: a[:, 1:3], ((3, 4),)),
    Case("select", lambda a: gg.select(a, -1, 2), lambda a: a[..., 2], ((2, 3, 4),)),
    Case("repeat", lambda a: a.repeat(2, 1, 3), lambda a: _np_repeat(a, (2, 1, 3)), ((2, 3),)),
    Case("tile", lambda a: gg.tile(a, (2,)), lambda a: _np_repeat(a, (1, 2)), ((2, 3),)),
    Case("flip", lambda a: gg.flip(a, (0, 2)), lambda a: a[::-1, :, ::-1], ((2, 3, 4),)),
    Case("flip_method_lr_ud", lambda a: a.flip(-1).fliplr() + gg.flipud(a),
         lambda a: a[:, ::-1][:, ::-1] + a[::-1], ((3, 4),)),
    Case("roll", lambda a: gg.roll(a, (1, -3), (0, 1)), lambda a: _np_roll(a, (1, -3), (0, 1)),
         ((3, 4),)),
    Case("roll_flat", lambda a: a.roll(5), lambda a: _np_roll(a.reshape(-1), (5,), (0,))
         .reshape(a.shape), ((3, 4),)),
    Case("movedim", lambda a: gg.movedim(a, (0, 1), (2, 0)), lambda a: np.moveaxis(
        a, (0, 1), (2, 0)), ((2, 3, 4),)),
    Case("moveaxis_swap", lambda a: a.moveaxis(0, -1).swapaxes(0, 1).swapdims(1, 2),
         lambda a: np.moveaxis(a, 0, -1).swapaxes(0, 1).swapaxes(1, 2), ((2, 3, 4),)),
    Case("unflatten", lambda a: a.unflatten(1, (2, -1)), lambda a: a.reshape(3, 2, 3),
         ((3, 6),)),
    Case("as_other", lambda a, b: a.view_as(b) + a.reshape_as(b) + b.expand_as(a.view_as(b)),
         lambda a, b: 2 * a.reshape(b.shape) + b, ((3, 4), (4, 3))),
    Case("squeeze_dims", lambda a: a.squeeze((0, 2)), lambda a: a.reshape(3, 2), ((1, 3, 1, 2),)),
    Case("diagonal", lambda a: a.diagonal(), lambda a: np.diagonal(a), ((3, 4),)),
    Case("diagonal_offset_dims", lambda a: gg.diagonal(a, -1, 2, 0),
         lambda a: np.diagonal(a, -1, 2, 0), ((3, 2, 4),)),
    Case("diag_1d", lambda a: gg.diag(a, 1), lambda a: np.diag(a, 1), ((3,),)),
    Case("diag_2d", lambda a: a.diag(-1), lambda a: np.diag(a, -1), ((4, 3),)),
    Case("diag_embed", lambda a: gg.diag_embed(a, 1, 0, 2),
         lambda a: _np_diag_set(np.zeros((4, 2, 4)), a, 1, 0, 2), ((2, 3),)),
    Case("diagonal_scatter", lambda a, s: gg.diagonal_scatter(a, s, 1),
         lambda a, s: _np_diag_set(a, s, 1, 0, 1), ((3, 4), (3,))),
    Case("t_ravel", lambda a: a.t().ravel(), lambda a: a.T.reshape(-1), ((3, 4),)),
    Case("hstack", lambda a, b: gg.hstack([a, b]), lambda a, b: np.hstack([a, b]),
         ((3, 1), (3, 2))),
    Case("vstack", lambda a, b: gg.vstack([a, b]), lambda a, b: np.vstack([a, b]),
         ((3,), (2, 3))),
    Case("column_stack", lambda a, b: gg.column_stack([a, b]),
         lambda a, b: np.column_stack([a, b]), ((3,), (3, 2))),
    Case("dstack", lambda a, b: gg.dstack((a, b)), lambda a, b: np.dstack((a, b)),
         ((2,), (1, 2))),
    Case("atleast", lambda a: gg.atleast_3d(a) + gg.atleast_2d(a)[..., None]
         + gg.atleast_1d(a)[None, :, None], lambda a: 3 * a.reshape(1, -1, 1), ((3,),)),
    Case("broadcast_tensors", lambda a, b: _weighted(gg.broadcast_tensors(a, b), 0),
         lambda a, b: _np_weighted(np.broadcast_arrays(a, b), 0), ((3, 1), (4,))),
]


def _inplace(a, write):
    """``write`` (an in-place op) applied to a non-leaf copy of ``a``; that copy."""
    y = a * 1.0
    out = write(y)
    assert out is y
    return y


def _into_buffer(v):
    buf = gg.zeros(3, 3, dtype=v.dtype, device=v.device)  # no grad: becomes part of the graph
    buf[1] = v
    return buf


def _np_masked_scatter(a, mask, src):
    out = a.copy()
    out[mask] = src.reshape(-1)[:mask.sum()]
    return out


def _weighted(pieces, dim):
    """The pieces joined along ``dim``, piece i scaled by i + 1 (each has its own gradient)."""
    return gg.cat([p * (i + 1.0) for i, p in enumerate(pieces)], dim)


def _np_weighted(pieces, dim):
    return np.concatenate([p * (i + 1.0) for i, p in enumerate(pieces)], dim)
