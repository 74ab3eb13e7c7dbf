"""Whisper models that no PyPI package carries: `oogst models get NAME` downloads them from the publisher (or the
organisation's mirror, `[models] mirror`), `oogst models add FOLDER|ARCHIVE` takes them from a disk.

Both end the same way. The files are gathered in `models/.downloads/<name>/`, never where a run looks for a model.
Each file's sha256 is checked against, in this order, the publisher's value in `models/manifest.json`, the
manifest that came with the files (`add`: a `manifest.json` or a `SHA256SUMS` next to them), and the value
recorded when this model was first installed here (`models/recorded.json`); a file none of them knows gets its
value recorded (and shown) once the model has passed the last check: it is loaded and decodes one second of the
sample recording (`check.wav`). Only then is the folder renamed into `models/`, with a marker listing every file's
size and sha256 (`.assembled.json`, as the assembled base model has). A file whose hash differs is refused with one
line, and nothing is installed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.core.errors import ModelError
from pipeline.core.session import atomic_write_json, hash_file
from pipeline.models.assemble import MARKER, is_assembled, load_manifest
from pipeline.models.catalog import MODELS, canonical
from pipeline.models.fetch import Progress, fetch

log = logging.getLogger(__name__)

RECORDED = "recorded.json"
DOWNLOADS = ".downloads"
CHECK_AUDIO = Path(__file__).with_name("check.wav")
CT2 = "ctranslate2-whisper"
OPENAI = "openai-whisper"
BACKEND_KIND = {"faster-whisper": CT2, "openai-whisper": OPENAI}
# A CTranslate2 Whisper folder: without tokenizer.json faster-whisper would fetch a tokenizer from the hub
CT2_FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.json", "vocabulary.txt",
             "preprocessor_config.json")
CT2_REQUIRED = ("model.bin", "config.json", "tokenizer.json")
SUMS = ("SHA256SUMS", "sha256sums.txt", "SHA256SUMS.txt")
ARCHIVES = (".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".zip")
Report = Callable[[str], None]
FileProgress = Callable[[str], Progress | None]  # a file's name -> its progress callback


@dataclass(frozen=True)
class FileCheck:
    name: str
    size: int
    sha256: str
    against: str  # publisher | their manifest | recorded <date> | recorded now


@dataclass(frozen=True)
class Installed:
    name: str  # the catalog name (large-v3)
    target: Path  # models/whisper-large-v3, or models/whisper-large-v3-openai.pt
    backend: str
    files: tuple[FileCheck, ...] = ()
    heard: str = ""  # what the model heard in the check second
    already: bool = False  # it was installed before; nothing was done


def installed_name(name: str, backend: str) -> str:
    """The folder (faster-whisper) or file (openai-whisper) a model is installed as under models/."""
    folder = MODELS[name].folder
    return f"{folder}-openai.pt" if backend == "openai-whisper" else folder


def sidecar(pt: Path) -> Path:
    """The record next to an openai-whisper checkpoint (`whisper-small-openai.json`)."""
    return pt.with_suffix(".json")


def _json(path: Path, *, strict: bool = False) -> dict[str, Any]:
    """A small JSON record as a dict: {} when missing (or, unless `strict`, damaged)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        if strict:
            raise ModelError(f"{path}: damaged ({exc}); restore it from a backup, or delete it to record the "
                             "values again at the next install") from None
        return {}
    return data if isinstance(data, dict) else {}


def is_installed(target: Path) -> bool:
    """A model folder with its marker and every file at its recorded size, or a checkpoint with its record."""
    if target.suffix == ".pt":
        info = _json(sidecar(target))
        return target.is_file() and bool(info) and info.get("size") in (None, target.stat().st_size)
    return is_assembled(target)


def _check_name(name: str) -> str:
    found = canonical(name)
    if found is None:
        raise ModelError(f"{name}: not a Whisper model Oogst knows; choose one of {', '.join(MODELS)}")
    return found


# -- the expected hashes ----------------------------------------------------------------------------------------
def recorded(models_dir: Path) -> dict[str, Any]:
    return _json(Path(models_dir) / RECORDED, strict=True)


def _record(models_dir: Path, key: str, source: str, checks: list[FileCheck]) -> None:
    if not any(check.against == "recorded now" for check in checks):
        return
    data = recorded(models_dir)
    found = data.get(key)
    entry: dict[str, Any] = found if isinstance(found, dict) else {}
    entry.setdefault("files", {})
    today = dt.date.today().isoformat()
    for check in checks:
        if check.against == "recorded now":
            entry["files"][check.name] = {"size": check.size, "sha256": check.sha256, "recorded": today,
                                          "source": source}
    data[key] = entry
    atomic_write_json(Path(models_dir) / RECORDED, data)


def _expected(models_dir: Path, key: str, their: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """Per file: the (sha256, where it comes from) values it must match."""
    want: dict[str, list[tuple[str, str]]] = {}
    entry = load_manifest(models_dir).get(key, {})
    for name, meta in (entry.get("download", {}).get("files") or {}).items():
        if meta.get("sha256"):
            want.setdefault(_local_name(key, name), []).append((meta["sha256"], "publisher"))
    for name, digest in their.items():
        want.setdefault(_local_name(key, name), []).append((digest, "their manifest"))
    for name, meta in (recorded(models_dir).get(key, {}).get("files") or {}).items():
        want.setdefault(name, []).append((meta["sha256"], f"recorded {meta.get('recorded', '')}".strip()))
    return want


def _local_name(key: str, name: str) -> str:
    """A file's name in the staging folder: a checkpoint is kept under its installed name."""
    return key if key.endswith(".pt") else name


def verify_files(folder: Path, key: str, want: dict[str, list[tuple[str, str]]], where: str) -> list[FileCheck]:
    """Every file of the staging folder against the values it must match (one-line ModelError on a mismatch)."""
    checks = []
    for path in sorted(p for p in folder.iterdir()
                       if p.is_file() and p.name != MARKER and not p.name.endswith((".part", ".part.json"))):
        digest = hash_file(path)
        values = want.get(path.name, [])
        for value, source in values:
            if digest != value:
                what = {"publisher": "the publisher's value in models/manifest.json",
                        "their manifest": "the value in the manifest that came with it"}.get(
                    source, f"the value {source} here (models/recorded.json)")
                hint = (f"; if the publisher really changed it, remove {key!r} from models/recorded.json and try "
                        "again" if source.startswith("recorded") else "")
                raise ModelError(f"{where}/{path.name}: sha256 {digest[:16]}… differs from {what} "
                                 f"({value[:16]}…); nothing was installed{hint}")
        checks.append(FileCheck(path.name, path.stat().st_size, digest, values[0][1] if values else "recorded now"))
    return checks


# -- the last check: load it, hear a second ------------------------------------------------------------------------
def check_audio() -> Any:
    """The check second: 16 kHz mono float32 ("Goedemorgen." from the sample recording)."""
    import wave

    import numpy as np

    with wave.open(str(CHECK_AUDIO), "rb") as clip:
        pcm = np.frombuffer(clip.readframes(clip.getnframes()), dtype="<i2")
    return (pcm.astype(np.float32) / 32768.0).astype(np.float32)


def hear(path: Path, kind: str) -> str:
    """Load the model at `path` on the CPU and decode the check second; ModelError when either fails."""
    audio = check_audio()
    try:
        if kind == CT2:
            from faster_whisper import WhisperModel

            model = WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=os.cpu_count() or 1)
            segments, _ = model.transcribe(audio, language="nl", beam_size=1, vad_filter=False, temperature=0.0,
                                           condition_on_previous_text=False)
            return " ".join(s.text.strip() for s in segments).strip()
        import whisper

        from pipeline.models.convert import load_openai_model

        loaded = load_openai_model(path)
        result = whisper.transcribe(loaded, audio, language="nl", fp16=False, temperature=0.0,
                                    condition_on_previous_text=False, verbose=None)
        return str(result.get("text", "")).strip()
    except ModelError:
        raise
    except Exception as exc:  # a damaged or foreign model fails anywhere in the engine
        raise ModelError(f"{path}: the model does not load or decode ({type(exc).__name__}: {exc}); nothing was "
                         "installed") from None


# -- putting it in place -------------------------------------------------------------------------------------------
def _finish(models_dir: Path, name: str, backend: str, staging: Path, source: str, checks: list[FileCheck],
            report: Report | None) -> Installed:
    key = installed_name(name, backend)
    target = Path(models_dir) / key
    kind = BACKEND_KIND[backend]
    files = {c.name: {"size": c.size, "sha256": c.sha256, "checked": c.against} for c in checks}
    if kind == CT2:
        atomic_write_json(staging / MARKER, {"source": source, "name": name, "files": files})
        heard = hear(staging, kind)
    else:
        heard = hear(staging / key, kind)
    _record(models_dir, key, source, checks)
    for check in checks:
        if report and check.against == "recorded now":
            report(f"{check.name}: sha256 {check.sha256} recorded (no published value known to Oogst; "
                   "checked against it from now on)")
    if kind == CT2:
        if target.exists():
            shutil.rmtree(target)
        staging.replace(target)
    else:
        only = checks[0]
        (staging / key).replace(target)
        atomic_write_json(sidecar(target), {"name": name, "openai_name": name, "source": source,
                                            "size": only.size, "sha256": only.sha256, "checked": only.against})
        shutil.rmtree(staging, ignore_errors=True)
    log.info("installed %s (%s) from %s", target, backend, source)
    return Installed(name, target, backend, tuple(checks), heard)


def _staging(models_dir: Path, key: str) -> Path:
    return Path(models_dir) / DOWNLOADS / key


def source_url(entry: dict[str, Any], key: str, remote: str, mirror: str | None) -> str:
    """Where a file comes from: `<mirror>/<key>/<file>` (a mirror is a served copy of a models/ folder; a
    checkpoint is `<mirror>/<key>`), else the manifest's URL."""
    if mirror:
        root = mirror.rstrip("/")
        return f"{root}/{key}" if key.endswith(".pt") else f"{root}/{key}/{remote}"
    return str(entry["download"]["url"]).rstrip("/") + "/" + remote


def get(models_dir: Path, name: str, *, backend: str = "faster-whisper", mirror: str | None = None,
        progress: FileProgress | None = None, report: Report | None = None, force: bool = False,
        attempts: int = 3) -> Installed:
    """`oogst models get NAME`: download, check, load and install a model; a no-op when it is installed.

    An interrupted download resumes (in this call, `attempts` times, and in the next call from where it stopped).
    """
    models_dir = Path(models_dir)
    name = _check_name(name)
    key = installed_name(name, backend)
    target = models_dir / key
    if is_installed(target) and not force:
        return Installed(name, target, backend, already=True)
    entry = load_manifest(models_dir).get(key)
    if not entry or "download" not in entry:
        raise ModelError(f"{models_dir / 'manifest.json'}: no download source for {key}; update Oogst, or bring "
                         "the files in with `oogst models add FOLDER`")
    staging = _staging(models_dir, key)
    staging.mkdir(parents=True, exist_ok=True)
    files = entry["download"]["files"]
    try:
        for remote, meta in files.items():
            url = source_url(entry, key, remote, mirror)
            local = _local_name(key, remote)
            if (staging / local).is_file():
                continue  # complete from an earlier, interrupted get
            if report:
                report(f"{local}: {url}")
            fetch(url, staging / local, size=meta.get("size"), progress=progress(local) if progress else None,
                  attempts=attempts)
    except ModelError:
        if not any(staging.iterdir()):  # nothing arrived to resume from
            staging.rmdir()
        raise
    where = mirror.rstrip("/") if mirror else str(entry["download"]["url"]).rstrip("/")
    try:
        checks = verify_files(staging, key, _expected(models_dir, key, {}), where)
        return _finish(models_dir, name, backend, staging, where, checks, report)
    except ModelError:
        shutil.rmtree(staging, ignore_errors=True)  # refused bytes are never resumed from
        raise


# -- oogst models add ----------------------------------------------------------------------------------------------
def _is_archive(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(ARCHIVES)


def _unpack(archive: Path, into: Path) -> Path:
    """Extract an archive safely (regular files and folders only, nothing outside `into`); its one top folder."""
    into.mkdir(parents=True)
    root = into.resolve()

    def inside(member: str) -> Path:
        path = (root / member).resolve()
        if not path.is_relative_to(root) or member.startswith(("/", "\\")):
            raise ModelError(f"{archive}: refuses to unpack {member!r} (a path outside the archive's folder)")
        return path

    try:
        if archive.name.lower().endswith(".zip"):
            with zipfile.ZipFile(archive) as zipped:
                for info in zipped.infolist():
                    path = inside(info.filename)
                    if info.is_dir():
                        path.mkdir(parents=True, exist_ok=True)
                        continue
                    path.parent.mkdir(parents=True, exist_ok=True)
                    with zipped.open(info) as src, open(path, "wb") as out:
                        shutil.copyfileobj(src, out, 1 << 22)
        else:
            with tarfile.open(archive) as tarred:
                for member in tarred:
                    path = inside(member.name)
                    if member.isdir():
                        path.mkdir(parents=True, exist_ok=True)
                    elif member.isfile():
                        path.parent.mkdir(parents=True, exist_ok=True)
                        data = tarred.extractfile(member)
                        assert data is not None
                        with data, open(path, "wb") as out:
                            shutil.copyfileobj(data, out, 1 << 22)
                    else:
                        raise ModelError(f"{archive}: refuses to unpack {member.name!r} (a link or device, not a "
                                         "file)")
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ModelError(f"{archive}: cannot unpack it ({type(exc).__name__}: {exc}); copy the folder instead") \
            from None
    entries = [p for p in into.iterdir() if not p.name.startswith(".")]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else into


def _their_manifest(root: Path, key: str) -> tuple[dict[str, str], str | None]:
    """The sha256 values that came with the files (a manifest.json in Oogst's form, or a SHA256SUMS), and the model
    name that manifest gives, if any."""
    values: dict[str, str] = {}
    named: str | None = None
    folder = root if root.is_dir() else root.parent
    manifest = folder / "manifest.json"
    if manifest.is_file():
        data = _json(manifest, strict=True)
        entries = {k: v for k, v in data.items() if isinstance(v, dict) and not k.startswith("_") and k != "files"}
        entry = data if "files" in data else entries.get(key) or (
            next(iter(entries.values())) if len(entries) == 1 else None)
        if entry is None:
            raise ModelError(f"{manifest}: names no model Oogst can match; give --name")
        named = next((k for k, v in entries.items() if v is entry), None)
        files = entry.get("files") or entry.get("download", {}).get("files") or {}
        values = {n: str(m["sha256"]) for n, m in files.items() if isinstance(m, dict) and m.get("sha256")}
    for sums in SUMS:
        if (folder / sums).is_file():
            for line in (folder / sums).read_text(encoding="utf-8").splitlines():
                digest, _, file = line.strip().partition(" ")
                if len(digest) == 64 and file:
                    values[Path(file.strip().lstrip("*")).name] = digest.lower()
    return values, named


def _guess_name(root: Path, named: str | None) -> str | None:
    for candidate in (named, root.stem if root.is_file() else root.name):
        if not candidate:
            continue
        stem = candidate.lower().removesuffix(".pt").removesuffix("-openai").removeprefix("faster-")
        found = canonical(stem)
        if found:
            return found
    return None


def _copy(src: Path, dst: Path, progress: Progress | None) -> None:
    total = src.stat().st_size
    done = 0
    with open(src, "rb") as fh, open(dst, "wb") as out:
        while chunk := fh.read(1 << 22):
            out.write(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)


def add(models_dir: Path, source: Path, *, name: str | None = None, backend: str | None = None,
        progress: FileProgress | None = None, report: Report | None = None, force: bool = False) -> Installed:
    """`oogst models add FOLDER|ARCHIVE|FILE.pt`: weights brought in on a disk, checked and installed like `get`."""
    models_dir = Path(models_dir)
    source = Path(source).expanduser()
    if not source.exists():
        raise ModelError(f"{source}: not found (give a model folder, an archive of one, or a .pt checkpoint)")
    load_manifest(models_dir)  # one line when this is not a models folder
    unpacked: Path | None = None
    try:
        if _is_archive(source):
            unpacked = Path(tempfile.mkdtemp(prefix=".unpack-", dir=models_dir))
            shutil.rmtree(unpacked)
            root = _unpack(source, unpacked)
        else:
            root = source
        if root.is_dir():
            pts = sorted(root.glob("*.pt"))
            if not (root / "model.bin").is_file() and len(pts) == 1:
                root = pts[0]
        kind = OPENAI if root.is_file() and root.suffix == ".pt" else CT2
        if kind == CT2 and not (root.is_dir() and (root / "model.bin").is_file()):
            raise ModelError(f"{source}: neither a CTranslate2 Whisper folder (no model.bin) nor a .pt checkpoint")
        chosen = backend or ("openai-whisper" if kind == OPENAI else "faster-whisper")
        if BACKEND_KIND[chosen] != kind:
            raise ModelError(f"{source}: holds a {kind} model, not one for --backend {chosen}")
        provisional = _guess_name(root, None)
        their, named = _their_manifest(root, installed_name(provisional, chosen) if provisional else "")
        found = canonical(name) if name else _guess_name(root, named)
        if found is None:
            raise ModelError(f"{source}: cannot tell which model this is; give --name "
                             f"({', '.join(MODELS)})")
        key = installed_name(found, chosen)
        target = models_dir / key
        if is_installed(target) and not force:
            raise ModelError(f"{target}: already installed; add --force to replace it")
        staging = _staging(models_dir, key)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        try:
            if kind == CT2:
                listed = load_manifest(models_dir).get(key, {}).get("download", {}).get("files") or {}
                # the publisher's files when their hashes are known; else the CTranslate2 files that are there (a
                # conversion of another revision may name its vocabulary differently)
                published = [f for f, meta in listed.items() if meta.get("sha256")]
                wanted = published or [f for f in CT2_FILES if (root / f).is_file()]
                missing = [f for f in (*wanted, *CT2_REQUIRED) if not (root / f).is_file()]
                if missing:
                    raise ModelError(f"{root}: {missing[0]} is missing (a CTranslate2 Whisper folder holds "
                                     f"{', '.join(CT2_REQUIRED)}); copy the whole folder")
                for file in dict.fromkeys(wanted):
                    _copy(root / file, staging / file, progress(file) if progress else None)
            else:
                _copy(root, staging / key, progress(key) if progress else None)
            checks = verify_files(staging, key, _expected(models_dir, key, their), str(root))
            return _finish(models_dir, found, chosen, staging, str(source), checks, report)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    finally:
        if unpacked is not None:
            shutil.rmtree(unpacked, ignore_errors=True)


# -- what is installed -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Present:
    """An installed model: its place, engine, size and the hash of its weights."""

    path: Path
    name: str | None  # the catalog name, when it is one
    backend: str
    size: int
    sha256: str
    checked: str


def installed_models(models_dir: Path) -> list[Present]:
    """Every model under `models_dir`: the assembled and installed folders and the openai-whisper checkpoints."""
    found: list[Present] = []
    models_dir = Path(models_dir)
    if not models_dir.is_dir():
        return found
    for path in sorted(models_dir.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_dir() and is_assembled(path):
            marker = _json(path / MARKER)
            files = marker.get("files", {})
            weights = files.get("model.bin", {})
            checked = str(weights.get("checked") or ("manifest" if "packages" in marker else ""))
            found.append(Present(path, canonical(path.name), "faster-whisper",
                                 sum(int(m.get("size", 0)) for m in files.values()), str(weights.get("sha256", "")),
                                 checked))
        elif path.suffix == ".pt" and path.is_file():
            info = _json(sidecar(path))
            digest = str(info.get("sha256") or "")
            checked = str(info.get("checked") or ("converted, verified" if "source_sha256" in info else ""))
            found.append(Present(path, canonical(path.name.removesuffix("-openai.pt")), "openai-whisper",
                                 path.stat().st_size, digest, checked))
    return found


def identity(location: Path) -> tuple[str, str]:
    """A model's name and the sha256 of its weights, for transcript.json: never a local path.

    An installed or assembled folder, or a checkpoint with its record, gives the hash checked when it was put there;
    any other folder or file is hashed now.
    """
    location = Path(location)
    if location.is_dir():
        name = location.name
        marker = location / MARKER
        if marker.is_file():
            digest = (_json(marker).get("files", {}).get("model.bin") or {}).get("sha256")
            if digest:
                return name, str(digest)
        return name, hash_file(location / "model.bin")
    name = location.name.removesuffix(".pt")
    digest = _json(sidecar(location)).get("sha256")
    return name, str(digest or hash_file(location))


