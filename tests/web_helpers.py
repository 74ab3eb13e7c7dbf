"""Helpers for the web tests: the app over a temporary outputs folder, CSRF tokens, a running `oogst serve`."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from starlette.testclient import TestClient

from pipeline.core.lock import stop_process
from pipeline.core.settings import Settings
from pipeline.jobs.worker import Worker
from pipeline.web.app import WebConfig
from pipeline.web.serve import create_app, web_config

ROOT = Path(__file__).resolve().parents[1]


def make_client(out_dir: Path, state: Path, *, password: str | None = None, max_mb: int | None = None,
                host: str = "127.0.0.1") -> tuple[TestClient, WebConfig]:
    sections = {"web": {"max_upload_mb": max_mb}} if max_mb is not None else {}
    settings = Settings(out_dir=out_dir, models_dir=ROOT / "models", sections=sections)
    env = {"OOGST_WEB_PASSWORD": password} if password else {}
    cfg = web_config(settings, host=host, state_dir=state, env=env, announce=lambda line: None)
    cfg.service.wait = 0.5  # a save waits for a busy session (SAVE_WAIT); these tests hold it on purpose
    return TestClient(create_app(cfg), base_url=f"http://{host}:8000"), cfg


def csrf(client: TestClient | httpx.Client, url: str = "/new") -> str:
    """The CSRF token a page gives this client (the cookie comes with it)."""
    html = client.get(url).text
    match = re.search(r'name="csrf" value="([0-9a-f]+)"|csrf=([0-9a-f]+)', html)
    assert match, f"no CSRF token on {url}"
    return match[1] or match[2]


def run_jobs(cfg: WebConfig) -> None:
    """Run every queued job in this process (what the worker process does)."""
    Worker(cfg.queue, {"out_dir": cfg.out_dir, "models_dir": ROOT / "models", "quiet": True}).serve(once=True)


def upload(client: TestClient | httpx.Client, path: Path, **fields: Any) -> httpx.Response:
    token = csrf(client)
    with open(path, "rb") as fh:
        return client.post(f"/new?csrf={token}", files={"file": (path.name, fh)},
                           data={k: str(v) for k, v in fields.items()}, follow_redirects=False)


@contextmanager
def held_elsewhere(root: Path) -> Iterator[None]:
    """The session's lock held by another process (a worker that has not stopped yet) while the block runs."""
    code = ("import sys, time; from pipeline.core.lock import session_lock\n"
            "with session_lock(sys.argv[1], 'the web worker'):\n    print('held', flush=True); time.sleep(600)")
    holder = subprocess.Popen([sys.executable, "-c", code, str(root)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(out_dir: Path, state: Path, port: int, *, host: str = "127.0.0.1",
                   env: dict[str, str] | None = None, args: tuple[str, ...] = ()) -> Iterator[subprocess.Popen[str]]:
    """`oogst serve` in its own process (server + worker), stopped with SIGTERM like Ctrl-C; `args` go to
    `oogst serve` (--public-url, --trusted-proxy)."""
    full_env = {**os.environ, "XDG_STATE_HOME": str(state), "OOGST_CONFIG": str(state / "none.toml"),
                **(env or {})}
    state.mkdir(parents=True, exist_ok=True)
    log = open(state / "serve.log", "a")  # the worker logs a lot: a pipe nobody reads would block it
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "serve", "--out-dir", str(out_dir),
                             "--host", host, "--port", str(port), "--models-dir", str(ROOT / "models"), *args],
                            cwd=ROOT, env=full_env, stderr=log, text=True)
    try:
        wait_for(lambda: _answers(host, port), 30, "the server to start")
        yield proc
    finally:
        if proc.poll() is None:
            stop_process(proc, 40)
        log.close()


@contextmanager
def sessions_served(root: Path, script: Path, names: tuple[str, ...], title: str, models_dir: Path,
                    shots: Path) -> Iterator[dict[str, Any]]:
    """`oogst serve` over an outputs folder with one processed session per name, all from `script` (each with its
    transcript kept in its folder, as an upload is, so a change re-runs it): {"out", "base", "root"}."""
    import shutil

    from pipeline.core.types import RunRequest
    from pipeline.service import Oogst

    out, state = root / "outputs", root / "state"
    source = root / "sessie.txt"
    shutil.copyfile(script, source)
    Oogst(Settings(out_dir=out, models_dir=models_dir, quiet=True)).run(RunRequest(str(source), title=title))
    for name in names:
        shutil.copytree(out / "sessie", out / name)
        shutil.copyfile(source, out / name / f"{name}.txt")
    shots.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with running_server(out, state, port):
        yield {"out": out, "base": f"http://127.0.0.1:{port}", "root": root}


def chromium(downloads: Path, language: str = "nl") -> Any:
    """A headless Chromium whose pages ask for `language` first (Accept-Language: nl-NL,nl or en-GB,en)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    tags = {"nl": "nl-NL,nl", "en": "en-GB,en"}[language]
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--autoplay-policy=no-user-gesture-required", "--window-size=1280,1000",
                f"--lang={tags.split(',')[0]}", f"--user-data-dir={tempfile.mkdtemp(prefix='oogst-chromium-')}"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False,
                                              "intl.accept_languages": tags})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.set_page_load_timeout(60)
    return driver


def _answers(host: str, port: int) -> bool:
    try:
        httpx.get(f"http://{host}:{port}/static/style.css", timeout=1)
        return True
    except httpx.HTTPError:
        return False


def wait_for(check: Any, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = check()
        except Exception as exc:  # the page re-rendered between finding an element and reading it: look again
            stale = "does not belong to the document" in str(exc)  # Chromium's word for it in a script's element
            if type(exc).__name__ not in ("StaleElementReferenceException", "NoSuchElementException") and not stale:
                raise
            value = None
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


def gone(element: Any) -> bool:
    """True once `element` has left the page (the next page loaded). Chromium says so as a stale element or, while
    the new page is being built, as a node that "does not belong to the document" (selenium's `staleness_of`
    lets that second form through as an error)."""
    try:
        element.is_enabled()
    except Exception as exc:
        if type(exc).__name__ == "StaleElementReferenceException" or "does not belong to the document" in str(exc):
            return True
        raise
    return False
