"""Test helpers for mail: a real SMTP server on 127.0.0.1 (aiosmtpd), self-signed certificates, a fixture session."""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
DATA = Path(__file__).parent / "data" / "mail"
SESSION_NAME = "2024-05-14_intervisie-zorgteam"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Cert:
    certfile: Path
    keyfile: Path


def make_cert(folder: Path, name: str = "server") -> Cert:
    """A self-signed certificate for 127.0.0.1 / localhost, made with the openssl command."""
    if shutil.which("openssl") is None:
        import pytest

        pytest.fail("the openssl command is needed to make a test certificate: run `make sysdeps`", pytrace=False)
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=30)
    return Cert(cert, key)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    login: str | None


@dataclass
class Handler:
    """Records what arrives; refuses RCPT for the addresses in `refuse` like a real server would."""

    refuse: set[str] = field(default_factory=set)
    messages: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.lower() in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        login = session.auth_data.decode() if isinstance(session.auth_data, bytes) else session.auth_data
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content), login))
        return "250 Message accepted for delivery"


def authenticator(user: str, password: str):
    """An aiosmtpd authenticator that accepts exactly one user and password."""
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def check(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
              and auth_data.password.decode() == password)
        return AuthResult(success=ok, handled=False, auth_data=user if ok else None)

    return check


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    handler: Handler


@contextlib.contextmanager
def smtp_server(handler: Handler | None = None, *, cert: Cert | None = None, implicit_tls: bool = False,
                auth: tuple[str, str] | None = None, lifetime: float = 60.0) -> Iterator[Server]:
    """A real SMTP server on 127.0.0.1 and a free port; it stops at exit, or by itself after `lifetime` s.

    With `cert`, it offers STARTTLS (or, with `implicit_tls`, speaks TLS from the first byte); with `auth`, it
    requires login with that user and password (after STARTTLS, like real servers).
    """
    from aiosmtpd.controller import Controller

    handler = handler or Handler()
    context = None
    if cert is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert.certfile), str(cert.keyfile))
    kwargs: dict = {"server_hostname": "mail.oogst.test", "ready_timeout": 10.0}
    if implicit_tls:
        kwargs["ssl_context"] = context
    elif context is not None:
        kwargs["tls_context"] = context
    if auth is not None:
        kwargs["authenticator"] = authenticator(*auth)
        kwargs["auth_required"] = True
        # on implicit TLS the whole connection is already encrypted
        kwargs["auth_require_tls"] = not implicit_tls
    controller = Controller(handler, hostname=HOST, port=free_port(), **kwargs)
    controller.start()
    stopped = threading.Event()

    def stop() -> None:
        if not stopped.is_set():
            stopped.set()
            controller.stop(no_assert=True)

    watchdog = threading.Timer(lifetime, stop)
    watchdog.daemon = True
    watchdog.start()
    try:
        yield Server(HOST, controller.port, handler)
    finally:
        watchdog.cancel()
        stop()


@contextlib.contextmanager
def silent_server(lifetime: float = 30.0) -> Iterator[int]:
    """A port that accepts connections and never says anything (a server that hangs)."""
    sock = socket.socket()
    sock.bind((HOST, 0))
    sock.listen(4)
    sock.settimeout(0.1)
    port = int(sock.getsockname()[1])
    accepted: list[socket.socket] = []
    stop = threading.Event()
    deadline = time.monotonic() + lifetime

    def accept() -> None:
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in accepted:
            conn.close()
        sock.close()


def make_docx(path: Path, heading: str, lines: list[str]) -> Path:
    import docx

    document = docx.Document()
    document.add_heading(heading, level=1)
    for line in lines:
        document.add_paragraph(line)
    document.save(str(path))
    return path


def make_session(root: Path, *, final: bool = True, language: str | None = None, name: str = SESSION_NAME):
    """A session folder from tests/data/mail, with draft.docx and (when `final`) final.json and final.docx."""
    import json

    from pipeline.core.session import Session
    from pipeline.core.types import Insights

    folder = root / "outputs" / name
    folder.mkdir(parents=True)
    for artefact in ("insights.json", "turns.json", "transcript.json") + (("final.json",) if final else ()):
        shutil.copy(DATA / artefact, folder / artefact)
    if language is not None:
        for artefact in ("insights.json", "final.json", "transcript.json"):
            path = folder / artefact
            if path.is_file():
                data = json.loads(path.read_text(encoding="utf-8"))
                data["language"] = language
                path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    draft = Insights.from_dict(json.loads((DATA / "insights.json").read_text(encoding="utf-8")))
    make_docx(folder / "draft.docx", "Concept", [f"{i.rank}. {i.title}: {i.text}" for i in draft.insights])
    if final:
        top = Insights.from_dict(json.loads((DATA / "final.json").read_text(encoding="utf-8")))
        make_docx(folder / "final.docx", "Definitieve top 7", [f"{i.rank}. {i.title}: {i.text}" for i in top.insights])
    return Session(folder)
