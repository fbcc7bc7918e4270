"""How tensors print: PyTorch's layout and options (``set_printoptions``, ``get_printoptions``).

``repr(t)`` reads ``tensor([...], device=..., dtype=..., grad_fn=<MulBackward0>)``, with
PyTorch's choice of number format: every value of a floating tensor is written alike, as
integers with a trailing dot (``1.``) when all of them are whole, in scientific notation when
they span more than three orders of magnitude (or pass 1e8, or fall under 1e-4), else with
``precision`` decimals; columns are right-aligned and lines wrap at ``linewidth``. A tensor with
more than ``threshold`` elements is summarized: only ``edgeitems`` entries at each end of every
dimension are fetched from the device and shown, with ``...`` between them.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import _device as _dev
from . import dtypes as _dt

__all__ = ["set_printoptions", "get_printoptions", "printoptions"]

_PROFILES: dict[str, dict[str, float]] = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


class _Options:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_opts = _Options()


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """Set how tensors print, as ``torch.set_printoptions``.

    ``precision``: decimals of floating values (4); ``threshold``: the number of elements above
    which a tensor is summarized (1000); ``edgeitems``: entries shown at each end of a
    summarized dimension (3); ``linewidth``: characters per line (80); ``profile``:
    ``"default"``, ``"short"`` (precision 2, edgeitems 2) or ``"full"`` (never summarize),
    applied first; ``sci_mode``: True or False forces scientific notation on or off, None
    (the default, set by every call) lets the values decide.
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: unknown profile {profile!r}; expected one of "
                             f"{sorted(_PROFILES)}")
        for k, v in _PROFILES[profile].items():
            setattr(_opts, k, v)
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            setattr(_opts, name, value)
    _opts.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current print options, as keywords that ``set_printoptions`` takes back."""
    return {k: getattr(_opts, k)
            for k in ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")}


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Change the print options inside a ``with`` block (the keywords of ``set_printoptions``)."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


# --- number formats ------------------------------------------------------------------------


class _Formatter:
    """One format for every value of a tensor, chosen from the values that will be shown."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        p = _opts.precision
        if not self.floating:
            for v in values.ravel().tolist():
                self.width = max(self.width, len(str(v)))
            return
        v64 = values.astype(np.float64).ravel()
        nz = v64[np.isfinite(v64) & (v64 != 0)]
        if nz.size == 0:
            return
        mag = np.abs(nz)
        lo, hi = float(mag.min()), float(mag.max())
        self.int_mode = bool(np.all(nz == np.ceil(nz)))
        self.sci_mode = (hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
                         if _opts.sci_mode is None else bool(_opts.sci_mode))
        items = nz.tolist()
        if self.sci_mode:
            lens = (len(f"{v:.{p}e}") for v in items)
        elif self.int_mode:
            lens = (len(f"{v:.0f}") + 1 for v in items)  # + 1 for the trailing dot
        else:
            lens = (len(f"{v:.{p}f}") for v in items)
        self.width = max(self.width, max(lens))

    def format(self, v: Any) -> str:
        if not self.floating:
            s = str(v)
        elif self.sci_mode:
            s = f"{v:{self.width}.{_opts.precision}e}"
        elif self.int_mode:
            s = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
        else:
            s = f"{v:.{_opts.precision}f}"
        return s.rjust(self.width)


# --- layout ----------------------------------------------------------------------------------


def _summarized(a: Any, edge: int) -> Any:
    """The entries of ``a`` (on its device) that a summary shows: ``edge`` at each end of every
    dimension longer than ``2 * edge``."""
    for axis, n in enumerate(a.shape):
        if n > 2 * edge:
            idx = list(range(edge)) + list(range(n - edge, n))
            a = a.take(_dev.array_module(a).asarray(idx, dtype=np.int64), axis=axis)
    return a


def _body(a: np.ndarray, cut: tuple[bool, ...], fmt: _Formatter, indent: int,
          summarize: bool) -> str:
    """The nested-bracket text of host array ``a``; ``cut[k]``: dimension k was summarized."""
    if a.ndim == 0:
        return fmt.format(a.item())
    edge = _opts.edgeitems
    if a.ndim == 1:
        items = [fmt.format(v) for v in a.tolist()]
        if summarize and not edge:
            items = ["..."]
        elif cut[0]:
            items = items[:edge] + [" ..."] + items[edge:]
        per_line = max(1, math.floor((_opts.linewidth - indent) / (fmt.width + 2)))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = [_body(a[i], cut[1:], fmt, indent + 1, summarize) for i in range(a.shape[0])]
    if cut[0]:
        rows = rows[:edge] + ["..."] + rows[edge:]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _with_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """``text`` followed by ``, suffix`` for each suffix (on a new line where it would pass the
    line width) and the closing parenthesis."""
    out = [text]
    last = len(text) - text.rfind("\n") + 1
    for s in suffixes:
        if last + len(s) + 2 > _opts.linewidth:
            out.append(",\n" + " " * indent + s)
            last = indent + len(s)
        else:
            out.append(", " + s)
            last += len(s) + 2
    return "".join(out) + ")"


def tensor_repr(t: Any) -> str:
    """PyTorch's text of tensor ``t`` (a ``gpugrad.Tensor``)."""
    data = t._data
    prefix = "tensor("
    indent = len(prefix)
    dt = _dt.from_numpy_dtype(data.dtype)
    default = _dt.get_default_dtype()
    suffixes = []
    dev = _dev.device_of(data)
    if dev.type != "cpu":
        suffixes.append(f"device='{dev}'")
    if data.size == 0:
        if data.ndim != 1:
            suffixes.append(f"size={tuple(data.shape)}")
        if dt is not default:
            suffixes.append(f"dtype={dt!r}")
        text = "[]"
    else:
        edge = _opts.edgeitems
        summarize = data.size > _opts.threshold
        if not edge:
            suffixes.append(f"size={tuple(data.shape)}")
        if dt not in (default, _dt.int64, _dt.bool_):
            suffixes.append(f"dtype={dt!r}")
        shown = _dev.to_host(_summarized(data, edge) if summarize else data)
        cut = tuple(summarize and n > 2 * edge for n in data.shape)
        text = _body(shown, cut, _Formatter(shown), indent, summarize)
    fn = t._grad_fn
    if fn is not None:
        label = fn.node_name() if hasattr(fn, "node_name") else repr(fn).strip("<>")
        suffixes.append(f"grad_fn=<{label.split(' object at ')[0]}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + text, suffixes, indent)
