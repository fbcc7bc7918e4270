"""gpugrad's throughput benchmarks. Thread counts are pinned here, before NumPy is imported:
GPUGRAD_BENCH_THREADS (default 1) threads for BLAS and OpenMP in every contender."""

import os

THREADS = int(os.environ.get("GPUGRAD_BENCH_THREADS", "1"))
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = str(THREADS)
