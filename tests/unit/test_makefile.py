"""The Makefile builds llama.cpp for the extensions the CPU reports: a wheel built with
AVX-512 dies with "Illegal instruction" on a CPU without it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _flags(cpu_flags: str) -> dict[str, str]:
    out = subprocess.run(
        ["make", "-s", "--no-print-directory", "llama-flags", f"CPU_FLAGS={cpu_flags}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(arg.removeprefix("-D").split("=") for arg in out.split())


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_llama_build_flags_follow_the_cpu():
    avx2_only = _flags("flags : fpu sse2 avx avx2 fma f16c")
    assert avx2_only["GGML_AVX2"] == "ON" and avx2_only["GGML_FMA"] == "ON"
    assert avx2_only["GGML_AVX512"] == "OFF" and avx2_only["GGML_AVX512_VNNI"] == "OFF"
    full = _flags("flags : avx avx2 fma f16c avx512f avx512_vnni avx512vbmi avx512_bf16 amx_tile")
    assert {full[k] for k in ("GGML_AVX512", "GGML_AVX512_VNNI", "GGML_AVX512_BF16")} == {"ON"}
    # AMX stays off whatever the CPU says; nothing is built for the CPU's own -march.
    assert full["GGML_AMX_TILE"] == "OFF" and full["GGML_NATIVE"] == "OFF"
    # A CPU that reports nothing (no /proc/cpuinfo) gets a build with no extension at all.
    assert _flags("")["GGML_AVX2"] == "OFF"
