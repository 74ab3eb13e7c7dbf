"""Reaching participants off this machine (issue 26): the app behind a TLS reverse proxy. Cookies are Secure when
the public URL is https; the client's address for rate limiting comes from X-Forwarded-For only when the request
comes from the configured proxy ([web] trusted_proxy); and deploy/nginx-oogst.conf itself runs in front of a real
`oogst serve` with a throwaway certificate."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient
from test_review_browser import sent_session

from pipeline.core.errors import OogstError
from pipeline.core.settings import Settings
from pipeline.rounds import invite
from pipeline.web.app import WebConfig
from pipeline.web.serve import create_app, web_config
from tests.web_helpers import ROOT, free_port, running_server, wait_for

PASSWORD = "proxy-geheim"
GUESSES = 20  # pages_participant.GUESSES: unknown tokens from one address before it waits


def proxied_config(tmp_path: Path, host: str = "127.0.0.1", **web: object) -> WebConfig:
    settings = Settings(out_dir=tmp_path / "outputs", models_dir=ROOT / "models", sections={"web": dict(web)})
    return web_config(settings, host=host, state_dir=tmp_path / "state",
                      env={"OOGST_WEB_PASSWORD": PASSWORD}, announce=lambda line: None)


def guess(client: TestClient | httpx.Client, n: int, spoof: str | None = None) -> int:
    """Status of an unknown token's page (sent with X-Forwarded-For: `spoof`, when given)."""
    headers = {"x-forwarded-for": spoof} if spoof else {}
    return client.get(f"/p/{'q' * 40}{n:03d}", headers=headers).status_code


def test_a_spoofed_forwarded_for_from_a_peer_that_is_not_the_proxy_is_ignored(tmp_path: Path) -> None:
    cfg = proxied_config(tmp_path, public_url="https://oogst.example.nl", trusted_proxy="127.0.0.1")
    app = create_app(cfg)
    outsider = TestClient(app, base_url="https://oogst.example.nl", client=("203.0.113.7", 40000))
    for n in range(GUESSES):  # a new made-up address on every guess: still one key, the socket's peer
        assert guess(outsider, n, spoof=f"198.51.100.{n}") == 404
    assert guess(outsider, 99, spoof="198.51.100.200") == 429
    # through the proxy (the peer is 127.0.0.1) each client is known by the address the proxy appended last
    proxy = TestClient(app, base_url="https://oogst.example.nl", client=("127.0.0.1", 40001))
    for n in range(GUESSES):  # what a client wrote itself comes before the proxy's entry and does not count
        assert guess(proxy, n, spoof=f"10.9.9.{n}, 192.0.2.10") == 404
    assert guess(proxy, 99, spoof="10.9.9.99, 192.0.2.10") == 429
    assert guess(proxy, 99, spoof="192.0.2.11") == 404  # another client behind the same proxy: its own key
    assert guess(proxy, 99) == 404  # no header: the proxy's own address, not yet held back

    # without trusted_proxy the header counts from nobody, loopback neither (uvicorn's own reading is off)
    plain = TestClient(create_app(proxied_config(tmp_path / "plain", host="0.0.0.0")), client=("127.0.0.1", 40002),
                       base_url="http://127.0.0.1:8000")
    for n in range(GUESSES):
        assert guess(plain, n, spoof=f"192.0.2.{n}") == 404
    assert guess(plain, 99, spoof="192.0.2.250") == 429


def test_cookies_are_secure_when_the_public_url_is_https(tmp_path: Path) -> None:
    cfg = proxied_config(tmp_path, public_url="https://oogst.example.nl")
    oogst, session = sent_session(tmp_path)
    oogst.state_dir = cfg.state_dir
    link = str(invite(oogst, session, base_url="https://oogst.example.nl", send=False).people[0].link)
    app = create_app(cfg)
    for path in ("/login", link.removeprefix("https://oogst.example.nl")):  # each a new browser: it gets a cookie
        cookie = TestClient(app, base_url="https://oogst.example.nl").get(path).headers["set-cookie"].lower()
        assert "secure" in cookie.split("; ") and "httponly" in cookie.split("; "), (path, cookie)
    local = TestClient(create_app(proxied_config(tmp_path / "local")), base_url="http://127.0.0.1:8000")
    assert "secure" not in local.get("/").headers["set-cookie"].lower()  # plain http on this machine: no TLS


def test_a_proxy_in_front_of_an_app_without_password_is_refused(tmp_path: Path) -> None:
    """On 127.0.0.1 without a public URL the app asks no password; a reverse proxy in front of it would open the
    facilitator's pages to the world, so a request that says it was forwarded gets one line on what to do."""
    local = proxied_config(tmp_path / "local")
    assert local.guard.password is None
    client = TestClient(create_app(local), base_url="http://127.0.0.1:8000")
    assert client.get("/").status_code == 200  # this machine's browser
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "Forwarded", "X-Real-IP"):
        refused = client.get("/", headers={header: "for=198.51.100.1" if header == "Forwarded" else "198.51.100.1"})
        assert refused.status_code == 403 and "--public-url" in refused.text and "\n" not in refused.text.strip()
    dutch = client.get("/", headers={"X-Forwarded-For": "198.51.100.1", "Accept-Language": "nl"})
    assert "wachtwoord" in dutch.text
    # naming the proxy is saying the world reaches the app: the password is needed then too
    assert proxied_config(tmp_path / "proxy", trusted_proxy="127.0.0.1").guard.password == PASSWORD


def test_trusted_proxy_must_be_an_address(tmp_path: Path) -> None:
    with pytest.raises(OogstError) as refused:
        proxied_config(tmp_path, trusted_proxy="nginx.local")
    assert "trusted_proxy" in str(refused.value) and "\n" not in str(refused.value)
    networks = proxied_config(tmp_path, trusted_proxy=["127.0.0.1", "10.0.0.0/8"]).trusted_proxies
    assert [str(n) for n in networks] == ["127.0.0.1/32", "10.0.0.0/8"]


# -- deploy/nginx-oogst.conf in front of a real `oogst serve` ------------------------------------------------------
def throwaway_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (and localhost), valid for a day."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def site_config(*, https: int, http: int, app: int, cert: Path, key: Path) -> str:
    """deploy/nginx-oogst.conf as shipped, with this test's ports and certificate (and no IPv6 listener)."""
    site = (ROOT / "deploy" / "nginx-oogst.conf").read_text(encoding="utf-8")
    site = re.sub(r"^\s*listen \[::\]:.*\n", "", site, flags=re.MULTILINE)
    site = re.sub(r"listen 443 ", f"listen 127.0.0.1:{https} ", site)
    site = re.sub(r"listen 80;", f"listen 127.0.0.1:{http};", site)
    site = site.replace("proxy_pass http://127.0.0.1:8000;", f"proxy_pass http://127.0.0.1:{app};")
    site = site.replace("/etc/letsencrypt/live/oogst.example.nl/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/oogst.example.nl/privkey.pem", str(key))
    assert str(cert) in site and f":{https} ssl" in site and f":{app};" in site, "deploy/nginx-oogst.conf changed"
    return site


@contextmanager
def running_nginx(folder: Path, site: str) -> Iterator[None]:
    """nginx in the foreground as this test's own process (its pid file, logs and temp files in `folder`)."""
    folder.mkdir(parents=True, exist_ok=True)
    temps = "".join(f"{kind}_temp_path {folder / kind};\n" for kind in
                    ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""  # workers: not nobody
    conf = folder / "nginx.conf"
    conf.write_text(f"{user}worker_processes 1;\nerror_log {folder / 'error.log'};\npid {folder / 'nginx.pid'};\n"
                    "events { worker_connections 64; }\n"
                    f"http {{\naccess_log {folder / 'access.log'};\n{temps}{site}\n}}\n", encoding="utf-8")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    common = [nginx, "-e", str(folder / "error.log"), "-p", str(folder), "-c", str(conf)]  # -e: not /var/log
    checked = subprocess.run([*common, "-t", "-q"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    proc = subprocess.Popen([*common, "-g", "daemon off;"],
                            stderr=subprocess.PIPE, text=True)
    try:
        yield
    finally:
        proc.terminate()  # SIGTERM: the master stops its worker and leaves
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()


def browser(base: str, cert: Path, source: str) -> httpx.Client:
    """A client that checks the certificate and connects from `source` (another loopback address per client)."""
    context = ssl.create_default_context(cafile=str(cert))
    return httpx.Client(base_url=base, transport=httpx.HTTPTransport(local_address=source, verify=context),
                        verify=context, timeout=30)


def answers(client: httpx.Client) -> bool:
    try:
        return client.get("/static/style.css").status_code == 200
    except httpx.ConnectError:  # nginx is not listening yet
        return False


@pytest.mark.slow
@pytest.mark.needs_system("nginx", "openssl")
def test_nginx_in_front_of_oogst_serve_with_tls(tmp_path: Path) -> None:
    cert, key = throwaway_certificate(tmp_path)
    https, http, app = free_port(), free_port(), free_port()
    public = f"https://127.0.0.1:{https}"
    oogst, session = sent_session(tmp_path)
    state = tmp_path / "state"
    oogst.state_dir = state / "oogst"  # where `oogst serve` keeps the answers ($XDG_STATE_HOME/oogst)
    links = {p.name: str(p.link) for p in invite(oogst, session, base_url=public, send=False).people}
    assert all(link.startswith(f"{public}/p/") for link in links.values())
    with running_server(tmp_path / "outputs", state, app, env={"OOGST_WEB_PASSWORD": PASSWORD},
                        args=("--public-url", public, "--trusted-proxy", "127.0.0.1")), \
            running_nginx(tmp_path / "nginx", site_config(https=https, http=http, app=app, cert=cert, key=key)):
        an, bo = browser(public, cert, "127.0.0.2"), browser(public, cert, "127.0.0.3")
        wait_for(lambda: answers(an), 20, "nginx to answer")
        plain = httpx.get(f"http://127.0.0.1:{http}/s/{session.name}", follow_redirects=False)
        assert plain.status_code == 301 and plain.headers["location"].startswith("https://")

        # the facilitator's pages need the password through the proxy, though the app listens on 127.0.0.1
        first = an.get("/", follow_redirects=False)
        assert first.status_code == 303 and first.headers["location"].startswith("/login")
        assert re.search(r"oogst_id=[^;]+;.*\bSecure\b", first.headers["set-cookie"], flags=re.IGNORECASE)
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', an.get("/login").text)[1]
        for _ in range(5):  # wrong passwords from An's address: she waits ...
            an.post("/login", data={"csrf": token, "password": "fout", "next": "/"})
        assert an.post("/login", data={"csrf": token, "password": PASSWORD, "next": "/"}).status_code == 429
        # ... Bo, behind the same proxy, is another address (X-Forwarded-For from the trusted proxy) and logs in
        bo_csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', bo.get("/login").text)[1]
        logged = bo.post("/login", data={"csrf": bo_csrf, "password": PASSWORD, "next": "/"}, follow_redirects=False)
        assert logged.status_code == 303
        assert bo.get(f"/s/{session.name}/review").status_code == 200

        # a participant's link works over https, without the password, with a Secure cookie
        cor = browser(public, cert, "127.0.0.4")
        page = cor.get(links["An de Wit"].removeprefix(public))
        assert page.status_code == 200 and "An de Wit" in page.text
        assert re.search(r"\bSecure\b", page.headers["set-cookie"], flags=re.IGNORECASE)
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)[1]
        saved = cor.post(links["An de Wit"].removeprefix(public), follow_redirects=False,
                         data={"csrf": csrf, "item": "insight:2", "vote": "agree", "wording": "", "remark": ""})
        assert saved.status_code == 303
        assert re.search(r'id="agree-2" checked', cor.get(saved.headers["location"]).text)

        # guessing tokens with a made-up X-Forwarded-For: nginx appends the real address, which is what counts
        for n in range(GUESSES):
            assert guess(cor, n, spoof=f"198.51.100.{n}") == 404
        assert guess(cor, 99, spoof="198.51.100.99") == 429
        assert bo.get(links["Bo Smit"].removeprefix(public)).status_code == 200  # others are not held back

        # an upload larger than nginx's default 1 MB limit reaches the app (which judges the file, not nginx)
        upload_token = re.search(r'name="csrf" value="([0-9a-f]+)"|csrf=([0-9a-f]+)', bo.get("/new").text)
        assert upload_token is not None
        big = bo.post(f"/new?csrf={upload_token[1] or upload_token[2]}", follow_redirects=False,
                      files={"file": ("opname.wav", b"\0" * (3 * 2**20))}, data={"title": "groot"})
        assert big.status_code != 413 and "nginx" not in big.text, big.text[:300]
        for client in (an, bo, cor):
            client.close()
