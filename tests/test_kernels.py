"""The kernels' math without a GPU, and the kernel-using ops.

- Every row of ``gpugrad.kernels.TABLE``, its glue included (the casts, the bias-add, the ``C``
  typedef the table prepends to each body), compiled for the host from the row's parameters,
  body and ``kernels.preamble()``, run elementwise as CuPy's ElementwiseKernel runs it, and
  compared with the row's NumPy twin on random and edge inputs in float32, float64 and float16.
  One host program per dtype (nvcc where present, else g++).
- Every row's body bound as an ElementwiseKernel binds it, compiled for sm_90 (nvcc present).
- The ops that use kernels give the gradients of their plain-op definition.
- On CUDA: every kernel against its twin on broadcast and non-contiguous inputs.
"""

import atexit
import functools
import inspect
import math
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.nn.functional as F
from gpugrad import kernels as K

from .conftest import host

HOST_CC = shutil.which("nvcc") or shutil.which("g++")
needs_host_cc = pytest.mark.skipif(HOST_CC is None, reason="no g++ or nvcc on PATH")

EDGES = [0.0, 1e-8, -1e-8, 1.0, -1.0, 30.0, -30.0, 1e4, -1e4, math.inf, -math.inf]
PARTNERS = [0.7, -1.3, 2.5, -0.2]  # what the other inputs hold beside an edge value
N_RANDOM = 64

# Inputs that a kernel takes as one number for the whole launch (CuPy broadcasts a scalar), with
# the values tried: case c uses the c-th value (cyclically). Other inputs vary per element.
SCALARS: dict[str, tuple] = {
    "negative_slope": (0.01, 0.2, 1.5),
    "lr": (0.1, 1e-3, 0.5),
    "wd": (0.0, 0.01, 0.1),
    "momentum": (0.0, 0.9, 0.9),
    "dampening": (0.0, 0.1, 0.0),
    "nesterov": (False, False, True),
    "first": (True, False, True),
    "beta1": (0.9, 0.5, 0.0),
    "beta2": (0.999, 0.9, 0.5),
    "eps": (1e-8, 1e-3, 0.1),
    "bc1": (0.1, 0.5, 1.0),
    "bc2_sqrt": (0.03, 0.7, 1.0),
    "decoupled": (False, True, False),
    "alpha": (0.99, 0.9, 0.5),
    "rho": (0.9, 0.5, 0.0),
    "centered": (False, True, False),
    "maximize": (False, True, False),
    "amsgrad": (False, True, True),
}
# Per-element inputs whose domain is restricted by what they mean.
DOMAINS = {"v": np.abs}  # Adam's exp_avg_sq is never negative
CTYPES = {"float16": "_Float16", "float32": "float", "float64": "double"}
# The C type of each parameter type a row may declare (T: the row's dtype, as a typedef).
CTYPE = {"T": "T", "float64": "double", "int64": "long long", "bool": "bool"}
# Worst allowed difference from the twin: float16 results are compared with the twin run in
# float32 (the kernel computes float16 in float, C = opmath<T>) and rounded to float16.
TOLS = {"float16": (2e-3, 1e-4), "float32": (2e-5, 2e-6), "float64": (1e-12, 1e-12)}


def _generic_cases(kernel, rng) -> list[tuple[list, np.ndarray | None]]:
    """Cases for an elementwise row: the first input runs through EDGES (each beside every
    PARTNERS value of the other inputs), then the other inputs run through EDGES, then random
    values; every scalar input takes each of its SCALARS values in turn."""
    params = kernel.params()
    nin = len([s for s in kernel.in_params.split(",") if s.strip()])
    kinds = [j > 0 and (n in SCALARS or t == "bool") for j, (t, n) in enumerate(params[:nin])]
    ncases = max([len(SCALARS[n]) for (t, n), s in zip(params, kinds) if s] or [1])
    edges = np.repeat(EDGES, len(PARTNERS))
    partners = np.tile(PARTNERS, len(EDGES))
    cases = []
    for c in range(ncases):
        args = []
        for j, (typ, name) in enumerate(params):
            if j < nin and kinds[j]:
                values = SCALARS.get(name, (False, True))
                args.append(values[c % len(values)])
                continue
            rand = rng.uniform(-4, 4, N_RANDOM)
            first = j == 0
            vals = np.concatenate([edges if first else partners,
                                   partners if first else edges, rand])
            if typ == "bool":
                vals = vals > 0
            elif typ == "int64":
                vals = np.round(vals).astype(np.int64)
            vals = DOMAINS.get(name, lambda a: a)(vals)
            args.append(vals)
        cases.append((args, None))
    return cases


def _xent_cases(kernel, rng):
    """softmax_xent_bwd works per row of (rows, classes): lse, t and scale are per row; the body
    compares t with the column i % ncls."""
    rows, ncls = 9, 5
    cases = []
    for eps in (0.0, 0.1):
        x = rng.normal(size=(rows, ncls)) * 3
        x[0, :] = [0.0, 1e-8, -1e-8, 30.0, -30.0]
        x[1, :] = [1e4, -1e4, 1.0, -1.0, 0.0]
        lse = np.log(np.exp(x - x.max(1, keepdims=True)).sum(1, keepdims=True)) + x.max(
            1, keepdims=True)
        t = rng.integers(0, ncls, (rows, 1))
        scale = rng.uniform(0.1, 1, (rows, 1))
        cases.append(([x, lse, t, scale, eps, ncls, np.zeros((rows, ncls))], (rows, ncls)))
    return cases


def _norm_cases(kernel, rng):
    """The generic cases, then the launches layer and batch normalization make: x (rows, cols)
    with the statistics of its rows (layer norm) or columns (batch norm) broadcast, the affine
    parameters per column, or the numbers 1.0 and 0.0 where there are none."""
    cases = _generic_cases(kernel, rng)
    x = rng.normal(2.0, 3.0, (6, 5))
    x[0, :2] = [1e4, -1e4]
    for axis in (1, 0):
        mean = x.mean(axis, keepdims=True)
        rstd = 1.0 / np.sqrt(x.var(axis, keepdims=True) + 1e-5)
        xhat = (x - mean) * rstd
        for w, b in ((rng.normal(size=5), rng.normal(size=5)), (1.0, 0.0)):
            if kernel.name == "norm_fwd":
                cases.append(([x, mean, rstd, w, b, np.zeros(x.shape)], x.shape))
                continue
            gw = rng.normal(size=x.shape) * w
            mg, mgx = gw.mean(axis, keepdims=True), (gw * xhat).mean(axis, keepdims=True)
            cases.append(([xhat, gw, rstd, mg, mgx, np.zeros(x.shape)], x.shape))
    return cases


CASES = {"softmax_xent_bwd": _xent_cases, "norm_fwd": _norm_cases, "norm_bwd": _norm_cases}

def _np_type(typ: str, dtype: str):
    return np.dtype(dtype) if typ == "T" else np.dtype(typ)


def _host_program() -> str:
    """Every row as a host function per dtype (a namespace each, T its typedef, as CuPy's source
    has it), run elementwise over the launch as CUPY_FOR runs it; main reads cases from stdin
    (dtype, row, size, then each parameter's elements) and writes the outputs to stdout.
    float16 is compiled only where the host compiler has _Float16 (``--float16`` tells)."""
    ctype = CTYPE
    parts = ["#include <cstdio>", "#include <cstdlib>", "#include <cstring>", "#include <vector>",
             "#include <cmath>", K.preamble(),
             "struct HostIndexer { long long n; long long size() const { return n; } };",
             "typedef void (*RowFn)(long long, char**);"]
    dispatch = []
    for d, dtype in enumerate(CTYPES):
        rows = []
        for r, k in enumerate(K.TABLE.values()):
            params = k.params()
            nin = len([s for s in k.in_params.split(",") if s.strip()])
            binds = []
            for j, (typ, name) in enumerate(params):
                c = ctype[typ]
                const = "const " if j < nin else ""
                binds.append(f"{const}{c} &{name} = (({const}{c}*)a[{j}])[i];")
            rows.append(f"void row_{r}(long long n, char** a) {{  // {k.name}\n"
                        "  HostIndexer _ind{n}; (void)_ind;\n"
                        "  for (long long i = 0; i < n; ++i) {\n"
                        f"    {' '.join(binds)}\n    {k.body};\n  }}\n}}")
            sizes = ", ".join(f"sizeof({ctype[t]})" for t, _ in params)
            dispatch.append(f"    case {d * 1000 + r}: {{ typedef {dtype}_::T T; static const "
                            f"size_t s[] = {{{sizes}}}; run({dtype}_::row_{r}, n, {len(params)},"
                            f" {nin}, s); break; }}")
        body = f"namespace {dtype}_ {{\ntypedef {CTYPES[dtype]} T;\n" + "\n".join(rows) + "\n}"
        if dtype == "float16":
            body = "#ifdef __FLT16_MAX__\n" + body + "\n#endif"
            dispatch[-len(rows):] = (["#ifdef __FLT16_MAX__"] + dispatch[-len(rows):]
                                     + ["#endif"])
        parts.append(body)
    parts.append(r"""
static void run(RowFn fn, long long n, int np_, int nin, const size_t* s) {
  std::vector<std::vector<char>> bufs(np_);
  std::vector<char*> ptrs(np_);
  for (int j = 0; j < np_; ++j) {
    bufs[j].resize(n * s[j] + 1);
    if (fread(bufs[j].data(), s[j], n, stdin) != (size_t)n) exit(3);
    ptrs[j] = bufs[j].data();
  }
  fn(n, ptrs.data());
  for (int j = nin; j < np_; ++j) fwrite(bufs[j].data(), s[j], n, stdout);
}
int main(int argc, char** argv) {
  if (argc > 1 && !strcmp(argv[1], "--float16")) {
#ifdef __FLT16_MAX__
    return 0;
#else
    return 1;
#endif
  }
  int row; long long n;
  while (fread(&row, sizeof row, 1, stdin) == 1 && fread(&n, sizeof n, 1, stdin) == 1) {
    switch (row) {
""" + "\n".join(dispatch) + r"""
      default: return 2;
    }
  }
  return 0;
}
""")
    return "\n".join(parts) + "\n"


def _all_cases() -> list[tuple[str, list, tuple | None]]:
    rng = np.random.default_rng(0)
    return [(name, args, shape) for name, k in K.TABLE.items()
            for args, shape in CASES.get(name, _generic_cases)(k, rng)]


def _host_args(kernel, args, shape, dtype: str) -> list[np.ndarray]:
    """Every argument as a contiguous array of the launch's shape, as CuPy broadcasts it."""
    if shape is None:
        shape = np.broadcast_shapes(*[np.shape(a) for a in args])
    return [np.ascontiguousarray(np.broadcast_to(np.asarray(a, _np_type(t, dtype)), shape))
            for a, (t, _) in zip(args, kernel.params())]


@functools.cache
def _host_exe() -> tuple[str | None, str, tuple[str, ...]]:
    """(compile error or None, the host program, the dtypes it runs): compiled once a session,
    every row of every dtype in one program."""
    d = tempfile.mkdtemp(prefix="gpugrad-rows-")
    atexit.register(shutil.rmtree, d, True)
    src = Path(d) / ("rows.cu" if HOST_CC.endswith("nvcc") else "rows.cpp")
    src.write_text(_host_program())
    exe = str(Path(d) / "rows")
    cmd = [HOST_CC, "-O1", "-std=c++17", str(src), "-o", exe]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        return f"{' '.join(cmd)} failed:\n{r.stderr[-4000:]}", exe, ()
    dtypes = tuple(dt for dt in CTYPES if dt != "float16"
                   or subprocess.run([exe, "--float16"]).returncode == 0)
    return None, exe, dtypes


def _host_run(jobs) -> list[list[np.ndarray]]:
    """Run ``(dtype, row name, args, shape)`` jobs through the host program: the outputs of
    each (arguments broadcast to the launch shape as CuPy does, ``shape`` None: theirs)."""
    error, exe, _ = _host_exe()
    assert error is None, error
    names = list(K.TABLE)
    feed, layout = [], []
    for dtype, name, args, shape in jobs:
        k = K.TABLE[name]
        arrays = _host_args(k, args, shape, dtype)
        head = np.array([list(CTYPES).index(dtype) * 1000 + names.index(name)], np.int32)
        feed.append(head.tobytes() + np.array([arrays[0].size], np.int64).tobytes()
                    + b"".join(a.tobytes() for a in arrays))
        layout.append([(a.dtype, a.shape) for a in arrays[k.nin:]])
    out = subprocess.run([exe], input=b"".join(feed), capture_output=True)
    assert out.returncode == 0, f"the host program exited with {out.returncode}: {out.stderr!r}"
    results, pos = [], 0
    for outs in layout:
        arrs = []
        for dt, shp in outs:
            size = int(np.prod(shp)) * dt.itemsize
            arrs.append(np.frombuffer(out.stdout[pos:pos + size], dt).reshape(shp))
            pos += size
        results.append(arrs)
    assert pos == len(out.stdout), "the host program wrote more than the cases' outputs"
    return results


@functools.cache
def _host_results():
    """(compile error or None, dtypes run, {(dtype, case index): output arrays}) for every case
    of every row, run at once."""
    error, _, dtypes = _host_exe()
    if error is not None:
        return error, (), {}
    keys, jobs = [], []
    for dtype in dtypes:
        for c, (name, args, shape) in enumerate(_all_cases()):
            keys.append((dtype, c))
            jobs.append((dtype, name, args, shape))
    return None, dtypes, dict(zip(keys, _host_run(jobs)))


def _twin_outputs(kernel, args, shape, dtype: str) -> list[np.ndarray]:
    """The twin on the same inputs (float16: in float32, rounded to float16 at the end)."""
    work = "float32" if dtype == "float16" else dtype
    nin = len([s for s in kernel.in_params.split(",") if s.strip()])
    params = kernel.params()
    full = _host_args(kernel, args, shape, dtype)  # rounded to dtype, as the host program saw
    call = []
    for j, (a, (t, _)) in enumerate(zip(args, params)):
        if j < nin and np.ndim(a) == 0:  # a Python number, as callers pass it, but rounded
            call.append(type(a)(np.asarray(a, _np_type(t, dtype))))  # to T, as CuPy passes it
        else:
            arr = np.asarray(a, _np_type(t, dtype)).astype(_np_type(t, work))
            call.append(arr.copy() if j < nin else full[j].astype(_np_type(t, work)))
    outs = call[nin:]
    sig = inspect.signature(kernel.twin).parameters.values()
    takes_outputs = len([p for p in sig if p.kind in (p.POSITIONAL_ONLY,
                                                      p.POSITIONAL_OR_KEYWORD)]) >= len(params)
    with np.errstate(all="ignore"):
        try:
            got = kernel.twin(*(call if takes_outputs else call[:nin]))
        except Exception as exc:
            raise AssertionError(
                f"the twin of {kernel.name} failed on the generated case ({exc!r}); if one of its "
                "inputs is a hyperparameter (one number per launch), add its name and values to "
                "SCALARS in tests/test_kernels.py") from exc
    got = list(got) if isinstance(got, tuple) else [got]
    if takes_outputs and len(got) != len(outs):
        got = outs  # an in-place twin that returns nothing useful
    with np.errstate(over="ignore"):  # float16: a float32 result past 65504 becomes inf
        return [np.asarray(g).astype(dtype) for g in got]


def _case_ids(name: str) -> list[int]:
    return [c for c, (n, _, _) in enumerate(_all_cases()) if n == name]


@pytest.mark.compiler
@needs_host_cc
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("name", list(K.TABLE))
def test_row_compiled_for_the_host_matches_its_twin(name, dtype):
    error, dtypes, results = _host_results()
    assert error is None, error
    if dtype not in dtypes:
        pytest.skip(f"{HOST_CC} has no _Float16")
    cases = _all_cases()
    for c in _case_ids(name):
        _, args, shape = cases[c]
        _compare(name, dtype, args, shape, results[dtype, c], "host")


def _compare(name: str, dtype: str, args, shape, got, where: str) -> None:
    """Outputs of the compiled row (``got``) against the twin's on the same case."""
    k = K.TABLE[name]
    rtol, atol = TOLS[dtype]
    want = _twin_outputs(k, args, shape, dtype)
    assert len(got) == len(want), f"{name}: {len(got)} outputs, the twin gave {len(want)}"
    inputs = [a if np.ndim(a) == 0 else np.asarray(a).ravel() for a in args]
    for (_, pname), g, w in zip(k.params()[-len(got):], got, want):
        g64, w64 = g.astype(np.float64).ravel(), w.astype(np.float64).ravel()
        bad = np.isnan(g64) != np.isnan(w64)
        with np.errstate(invalid="ignore"):
            close = np.isclose(g64, w64, rtol=rtol, atol=atol) | (g64 == w64)
        bad |= ~np.isnan(g64) & ~close
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            at = ", ".join(f"{p}={a if np.ndim(a) == 0 else a[i % a.size]!r}"
                           for (_, p), a in zip(k.params(), inputs))
            raise AssertionError(
                f"{name} {dtype} ({where}) output {pname}: {int(bad.sum())} of {bad.size} "
                f"elements differ from the twin; first at element {i} ({at}): kernel "
                f"{g64[i]!r}, twin {w64[i]!r}")


@pytest.mark.cuda
@pytest.mark.skipif(not gg.cuda.is_available(), reason="CUDA is not available")
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("name", list(K.TABLE))
def test_cuda_row_matches_its_twin(name, dtype):
    """The same cases through the real ElementwiseKernel: CuPy broadcasts the per-row and
    scalar arguments itself; outputs are passed in, so in-place rows and others alike."""
    import cupy as cp

    k = K.TABLE[name]
    cases = _all_cases()
    for c in _case_ids(name):
        _, args, shape = cases[c]
        full = _host_args(k, args, shape, dtype)
        nin = len([s for s in k.in_params.split(",") if s.strip()])
        dev = [a if np.ndim(a) == 0 else cp.asarray(np.asarray(a, _np_type(t, dtype)))
               for a, (t, _) in zip(args[:nin], k.params())]
        outs = [cp.asarray(f) for f in full[nin:]]
        k(*dev, *outs)
        _compare(name, dtype, args, shape, [cp.asnumpy(o) for o in outs], "cuda")


def test_every_row_has_host_cases():
    names = {n for n, _, _ in _all_cases()}
    assert names == set(K.TABLE)
    for k in K.TABLE.values():  # the parameter types the host program knows
        assert {t for t, _ in k.params()} <= set(CTYPE), k


def _device_program() -> str:
    """Every table row as a CUDA kernel bound the way an ElementwiseKernel binds it: T is a
    typedef, inputs are values, outputs are references, i is the element index."""
    parts = [K.preamble()]
    for k in K.TABLE.values():
        for ctype in ("float", "double"):
            params, binds = [], []
            n_in = len([s for s in k.in_params.split(",") if s.strip()])
            for j, (typ, name) in enumerate(k.params()):
                c = CTYPE[typ]
                params.append(f"{'const ' if j < n_in else ''}{c.replace('T', ctype)}* {name}_")
                ref = "" if j < n_in else "&"
                binds.append(f"{c} {ref}{name} = {name}_[i];")
            signature = f'extern "C" __global__ void {k.name}_{ctype}({", ".join(params)}'
            parts.append(
                f"{signature}, long long n) {{\n"
                f"  typedef {ctype} T;\n"
                "  for (long long i = blockIdx.x * blockDim.x + threadIdx.x; i < n;"
                " i += gridDim.x * blockDim.x) {\n"
                f"    {' '.join(binds)}\n    {k.body}\n  }}\n}}\n"
            )
    return "\n".join(parts)


@pytest.mark.compiler
@pytest.mark.skipif(shutil.which("nvcc") is None, reason="no nvcc on PATH")
def test_every_kernel_body_compiles_for_sm90(tmp_path):
    src = tmp_path / "kernels.cu"
    src.write_text(_device_program())
    cmd = ["nvcc", "-arch=sm_90", "-c", str(src), "-o", str(tmp_path / "kernels.o")]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, f"{' '.join(cmd)} failed:\n{r.stderr}"


def test_preamble_inlines_every_source():
    text = K.preamble()
    assert '#include "' not in text
    for fn in ("tanh_bwd", "gelu_tanh_bwd", "softmax_xent_bwd", "adam_update", "sgd_update",
               "norm_fwd", "norm_bwd"):
        assert fn in text


# --- edge cases of particular rows, on the twin and on the rows compiled for the host ------
# (the same source that CuPy compiles; running it on a GPU needs a CUDA machine)


def _both(name: str, dtype: str, args) -> list[tuple[str, list[np.ndarray]]]:
    """The row's outputs from the host-compiled kernel and from the ``Kernel`` itself on NumPy
    arrays (the twin path the CPU takes: float16 in float32, rounded), as (where, outputs)."""
    k = K.TABLE[name]
    arrays = _host_args(k, args, None, dtype)
    call = [a if j < k.nin and np.ndim(a) == 0 else arr.copy()
            for j, (a, arr) in enumerate(zip(args, arrays))]
    in_place = name.endswith("_update") or name.startswith("bias_")
    with np.errstate(all="ignore"):
        got = k(*call) if in_place else k(*call[:k.nin])
    twin = call[k.nin:] if in_place else list(got) if isinstance(got, tuple) else [got]
    out = [("twin", [np.asarray(t) for t in twin])]
    if HOST_CC is not None:
        out.append(("host", _host_run([(dtype, name, args, None)])[0]))
    return out


@pytest.mark.compiler
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_relu_bwd_zero_where_y_is_not_positive_whatever_gy(dtype):
    """0 where y <= 0 (inf and NaN gradients included); gy where y > 0 or y is NaN (PyTorch)."""
    inf, nan = math.inf, math.nan
    y = np.array([-1.0, 0.0, -0.0, -1.0, 2.0, 2.0, nan, nan])
    gy = np.array([inf, -inf, nan, 3.0, inf, 3.0, 3.0, -inf])
    want = np.array([0.0, 0.0, 0.0, 0.0, inf, 3.0, 3.0, -inf])
    if dtype == "float16" and "float16" not in _host_exe()[2]:
        pytest.skip(f"{HOST_CC} has no _Float16")
    for where, (gx,) in _both("relu_bwd", dtype, [y, gy, np.zeros(8)]):
        assert gx.dtype == np.dtype(dtype), where
        np.testing.assert_array_equal(gx, want, err_msg=where)


@pytest.mark.compiler
@pytest.mark.parametrize("name", ["sgd_update", "sgd_plain_update", "adam_update",
                                  "adam_amsgrad_update"])
def test_no_weight_decay_leaves_an_infinite_parameter_infinite(name):
    """wd == 0 adds nothing (not 0 * p, which is NaN for p = inf); finite entries still move."""
    k = K.TABLE[name]
    p = np.array([math.inf, -math.inf, 1.0])
    hyper = {"lr": 0.1, "wd": 0.0, "momentum": 0.9, "dampening": 0.0, "nesterov": False,
             "first": True, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "bc1": 0.1,
             "bc2_sqrt": 0.0316, "decoupled": False}
    args = [np.full(3, 0.5) if n == "g" else p if n == "p" else
            hyper[n] if n in hyper else np.zeros(3) for _, n in k.params()]
    for where, outs in _both(name, "float64", args):
        new_p = outs[[n for _, n in k.params()[k.nin:]].index("p")]
        assert new_p[0] == math.inf and new_p[1] == -math.inf, (where, new_p)
        assert np.isfinite(new_p[2]) and new_p[2] < 1.0, (where, new_p)


@pytest.mark.compiler
def test_float16_rows_keep_hyperparameters_below_float16_resolution():
    """Adam's first step from a zero gradient: m = v = 0, so p - lr m / (sqrt(v) + eps) is p
    only if eps (1e-8, 0 in float16) survives; with eps rounded to 0 it is 0 / 0 = NaN."""
    if "float16" not in _host_exe()[2] and HOST_CC is not None:
        pytest.skip(f"{HOST_CC} has no _Float16")
    k = K.TABLE["adam_update"]
    assert np.float16(1e-8) == 0
    p = np.array([1.0, -2.0, 0.5])
    args = [np.zeros(3), 1e-3, 0.9, 0.999, 1e-8, 0.0, 0.1, 0.0316, False, p,
            np.zeros(3), np.zeros(3)]
    for where, (new_p, m, v) in _both("adam_update", "float16", args):
        assert new_p.dtype == np.float16, where
        np.testing.assert_array_equal(new_p, p.astype(np.float16), err_msg=where)
        np.testing.assert_array_equal(m, 0.0, err_msg=where)
        np.testing.assert_array_equal(v, 0.0, err_msg=where)
    # Every hyperparameter of every row is a float64 parameter (bools and indices aside).
    for row in K.TABLE.values():
        for typ, pname in row.params()[1:row.nin]:
            if pname in SCALARS and typ != "bool":
                assert typ == "float64", f"{row.name}: {typ} {pname}"
    assert k.params()[4] == ("float64", "eps")


def test_float16_optimizer_step_from_zero_gradient_is_finite():
    """The CPU path of the same rows: Adam and RMSprop on float16 parameters stay finite."""
    for make in (lambda ps: gg.optim.Adam(ps, lr=1e-3),
                 lambda ps: gg.optim.RMSprop(ps, lr=1e-3),
                 lambda ps: gg.optim.Adagrad(ps, lr=1e-3)):
        p = gg.nn.Parameter(gg.tensor([1.0, -2.0, 0.5], dtype=gg.float16))
        opt = make([p])
        p.grad = gg.zeros_like(p)
        opt.step()
        assert p.dtype == gg.float16
        np.testing.assert_array_equal(p.detach().numpy(), np.array([1.0, -2.0, 0.5], np.float16))


def test_no_weight_decay_optimizers_keep_an_infinite_parameter():
    for make in (lambda ps: gg.optim.SGD(ps, lr=0.1),
                 lambda ps: gg.optim.SGD(ps, lr=0.1, momentum=0.9),
                 lambda ps: gg.optim.Adam(ps, lr=0.1),
                 lambda ps: gg.optim.Adam(ps, lr=0.1, amsgrad=True)):
        p = gg.nn.Parameter(gg.tensor([math.inf, 1.0], dtype=gg.float64))
        opt = make([p])
        p.grad = gg.ones_like(p)
        opt.step()
        assert p.detach().numpy()[0] == math.inf and p.detach().numpy()[1] < 1.0


def test_relu_backward_gives_zero_for_an_infinite_gradient_where_inactive(device):
    x = gg.tensor([-1.0, 0.0, 2.0], dtype=gg.float32, device=device, requires_grad=True)
    gg.relu(x).backward(gg.tensor([math.inf, math.nan, math.inf], device=device))
    np.testing.assert_array_equal(host(x.grad), [0.0, 0.0, math.inf])


# --- the ops that use kernels give the plain-op gradients ------------------------------------


def _plain(act, x):
    if act == "tanh":
        return (x.exp() - (-x).exp()) / (x.exp() + (-x).exp())
    if act == "sigmoid":
        return 1 / (1 + (-x).exp())
    if act == "relu":
        return gg.where(x > 0, x, x * 0)
    if act == "leaky_relu":
        return gg.where(x > 0, x, x * 0.01)
    if act == "gelu_tanh":
        return 0.5 * x * (1 + ((0.7978845608028654 * (x + 0.044715 * x**3)) * 2).sigmoid() * 2
                          - 1)
    raise ValueError(act)


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu", "leaky_relu", "gelu_tanh"])
def test_kernel_ops_match_their_plain_op_definition(act, device):
    rng = np.random.default_rng(0)
    xv, wv, bv = rng.normal(size=(6, 4)), rng.normal(size=(3, 4)), rng.normal(size=3)
    grads = []
    for fused in (True, False):
        x, w, b = (gg.tensor(v, dtype=gg.float64, device=device, requires_grad=True)
                   for v in (xv, wv, bv))
        y = F.linear_act(x, w, b, act) if fused else _plain(act, x @ w.T + b)
        (y * y).sum().backward()
        grads.append([host(t.grad) for t in (x, w, b)] + [host(y)])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_cross_entropy_kernel_matches_log_softmax_nll(device):
    rng = np.random.default_rng(1)
    xv, t = rng.normal(size=(7, 5)), gg.tensor(rng.integers(0, 5, 7), device=device)
    g = []
    for fused in (True, False):
        x = gg.tensor(xv, dtype=gg.float64, device=device, requires_grad=True)
        loss = F.cross_entropy(x, t) if fused else F.nll_loss(F.log_softmax(x, 1), t)
        loss.backward()
        g.append((loss.item(), host(x.grad)))
    assert g[0][0] == pytest.approx(g[1][0], rel=1e-12)
    np.testing.assert_allclose(g[0][1], g[1][1], rtol=1e-10, atol=1e-14)


# --- on CUDA: every kernel against its twin --------------------------------------------------


@pytest.mark.cuda
@pytest.mark.skipif(not gg.cuda.is_available(), reason="CUDA is not available")
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("name", [f"{a}_{d}" for a in K.ACTIVATIONS for d in ("fwd", "bwd")])
def test_cuda_kernel_matches_twin(name, dtype):
    import cupy as cp

    rng = np.random.default_rng(0)
    base = rng.uniform(-4, 4, size=(6, 8)).astype(dtype)
    xs = [base[:, ::2], base.T]  # non-contiguous inputs
    for x in xs:
        args = [x] if name.endswith("_fwd") else [x, np.full(x.shape[-1:], 0.5, dtype)]
        if name.startswith("leaky"):
            args.append(0.1)
        want = K.TABLE[name].twin(*[a.astype(np.float32) if isinstance(a, np.ndarray) else a
                                    for a in args])
        got = K.TABLE[name](*[cp.asarray(a) if isinstance(a, np.ndarray) else a for a in args])
        tol = 1e-5 if dtype == np.float32 else 2e-2
        np.testing.assert_allclose(cp.asnumpy(got).astype(np.float32), want, rtol=tol, atol=tol)


@pytest.mark.cuda
@pytest.mark.skipif(not gg.cuda.is_available(), reason="CUDA is not available")
def test_cuda_warmup_compiles_every_kernel():
    assert sorted(gg.cuda.warmup()) == sorted(K.TABLE)


# --- the CUDA source CuPy generates for each row, compiled by NVRTC (no GPU needed) ----------


def _nvrtc_check():
    pytest.importorskip("cupy", reason="CuPy is not installed (pip install -e '.[cuda-check]')")
    from benchmarks import check_cuda_sources as C

    try:
        C.nvrtc_options("90")
    except (SystemExit, RuntimeError) as exc:  # no NVRTC, or no CUDA headers
        pytest.skip(f"NVRTC unavailable: {exc}")
    return C


@pytest.mark.compiler
def test_cupy_generated_source_compiles_with_nvrtc():
    C = _nvrtc_check()
    src = C.kernel_source(K.TABLE["bias_gelu"], "float16", "broadcast")
    assert "typedef float16 T;" in src and "#include <cupy/carray.cuh>" in src
    assert "CArray<float16, 2, 0, 1> _raw_z" in src and "T &y = _raw_y[_ind.get()];" in src
    assert K.preamble() in src and K.TABLE["bias_gelu"].body in src
    src = C.kernel_source(K.TABLE["leaky_relu_bwd"], "float32", "contiguous")
    assert "const double negative_slope" in src and "CArray<float, 1, 1, 1> _raw_gx" in src
    r = C.check("90", names={"leaky_relu_bwd", "softmax_xent_bwd"})
    assert r["compiled"] == 2 * 3 * 2 and not r["failed"], r["failed"]


@pytest.mark.compiler
def test_nvrtc_check_reports_a_broken_body():
    C = _nvrtc_check()
    from cupy.cuda import compiler

    broken = K.Kernel("broken", "T x", "T y", "y = gg::no_such_fn<C>((C)x);", None)
    options, method = C.nvrtc_options("90")
    with pytest.raises(compiler.CompileException, match="no_such_fn"):
        C.compile_one(C.kernel_source(broken, "float32", "contiguous"), "broken", options, method)
