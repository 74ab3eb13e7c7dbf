"""Login, cookies and CSRF tokens for the web app.

Every browser gets a random id in an HttpOnly, SameSite=Strict cookie; a form's CSRF token is an HMAC of that id
with the server's secret (kept in the state folder, so forms survive a restart). On 127.0.0.1 nobody logs in;
bound to another address every page needs the password first (OOGST_WEB_PASSWORD, or one generated at start).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
from pathlib import Path

COOKIE = "oogst_id"
CSRF_FIELD = "csrf"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.1, ::1 and localhost: only this machine can connect."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
