"""The web app's common parts: the page wrapper (cookie, login, CSRF, language), templates, session lookup, and the
security around it (`Guard`: the browser cookie, the optional password, CSRF tokens).

Routes live in `pipeline.web.pages_*` (assembled by `web.serve.create_app`); each calls the application service
(`pipeline.service.Oogst`), as the CLI does. After a change that makes insights and draft stale, the service's
follow-up here is a re-run job on the queue (`rerun_job`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from pipeline.core.errors import ConfigError, Message, OogstError
from pipeline.core.language import SUPPORTED, texts
from pipeline.core.language import clock as language_clock
from pipeline.core.language import moment as language_moment
from pipeline.core.lock import SessionBusyError
from pipeline.core.session import FACILITATOR, Session
from pipeline.core.settings import Settings
from pipeline.jobs.queue import JobQueue
from pipeline.service import Oogst

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SESSION_NAME = re.compile(r"^[\w][\w.\-]{0,150}$", flags=re.UNICODE)
DEFAULT_MAX_UPLOAD_MB = 4096
SAVE_WAIT = 15.0  # seconds a save waits for the worker's re-run of the session (after the last save) to finish

Endpoint = Callable[[Request], Awaitable[Response]]
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass
class WebConfig:
    """What the app needs: where sessions are, the queue, the login and the upload limit."""

    settings: Settings
    queue: JobQueue  # the embedded SQLiteQueue, or CeleryQueue with a broker (pipeline.jobs.engines)
    guard: Guard
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_MB * 2**20
    host: str = "127.0.0.1"  # the address the server listens on
    state_dir: Path | None = None  # the state folder (the queue, the signing secret, the facilitator as asked)
    secure_cookies: bool = False  # the public URL is https: cookies only over TLS (`Secure`)
    trusted_proxies: tuple[IPNetwork, ...] = ()  # [web] trusted_proxy: whose X-Forwarded-For names the client
    service: Oogst = field(init=False)
    logins: Throttle = field(init=False)  # failed logins per address (`Throttle`)

    def __post_init__(self) -> None:
        queue_file = getattr(self.queue, "path", None)  # the search index lives beside the worker's queue
        state = self.state_dir or (Path(queue_file).parent if queue_file else None)
        self.service = Oogst(self.settings, front="web", rerun=lambda session: rerun_job(self.queue, session),
                             wait=SAVE_WAIT, state_dir=state)
        self.logins = Throttle(LOGIN_ATTEMPTS, LOGIN_WINDOW)

    @property
    def out_dir(self) -> Path:
        return Path(self.settings.out_dir)

    def facilitator(self) -> tuple[str | None, str]:
        """Who mails ("Name <address>") and where that was said: "config" ([oogst] facilitator or
        OOGST_FACILITATOR), "asked" (on the mail page, kept in the state folder), or "" (not yet)."""
        if self.settings.facilitator:
            return self.settings.facilitator, "config"
        path = self._facilitator_file()
        if path is not None and path.is_file():
            try:
                value = json.loads(path.read_text(encoding="utf-8")).get("facilitator")
            except (OSError, ValueError, AttributeError):
                value = None
            if isinstance(value, str) and value.strip():
                return value.strip(), "asked"
        return None, ""

    def save_facilitator(self, value: str) -> None:
        """Keep the facilitator as asked on the mail page (the config file, when it says, wins)."""
        from pipeline.core.session import atomic_write_json

        path = self._facilitator_file()
        if path is None:
            raise PageError("facilitator_not_kept")
        atomic_write_json(path, {"facilitator": value})

    def _facilitator_file(self) -> Path | None:
        return Path(self.state_dir) / FACILITATOR if self.state_dir is not None else None


class PageError(OogstError):
    """A one-line problem of a page, shown on an error page with a status code (never a traceback): a [messages]
    key and its parameters (its English text is the English page's)."""

    def __init__(self, key: str, status: int = 400, **params: Any) -> None:
        super().__init__(Message(key, params).text("en"), key, **params)
        self.status = status


_env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                          undefined=jinja2.StrictUndefined)


def clock(seconds: float | None) -> str:
    """Seconds as m:ss or h:mm:ss."""
    if seconds is None:
        return ""
    return language_clock(seconds)


def moment(seconds: float | None) -> str:
    """A moment of the conversation as m:ss or h:mm:ss, as the draft shows it (`language.moment`)."""
    return "" if seconds is None else language_moment(seconds)


_env.filters["clock"] = clock  # a duration
_env.filters["moment"] = moment  # a moment of the conversation

PAGE_TURNS = 100  # transcript lines per page: a 2-hour session's page stays small and fast


def page_of(n: int) -> int:
    """The first line of the transcript page that shows line `n`."""
    return n - n % PAGE_TURNS


def moment_href(session: str, n: int, seconds: float | None = None) -> str:
    """Where a moment of a session is shown: its transcript page, at line `n` (the turn said then); with `seconds`,
    the page's player (when it has the recording) plays from that moment."""
    at = f"&at={max(0.0, seconds):.2f}" if seconds is not None else ""
    return f"/s/{session}/transcript?from={page_of(n)}{at}#t{n}"


_env.globals["moment_href"] = moment_href


def config(request: Request) -> WebConfig:
    cfg: WebConfig = request.app.state.config
    return cfg


def oogst(request: Request) -> Oogst:
    """The application service of this app."""
    return config(request).service


def rerun_job(queue: JobQueue, session: Session) -> None:
    """Queue the session again with the parameters of its first job (a changed title or language would make the
    stage cache redo the transcription); only stages whose inputs changed run. A session whose transcription was
    cancelled or paused before it ended is not a re-run: the worker loads its recogniser and goes on from the
    checkpoint."""
    from pipeline.core.session import TRANSCRIPT
    from pipeline.series.store import member_of

    recording = session.recording() or session.removed_recording()  # gone by the retention policy: later stages
    if recording is None:
        raise PageError("rerun_no_recording", 409, name=session.name)
    first = next((j for j in reversed(queue.list(session.name, limit=1000)) if not j.params.get("rerun")), None)
    params = dict(first.params) if first is not None else {}
    if member_of(session) is not None:  # the session folder keeps its series (and the series its voices choice)
        params.pop("series", None)
        params.pop("remember_voices", None)
    if session.has(TRANSCRIPT):
        params["rerun"] = True
    queue.submit("run", session.name, str(recording.resolve()), params)


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    lang = request.state.lang
    html = _env.get_template(template).render(
        t=texts(lang, "web"), lang=lang, csrf=request.state.csrf, csrf_field=CSRF_FIELD, path=request.url.path,
        csrf_input=f'<input type="hidden" name="{CSRF_FIELD}" value="{request.state.csrf}">',  # hex token
        **context)
    return HTMLResponse(html, status_code=status)


def preferred_language(accept_language: str | None) -> str:
    """"en" when the browser ranks English above Dutch, else "nl"."""
    best: dict[str, float] = {}
    for order, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        base = tag.strip().lower().split("-")[0]
        if base in SUPPORTED and base not in best:
            best[base] = q - order * 1e-3  # equal weights: the first named wins
    return max(best, key=lambda k: best[k]) if best else "nl"


def back_to(request: Request) -> str:
    """The page a form came from (this app's), else the sessions list."""
    referer = urlsplit(request.headers.get("referer", ""))
    return referer.path if referer.netloc == request.url.netloc and referer.path.startswith("/") else "/"


def error_page(request: Request, message: str, status: int = 400) -> HTMLResponse:
    return render(request, "error.html", status=status, message=message, back=back_to(request))


def retry_page(request: Request, message: str) -> HTMLResponse:
    """A form sent while its session was busy (a re-run after the last change): the message, and the same form to
    send again, filled in as it was."""
    fields = [(k, str(v)) for k, v in form(request).multi_items() if k != CSRF_FIELD and isinstance(v, str)]
    return render(request, "retry.html", status=409, message=message, fields=fields, action=request.url.path,
                  back=back_to(request))


def session_of(request: Request, *, must_exist: bool = True) -> Session:
    """The session named in the URL: a plain folder name under outputs/, never a path."""
    name = str(request.path_params.get("name", ""))
    if not SESSION_NAME.fullmatch(name) or name in (".", ".."):
        raise PageError("not_session_name", 404, name=name)
    out_dir = config(request).out_dir.resolve()
    root = (out_dir / name).resolve()
    if root.parent != out_dir:
        raise PageError("not_session_name", 404, name=name)
    if must_exist and not root.is_dir():
        raise PageError("no_session", 404, name=name)
    return Session(root)


def form(request: Request) -> FormData:
    data: FormData = request.state.form
    return data


def version_of(data: FormData | dict[str, str]) -> str | None:
    """The version of the layer a form was made on (its hidden field), None when the form has none."""
    value = str(data.get("version") or "").strip()
    return value or None


def page(fn: Endpoint) -> Endpoint:
    """Wrap an endpoint: browser cookie, login, CSRF check on POST, language, one-line errors."""

    async def endpoint(request: Request) -> Response:
        cfg = config(request)
        browser_id = request.cookies.get(COOKIE)
        fresh = browser_id is None
        if browser_id is None:
            browser_id = cfg.guard.new_id()
        request.state.browser_id = browser_id
        request.state.csrf = cfg.guard.csrf_token(browser_id)
        request.state.lang = preferred_language(request.headers.get("accept-language"))
        request.state.form = FormData()
        response: Response
        try:
            if not cfg.guard.logged_in(None if fresh else browser_id) and request.url.path != "/login":
                if request.method == "GET":
                    response = RedirectResponse(f"/login?next={request.url.path}", status_code=303)
                else:
                    response = PlainTextResponse(Message("login_first").text(request.state.lang), status_code=403)
            elif request.method == "POST" and not await _csrf_ok(request, cfg.guard, None if fresh else browser_id):
                response = error_page(request, Message("csrf_expired").text(request.state.lang), 403)
            else:
                response = await fn(request)
        except OogstError as exc:  # in the page's language: never a traceback, never a server path in Dutch
            log.info("%s %s: %s", request.method, request.url.path, exc)  # the English line, with its paths
            status = exc.status if isinstance(exc, PageError) else 409 if isinstance(exc, SessionBusyError) else 400
            if isinstance(exc, SessionBusyError) and request.method == "POST" and request.state.form:
                response = retry_page(request, exc.text(request.state.lang))  # what was typed is not lost
            else:
                response = error_page(request, exc.text(request.state.lang), status)
        if fresh:
            response.set_cookie(COOKIE, browser_id, httponly=True, samesite="strict", path="/",
                                secure=cfg.secure_cookies)
        # every page shows a session as it is now: the back button after a send or a delete asks again
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; media-src 'self' blob:; img-src 'self' data:; "
                                    "frame-ancestors 'none'; form-action 'self'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    endpoint.__name__ = fn.__name__
    return endpoint


async def _csrf_ok(request: Request, guard: Guard, browser_id: str | None) -> bool:
    """The token of a POST: a hidden form field; for a file upload (streamed, read later) the URL or a header."""
    token = request.query_params.get(CSRF_FIELD) or request.headers.get("x-csrf-token")
    if token is None and not request.headers.get("content-type", "").startswith("multipart/"):
        request.state.form = await read_form(request)
        value = request.state.form.get(CSRF_FIELD)
        token = value if isinstance(value, str) else None
    return guard.check_csrf(browser_id, token)


async def read_form(request: Request) -> FormData:
    """A small urlencoded or multipart form without files (uploads go through `web.upload`)."""
    data = await request.form(max_files=0, max_fields=2000, max_part_size=256 * 1024)
    return data


async def in_thread(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run blocking library work (decode, collect, write docx) off the event loop."""
    return await asyncio.to_thread(fn, *args, **kwargs)


COOKIE = "oogst_id"
CSRF_FIELD = "csrf"
LOGIN_ATTEMPTS = 5  # failed logins from one address ...
LOGIN_WINDOW = 300.0  # ... within this many seconds; then it waits until the oldest is this old


class Throttle:
    """Attempts that failed, per key (an address), within a time window: more than `limit` and the key waits until
    the oldest leaves the window. One mechanism for everything guessed at (the login; later participants' links)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._failed: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str) -> list[float]:
        now = self.clock()
        recent = [t for t in self._failed.get(key, []) if now - t < self.window]
        if recent:
            self._failed[key] = recent
        else:
            self._failed.pop(key, None)
        return recent

    def wait(self, key: str) -> float:
        """Seconds `key` must wait before it may try again (0: it may)."""
        with self._lock:
            recent = self._recent(key)
            return 0.0 if len(recent) < self.limit else max(0.0, recent[0] + self.window - self.clock())

    def failed(self, key: str) -> None:
        with self._lock:
            self._failed.setdefault(key, []).append(self.clock())
            if len(self._failed) > 10000:  # a flood of addresses: forget the stalest
                for stale in sorted(self._failed, key=lambda k: self._failed[k][-1])[:5000]:
                    del self._failed[stale]

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failed.pop(key, None)


def client_key(request: Request) -> str:
    """Who is trying: the address the request came from. Behind the configured proxy (`[web] trusted_proxy`) that
    is the last address in X-Forwarded-For that is not a proxy of ours (the one our proxy saw: whatever a client
    put before it is its own say); from any other peer the header is ignored, so nobody picks their own key."""
    peer = request.client.host if request.client is not None else "?"
    proxies = config(request).trusted_proxies
    if not proxies or not _within(peer, proxies):
        return peer
    for part in reversed(",".join(request.headers.getlist("x-forwarded-for")).split(",")):
        address = part.strip()
        if not address:
            continue
        if not _within(address, proxies):
            try:
                return str(ipaddress.ip_address(address))
            except ValueError:  # not an address (a proxy that writes names): the peer, as without a proxy
                return peer
    return peer


def _within(address: str, networks: tuple[IPNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == net.version and ip in net for net in networks)


def trusted_proxies(value: Any) -> tuple[IPNetwork, ...]:
    """`[web] trusted_proxy`: an address ("127.0.0.1"), a network ("10.0.0.0/8") or a list of them; none: ()."""
    items = [value] if isinstance(value, str) else list(value) if isinstance(value, list | tuple) else [value]
    networks = []
    for item in items:
        if item is None or item == "":
            continue
        try:
            networks.append(ipaddress.ip_network(str(item).strip(), strict=False))
        except ValueError:
            raise ConfigError(f"[web] trusted_proxy = {item!r}: give the reverse proxy's IP address as the app sees "
                              'it (e.g. "127.0.0.1" when nginx runs on this machine)') from None
    return tuple(networks)



def load_secret(state_dir: Path) -> bytes:
    """The server's signing secret, created once (mode 0600) in the state folder."""
    path = Path(state_dir) / "web-secret"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


class Guard:
    """Who is logged in, and the CSRF token of each browser id."""

    def __init__(self, secret: bytes, password: str | None) -> None:
        self.secret = secret
        self.password = password  # None: no login needed (loopback)
        self._logged_in: set[str] = set()

    @staticmethod
    def new_id() -> str:
        return secrets.token_urlsafe(24)

    def csrf_token(self, browser_id: str) -> str:
        return hmac.new(self.secret, b"csrf:" + browser_id.encode(), hashlib.sha256).hexdigest()

    def check_csrf(self, browser_id: str | None, token: str | None) -> bool:
        return bool(browser_id and token) and hmac.compare_digest(self.csrf_token(str(browser_id)), str(token))

    def _key(self, browser_id: str) -> str:
        return hmac.new(self.secret, b"login:" + browser_id.encode(), hashlib.sha256).hexdigest()

    def logged_in(self, browser_id: str | None) -> bool:
        return self.password is None or (browser_id is not None and self._key(browser_id) in self._logged_in)

    def log_in(self, browser_id: str, password: str) -> bool:
        if self.password is None:
            return True
        if hmac.compare_digest(password.encode(), self.password.encode()):
            self._logged_in.add(self._key(browser_id))
            return True
        return False
