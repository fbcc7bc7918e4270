"""Everything CUDA in one command, for a machine with an NVIDIA GPU: ``make gpu-check``.

    PYTHONPATH=. python3 -m benchmarks.gpu_check [--budget 540] [--skip bench-overhead,...]

Uses the Python it runs under (no venv, no install, no network) and the source tree on the path.
Prints the GPU, driver, CUDA, NVRTC, CuPy, NumPy and PyTorch versions, then runs, each stage with
its own log in ``runs/gpu-check/`` and the whole within the time budget:

1. ``check-cuda-sources``: every kernel-table row compiled by NVRTC for this GPU's architecture;
2. ``cuda-tests``: every test marked ``cuda`` (pytest, in parallel when pytest-xdist is there);
3. ``example:*``: each example with ``--device cuda`` at a reduced size, digits also on the CPU
   with the same epochs so the two accuracies can be compared;
4. ``bench-kernels``: every fused kernel's GB/s against a device-to-device copy at 2^24
   elements, and its speed-up over the plain CuPy chain;
5. ``bench-mlp``: the MLP training step: gpugrad eager (and compiled where it exists), PyTorch
   eager and with CUDA graphs, the hand-written CuPy step (CUDA events);
6. ``bench-overhead``: per-op cost on tiny tensors;
7. ``plot``: ``benchmarks/results/mlp.png`` and the README's results table.

Every stage runs even when an earlier one fails. Writes ``benchmarks/results/*_cuda.json`` (each
names the device) and ``benchmarks/results/gpu_check_cuda.json`` (versions, stages, times,
example results); exits 1 naming the failed stages. Where no CUDA device answers, exits 2 at
once, before running anything.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
LOGS = ROOT / "runs" / "gpu-check"

# The examples at a reduced size: (name, script and flags without --device, line to report).
EXAMPLES = [
    ("digits", ["digits.py", "--epochs", "12", "--no-plot", "--min-accuracy", "0.95",
                "--out", "runs/gpu-check/digits"], r"test accuracy: [0-9.]+"),
    ("micrograd_mlp", ["micrograd_mlp.py", "--steps", "30"], r"predictions: .*"),
    ("moons", ["moons.py", "--steps", "200", "--out", "runs/gpu-check/moons"],
     r"training accuracy [0-9.]+%"),
    ("manual_vs_auto", ["manual_vs_auto.py", "--steps", "5"],
     r"largest gradient difference over all steps: \S+"),
    ("backprop_walkthrough", ["backprop_walkthrough.py", "--steps", "20", "--out",
                              "runs/gpu-check/walkthrough"], r"4\. MLP.*"),
    ("pinn", ["pinn.py", "--steps", "300"],
     r"final max \|u - sin\(pi x\)\| on 1001 points: \S+"),
]


def example_command(name: str, device: str) -> list[str]:
    """The command line of one example at its reduced size on ``device``."""
    script, *flags = next(f for n, f, _ in EXAMPLES if n == name)
    return [sys.executable, str(ROOT / "examples" / script), *flags, "--device", device]


def probe() -> dict:
    """The machine: GPU, driver, CUDA, NVRTC and library versions. SystemExit(2) without CUDA."""
    info: dict = {"python": sys.version.split()[0], "executable": sys.executable}
    try:
        import numpy

        info["numpy"] = numpy.__version__
    except ImportError as exc:
        raise SystemExit(f"gpu-check needs NumPy in {sys.executable}: {exc}") from exc
    try:
        import cupy as cp

        n = cp.cuda.runtime.getDeviceCount()
        if n < 1:
            raise RuntimeError("the CUDA driver reports no device")
        props = cp.cuda.runtime.getDeviceProperties(0)
    except Exception as exc:
        raise SystemExit(f"no CUDA device: {type(exc).__name__}: {exc} (python "
                         f"{sys.executable}); gpu-check runs on a machine with an NVIDIA GPU, its "
                         "driver and CuPy") from exc

    def cuda_version(v: int) -> str:
        return f"{v // 1000}.{v % 1000 // 10}"

    info.update(
        gpu=props["name"].decode(), gpu_count=n,
        compute_capability=f"{props['major']}{props['minor']}",
        memory_GiB=round(props["totalGlobalMem"] / 2**30, 1),
        driver=cuda_version(cp.cuda.runtime.driverGetVersion()),
        cuda_runtime=cuda_version(cp.cuda.runtime.runtimeGetVersion()),
        cupy=cp.__version__)
    try:
        from cupy_backends.cuda.libs import nvrtc

        info["nvrtc"] = ".".join(map(str, nvrtc.getVersion()))
    except Exception as exc:
        info["nvrtc"] = f"unavailable ({exc})"
    try:
        smi = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20)
        if smi.returncode == 0:
            info["driver_version"] = smi.stdout.strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError):
        pass
    for mod in ("scipy", "torch", "sklearn", "pytest", "xdist"):
        try:
            m = __import__(mod)
            info[mod] = getattr(m, "__version__", "installed")
        except Exception:
            info[mod] = None
    if info["torch"]:
        import torch

        info["torch_cuda"] = torch.version.cuda
        info["torch_sees_gpu"] = bool(torch.cuda.is_available())
    return info


class Stage:
    """One command: its output goes to the console and to its log; nothing it does stops the
    stages after it."""

    def __init__(self, name: str, cmd: list[str], timeout: float, report: str | None = None):
        self.name, self.cmd, self.timeout, self.report = name, cmd, timeout, report
        self.rc: int | None = None
        self.seconds = 0.0
        self.found: str | None = None
        self.note = ""

    def run(self, env: dict, deadline: float) -> None:
        left = deadline - time.monotonic()
        log = LOGS / f"{self.name.replace(':', '_')}.log"
        if left < 5:
            self.rc, self.note = -1, "not run: the time budget is spent"
            print(f"\n=== {self.name}: {self.note}", flush=True)
            return
        limit = min(self.timeout, left)
        print(f"\n=== {self.name} (limit {limit:.0f} s): {' '.join(self.cmd)}", flush=True)
        t0 = time.monotonic()
        lines: list[str] = []
        with open(log, "w") as f:
            p = subprocess.Popen(self.cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, errors="replace",
                                 start_new_session=True)  # its own group: a timeout ends all

            def pump() -> None:
                for line in p.stdout:
                    sys.stdout.write(line)
                    sys.stdout.flush()
                    f.write(line)
                    lines.append(line)

            reader = threading.Thread(target=pump, daemon=True)
            reader.start()
            try:
                self.rc = p.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
                self.rc, self.note = -9, f"killed after {limit:.0f} s"
            reader.join(timeout=10)
        self.seconds = time.monotonic() - t0
        if self.report:
            hits = [m.group(0) for m in map(re.compile(self.report).search, lines) if m]
            self.found = hits[-1] if hits else None
        status = "ok" if self.rc == 0 else f"FAILED (exit {self.rc}) {self.note}".rstrip()
        print(f"=== {self.name}: {status} in {self.seconds:.1f} s; log {log.relative_to(ROOT)}",
              flush=True)

    def as_dict(self) -> dict:
        return {"name": self.name, "command": self.cmd, "rc": self.rc, "ok": self.rc == 0,
                "seconds": round(self.seconds, 2), "result": self.found, "note": self.note}


def stages(info: dict, workers: int) -> list[Stage]:
    py = sys.executable
    test_cmd = [py, "-m", "pytest", "-m", "cuda", "-q", "-p", "no:cacheprovider", "tests"]
    if info.get("xdist"):
        test_cmd[5:5] = ["-n", str(workers)]
    out = [
        Stage("check-cuda-sources", [py, "-m", "benchmarks.check_cuda_sources", "--arch",
                                     info["compute_capability"], "--jobs", "4"], 120,
              r"compiled \d+ kernels"),
        Stage("cuda-tests", test_cmd, 240, r"\d+ (passed|failed).*"),
    ]
    for name, _, pattern in EXAMPLES:
        out.append(Stage(f"example:{name}", example_command(name, "cuda"), 60, pattern))
    out.append(Stage("example:digits-cpu", example_command("digits", "cpu"), 60, EXAMPLES[0][2]))
    out += [
        Stage("bench-kernels", [py, "-m", "benchmarks.kernels", "--device", "cuda", "--log2n",
                                "24", "--rounds", "11"], 120, r"goals: .*"),
        Stage("bench-mlp", [py, "-m", "benchmarks.mlp", "--device", "cuda", "--rounds", "11"],
              150, r"wrote .*"),
        Stage("bench-overhead", [py, "-m", "benchmarks.overhead", "--device", "cuda",
                                 "--rounds", "7"], 60, r"wrote .*"),
        Stage("plot", [py, "-m", "benchmarks.plot"], 60, r"wrote .*"),
    ]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=540.0, help="seconds for everything")
    ap.add_argument("--workers", type=int, default=4, help="pytest-xdist workers for the tests")
    ap.add_argument("--skip", default="", help="comma-separated stage names to leave out")
    ap.add_argument("--only", default="", help="comma-separated stage names to run (default all)")
    a = ap.parse_args(argv)
    t0 = time.monotonic()
    try:
        info = probe()
    except SystemExit as exc:
        print(f"gpu-check: {exc}", file=sys.stderr, flush=True)
        return 2
    print("gpu-check on " + ", ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    LOGS.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "")
                                                       .split(os.pathsep) if p])
    env.setdefault("PYTHONUNBUFFERED", "1")
    skip = {s for s in a.skip.split(",") if s}
    only = {s for s in a.only.split(",") if s}
    todo = [s for s in stages(info, a.workers)
            if s.name not in skip and (not only or s.name in only)]
    deadline = t0 + a.budget
    for s in todo:
        s.run(env, deadline)
    failed = [s.name for s in todo if s.rc != 0]
    summary = {"benchmark": "gpu_check", "machine": info, "budget_s": a.budget,
               "seconds": round(time.monotonic() - t0, 1),
               "stages": [s.as_dict() for s in todo], "failed": failed}
    path = RESULTS / "gpu_check_cuda.json"
    path.write_text(json.dumps(summary, indent=1))
    print(f"\n=== gpu-check on {info['gpu']} (driver {info.get('driver_version', info['driver'])},"
          f" CUDA {info['cuda_runtime']}, CuPy {info['cupy']}) in {summary['seconds']} s")
    for s in todo:
        print(f"  {'ok    ' if s.rc == 0 else 'FAILED'} {s.name:22} {s.seconds:7.1f} s  "
              f"{s.found or s.note or ''}")
    print(f"wrote {path.relative_to(ROOT)}; logs in {LOGS.relative_to(ROOT)}/")
    if failed:
        print(f"gpu-check FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    print("gpu-check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
