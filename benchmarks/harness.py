"""The shared harness: timers (CUDA events on GPUs), interleaved rounds, machine info, JSON."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from . import THREADS

RESULTS = Path(__file__).resolve().parent / "results"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpu_name() -> str | None:
    try:
        import cupy as cp

        return cp.cuda.runtime.getDeviceProperties(0)["name"].decode()
    except Exception:
        return None


def thread_report() -> dict:
    info = {"requested": THREADS}
    try:
        from threadpoolctl import threadpool_info

        info["pools"] = [{k: p.get(k) for k in ("internal_api", "num_threads")}
                         for p in threadpool_info()]
    except ImportError:
        info["pools"] = "threadpoolctl not installed; set through environment variables"
    try:
        import torch

        torch.set_num_threads(THREADS)
        info["torch"] = torch.get_num_threads()
    except ImportError:
        pass
    return info


def versions() -> dict:
    out = {"python": sys.version.split()[0], "numpy": np.__version__}
    import gpugrad

    out["gpugrad"] = gpugrad.__version__
    for mod in ("torch", "cupy", "micrograd"):
        try:
            out[mod] = getattr(__import__(mod), "__version__", "installed")
        except Exception:
            out[mod] = None
    try:
        out["git"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                    text=True, cwd=Path(__file__).parent).stdout.strip()
    except OSError:
        pass
    return out


def machine(device: str) -> dict:
    return {"platform": platform.platform(), "cpu": cpu_name(), "cores": os.cpu_count(),
            "device": device, "gpu": gpu_name() if device == "cuda" else None}


class Timer:
    """Seconds for ``n`` calls of ``fn``: wall clock on the CPU, CUDA events on a GPU."""

    def __init__(self, device: str, framework: str = "cupy") -> None:
        self.device, self.framework = device, framework

    def __call__(self, fn, n: int) -> float:
        if self.device == "cpu":
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            return time.perf_counter() - t0
        if self.framework == "torch":
            import torch

            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            torch.cuda.synchronize()
            start.record()
            for _ in range(n):
                fn()
            end.record()
            end.synchronize()
            return start.elapsed_time(end) / 1e3
        import cupy as cp

        start, end = cp.cuda.Event(), cp.cuda.Event()
        cp.cuda.Device().synchronize()
        start.record()
        for _ in range(n):
            fn()
        end.record()
        end.synchronize()
        return cp.cuda.get_elapsed_time(start, end) / 1e3


def interleaved(contenders: dict, timers: dict, rounds: int, min_time: float = 0.02,
                warmup: int = 3) -> dict:
    """Per-call seconds of each contender: warm-up, calibrate calls per sample, then ``rounds``
    rounds that visit every contender in turn (so drift hits them all alike)."""
    calls = {}
    for name, fn in contenders.items():
        for _ in range(warmup):
            fn()
        n = 1
        while timers[name](fn, n) < min_time and n < 1 << 16:
            n *= 2
        calls[name] = n
    samples = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            samples[name].append(timers[name](fn, calls[name]) / calls[name])
    return samples


def median(xs) -> float:
    return statistics.median(xs)


def write_json(path: Path, payload: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=1))
    os.replace(tmp, path)
    return path


def peak_bytes(fn) -> int:
    """Peak bytes traced by tracemalloc (which sees NumPy's allocations) during the second of
    two calls of ``fn``, above what was held before it: the first call warms up and leaves
    whatever a call keeps between calls (a step's gradients) in place for the second."""
    import gc
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        fn()
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
