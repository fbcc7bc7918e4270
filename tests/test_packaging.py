"""The wheel ships the CUDA kernel sources, and an installed package finds them."""

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(importlib.util.find_spec("setuptools") is None,
                    reason="setuptools is needed to build the wheel offline")
def test_wheel_contains_kernel_sources_and_installed_package_finds_them(tmp_path):
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "--no-build-isolation", "-w", str(tmp_path), str(ROOT)],
                           check=True, capture_output=True, text=True)
    assert "deprecat" not in (build.stdout + build.stderr).lower()
    (wheel,) = tmp_path.glob("gpugrad-*.whl")
    import gpugrad

    assert wheel.name.startswith(f"gpugrad-{gpugrad.__version__}-")
    names = zipfile.ZipFile(wheel).namelist()
    assert "gpugrad/py.typed" in names and "gpugrad/_tensor_ops.pyi" in names
    meta = zipfile.ZipFile(wheel).read(f"gpugrad-{gpugrad.__version__}.dist-info/METADATA")
    assert b"License-Expression: MIT" in meta
    for src in ("common.cuh", "activations.cuh", "fused.cuh"):
        assert f"gpugrad/_cuda_src/{src}" in names
    assert "gpugrad/kernels.py" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    out = subprocess.run(
        [sys.executable, "-c", "import gpugrad.kernels as K; print(K.source_dir()); "
         "print(len(K.preamble()))"],
        cwd=tmp_path, env={"PYTHONPATH": str(site)}, capture_output=True, text=True, check=True,
    ).stdout.split()
    assert Path(out[0]) == site / "gpugrad" / "_cuda_src"
    assert int(out[1]) > 1000
