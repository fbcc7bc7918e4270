"""The kernel table: every fused kernel by name, as a CUDA kernel and its NumPy twin.

Each row pairs a CuPy ``ElementwiseKernel`` (its body calls the templated functions of
``kernels/*.cuh``, whose text is the preamble) with a NumPy function of the same signature: the
twin is the CPU path and the written spec of the kernel. A ``Kernel`` call dispatches on the
first argument's type; this is the one device branch of the library. CUDA kernels are built on
first use and memoized for the process (CuPy compiles per device and caches binaries on disk).

Arguments follow CuPy's order: inputs, then outputs. Kernels named ``*_update`` and
``bias_*`` write their outputs in place and return nothing useful on the CPU.

Parameter types: ``T`` is the array dtype; hyperparameters (learning rates, eps, slopes, ...)
are ``float64`` whatever ``T`` is, and each body casts them to ``C``, the type it computes in
(float for float16 and float32, double for float64): a float16 row keeps ``eps=1e-8``, which
float16 itself rounds to 0.
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import _device as _dev

_HERE = Path(__file__).resolve().parent
# Installed wheels carry the sources in gpugrad/_cuda_src; a source checkout has them in kernels/.
_SRC_DIRS = (_HERE / "_cuda_src", _HERE.parent / "kernels")
SOURCES = ("common.cuh", "activations.cuh", "fused.cuh", "norm.cuh")


def source_dir() -> Path:
    """The folder holding the ``.cuh`` sources."""
    for d in _SRC_DIRS:
        if (d / "common.cuh").is_file():
            return d
    raise FileNotFoundError(f"gpugrad's CUDA sources (*.cuh) are missing; looked in {_SRC_DIRS}")


def preamble() -> str:
    """All kernel sources as one text, local #includes inlined (NVRTC sees a single file)."""
    d = source_dir()
    include = re.compile(r'^#include\s+"[^"]+"\s*$', flags=re.M)
    parts = [include.sub("", (d / n).read_text()) for n in SOURCES]
    return "\n".join(parts)


_C = "typedef typename gg::opmath<T>::type C; "


class Kernel:
    """One row of the table: ``Kernel(name, in_params, out_params, body, twin)``."""

    def __init__(self, name: str, in_params: str, out_params: str, body: str, twin) -> None:
        self.name = name
        self.in_params = in_params
        self.out_params = out_params
        self.body = _C + body
        self.twin = twin
        self.nin = len([s for s in in_params.split(",") if s.strip()])
        self._cuda = None

    def __call__(self, *args):
        a0 = args[0]
        if isinstance(a0, _dev._HOST):
            half = a0.dtype.char == "e"  # float16
            if a0.ndim and not half:
                return self.twin(*args)
            if half:
                return self._host_half(args)
            return self._host_0d(args)
        if a0.__class__ in _dev._proxies:  # a device array being recorded by gpugrad.compile
            return a0.xp.run_kernel(self, args)
        return self.cuda_kernel()(*args)

    def _host_half(self, args):
        """float16 on the host as the kernel computes it: the twin in float32 (``C``), results
        rounded to float16 and written back into the in-place outputs."""
        wide = [a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype == np.float16
                else a for a in args]
        got = self(*wide)
        for a, w in zip(args[self.nin:], wide[self.nin:]):
            if w is not a:
                np.copyto(a, w, casting="same_kind")
        back = {id(w): a for a, w in zip(args, wide)}

        def narrow(r):
            return back[id(r)] if id(r) in back else np.asarray(r).astype(np.float16)

        return tuple(map(narrow, got)) if isinstance(got, tuple) else narrow(got)

    def _host_0d(self, args):
        """NumPy turns 0-d results into scalars, which ``out=`` cannot take: run on 1-element
        views (writes reach in-place outputs) and give 0-d arrays back."""
        ones = [np.reshape(a, (1,)) if isinstance(a, _dev._HOST) and a.ndim == 0
                else a for a in args]
        out = self.twin(*ones)
        if isinstance(out, tuple):
            return tuple(o.reshape(()) for o in out)
        return out.reshape(())

    def cuda_kernel(self):
        """The CuPy ElementwiseKernel, built on first use."""
        if self._cuda is None:
            cp = _dev.cupy()
            self._cuda = cp.ElementwiseKernel(
                self.in_params, self.out_params, self.body, "gg_" + self.name,
                preamble=preamble(),
            )
        return self._cuda

    def params(self):
        """(type, name) of every parameter, inputs first."""
        specs = f"{self.in_params}, {self.out_params}".split(",")
        return [tuple(s.split()[-2:]) for s in specs if s.strip()]

    def __repr__(self) -> str:
        return f"Kernel({self.name}: ({self.in_params}) -> ({self.out_params}))"


# ---------------------------------------------------------------------------------------------
# NumPy twins. Lean: each allocates at most what it returns plus one temporary.

_RSQRT2 = 1.0 / math.sqrt(2.0)
_RSQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)
_K = math.sqrt(2.0 / math.pi)


def _sigmoid(x, out=None):
    t = np.negative(x, out=out)
    with np.errstate(over="ignore"):
        np.exp(t, out=t)  # inf for very negative x, and 1 / (1 + inf) = 0 exactly
    t += 1.0
    return np.divide(1.0, t, out=t)


def _tanh_bwd(y, gy):
    t = y * y
    np.subtract(1.0, t, out=t)
    return np.multiply(t, gy, out=t)


def _sigmoid_bwd(y, gy):
    t = np.subtract(1.0, y)
    t *= y
    return np.multiply(t, gy, out=t)


_SAME_WIDTH_INT = {2: np.int16, 4: np.int32, 8: np.int64}


def _relu_bwd(y, gy):
    # 0 where y <= 0 (whatever gy is, inf and NaN included); gy where y > 0 or y is NaN, as
    # PyTorch. A bitwise AND of gy's bits with a mask of all ones or all zeros is exact where a
    # product is not (inf * 0 is NaN), and stays in ufuncs that gpugrad.compile plans.
    it = _SAME_WIDTH_INT[gy.dtype.itemsize]
    keep = np.subtract(np.less_equal(y, 0), 1, dtype=it)  # y <= 0: 0, else -1 (every bit)
    return np.bitwise_and(gy.view(it), keep, out=keep).view(gy.dtype)


def _leaky_fwd(x, slope, out=None):
    if 0.0 <= slope <= 1.0:  # then max(x, slope x) is x for x > 0 and slope x otherwise
        y = np.multiply(x, slope, out=out)
        return np.maximum(x, y, out=y)
    y = np.where(x > 0, x, x * slope)
    if out is None:
        return y
    np.copyto(out, y)
    return out


def _leaky_bwd(x, gy, slope):
    d = (x > 0).astype(gy.dtype)  # 1 where x > 0, else 0 ...
    d *= 1.0 - slope
    d += slope  # ... then 1 or slope
    return np.multiply(d, gy, out=d)


def _gelu_fwd(x, out=None):
    t = np.multiply(x, _RSQRT2, out=out)
    _dev.erf(t, out=t)
    t += 1.0
    t *= x
    t *= 0.5
    return t


def _gelu_bwd(x, gy):
    t = x * x
    t *= -0.5
    np.exp(t, out=t)
    t *= _RSQRT2PI
    t *= x  # x * pdf(x)
    c = x * _RSQRT2
    _dev.erf(c, out=c)
    c += 1.0
    c *= 0.5  # cdf(x)
    t += c
    return np.multiply(t, gy, out=t)


@np.errstate(over="ignore")  # x^3 overflows for large |x| (float16): tanh(inf) is exact
def _gelu_tanh_fwd(x, out=None):
    t = np.multiply(x, x, out=out)
    t *= 0.044715
    t += 1.0
    t *= x
    t *= _K
    np.tanh(t, out=t)
    t += 1.0
    t *= x
    t *= 0.5
    return t


@np.errstate(over="ignore")
def _gelu_tanh_bwd(x, gy):
    x2 = x * x
    t = x2 * 0.044715
    t += 1.0
    t *= x
    t *= _K
    np.tanh(t, out=t)  # t = tanh(inner)
    x2 *= 3 * 0.044715
    x2 += 1.0
    x2 *= _K  # d inner / dx
    d = t * t
    np.subtract(1.0, d, out=d)  # sech^2: exactly 0 where tanh saturates ...
    nz = d != 0
    np.multiply(d, x2, out=d, where=nz)  # ... and then the term is 0, not 0 * inf (large |x|)
    np.multiply(d, x, out=d, where=nz)
    t += 1.0
    t += d
    t *= 0.5
    return np.multiply(t, gy, out=t)


def _softsign_fwd(x, out=None):
    t = np.abs(x, out=out)
    t += 1.0
    return np.divide(x, t, out=t)


def _softsign_bwd(x, gy):
    t = np.abs(x)
    t += 1.0
    t *= t
    return np.divide(gy, t, out=t)


def _positional(names, args, kwargs):
    """A twin's arguments, some given by parameter name, all in the row's order (CuPy's:
    inputs, then outputs)."""
    a = dict(zip(names, args))
    a.update(kwargs)
    return tuple(a[n] for n in names)


def _signed(twin, names):
    """Give a ``*args`` twin the signature of its row (inputs, then outputs)."""
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    twin.__signature__ = inspect.Signature([inspect.Parameter(n, kind) for n in names])
    return twin


def _bias_inplace(act, params=()):
    """Twin of ``bias_<act>`` for activations whose backward reads y: z <- act(z + b)."""
    names = ("b", *params, "z")

    def twin(*args, **kwargs):
        if kwargs:
            args = _positional(names, args, kwargs)
        z = args[-1]
        z += args[0]
        if params:
            act(z, *args[1:-1], out=z)
        else:
            act(z, out=z)
        return z

    return _signed(twin, names)


def _bias_saving_x(act, params=()):
    """Twin of ``bias_<act>`` for activations whose backward reads x: z <- z + b, y <- act(z)."""
    names = ("b", *params, "z", "y")

    def twin(*args, **kwargs):
        if kwargs:
            args = _positional(names, args, kwargs)
        z, y = args[-2], args[-1]
        z += args[0]
        if params:
            act(z, *args[1:-2], out=y)
        else:
            act(z, out=y)
        return z, y

    return _signed(twin, names)


def _softmax_xent_bwd(x, lse, t, scale, eps, ncls):
    p = np.subtract(x, lse)
    np.exp(p, out=p)
    if eps:
        p -= eps / ncls
    p[np.arange(p.shape[0]), t.reshape(-1)] -= 1.0 - eps
    p *= scale
    return p


def _norm_fwd(x, mean, rstd, w, b):
    """``(x - mean) * rstd * w + b``; ``w`` 1.0 and ``b`` 0.0 (Python numbers) are skipped."""
    y = np.subtract(x, mean)
    y *= rstd
    if not (w.__class__ is float and w == 1.0):
        y *= w
    if not (b.__class__ is float and b == 0.0):
        y += b
    return y


def _norm_bwd(xhat, gw, rstd, mg, mgx):
    t = np.multiply(xhat, mgx)
    np.subtract(gw, t, out=t)
    t -= mg
    t *= rstd
    return t


def _sgd_update(g, lr, wd, momentum, dampening, nesterov, first, p, buf):
    if wd:
        g = g + wd * p
    if momentum:
        if first:
            np.copyto(buf, g)
        else:
            buf *= momentum
            buf += (1.0 - dampening) * g
        g = g + momentum * buf if nesterov else buf
    p -= lr * g
    return p, buf


def _sgd_plain_update(g, lr, wd, p):
    if wd:
        g = g + wd * p
    p -= lr * g
    return p


def _adam_update(g, lr, beta1, beta2, eps, wd, bc1, bc2_sqrt, decoupled, p, m, v, vmax=None):
    """Adam/AdamW; with ``vmax`` (the amsgrad row) the denominator uses max(v) over steps."""
    if wd:
        if decoupled:
            p *= 1.0 - lr * wd
        else:
            g = g + wd * p
    m *= beta1
    t = g * (1.0 - beta1)
    m += t
    np.multiply(g, g, out=t)
    t *= 1.0 - beta2
    v *= beta2
    v += t
    if vmax is not None:
        np.maximum(vmax, v, out=vmax)
    np.sqrt(v if vmax is None else vmax, out=t)
    t /= bc2_sqrt
    t += eps
    np.divide(m, t, out=t)
    t *= lr / bc1
    p -= t
    return (p, m, v) if vmax is None else (p, m, v, vmax)


def _rmsprop_update(g, lr, alpha, eps, wd, momentum, p, v, buf, gavg):
    """RMSprop; ``buf`` (momentum buffer) and ``gavg`` (centered) may be None."""
    if wd:
        g = g + wd * p
    t = np.multiply(g, g)
    t *= 1.0 - alpha
    v *= alpha
    v += t
    if gavg is not None:  # gavg.lerp_(g, 1 - alpha), then sqrt(v - gavg^2)
        np.subtract(g, gavg, out=t)
        t *= 1.0 - alpha
        gavg += t
        np.multiply(gavg, gavg, out=t)
        np.subtract(v, t, out=t)
        np.sqrt(t, out=t)
    else:
        np.sqrt(v, out=t)
    t += eps
    np.divide(g, t, out=t)
    if buf is not None:
        buf *= momentum
        buf += t
        np.multiply(buf, lr, out=t)
    else:
        t *= lr
    p -= t
    return p, v


def _rmsprop_twin(momentum: bool, centered: bool):
    """The twin of one RMSprop row: ``(g, lr, alpha, eps, wd[, momentum], p, v[, buf][, gavg])``."""
    def twin(g, lr, alpha, eps, wd, *rest):
        mom, rest = (rest[0], rest[1:]) if momentum else (0.0, rest)
        p, v, *bufs = rest
        buf = bufs[0] if momentum else None
        gavg = bufs[-1] if centered else None
        _rmsprop_update(g, lr, alpha, eps, wd, mom, p, v, buf, gavg)
        return (p, v, *bufs)

    names = ["g", "lr", "alpha", "eps", "wd", *(["momentum"] if momentum else []), "p", "v",
             *(["buf"] if momentum else []), *(["gavg"] if centered else [])]
    return _signed(twin, names)


def _adagrad_update(g, clr, wd, eps, p, acc):
    if wd:
        g = g + wd * p
    t = np.multiply(g, g)
    acc += t
    np.sqrt(acc, out=t)
    t += eps
    np.divide(g, t, out=t)
    t *= clr
    p -= t
    return p, acc


# ---------------------------------------------------------------------------------------------
# The activation record: the one list of fused activations. It generates their kernel rows
# (forward, backward, bias-add + forward) and is what the activation ops, ``LinearAct``,
# ``nn.MLP(activation=...)``, the nn activation layers and the tests read.


@dataclass(frozen=True)
class Activation:
    """One fused activation.

    ``name``: as ops and ``MLP(activation=...)`` spell it (also the ``.cuh`` function prefix:
    ``gg::<name>_fwd(x, *params)`` and ``gg::<name>_bwd(saved, gy, *params)``);
    ``fwd``/``bwd``: the NumPy twins (``fwd(x, *params, out=None)``,
    ``bwd(saved, gy, *params)``); ``saves``: what backward reads, ``"y"`` (the output) or
    ``"x"`` (the input).

    The ``gpugrad.nn`` layer generated from the record: ``layer`` its class name (PyTorch's),
    ``doc`` its docstring; its constructor takes ``params`` (the extra scalar parameters, named
    as PyTorch's layer names them, e.g. leaky_relu's ``negative_slope``) with ``defaults``,
    then ``inplace=False`` where ``inplace`` (accepted, as PyTorch's layer has it; the result
    is a new tensor). Records sharing a layer are told apart by ``variant``, a constructor
    argument and its value for this record (GELU's ``approximate``: ``"none"`` or ``"tanh"``).
    """

    name: str
    fwd: Callable[..., Any]
    bwd: Callable[..., Any]
    saves: str
    layer: str
    params: tuple[str, ...] = ()
    defaults: tuple[float, ...] = ()
    inplace: bool = False
    variant: tuple[str, str] | None = None
    doc: str = ""

    @property
    def saves_output(self) -> bool:
        return self.saves == "y"

    def rows(self) -> list[Kernel]:
        """The kernel rows: ``<name>_fwd``, ``<name>_bwd`` and ``bias_<name>``."""
        n, s = self.name, self.saves
        pdecl = "".join(f", float64 {p}" for p in self.params)
        pargs = "".join(f", (C){p}" for p in self.params)
        rows = [
            Kernel(f"{n}_fwd", "T x" + pdecl, "T y", f"y = (T)gg::{n}_fwd<C>((C)x{pargs});",
                   self.fwd),
            Kernel(f"{n}_bwd", f"T {s}, T gy" + pdecl, "T gx",
                   f"gx = (T)gg::{n}_bwd<C>((C){s}, (C)gy{pargs});", self.bwd),
        ]
        if self.saves_output:  # backward needs only y: write act(z + b) over z
            rows.append(Kernel(f"bias_{n}", "T b" + pdecl, "T z",
                               f"z = (T)gg::{n}_fwd<C>((C)z + (C)b{pargs});",
                               _bias_inplace(self.fwd, self.params)))
        else:  # backward needs x = z + b: keep it in z, return y beside it
            rows.append(Kernel(f"bias_{n}", "T b" + pdecl, "T z, T y",
                               f"C x = (C)z + (C)b; z = (T)x; y = (T)gg::{n}_fwd<C>(x{pargs});",
                               _bias_saving_x(self.fwd, self.params)))
        return rows


ACTIVATIONS: dict[str, Activation] = {a.name: a for a in [
    Activation("tanh", lambda x, out=None: np.tanh(x, out=out), _tanh_bwd, "y", "Tanh",
               doc="Applies the Hyperbolic Tangent (Tanh) function element-wise.\n\n"
                   "``(exp(x) - exp(-x)) / (exp(x) + exp(-x))``."),
    Activation("sigmoid", _sigmoid, _sigmoid_bwd, "y", "Sigmoid",
               doc="Applies the Sigmoid function element-wise.\n\n``1 / (1 + exp(-x))``."),
    Activation("relu", lambda x, out=None: np.maximum(x, 0.0, out=out), _relu_bwd, "y", "ReLU",
               inplace=True,
               doc="Applies the rectified linear unit function element-wise.\n\n``max(0, x)``."),
    Activation("gelu", _gelu_fwd, _gelu_bwd, "x", "GELU", variant=("approximate", "none"),
               doc="Applies the Gaussian Error Linear Units function.\n\n``x * Phi(x)``, Phi "
                   "the standard normal CDF.\n\nWith ``approximate='tanh'``: ``0.5 x (1 + "
                   "tanh(sqrt(2/pi) (x + 0.044715 x^3)))``."),
    Activation("gelu_tanh", _gelu_tanh_fwd, _gelu_tanh_bwd, "x", "GELU",
               variant=("approximate", "tanh")),
    Activation("leaky_relu", _leaky_fwd, _leaky_bwd, "x", "LeakyReLU", ("negative_slope",),
               (0.01,), inplace=True,
               doc="Applies the LeakyReLU function element-wise.\n\n``x`` where ``x > 0``, "
                   "else ``negative_slope * x``."),
    Activation("softsign", _softsign_fwd, _softsign_bwd, "x", "Softsign",
               doc="Applies the element-wise Softsign function.\n\n``x / (1 + |x|)``."),
]}

# ---------------------------------------------------------------------------------------------
# The table.

_ROWS = [
    *[row for act in ACTIVATIONS.values() for row in act.rows()],
    Kernel("softmax_xent_bwd", "T x, T lse, int64 t, T scale, float64 eps, int64 ncls", "T gx",
           "gx = (T)gg::softmax_xent_bwd<C>((C)x, (C)lse, t == (i % ncls), (C)scale, (C)eps,"
           " (C)ncls);", _softmax_xent_bwd),
    Kernel("norm_fwd", "T x, T mean, T rstd, T w, T b", "T y",
           "y = (T)gg::norm_fwd<C>((C)x, (C)mean, (C)rstd, (C)w, (C)b);", _norm_fwd),
    Kernel("norm_bwd", "T xhat, T gw, T rstd, T mg, T mgx", "T gx",
           "gx = (T)gg::norm_bwd<C>((C)xhat, (C)gw, (C)rstd, (C)mg, (C)mgx);", _norm_bwd),
    Kernel("sgd_update",
           "T g, float64 lr, float64 wd, float64 momentum, float64 dampening, bool nesterov,"
           " bool first", "T p, T buf",
           "C pp = (C)p, bb = (C)buf; gg::sgd_update<C>(pp, bb, (C)g, (C)lr, (C)wd, (C)momentum,"
           " (C)dampening, nesterov, first); p = (T)pp; if ((C)momentum != (C)0) buf = (T)bb;",
           _sgd_update),
    Kernel("sgd_plain_update", "T g, float64 lr, float64 wd", "T p",
           "C pp = (C)p, bb = (C)0; gg::sgd_update<C>(pp, bb, (C)g, (C)lr, (C)wd, (C)0, (C)0,"
           " false, false); p = (T)pp;", _sgd_plain_update),
    Kernel("adam_update",
           "T g, float64 lr, float64 beta1, float64 beta2, float64 eps, float64 wd, float64 bc1,"
           " float64 bc2_sqrt, bool decoupled",
           "T p, T m, T v",
           "C pp = (C)p, mm = (C)m, vv = (C)v; gg::adam_update<C>(pp, mm, vv, (C)g, (C)lr,"
           " (C)beta1, (C)beta2, (C)eps, (C)wd, (C)bc1, (C)bc2_sqrt, decoupled);"
           " p = (T)pp; m = (T)mm; v = (T)vv;", _adam_update),
    Kernel("adam_amsgrad_update",
           "T g, float64 lr, float64 beta1, float64 beta2, float64 eps, float64 wd, float64 bc1,"
           " float64 bc2_sqrt, bool decoupled",
           "T p, T m, T v, T vmax",
           "C pp = (C)p, mm = (C)m, vv = (C)v, vx = (C)vmax; gg::adam_amsgrad_update<C>(pp, mm,"
           " vv, vx, (C)g, (C)lr, (C)beta1, (C)beta2, (C)eps, (C)wd, (C)bc1, (C)bc2_sqrt,"
           " decoupled); p = (T)pp; m = (T)mm; v = (T)vv; vmax = (T)vx;", _adam_update),
    *[Kernel(f"rmsprop{'_centered' * c}{'_momentum' * m}_update",
             "T g, float64 lr, float64 alpha, float64 eps, float64 wd" + ", float64 momentum" * m,
             "T p, T v" + ", T buf" * m + ", T gavg" * c,
             "C pp = (C)p, vv = (C)v, bb = " + ("(C)buf" if m else "(C)0") + ", aa = "
             + ("(C)gavg" if c else "(C)0") + "; gg::rmsprop_update<C>(pp, vv, bb, aa, (C)g,"
             " (C)lr, (C)alpha, (C)eps, (C)wd, " + ("(C)momentum" if m else "(C)0")
             + f", {'true' if m else 'false'}, {'true' if c else 'false'}); p = (T)pp; v = (T)vv;"
             + " buf = (T)bb;" * m + " gavg = (T)aa;" * c, _rmsprop_twin(m, c))
      for c in (False, True) for m in (False, True)],
    Kernel("adagrad_update", "T g, float64 clr, float64 wd, float64 eps", "T p, T acc",
           "C pp = (C)p, aa = (C)acc; gg::adagrad_update<C>(pp, aa, (C)g, (C)clr, (C)wd, (C)eps);"
           " p = (T)pp; acc = (T)aa;", _adagrad_update),
]

TABLE: dict[str, Kernel] = {k.name: k for k in _ROWS}


def warmup(device=None) -> list[str]:
    """Compile every CUDA kernel now for float32 and float64 (CuPy keeps them in its disk cache)."""
    cp = _dev.cupy()
    d = _dev.resolve(device if device is not None else "cuda")
    done = []
    with cp.cuda.Device(d.index):
        for k in TABLE.values():
            for dt in (np.float32, np.float64):
                args = [cp.zeros(1, dt if t == "T" else np.dtype(t)) for t, _ in k.params()]
                k.cuda_kernel()(*args)
            done.append(k.name)
        cp.cuda.Device().synchronize()
    return done
