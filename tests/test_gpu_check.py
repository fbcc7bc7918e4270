"""The gpu-check driver: it fails at once without CUDA, and its stages run on past failures,
each logged, within a time limit, with a summary naming what failed."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import gpugrad as gg
from benchmarks import gpu_check

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(gg.cuda.is_available(), reason="CUDA is available here")
def test_gpu_check_stops_at_the_start_without_cuda():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-m", "benchmarks.gpu_check"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "no CUDA device: " in r.stderr
    assert "===" not in r.stdout  # no stage started


def test_stages_run_past_failures_and_timeouts(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(gpu_check, "LOGS", tmp_path / "logs")
    monkeypatch.setattr(gpu_check, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(gpu_check, "ROOT", tmp_path)
    info = {"gpu": "Test GPU", "driver": "13.0", "cuda_runtime": "13.0", "cupy": "14",
            "compute_capability": "90"}
    monkeypatch.setattr(gpu_check, "probe", lambda: info)
    py = sys.executable
    stages = [
        gpu_check.Stage("ok", [py, "-c", "print('compiled 3 kernels')"], 30,
                        r"compiled \d+ kernels"),
        gpu_check.Stage("fails", [py, "-c", "import sys; print('half'); sys.exit(3)"], 30),
        gpu_check.Stage("hangs", [py, "-c", "import time; print('start', flush=True); "
                                  "time.sleep(60)"], 2),
        gpu_check.Stage("after", [py, "-c", "print('still ran')"], 30, r"still ran"),
    ]
    monkeypatch.setattr(gpu_check, "stages", lambda info, workers: stages)
    assert gpu_check.main(["--skip", "nothing"]) == 1
    out, err = capsys.readouterr()
    assert "gpu-check FAILED: fails, hangs" in err
    summary = json.loads((tmp_path / "results" / "gpu_check_cuda.json").read_text())
    assert summary["machine"]["gpu"] == "Test GPU" and summary["failed"] == ["fails", "hangs"]
    by_name = {s["name"]: s for s in summary["stages"]}
    assert by_name["ok"]["result"] == "compiled 3 kernels" and by_name["ok"]["ok"]
    assert by_name["fails"]["rc"] == 3
    assert by_name["hangs"]["rc"] == -9 and by_name["hangs"]["seconds"] < 20
    assert by_name["after"]["result"] == "still ran"
    assert (tmp_path / "logs" / "fails.log").read_text() == "half\n"
    assert (tmp_path / "logs" / "hangs.log").read_text() == "start\n"


def test_budget_spent_leaves_later_stages_failed(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(gpu_check, "LOGS", tmp_path / "logs")
    monkeypatch.setattr(gpu_check, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(gpu_check, "ROOT", tmp_path)
    monkeypatch.setattr(gpu_check, "probe", lambda: {"gpu": "G", "driver": "1", "cupy": "14",
                                                     "cuda_runtime": "1"})
    stages = [gpu_check.Stage("late", [sys.executable, "-c", "print(1)"], 30)]
    monkeypatch.setattr(gpu_check, "stages", lambda info, workers: stages)
    assert gpu_check.main(["--budget", "1"]) == 1
    assert "time budget is spent" in capsys.readouterr().out


def test_the_plan_covers_tests_examples_and_benchmarks_on_cuda():
    plan = gpu_check.stages({"compute_capability": "90", "xdist": "3.5"}, 4)
    names = [s.name for s in plan]
    assert names[:2] == ["check-cuda-sources", "cuda-tests"]
    assert {f"example:{n}" for n, _, _ in gpu_check.EXAMPLES} <= set(names)
    assert names[-4:] == ["bench-kernels", "bench-mlp", "bench-overhead", "plot"]
    by = {s.name: s.cmd for s in plan}
    assert by["cuda-tests"][3:7] == ["-m", "cuda", "-n", "4"]
    assert by["check-cuda-sources"][2:5] == ["benchmarks.check_cuda_sources", "--arch", "90"]
    for n, cmd in by.items():
        if n.startswith("example:"):
            assert cmd[-2:] == ["--device", "cpu" if n.endswith("-cpu") else "cuda"]
    assert all(cmd[0] == sys.executable for cmd in by.values())
