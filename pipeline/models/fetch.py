"""One file over HTTP(S) into a `.part` file that survives an interruption: the next try asks for the rest
(`Range`, with `If-Range` so a file that changed on the server starts over) and appends to what arrived.

Only `oogst models get` calls this; nothing else in Oogst opens a network connection for models.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from http.client import HTTPException
from pathlib import Path

from pipeline import __version__
from pipeline.core.errors import ModelError
from pipeline.core.session import atomic_write_json

log = logging.getLogger(__name__)

CHUNK = 1 << 20
TIMEOUT = 60.0  # seconds without a byte before a connection counts as dropped
Progress = Callable[[int, int | None], None]  # bytes so far, total bytes (None: unknown)


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _state(part: Path) -> Path:
    return part.with_name(part.name + ".json")


def _read_state(part: Path, url: str) -> dict[str, str]:
    """What the server said of the file whose first bytes are in `part` (its ETag, date); empty when unknown."""
    try:
        state = json.loads(_state(part).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) and state.get("url") == url else {}


def fetch(url: str, target: Path, *, size: int | None = None, progress: Progress | None = None,
          attempts: int = 3, pause: float = 1.0, timeout: float = TIMEOUT) -> Path:
    """Download `url` to `target` (a complete file, renamed from `target.part` at the end) and return it.

    Args:
        size: the expected size when known (the manifest's); the server's Content-Length otherwise.
        attempts: connections tried, each asking only for what is still missing.
    Raises ModelError (one line) when the server refuses or every attempt broke off; `target.part` is kept, so
    running the same command again resumes.
    """
    target = Path(target)
    part = target.with_name(target.name + ".part")
    part.parent.mkdir(parents=True, exist_ok=True)
    last_error = ""
    for attempt in range(1, attempts + 1):
        have = part.stat().st_size if part.is_file() else 0
        state = _read_state(part, url) if have else {}
        if have and not state:
            part.unlink()  # bytes of an unknown origin: start over
            have = 0
        if size is not None and have == size:
            break
        request = urllib.request.Request(url, headers={"User-Agent": f"oogst/{__version__} (models get)"})
        if have:
            request.add_header("Range", f"bytes={have}-")
            validator = state.get("etag") or state.get("last_modified")
            if validator:
                request.add_header("If-Range", validator)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                resumed = response.status == 206
                if have and not resumed:
                    log.info("%s: the server sent the whole file again; starting over", url)
                    have = 0
                length = response.headers.get("Content-Length")
                total = size if size is not None else (have + int(length) if length else None)
                atomic_write_json(_state(part), {"url": url, "etag": response.headers.get("ETag") or "",
                                                 "last_modified": response.headers.get("Last-Modified") or ""})
                with open(part, "ab" if resumed else "wb") as out:
                    done = have
                    if progress:
                        progress(done, total)
                    while chunk := response.read(CHUNK):
                        out.write(chunk)
                        done += len(chunk)
                        if progress:
                            progress(done, total)
                if total is not None and done < total:
                    raise ConnectionError(f"the connection closed at {_mb(done)} of {_mb(total)}")
                if total is not None and done > total:
                    part.unlink()
                    raise ModelError(f"{url}: the server sent {_mb(done)}, more than the expected {_mb(total)}; "
                                     "check the mirror ([models] mirror) or the manifest")
                break
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and have:  # asked beyond the end: what we have may be all of it, or stale
                if size is None or have == size:
                    break
                part.unlink()
                last_error = "the server's file is shorter than what arrived before"
                continue
            raise ModelError(f"{url}: the server answered {exc.code} {exc.reason}; check the name, or the mirror "
                             "([models] mirror in the config file)") from None
        except (urllib.error.URLError, HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            last_error = f"{type(exc).__name__}: {reason}"
            log.info("%s: attempt %d broke off (%s)", url, attempt, last_error)
            if attempt < attempts:
                time.sleep(pause * attempt)
            continue
    else:
        got = part.stat().st_size if part.is_file() else 0
        raise ModelError(f"{url}: the download broke off at {_mb(got)} ({last_error}); run the same command "
                         "again to resume")
    part.replace(target)
    _state(part).unlink(missing_ok=True)
    return target
