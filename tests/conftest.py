"""Shared fixtures: the bundled sample, the assembled model, small generated audio files."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent

SAMPLE = ROOT / "recordings" / "voorbeeld-intervisie.ogg"
SAMPLE_SCRIPT = ROOT / "recordings" / "voorbeeld-intervisie.txt"
MODELS = ROOT / "models"


def normalise(text: str) -> str:
    """Lowercase words without punctuation, for WER."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def script_text(path: Path = SAMPLE_SCRIPT) -> str:
    from devtools.synth import parse_script

    return " ".join(line.text for line in parse_script(path.read_text(encoding="utf-8")))


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """The assembled models (`make test` runs `oogst models` first); skip nothing: fail loudly if missing."""
    from pipeline.models.assemble import DEFAULT_ASR, is_assembled

    assert is_assembled(MODELS / DEFAULT_ASR), "models are not assembled: run `make models`"
    return MODELS


# Debian packages behind the tools that `needs_system` tests use; `make sysdeps` installs them.
SYSTEM_PACKAGES = {"espeak-ng": "espeak-ng", "soffice": "libreoffice-writer-nogui python3-uno", "openssl": "openssl",
                   "chromium": "chromium", "chromedriver": "chromium-driver", "frog": "frog frogdata uctodata",
                   "nginx": "nginx-light"}
# Services a `needs_service` test starts itself on a free loopback port: the command and its Debian package.
SERVICES = {"redis-server": "redis-server"}
# Data from outside the project (QMSum, real-nl) that `needs_data` tests read; see its README.md. It lives beside
# the clone, not in it.
SHARED_DATA = ROOT.parent / "shared" / "data"


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked needs_system("tool"), needs_service("server") or needs_data("path") fails (never skips) when
    that is missing: CI must not go green on it. `make test-fast` leaves them out."""
    for marker in item.iter_markers("needs_system"):
        for tool in marker.args:
            if shutil.which(tool) is None and shutil.which(tool, path="/usr/sbin:/sbin") is None:  # nginx: sbin
                pytest.fail(f"{tool} is not installed: run `make sysdeps` (Debian: {SYSTEM_PACKAGES.get(tool, tool)})",
                            pytrace=False)
    for marker in item.iter_markers("needs_service"):
        for server in marker.args:
            if shutil.which(server) is None:
                pytest.fail(f"{server} is not installed: run `make sysdeps` (Debian: {SERVICES[server]})",
                            pytrace=False)
    if item.get_closest_marker("needs_gpu") is not None:
        import os

        from pipeline.models.catalog import cuda_devices

        if not cuda_devices():
            # Unlike the other needs_* markers this one skips: most machines (this project's too) have no GPU. A GPU
            # runner sets OOGST_REQUIRE_GPU=1 so a missing or broken CUDA setup fails instead of skipping.
            if os.environ.get("OOGST_REQUIRE_GPU") == "1":
                pytest.fail("OOGST_REQUIRE_GPU=1 but CTranslate2 sees no CUDA GPU (check the driver, CUDA 12 and "
                            "cuDNN 9)", pytrace=False)
            pytest.skip("no CUDA GPU here: the GPU path runs on a machine with one (OOGST_REQUIRE_GPU=1 to insist)")
    for marker in item.iter_markers("needs_data"):
        for name in marker.args:
            if not (SHARED_DATA / name).exists():
                pytest.fail(f"{SHARED_DATA / name} is missing: put the shared evaluation data in ../shared/data "
                            "beside the clone (see its README.md)", pytrace=False)


@pytest.fixture(scope="session")
def sample() -> Path:
    assert SAMPLE.is_file(), f"{SAMPLE} is missing"
    return SAMPLE


def tone(seconds: float, freq: float = 220.0, rate: int = 16000, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.fixture()
def out_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "outputs"
    path.mkdir()
    yield path
