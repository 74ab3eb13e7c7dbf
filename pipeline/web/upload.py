"""Streamed multipart uploads: files go to disk chunk by chunk (never whole in memory), with a size limit.

Starlette's own form parser spools files to /tmp first; this one writes each file straight into a folder the
caller names (the outputs' own disk), cleans its name and stops reading as soon as the limit is passed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import secrets
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from pipeline.core.errors import InputError

MAX_FIELD_BYTES = 64 * 1024


class UploadTooLarge(InputError):
    """The upload is over the configured limit."""


@dataclass
class UploadedFile:
    field: str
    filename: str  # cleaned: no folders, no control characters
    path: Path  # where it was written (a temporary name in the target folder)
    size: int = 0
    digest: Any = dataclasses.field(default_factory=hashlib.sha256, repr=False)  # sha256 of the file, as it came

    @property
    def sha256(self) -> str:
        return str(self.digest.hexdigest())


@dataclass
class Upload:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[UploadedFile] = field(default_factory=list)

    def discard(self) -> None:
        for f in self.files:
            f.path.unlink(missing_ok=True)


def clean_filename(name: str) -> str:
    """A file name a user gave, safe to use: the last path part, no control or odd characters, not hidden."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = re.sub(r"[^\w.\- ]+", "-", name, flags=re.UNICODE).strip(" .-")
    return name[:120] or "upload"


async def receive_upload(stream: AsyncIterator[bytes], content_type: str, folder: Path, *,
                         max_bytes: int) -> Upload:
    """Parse a multipart/form-data body, writing files into `folder` as they arrive.

    Raises UploadTooLarge (and removes what was written) when the files together pass `max_bytes`.
    """
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise InputError("the upload is not a form with a file (multipart/form-data); use the page's form",
                         "upload_not_form")
    folder.mkdir(parents=True, exist_ok=True)
    upload = Upload()
    state: dict[str, Any] = {"headers": {}, "field": b"", "value": b"", "name": None, "file": None,
                             "target": None, "data": bytearray(), "total": 0}

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        state["headers"][state["field"].lower()] = state["value"]
        state["field"], state["value"] = b"", b""

    def on_headers_finished() -> None:
        _, disposition = parse_options_header(state["headers"].get(b"content-disposition", b""))
        state["name"] = disposition.get(b"name", b"").decode("utf-8", "replace")
        state["data"] = bytearray()
        if b"filename" in disposition:
            filename = clean_filename(disposition[b"filename"].decode("utf-8", "replace"))
            path = folder / f".upload-{secrets.token_hex(8)}.part"
            state["file"] = UploadedFile(state["name"], filename, path)
            state["target"] = open(path, "wb")  # closed in on_part_end, or below on an error
            upload.files.append(state["file"])
        else:
            state["file"] = None

    def on_part_data(data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if state["file"] is not None:
            state["total"] += len(chunk)
            if state["total"] > max_bytes:
                raise UploadTooLarge(f"the upload is larger than the limit of {max_bytes // 2**20} MB; split the "
                                     "recording, or raise max_upload_mb in the [web] section of the config file",
                                     "upload_too_large", mb=max_bytes // 2**20)
            state["target"].write(chunk)
            state["file"].size += len(chunk)
            state["file"].digest.update(chunk)
        else:
            state["data"] += chunk
            if len(state["data"]) > MAX_FIELD_BYTES:
                raise InputError(f"form field {state['name']!r} is too long", "upload_field_too_long",
                                 field=state["name"])

    def on_part_end() -> None:
        if state["file"] is not None:
            state["target"].close()
            state["target"] = None
        elif state["name"]:
            upload.fields[state["name"]] = state["data"].decode("utf-8", "replace")
        state["headers"] = {}

    parser = MultipartParser(boundary, {
        "on_header_field": on_header_field, "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished, "on_part_data": on_part_data, "on_part_end": on_part_end})
    try:
        async for chunk in stream:
            parser.write(chunk)
        parser.finalize()
    except BaseException as exc:
        if state["target"] is not None:
            state["target"].close()
        upload.discard()
        if isinstance(exc, MultipartParseError):
            raise InputError(f"the upload was cut off or damaged ({exc}); try again", "upload_broken") from None
        raise
    for f in upload.files:  # files are readable by the worker and the web app only
        os.chmod(f.path, 0o640)
    return upload
