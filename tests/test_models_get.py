"""oogst models get / add / list against a real HTTP server on loopback, made in the test from the installed base
model served under another name (`whisper-small`): a full get, a get resumed after the server dropped the
connection halfway, a wrong hash refused with nothing installed, values recorded at a first install and checked
from then on, add from a folder and from an archive, the recommendation for a few machines, --model refusing a hub
name."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import MODELS, ROOT

from pipeline.core.errors import ModelError
from pipeline.models.assemble import MARKER, is_assembled, resolve_ct2_model
from pipeline.models.catalog import Gpu, Machine, recommend
from pipeline.models.install import DOWNLOADS, RECORDED, add, get, installed_models

BASE = MODELS / "whisper-base"
FILES = ("config.json", "model.bin", "tokenizer.json", "vocabulary.json")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class ModelServer:
    """Serves a folder over HTTP with Range requests; can drop a file's first transfer after `drop[path]` bytes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[tuple[str, str | None]] = []
        self.drop: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return None

            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                server.requests.append((self.path, self.headers.get("Range")))
                path = server.root / self.path.lstrip("/")
                if not path.is_file():
                    self.send_error(404)
                    return
                data = path.read_bytes()
                start = 0
                ranged = self.headers.get("Range")
                if ranged:
                    start = int(ranged.split("=")[1].split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(data) - start))
                self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()[:16]}"')
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                cut = server.drop.pop(self.path, None)
                if cut is not None:  # half the file, then the connection goes away
                    self.wfile.write(data[start:cut])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                self.wfile.write(data[start:])

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _manifest(models_dir: Path, publisher: bool, url: str = "https://example.invalid/never/") -> None:
    """The project's manifest, with `whisper-small` listing base's files (and, when `publisher`, their hashes)."""
    manifest = json.loads((ROOT / "models" / "manifest.json").read_text(encoding="utf-8"))
    manifest["whisper-small"]["download"] = {
        "url": url, "files": {f: ({"sha256": _sha(BASE / f)} if publisher else {}) for f in FILES}}
    (models_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


@pytest.fixture()
def mirror(tmp_path: Path, models_dir: Path) -> Iterator[ModelServer]:
    """A mirror (a served copy of a models/ folder) holding base's files as whisper-small."""
    root = tmp_path / "mirror"
    (root / "whisper-small").mkdir(parents=True)
    for name in FILES:
        (root / "whisper-small" / name).symlink_to(BASE / name)
    server = ModelServer(root)
    yield server
    server.close()


@pytest.fixture()
def target(tmp_path: Path) -> Path:
    path = tmp_path / "models"
    path.mkdir()
    return path


def _nothing_installed(models: Path) -> None:
    assert not (models / "whisper-small").exists()
    assert not (models / DOWNLOADS / "whisper-small").exists()


@pytest.mark.slow
def test_get_downloads_checks_loads_and_installs(mirror: ModelServer, target: Path) -> None:
    _manifest(target, publisher=True)
    lines: list[str] = []
    seen: list[tuple[int, int | None]] = []
    installed = get(target, "small", mirror=mirror.url, report=lines.append,
                    progress=lambda name: (lambda done, total: seen.append((done, total))) if name == "model.bin"
                    else None)
    folder = target / "whisper-small"
    assert installed.target == folder and is_assembled(folder) and not installed.already
    assert {c.name: c.against for c in installed.files} == {f: "publisher" for f in FILES}
    assert all((folder / f).read_bytes() == (BASE / f).read_bytes() for f in FILES)
    assert "goedemorgen" in installed.heard.lower()  # it decoded the check second of the sample
    assert seen[-1] == (seen[-1][1], (BASE / "model.bin").stat().st_size)  # the bar reached the end
    assert not (target / DOWNLOADS / "whisper-small").exists()
    assert not (target / RECORDED).exists() or "whisper-small" not in json.loads((target / RECORDED).read_text())
    assert resolve_ct2_model("small", target) == str(folder)  # what --model small now finds
    marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    assert marker["source"] == mirror.url and marker["files"]["model.bin"]["sha256"] == _sha(BASE / "model.bin")
    again = get(target, "small", mirror=mirror.url)
    assert again.already and len([r for r in mirror.requests if r[0].endswith("model.bin")]) == 1


@pytest.mark.slow
def test_a_dropped_connection_resumes_where_it_stopped(mirror: ModelServer, target: Path) -> None:
    _manifest(target, publisher=True)
    size = (BASE / "model.bin").stat().st_size
    mirror.drop["/whisper-small/model.bin"] = size // 2
    with pytest.raises(ModelError) as info:
        get(target, "small", mirror=mirror.url, attempts=1)
    assert "broke off at" in str(info.value) and "run the same command again to resume" in str(info.value)
    assert "\n" not in str(info.value)
    assert not (target / "whisper-small").exists()  # a half download is never where a run looks
    part = target / DOWNLOADS / "whisper-small" / "model.bin.part"
    assert part.stat().st_size == size // 2
    installed = get(target, "small", mirror=mirror.url, attempts=1)
    bins = [r for r in mirror.requests if r[0].endswith("model.bin")]
    assert bins == [("/whisper-small/model.bin", None), ("/whisper-small/model.bin", f"bytes={size // 2}-")]
    assert _sha(installed.target / "model.bin") == _sha(BASE / "model.bin")


@pytest.mark.slow
def test_within_one_get_a_drop_is_retried_from_where_it_stopped(mirror: ModelServer, target: Path) -> None:
    _manifest(target, publisher=True)
    size = (BASE / "model.bin").stat().st_size
    mirror.drop["/whisper-small/model.bin"] = size // 3
    installed = get(target, "small", mirror=mirror.url, attempts=3)
    ranges = [r[1] for r in mirror.requests if r[0].endswith("model.bin")]
    assert ranges == [None, f"bytes={size // 3}-"] and is_assembled(installed.target)


@pytest.mark.slow
def test_a_wrong_hash_is_refused_and_nothing_installed(mirror: ModelServer, target: Path) -> None:
    _manifest(target, publisher=True)
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    manifest["whisper-small"]["download"]["files"]["config.json"]["sha256"] = "0" * 64
    (target / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelError) as info:
        get(target, "small", mirror=mirror.url)
    message = str(info.value)
    assert "\n" not in message and "config.json" in message and "publisher's value" in message
    assert "nothing was installed" in message
    _nothing_installed(target)
    assert not (target / RECORDED).exists()


@pytest.mark.slow
def test_unknown_hashes_are_recorded_once_and_checked_from_then_on(mirror: ModelServer, target: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline.cli import main

    _manifest(target, publisher=False)
    config = target.parent / "config.toml"
    config.write_text(f'[models]\nmirror = "{mirror.url}"\n', encoding="utf-8")  # the organisation's mirror
    assert main(["models", "get", "small", "--models-dir", str(target), "--config", str(config)]) == 0
    out, err = capsys.readouterr()
    recorded = json.loads((target / RECORDED).read_text(encoding="utf-8"))["whisper-small"]["files"]
    assert recorded["model.bin"]["sha256"] == _sha(BASE / "model.bin")
    assert f"model.bin: sha256 {_sha(BASE / 'model.bin')} recorded" in err  # shown
    assert f"sha256 {_sha(BASE / 'model.bin')} (recorded now)" in out and "small (faster-whisper): installed" in out
    assert f"{mirror.url}/whisper-small/model.bin" in err
    # the mirror now serves another config.json: a reinstall refuses it against the recorded value
    (mirror.root / "whisper-small" / "config.json").unlink()
    (mirror.root / "whisper-small" / "config.json").write_text('{"changed": true}', encoding="utf-8")
    with pytest.raises(ModelError, match="differs from the value recorded") as info:
        get(target, "small", mirror=mirror.url, force=True)
    assert "models/recorded.json" in str(info.value) and "\n" not in str(info.value)
    assert is_assembled(target / "whisper-small")  # the installed model is untouched
    assert not (target / DOWNLOADS / "whisper-small").exists()


@pytest.mark.slow
def test_get_the_openai_whisper_checkpoint(mirror: ModelServer, target: Path) -> None:
    from pipeline.asr.backends.openai_whisper import _resolve_checkpoint
    from pipeline.asr.options import TranscribeOptions

    checkpoint = MODELS / "whisper-base-openai.pt"  # base's, converted by `oogst models`, served as small's
    (mirror.root / "whisper-small-openai.pt").symlink_to(checkpoint)
    _manifest(target, publisher=True)
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    manifest["whisper-small-openai.pt"]["download"]["files"] = {"small.pt": {"sha256": _sha(checkpoint)}}
    (target / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    installed = get(target, "small", backend="openai-whisper", mirror=mirror.url)
    assert installed.target == target / "whisper-small-openai.pt" and installed.target.is_file()
    assert [r[0] for r in mirror.requests] == ["/whisper-small-openai.pt"]
    assert installed.heard.lower().startswith("goede") and installed.files[0].against == "publisher"  # "Goedeloadje."
    record = json.loads((target / "whisper-small-openai.json").read_text(encoding="utf-8"))
    assert record["sha256"] == _sha(checkpoint) and record["openai_name"] == "small"
    opts = TranscribeOptions(model="small", backend="openai-whisper", models_dir=target)
    assert _resolve_checkpoint(opts) == installed.target


@pytest.mark.slow
def test_a_server_error_is_one_line(mirror: ModelServer, target: Path) -> None:
    _manifest(target, publisher=True)
    with pytest.raises(ModelError, match="answered 404") as info:
        get(target, "small", mirror=mirror.url + "/nope")
    assert "\n" not in str(info.value)
    _nothing_installed(target)


def _folder(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir(parents=True)
    for file in FILES:
        shutil.copyfile(BASE / file, folder / file)
    return folder


@pytest.mark.slow
def test_add_from_a_folder(tmp_path: Path, target: Path, models_dir: Path) -> None:
    _manifest(target, publisher=True)
    folder = _folder(tmp_path / "usb", "faster-whisper-small")
    installed = add(target, folder)
    assert installed.name == "small" and installed.target == target / "whisper-small"
    assert {c.against for c in installed.files} == {"publisher"} and "goedemorgen" in installed.heard.lower()
    with pytest.raises(ModelError, match="already installed"):
        add(target, folder)
    present = {p.path.name: p for p in installed_models(target)}
    assert present["whisper-small"].sha256 == _sha(BASE / "model.bin")


@pytest.mark.slow
def test_add_from_an_archive_with_its_own_sums(tmp_path: Path, target: Path, models_dir: Path) -> None:
    _manifest(target, publisher=False)  # nothing known here: the archive's SHA256SUMS is what it is checked against
    folder = _folder(tmp_path / "disk", "whisper-small")
    (folder / "SHA256SUMS").write_text("".join(f"{_sha(folder / f)}  {f}\n" for f in FILES), encoding="utf-8")
    archive = tmp_path / "whisper-small.tar"
    with tarfile.open(archive, "w") as tar:  # gzip would only make the test slower
        tar.add(folder, arcname="whisper-small")
    installed = add(target, archive)
    assert {c.against for c in installed.files} == {"their manifest"} and is_assembled(installed.target)
    assert not [p for p in target.iterdir() if p.name.startswith(".unpack-")]


def test_add_refuses_an_archive_whose_sums_do_not_match(tmp_path: Path, target: Path, models_dir: Path) -> None:
    _manifest(target, publisher=False)
    folder = _folder(tmp_path / "disk", "whisper-small")
    sums = {f: _sha(folder / f) for f in FILES}
    sums["tokenizer.json"] = "f" * 64
    (folder / "SHA256SUMS").write_text("".join(f"{d}  {f}\n" for f, d in sums.items()), encoding="utf-8")
    archive = tmp_path / "small.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zipped:
        for path in sorted(folder.iterdir()):
            zipped.write(path, f"whisper-small/{path.name}")
    with pytest.raises(ModelError, match="tokenizer.json: sha256 .* differs from the value in the manifest that "
                                         "came with it") as info:
        add(target, archive)
    assert "\n" not in str(info.value)
    _nothing_installed(target)
    assert not (target / RECORDED).exists()


def test_add_refuses_an_archive_that_climbs_out(tmp_path: Path, target: Path) -> None:
    _manifest(target, publisher=False)
    archive = tmp_path / "evil.tar"
    payload = tmp_path / "payload"
    payload.write_text("x", encoding="utf-8")
    with tarfile.open(archive, "w") as tar:
        tar.add(payload, arcname="../escaped")
    with pytest.raises(ModelError, match="outside the archive"):
        add(target, archive)
    assert not (target.parent / "escaped").exists()


def test_add_without_a_name_or_tokenizer_is_one_line(tmp_path: Path, target: Path) -> None:
    _manifest(target, publisher=False)
    folder = _folder(tmp_path, "my-model")
    with pytest.raises(ModelError, match="give --name"):
        add(target, folder)
    (folder / "tokenizer.json").unlink()
    with pytest.raises(ModelError, match="tokenizer.json is missing"):
        add(target, folder, name="small")
    _nothing_installed(target)


@pytest.mark.parametrize("machine,model,device", [
    (Machine(2, 8.0), "small", "cpu"),  # this project's machines: small at ~0.23x real time
    (Machine(8, 16.0), "large-v3", "cpu"),  # a facilitator's 16 GB laptop
    (Machine(8, 8.0), "medium", "cpu"),  # fast enough for large-v3, not enough memory
    (Machine(4, 4.0), "base", "cpu"),  # nothing larger fits
    (Machine(1, 32.0), "small", "cpu"),  # one core: small still at ~0.47x real time, medium far slower
    (Machine(2, 8.0, (Gpu("RTX 3070 Ti", 8.0),)), "large-v3", "cuda"),
    (Machine(2, 8.0, (Gpu("small GPU", 6.0),)), "large-v3-turbo", "cuda"),
    (Machine(2, 8.0, (Gpu("tiny GPU", 2.0),)), "small", "cpu"),
])
def test_the_recommendation_fits_the_machine(machine: Machine, model: str, device: str) -> None:
    pick = recommend(machine)
    assert (pick.model, pick.device) == (model, device)
    assert pick.precision == ("float16" if device == "cuda" else "int8")
    assert pick.rtf <= 0.5 or pick.model == "base"
    assert "two-hour session in about" in pick.speed()


def test_models_list_shows_what_is_installed_and_the_recommendation(target: Path) -> None:
    from pipeline.cli.models import list_lines

    _manifest(target, publisher=True)
    shutil.copytree(BASE, target / "whisper-base")
    lines = list_lines(target, Machine(8, 16.0))
    text = "\n".join(lines)
    assert "whisper-base" in text and "faster-whisper" in text and _sha(BASE / "model.bin")[:16] in text
    assert "this machine: 8 cores, 16 GB memory, no CUDA GPU" in text
    assert "recommended: large-v3 (int8 on the CPU)" in text and "oogst models get large-v3" in text


def test_model_hub_names_are_refused_with_one_line(tmp_path: Path, target: Path) -> None:
    for name in ("Systran/faster-whisper-small", "distil-large-v3", "openai/whisper-large-v3"):
        with pytest.raises(ModelError) as info:
            resolve_ct2_model(name, target)
        assert "oogst models get" in str(info.value) and "never downloads" in str(info.value)
    with pytest.raises(ModelError, match=r"run `oogst models get large-v3` first"):
        resolve_ct2_model("large-v3", target)


def test_oogst_run_refuses_a_hub_name_before_anything_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           sample: Path) -> None:
    from pipeline.cli import main

    out = tmp_path / "outputs"
    code = main(["run", str(sample), "--model", "Systran/faster-whisper-large-v3", "--out-dir", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1
    assert "oogst models get" in err and "Systran/faster-whisper-large-v3" in err
    assert not out.exists() or not any(out.iterdir())  # refused before a session folder was made
