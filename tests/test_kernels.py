"""The kernels' math without a GPU: the .cuh functions compiled for the host (g++ or nvcc)
against the NumPy twins, every table row's body compiled for the device (nvcc -arch=sm_90),
and the kernel-using ops giving the same gradients as the plain-op definition.
On CUDA: every kernel against its twin on broadcast and non-contiguous inputs."""

import shutil
import subprocess

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.nn.functional as F
from gpugrad import kernels as K

from .conftest import host

EDGES = [0.0, 1e-8, -1e-8, 0.5, -0.5, 1.0, -1.0, 10.0, -10.0, 30.0, -30.0, 1e4, -1e4,
         float("inf"), float("-inf")]
GY = 0.7
ACTS = ["tanh", "sigmoid", "relu", "gelu", "gelu_tanh"]
CTYPES = {"float32": "float", "float64": "double"}
COMPILER = shutil.which("g++") or shutil.which("nvcc")


def _compile_and_run(tmp_path, source: str, compiler: str) -> str:
    src = tmp_path / ("prog.cu" if compiler.endswith("nvcc") else "prog.cpp")
    src.write_text(source)
    exe = tmp_path / "prog"
    cmd = [compiler, "-O2", "-std=c++17", "-I", str(K.source_dir()), str(src), "-o", str(exe)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, f"{' '.join(cmd)} failed:\n{r.stderr}"
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True)
    return out.stdout


def _host_program() -> str:
    vals = ", ".join(repr(v).replace("inf", "INFINITY") for v in EDGES)
    lines = ['#include <cstdio>', '#include <cmath>', '#include "activations.cuh"',
             '#include "fused.cuh"', "template <typename T> void run(const char* t) {",
             f"  const T xs[] = {{{vals}}};",
             f"  for (int i = 0; i < {len(EDGES)}; ++i) {{", "    T x = xs[i];"]
    for a in ACTS:
        lines.append(f'    printf("{a}_fwd %s %d %.17g\\n", t, i, (double)gg::{a}_fwd<T>(x));')
        lines.append(f'    printf("{a}_bwd %s %d %.17g\\n", t, i, '
                     f'(double)gg::{a}_bwd<T>(x, T({GY})));')
    lines.append('    printf("leaky_relu_fwd %s %d %.17g\\n", t, i, '
                 '(double)gg::leaky_relu_fwd<T>(x, T(0.1)));')
    lines.append(f'    printf("leaky_relu_bwd %s %d %.17g\\n", t, i, '
                 f'(double)gg::leaky_relu_bwd<T>(x, T({GY}), T(0.1)));')
    lines += ["  }", "}", "int main() {", '  run<float>("float32");', '  run<double>("float64");',
              "  return 0;", "}"]
    return "\n".join(lines) + "\n"


def _parse(out: str):
    res = {}
    for line in out.splitlines():
        name, dt, i, v = line.split()
        res.setdefault((name, dt), {})[int(i)] = float(v)
    return {k: np.array([d[i] for i in range(len(d))]) for k, d in res.items()}


def _twin_values(name: str, dtype):
    x = np.array(EDGES, dtype=dtype)
    gy = np.full_like(x, GY)
    with np.errstate(all="ignore"):
        if name == "leaky_relu_fwd":
            return K.TABLE[name].twin(x, 0.1)
        if name == "leaky_relu_bwd":
            return K.TABLE[name].twin(x, gy, 0.1)
        if name.endswith("_fwd"):
            return K.TABLE[name].twin(x)
        return K.TABLE[name].twin(x, gy)


@pytest.mark.compiler
@pytest.mark.skipif(COMPILER is None, reason="no g++ or nvcc on PATH")
def test_cuh_math_matches_numpy_twins_on_the_host(tmp_path):
    results = _parse(_compile_and_run(tmp_path, _host_program(), COMPILER))
    names = [f"{a}_{d}" for a in ACTS + ["leaky_relu"] for d in ("fwd", "bwd")]
    for dt, tol in (("float32", 2e-6), ("float64", 1e-13)):
        for name in names:
            got = results[(name, dt)]
            want = _twin_values(name, np.dtype(dt)).astype(np.float64)
            np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True,
                                       err_msg=f"{name} {dt}")


def _fused_host_program() -> str:
    return r'''
#include <cstdio>
#include "fused.cuh"
int main() {
  const double x[2][3] = {{1.0, -2.0, 0.5}, {3.0, 3.0, -1.0}};
  const int t[2] = {2, 0};
  for (int r = 0; r < 2; ++r) {
    double m = x[r][0] > x[r][1] ? x[r][0] : x[r][1]; m = m > x[r][2] ? m : x[r][2];
    double s = 0; for (int c = 0; c < 3; ++c) s += std::exp(x[r][c] - m);
    double lse = m + std::log(s);
    for (int c = 0; c < 3; ++c)
      printf("xent %.17g\n", gg::softmax_xent_bwd<double>(x[r][c], lse, t[r] == c, 0.25, 0.1, 3.0));
  }
  const double g0[3] = {0.5, -1.0, 2.0}, g1[3] = {-0.25, 0.75, 1.5};
  double p[3] = {1.0, -2.0, 0.5}, buf[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    gg::sgd_update<double>(p[i], buf[i], g0[i], 0.1, 0.01, 0.9, 0.0, true, true);
    gg::sgd_update<double>(p[i], buf[i], g1[i], 0.1, 0.01, 0.9, 0.0, true, false);
    printf("sgd %.17g %.17g\n", p[i], buf[i]);
  }
  for (int dec = 0; dec < 2; ++dec) {
    double q[3] = {1.0, -2.0, 0.5}, m[3] = {0, 0, 0}, v[3] = {0, 0, 0};
    for (int i = 0; i < 3; ++i) {
      gg::adam_update<double>(q[i], m[i], v[i], g0[i], 0.01, 0.9, 0.999, 1e-8, 0.1, 0.1,
                              std::sqrt(1 - 0.999), dec);
      gg::adam_update<double>(q[i], m[i], v[i], g1[i], 0.01, 0.9, 0.999, 1e-8, 0.1, 1 - 0.81,
                              std::sqrt(1 - 0.999 * 0.999), dec);
      printf("adam %.17g %.17g %.17g\n", q[i], m[i], v[i]);
    }
  }
  return 0;
}
'''


@pytest.mark.compiler
@pytest.mark.skipif(COMPILER is None, reason="no g++ or nvcc on PATH")
def test_fused_cuh_math_matches_numpy_twins_on_the_host(tmp_path):
    out = _compile_and_run(tmp_path, _fused_host_program(), COMPILER).splitlines()
    vals = {k: [list(map(float, line.split()[1:])) for line in out if line.startswith(k)]
            for k in ("xent", "sgd", "adam")}
    x = np.array([[1.0, -2.0, 0.5], [3.0, 3.0, -1.0]])
    lse = np.log(np.exp(x).sum(1, keepdims=True))
    want = K.TABLE["softmax_xent_bwd"].twin(x, lse, np.array([[2], [0]]), 0.25, 0.1, 3)
    np.testing.assert_allclose(np.ravel(vals["xent"]), want.ravel(), rtol=1e-13, atol=1e-15)

    g0, g1 = np.array([0.5, -1.0, 2.0]), np.array([-0.25, 0.75, 1.5])
    p, buf = np.array([1.0, -2.0, 0.5]), np.zeros(3)
    K.TABLE["sgd_update"].twin(g0, 0.1, 0.01, 0.9, 0.0, True, True, p, buf)
    K.TABLE["sgd_update"].twin(g1, 0.1, 0.01, 0.9, 0.0, True, False, p, buf)
    np.testing.assert_allclose(np.array(vals["sgd"]), np.stack([p, buf], 1), rtol=1e-13)

    for dec in (0, 1):
        q, m, v = np.array([1.0, -2.0, 0.5]), np.zeros(3), np.zeros(3)
        K.TABLE["adam_update"].twin(g0, 0.01, 0.9, 0.999, 1e-8, 0.1, 0.1, np.sqrt(1 - 0.999),
                                    bool(dec), q, m, v)
        K.TABLE["adam_update"].twin(g1, 0.01, 0.9, 0.999, 1e-8, 0.1, 1 - 0.81,
                                    np.sqrt(1 - 0.999**2), bool(dec), q, m, v)
        got = np.array(vals["adam"][3 * dec:3 * dec + 3])
        np.testing.assert_allclose(got, np.stack([q, m, v], 1), rtol=1e-12)


def _device_program() -> str:
    """Every table row as a CUDA kernel bound the way an ElementwiseKernel binds it: T is a
    typedef, inputs are values, outputs are references, i is the element index."""
    parts = [K.preamble()]
    for k in K.TABLE.values():
        for ctype in ("float", "double"):
            params, binds = [], []
            n_in = len([s for s in k.in_params.split(",") if s.strip()])
            for j, (typ, name) in enumerate(k.params()):
                c = {"T": "T", "int64": "long long", "bool": "bool"}[typ]
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
    for fn in ("tanh_bwd", "gelu_tanh_bwd", "softmax_xent_bwd", "adam_update", "sgd_update"):
        assert fn in text


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
@pytest.mark.parametrize("name", [n for n in K.TABLE if n.endswith(("_fwd", "_bwd"))])
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
