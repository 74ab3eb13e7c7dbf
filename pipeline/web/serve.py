"""`oogst serve`: the web app on 127.0.0.1:8000 (uvicorn) and the worker process beside it."""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from pipeline.core.errors import ConfigError, Message
from pipeline.core.lock import stop_process
from pipeline.core.session import JOB_QUEUE
from pipeline.core.settings import Settings, is_loopback
from pipeline.jobs.engines import broker_url, open_queue
from pipeline.jobs.queue import DEFAULT_TTL, JobQueue, SQLiteQueue, default_state_dir
from pipeline.web.app import (
    DEFAULT_MAX_UPLOAD_MB,
    HERE,
    Guard,
    WebConfig,
    load_secret,
    preferred_language,
    trusted_proxies,
)

log = logging.getLogger(__name__)


def create_app(cfg: WebConfig) -> Starlette:
    """The app over `cfg`: the routes of the pages modules and the static files."""
    from pipeline.web import (
        pages_jobs,
        pages_participant,
        pages_replace,
        pages_retention,
        pages_review,
        pages_search,
        pages_series,
        pages_session,
        pages_sessions,
        pages_speakers,
        pages_summary,
    )

    routes: list[BaseRoute] = []
    for module in (pages_sessions, pages_session, pages_replace, pages_review, pages_series, pages_jobs,
                   pages_retention, pages_search, pages_participant, pages_speakers, pages_summary):
        routes += module.routes()
    routes.append(Mount("/static", StaticFiles(directory=HERE / "static"), name="static"))
    middleware = []
    if cfg.guard.password is None:  # reached through a reverse proxy all the same: refused, with what to do
        middleware.append(Middleware(RefuseForwarded))
    if is_loopback(cfg.host):  # no password then: refuse other host names, so a web page elsewhere cannot
        # reach this server through DNS rebinding
        hosts = ["127.0.0.1", "localhost", "::1", "[::1]"]
        public = urlsplit(str(cfg.settings.section("web").get("public_url") or "")).hostname
        if public:  # behind a TLS proxy: participants' links name the public host (the pages need the password)
            hosts.append(public)
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=hosts))
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={404: _unknown_page, 405: _unknown_page, Exception: _bug})
    app.state.config = cfg
    return app


FORWARDING = {b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host", b"forwarded", b"x-real-ip"}


class RefuseForwarded:
    """The app runs without a password (on loopback, no public URL, no trusted proxy), yet a request says it came
    through a reverse proxy (its forwarding headers): the facilitator's pages would be open to whoever reaches the
    proxy. Refused with one line saying what to do; a browser on this machine never sends these headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and any(name in FORWARDING for name, _value in scope["headers"]):
            language = preferred_language(Headers(scope=scope).get("accept-language"))
            response = PlainTextResponse(Message("proxy_without_password").text(language), status_code=403)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _unknown_page(request: Request, exc: Exception) -> Response:
    """An address no page has (a mistyped link): one line in the browser's language, as every other problem."""
    status = getattr(exc, "status_code", 404)
    language = preferred_language(request.headers.get("accept-language"))
    return PlainTextResponse(Message("page_not_found").text(language), status_code=status)


async def _bug(request: Request, exc: Exception) -> Response:
    """A bug: the traceback goes to the server's log (the exception is raised on), the page says so in its language."""
    language = preferred_language(request.headers.get("accept-language"))
    return PlainTextResponse(Message("generic").text(language), status_code=500)


def web_config(settings: Settings, *, host: str, state_dir: Path, env: Mapping[str, str],
               announce: Callable[[str], None], ttl: float = DEFAULT_TTL) -> WebConfig:
    """The app's configuration: the queue in the state folder, the login (only off loopback), the upload limit."""
    section = settings.section("web")
    try:
        max_mb = int(section.get("max_upload_mb", DEFAULT_MAX_UPLOAD_MB))
    except (TypeError, ValueError):
        raise ConfigError(f"[web] max_upload_mb = {section.get('max_upload_mb')!r}: give a number of MB") from None
    password = None
    public_url = section.get("public_url")
    if public_url:
        from pipeline.mail.invite import link_base

        link_base(str(public_url))  # https (or loopback), else a one-line error before anything starts
    proxies = trusted_proxies(section.get("trusted_proxy"))
    # a public address, or a proxy in front: the world reaches the facilitator's pages through it
    if not is_loopback(host) or public_url or proxies:
        password = env.get("OOGST_WEB_PASSWORD") or None
        if password is None:
            password = secrets.token_urlsafe(12)
            announce(f"password for this run (set OOGST_WEB_PASSWORD to choose one): {password}")
    Path(settings.out_dir).mkdir(parents=True, exist_ok=True)
    queue: JobQueue = SQLiteQueue(state_dir / JOB_QUEUE, ttl=ttl)
    if broker_url(settings):  # the distributed queue: jobs go to `oogst worker`s on the broker
        queue = open_queue(settings, env)
    secure = urlsplit(str(public_url or "")).scheme == "https"  # reached over TLS: the cookie never goes in clear
    return WebConfig(settings, queue, Guard(load_secret(state_dir), password), max_upload_bytes=max_mb * 2**20,
                     host=host, state_dir=state_dir, secure_cookies=secure, trusted_proxies=proxies)


def start_worker(settings: Settings, queue_path: Path, *, ttl: float = DEFAULT_TTL) -> subprocess.Popen[bytes]:
    """The worker in its own process, told to stop when this one is gone."""
    command = [sys.executable, "-m", "pipeline.jobs.worker", "--queue", str(queue_path),
               "--out-dir", str(Path(settings.out_dir).resolve()), "--models-dir",
               str(Path(settings.models_dir).resolve()), "--parent", str(os.getpid()), "--ttl", str(ttl)]
    if settings.config_path is not None:
        command += ["--config", str(settings.config_path)]
    return subprocess.Popen(command)


def serve(settings: Settings, *, host: str | None = None, port: int | None = None, state_dir: Path | None = None,
          env: Mapping[str, str] | None = None, announce: Callable[[str], None] = print) -> int:
    """Run the web server and its worker until interrupted."""
    import uvicorn

    env = os.environ if env is None else env
    section = settings.section("web")
    host = host or str(section.get("host") or "127.0.0.1")
    port = port if port is not None else int(section.get("port") or 8000)
    state = Path(state_dir) if state_dir is not None else default_state_dir(Path(settings.out_dir), env)
    cfg = web_config(settings, host=host, state_dir=state, env=env, announce=announce)
    worker = start_worker(settings, cfg.queue.path) if isinstance(cfg.queue, SQLiteQueue) else None
    shown = f"[{host}]" if ":" in host else host
    where = f"queue in {state}" if worker is not None else "jobs go to the broker: start `oogst worker`s on it"
    announce(f"Oogst is running on http://{shown}:{port}/ (sessions in {Path(settings.out_dir).resolve()}, "
             f"{where}); stop with Ctrl-C")
    sweeping = None
    if worker is None:  # jobs go to the broker's workers (each sweeps daily too); this server sweeps as well
        from pipeline.jobs.worker import daily_sweep

        sweeping = daily_sweep(cfg.service, cfg.queue)
    try:
        # proxy_headers off: uvicorn would believe X-Forwarded-For from any loopback peer; the app reads it itself,
        # only from [web] trusted_proxy (web.app.client_key)
        uvicorn.run(create_app(cfg), host=host, port=port, log_level="warning", timeout_graceful_shutdown=5,
                    proxy_headers=False)
    finally:
        if worker is not None:
            stop_process(worker, 30)
        if sweeping is not None:
            sweeping.stop()
    return 0
