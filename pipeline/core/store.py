"""A session's folder under outputs/: atomic writes and a stage cache keyed by input hashes.

Every artefact is written to a temporary name in the same folder, flushed to disk and renamed, so a crash or
`kill -9` never leaves a half file under the real name. A stage is recorded in `.stages.json` only after its
artefacts are in place, with the hash of its inputs and settings (its key) and the hash of what it wrote; a
re-run skips a stage only when both still match.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pipeline.core.errors import SessionError

log = logging.getLogger(__name__)

MANIFEST = ".stages.json"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_MODE = 0o666 & ~_umask()  # what open() would have given; mkstemp's 0600 would surprise a shared folder


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write `data` to `path` so that readers see the old file or the whole new one, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, obj: Any) -> Path:
    return atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def read_json(path: Path) -> Any:
    """Read a JSON artefact, with a clear error when it is missing or damaged."""
    path = Path(path)
    if not path.is_file():
        raise SessionError(f"{path}: not found (run the stage that writes it first, e.g. `oogst run`)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SessionError(f"{path}: damaged JSON ({exc}); delete it and re-run `oogst run --force`") from None


def hash_file(path: Path, chunk: int = 1 << 20) -> str:
    """sha256 of a file, streamed."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def cache_key(*parts: Any) -> str:
    """A stable hash of a stage's inputs and settings (anything JSON can represent)."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class Session:
    """One recording's folder `outputs/<name>/` and the record of which stages are up to date."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.name = self.root.name

    @classmethod
    def create(cls, out_dir: Path, name: str) -> Session:
        session = cls(Path(out_dir) / name)
        session.root.mkdir(parents=True, exist_ok=True)
        return session

    @classmethod
    def open(cls, ref: str | Path, out_dir: Path | None = None) -> Session:
        """A session by folder path or by name under `out_dir`; an error when it does not exist."""
        candidates = [Path(ref)]
        if out_dir is not None:
            candidates.append(Path(out_dir) / str(ref))
        for candidate in candidates:
            if candidate.is_dir():
                return cls(candidate)
        where = f" (looked in {out_dir})" if out_dir is not None else ""
        raise SessionError(f"{ref}: no such session folder{where}; give the folder under outputs/ "
                           "that `oogst run` made")

    def path(self, artefact: str) -> Path:
        return self.root / artefact

    # -- the stage cache ---------------------------------------------------------------------------------
    def _manifest(self) -> dict[str, Any]:
        path = self.path(MANIFEST)
        if not path.is_file():
            return {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("%s is damaged; every stage will run again", path)
            return {}
        return data if isinstance(data, dict) else {}

    def is_fresh(self, stage: str, key: str) -> bool:
        """True when `stage` ran with this key and its artefacts are still exactly what it wrote."""
        entry = self._manifest().get(stage)
        if not entry or entry.get("key") != key:
            return False
        for name, digest in entry.get("artefacts", {}).items():
            path = self.path(name)
            if not path.is_file() or hash_file(path) != digest:
                return False
        return True

    def record(self, stage: str, key: str, artefacts: Iterable[str]) -> None:
        """Note that `stage` finished with `key` and wrote `artefacts` (names inside the session folder)."""
        manifest = self._manifest()
        manifest[stage] = {"key": key, "artefacts": {a: hash_file(self.path(a)) for a in artefacts}}
        atomic_write_json(self.path(MANIFEST), manifest)

    def stages(self) -> list[str]:
        """The stages recorded in this session."""
        return [name for name, entry in self._manifest().items() if isinstance(entry, dict)]

    def recorded(self, stage: str) -> dict[str, str]:
        """The artefacts `stage` last recorded, by name, with the hash each had when written ({} if none)."""
        entry = self._manifest().get(stage) or {}
        return dict(entry.get("artefacts", {}))

    def rerecord(self, stage: str) -> None:
        """Keep `stage` fresh after its artefacts were edited on purpose (e.g. renamed speakers): same key,
        current hashes."""
        entry = self._manifest().get(stage)
        if entry and "key" in entry:
            self.record(stage, entry["key"], list(entry.get("artefacts", {})))

    def invalidate(self, stage: str) -> None:
        manifest = self._manifest()
        if manifest.pop(stage, None) is not None:
            atomic_write_json(self.path(MANIFEST), manifest)

    def artefact_hash(self, name: str) -> str:
        """Hash of an artefact, used as part of the key of the stages that read it."""
        path = self.path(name)
        if not path.is_file():
            raise SessionError(f"{path}: not found (run `oogst run` on the recording first)")
        return hash_file(path)
