"""The optimizer kernels of kernels/fused.cuh (Adam amsgrad, RMSprop, Adagrad) compiled for the
host against their NumPy twins; on CUDA, every optimizer row against its twin on
non-contiguous inputs."""

import math

import numpy as np
import pytest

import gpugrad as gg
from gpugrad import kernels as K

from .test_kernels import COMPILER, _compile_and_run

P0 = [1.0, -2.0, 0.5]
G = [[0.5, -1.0, 2.0], [-0.25, 0.75, 1.5], [1.0, 1.0, -0.5]]
RMS_VARIANTS = [(m, c) for m in (0, 1) for c in (0, 1)]


def _program() -> str:
    rows = ", ".join("{" + ", ".join(map(repr, r)) + "}" for r in G)
    return f"""
#include <cstdio>
#include <cmath>
#include "fused.cuh"
template <typename T> void run(const char* t) {{
  const double g[3][3] = {{{rows}}};
  const double p0[3] = {{{", ".join(map(repr, P0))}}};
  for (int dec = 0; dec < 2; ++dec)
    for (int i = 0; i < 3; ++i) {{
      T p = T(p0[i]), m = 0, v = 0, vx = 0;
      for (int s = 0; s < 3; ++s)
        gg::adam_amsgrad_update<T>(p, m, v, vx, T(g[s][i]), T(0.01), T(0.9), T(0.99), T(1e-8),
                                   T(0.1), T(1 - std::pow(0.9, s + 1)),
                                   T(std::sqrt(1 - std::pow(0.99, s + 1))), dec);
      printf("ams%d %s %.17g %.17g %.17g %.17g\\n", dec, t, (double)p, (double)m, (double)v,
             (double)vx);
    }}
  for (int mom = 0; mom < 2; ++mom)
    for (int cen = 0; cen < 2; ++cen)
      for (int i = 0; i < 3; ++i) {{
        T p = T(p0[i]), v = 0, b = 0, a = 0;
        for (int s = 0; s < 3; ++s)
          gg::rmsprop_update<T>(p, v, b, a, T(g[s][i]), T(0.05), T(0.9), T(1e-8), T(0.01),
                                T(mom ? 0.5 : 0.0), mom, cen);
        printf("rms%d%d %s %.17g %.17g %.17g %.17g\\n", mom, cen, t, (double)p, (double)v,
               (double)b, (double)a);
      }}
  for (int i = 0; i < 3; ++i) {{
    T p = T(p0[i]), acc = T(0.1);
    for (int s = 0; s < 3; ++s)
      gg::adagrad_update<T>(p, acc, T(g[s][i]), T(0.1 / (1 + s * 0.5)), T(0.01), T(1e-10));
    printf("ada %s %.17g %.17g\\n", t, (double)p, (double)acc);
  }}
}}
int main() {{ run<float>("float32"); run<double>("float64"); return 0; }}
"""


def _twins(dtype):
    def arr(v):
        return np.array(v, dtype=dtype)

    out = {}
    for dec in (0, 1):
        p, m, v, vx = arr(P0), arr([0] * 3), arr([0] * 3), arr([0] * 3)
        for s in range(3):
            K.TABLE["adam_amsgrad_update"](arr(G[s]), 0.01, 0.9, 0.99, 1e-8, 0.1,
                                           1 - 0.9 ** (s + 1), math.sqrt(1 - 0.99 ** (s + 1)),
                                           bool(dec), p, m, v, vx)
        out[f"ams{dec}"] = np.stack([p, m, v, vx], 1)
    for mom, cen in RMS_VARIANTS:
        p, v, b, a = arr(P0), arr([0] * 3), arr([0] * 3), arr([0] * 3)
        name = "rmsprop" + "_centered" * cen + "_momentum" * mom + "_update"
        for s in range(3):
            args = [arr(G[s]), 0.05, 0.9, 1e-8, 0.01] + [0.5] * mom + [p, v] + [b] * mom
            K.TABLE[name](*args, *([a] * cen))
        out[f"rms{mom}{cen}"] = np.stack([p, v, b, a], 1)
    p, acc = arr(P0), arr([0.1] * 3)
    for s in range(3):
        K.TABLE["adagrad_update"](arr(G[s]), 0.1 / (1 + s * 0.5), 0.01, 1e-10, p, acc)
    out["ada"] = np.stack([p, acc], 1)
    return out


@pytest.mark.compiler
@pytest.mark.skipif(COMPILER is None, reason="no g++ or nvcc on PATH")
def test_optimizer_cuh_math_matches_the_numpy_twins_on_the_host(tmp_path):
    got = {}
    for line in _compile_and_run(tmp_path, _program(), COMPILER).splitlines():
        name, dt, *vals = line.split()
        got.setdefault((name, dt), []).append([float(x) for x in vals])
    assert len(got) == 2 * (2 + 4 + 1)
    for dt, tol in (("float32", 2e-6), ("float64", 1e-13)):
        for name, want in _twins(np.dtype(dt)).items():
            np.testing.assert_allclose(np.array(got[(name, dt)]), want.astype(np.float64),
                                       rtol=tol, atol=tol, err_msg=f"{name} {dt}")


def test_each_rmsprop_row_is_its_own_variant():
    tw = _twins(np.float64)  # momentum and centering each change the parameters
    assert not np.allclose(tw["rms00"][:, 0], tw["rms01"][:, 0])
    assert not np.allclose(tw["rms00"][:, 0], tw["rms10"][:, 0])


OPT_ROWS = [n for n in K.TABLE if n.endswith("_update")]
SCALARS = {"lr": 0.01, "beta1": 0.9, "beta2": 0.99, "eps": 1e-3, "wd": 0.01, "bc1": 0.19,
           "bc2_sqrt": 0.14, "decoupled": True, "alpha": 0.9, "momentum": 0.5, "clr": 0.05,
           "dampening": 0.1, "nesterov": True, "first": False}
POSITIVE = {"v", "vmax", "acc"}


@pytest.mark.cuda
@pytest.mark.skipif(not gg.cuda.is_available(), reason="CUDA is not available")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", OPT_ROWS)
def test_cuda_optimizer_rows_match_their_twins(name, dtype):
    import cupy as cp

    rng = np.random.default_rng(0)
    k = K.TABLE[name]
    host_args, dev_args = [], []
    for _typ, pname in k.params():
        if pname in SCALARS:
            host_args.append(SCALARS[pname])
            dev_args.append(SCALARS[pname])
            continue
        lo, hi = (0.5, 1.0) if pname in POSITIVE else (-0.1, 0.1) if pname == "gavg" else (-1, 1)
        base = rng.uniform(lo, hi, size=(5, 12)).astype(dtype)
        host_args.append(base[:, ::2].copy())
        dev_args.append(cp.asarray(base)[:, ::2])  # non-contiguous on the device
    k(*host_args)  # the twin, in place
    k(*dev_args)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for h, d in zip(host_args, dev_args):
        if isinstance(h, np.ndarray):
            np.testing.assert_allclose(cp.asnumpy(d), h, rtol=tol, atol=tol)
