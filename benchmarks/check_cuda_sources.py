"""Compile every row of the kernel table as CuPy builds it at run time, with NVRTC, no GPU needed.

    python -m benchmarks.check_cuda_sources [--arch 90] [--dtypes float16,float32,float64]

For each row of ``gpugrad.kernels.TABLE``, each dtype and two argument layouts, CuPy's own
ElementwiseKernel generator (``cupy._core._kernel._get_elementwise_kernel_code``) writes the
kernel source: the typedefs, ``kernels.preamble()``, the ``CArray``/``CIndexer`` parameters, the
``CUPY_FOR`` loop and the row's body. The source gets CuPy's headers prepended and is compiled by
NVRTC with the options CuPy assembles (``--std=c++17``, the bundled CCCL and CuPy include
directories, the CUDA headers, ``-ftz=true``, ``-arch=sm_XX``,
``--device-as-default-execution-space``). The two layouts are the ones gpugrad launches:

- ``contiguous``: the first input and the outputs are 1-d contiguous arrays, every other input a
  scalar (activation forward/backward, optimizer updates with Python hyperparameters);
- ``broadcast``: every parameter an array of 2 dimensions, not contiguous (bias rows, the
  per-row ``lse``/``t``/``scale`` of the cross-entropy backward).

NVRTC runs without a GPU or a driver: ``pip install -e ".[cuda-check]"`` gives CuPy, NVRTC and
the CUDA runtime headers as wheels. Exits 1 naming every row that fails to compile.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

DTYPES = ("float16", "float32", "float64")
LAYOUTS = ("contiguous", "broadcast")


def _cupy_parts():
    """CuPy's generator, header list, option assembly and NVRTC program, or SystemExit."""
    try:
        import cupy
        from cupy._core import _carray, _kernel, _scalar, core
        from cupy.cuda import compiler
        from cupy_backends.cuda.libs import nvrtc
    except Exception as exc:  # ImportError, or a CuPy that cannot find NVRTC
        raise SystemExit(
            f"check-cuda-sources needs CuPy and NVRTC ({type(exc).__name__}: {exc}); "
            'install them with pip install -e ".[cuda-check]"') from exc
    needed = [(_kernel, "_get_elementwise_kernel_code"), (_kernel, "_ArgInfo"),
              (_kernel, "_TypeMap"), (core, "_cupy_header_list"),
              (core, "assemble_cupy_compiler_options"), (compiler, "_NVRTCProgram"),
              (compiler, "_get_max_compute_capability")]
    missing = [f"{m.__name__}.{n}" for m, n in needed if not hasattr(m, n)]
    if missing:
        raise SystemExit(f"CuPy {cupy.__version__} no longer has {', '.join(missing)}: the "
                         "generator this check drives changed; update check_cuda_sources.py")
    return cupy, _carray, _kernel, _scalar, core, compiler, nvrtc


# _ArgKind in cupy/_core/_kernel.pxd
_NDARRAY, _INDEXER, _SCALAR = 1, 2, 3


def kernel_source(kernel, dtype: str, layout: str) -> str:
    """The CUDA source CuPy generates for ``kernel`` (a gpugrad ``Kernel``) launched with
    ``dtype`` arrays in ``layout``, CuPy's headers included, exactly as NVRTC receives it."""
    from gpugrad import kernels as K

    cupy, _carray, _kernel, _scalar, core, _, _ = _cupy_parts()
    ek = cupy.ElementwiseKernel(kernel.in_params, kernel.out_params, kernel.body,
                                "gg_" + kernel.name, preamble=K.preamble())
    dt = np.dtype(dtype)
    nin = len(ek.in_params)
    ndim = 1 if layout == "contiguous" else 2
    infos = []
    for j, p in enumerate(ek.params[:-1]):  # the last parameter is CIndexer _ind
        pdt = np.dtype(p.dtype) if p.dtype is not None else dt
        if layout == "contiguous" and 0 < j < nin:
            infos.append(_kernel._ArgInfo(_SCALAR, _scalar.CScalar, pdt, 0, True, True))
        else:
            infos.append(_kernel._ArgInfo(_NDARRAY, cupy.ndarray, pdt, ndim,
                                          layout == "contiguous", True))
    infos.append(_kernel._ArgInfo(_INDEXER, _carray.Indexer, None, ndim, True, True))
    ctypes = {p.ctype for p in ek.params[:-1] if p.dtype is None}
    type_map = _kernel._TypeMap(tuple(sorted((c, dt) for c in ctypes)))
    code = _kernel._get_elementwise_kernel_code(tuple(infos), type_map, ek.params,
                                                ek.operation, ek.name, ek.preamble)
    header = "".join(f"#include <{h}>\n" for h in core._cupy_header_list)
    return header + code


def nvrtc_options(arch: str) -> tuple[tuple[str, ...], str]:
    """CuPy's NVRTC options for ``arch`` (e.g. "90") and the output kind ("cubin" or "ptx"),
    in the order CuPy adds them (compile_with_cache, _compile_with_cache_cuda, NVRTC)."""
    _, _, _, _, core, compiler, _ = _cupy_parts()
    options = core.assemble_cupy_compiler_options(())
    options += ("-ftz=true",)
    if not getattr(compiler, "_use_ptx", False) and int(arch) <= int(
            compiler._get_max_compute_capability()):
        options += (f"-arch=sm_{arch}",)
        method = "cubin"
    else:
        options += (f"-arch=compute_{arch}",)
        method = "ptx"
    options += ("--device-as-default-execution-space",)
    return options, method


def compile_one(source: str, name: str, options: tuple[str, ...], method: str) -> tuple[int, str]:
    """NVRTC-compile one source as CuPy does: (size of the binary, NVRTC's log)."""
    _, _, _, _, _, compiler, _ = _cupy_parts()
    log = io.StringIO()
    prog = compiler._NVRTCProgram(source, name + ".cu", (), (), method=method)
    binary, _ = prog.compile(options, log)
    return len(binary), log.getvalue().strip()


def check(arch: str = "90", dtypes=DTYPES, layouts=LAYOUTS, names=None, jobs: int = 2,
          verbose: bool = False) -> dict:
    """Compile every (row, dtype, layout); returns counts, failures and warnings."""
    from gpugrad import kernels as K

    cupy, _, _, _, _, compiler, nvrtc = _cupy_parts()
    options, method = nvrtc_options(arch)
    rows = [k for n, k in K.TABLE.items() if names is None or n in names]
    jobs_list = [(k, dt, lay) for k in rows for dt in dtypes for lay in layouts]

    def run(job):
        k, dt, lay = job
        tag = f"{k.name} {dt} {lay}"
        try:
            size, log = compile_one(kernel_source(k, dt, lay), f"gg_{k.name}_{dt}_{lay}",
                                    options, method)
        except compiler.CompileException as exc:
            return tag, None, str(exc)
        return tag, size, log

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        results = list(pool.map(run, jobs_list))
    elapsed = time.perf_counter() - t0
    failed = {tag: msg for tag, size, msg in results if size is None}
    warnings = {tag: msg for tag, size, msg in results if size is not None and msg}
    if verbose:
        for tag, size, _ in results:
            print(f"  {tag:40} {'FAILED' if size is None else f'{size} bytes'}")
    return {"compiled": len(results) - len(failed), "failed": failed, "warnings": warnings,
            "rows": len(rows), "dtypes": list(dtypes), "layouts": list(layouts),
            "arch": arch, "method": method, "options": list(options), "seconds": elapsed,
            "nvrtc": ".".join(map(str, nvrtc.getVersion())), "cupy": cupy.__version__}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", default="90", help="compute capability, e.g. 90 (H100), 80, 120")
    ap.add_argument("--dtypes", default=",".join(DTYPES))
    ap.add_argument("--only", default="", help="comma-separated kernel names (default: all)")
    ap.add_argument("--jobs", type=int, default=2, help="parallel NVRTC compilations")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per kernel")
    ap.add_argument("--show-source", default="", metavar="NAME",
                    help="print the generated float32 contiguous source of one row and exit")
    a = ap.parse_args(argv)
    if a.show_source:
        from gpugrad import kernels as K

        print(kernel_source(K.TABLE[a.show_source], "float32", "contiguous"))
        return 0
    names = {s for s in a.only.split(",") if s} or None
    r = check(a.arch, [d for d in a.dtypes.split(",") if d], LAYOUTS, names, a.jobs, a.verbose)
    for tag, msg in r["warnings"].items():
        print(f"warning: {tag}:\n{msg}\n", file=sys.stderr)
    for tag, msg in r["failed"].items():
        print(f"FAILED: {tag}:\n{msg}\n", file=sys.stderr)
    print(f"compiled {r['compiled']} kernels ({r['rows']} rows x {len(r['dtypes'])} dtypes "
          f"{'/'.join(r['dtypes'])} x {len(r['layouts'])} argument layouts) with NVRTC "
          f"{r['nvrtc']} (CuPy {r['cupy']}) for {r['method']} sm_{r['arch']} in "
          f"{r['seconds']:.1f} s; {len(r['failed'])} failed, {len(r['warnings'])} with warnings")
    if r["failed"]:
        print("failed: " + ", ".join(r["failed"]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
