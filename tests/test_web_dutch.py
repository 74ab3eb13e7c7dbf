"""Every error a facilitator can reach from the web pages, walked with a Dutch browser: each page shows the message
of pipeline/core/texts/nl.toml and nothing in English (no English word, no server path); an English browser gets
the message of en.toml. The same walk runs in process (Starlette's test client: `make test-fast`) and in a real
headless Chromium (`--lang=nl`, then `--lang=en`) against `oogst serve` with its login.

The walk: log in, a form without its CSRF token, the new-session form (date, speakers, language, series name,
voices, an undecodable, a wrong and an empty upload, malformed transcripts), unknown sessions, names, corrections
and top 7 edits on an unprocessed and on a busy session, sending the draft before processing, processing again
without the recording, downloads, clips and pages that do not exist, collecting (no files, unreadable and foreign
copies), the participants' addresses, the mail page (no recipients, no sender, no SMTP server, already mailed),
unknown series; and the review page's "Reviewers" and the sessions list's count in Dutch.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pipeline.core.errors import Message
from pipeline.core.language import texts
from tests.web_helpers import ROOT, csrf, free_port, make_client, run_jobs, running_server, upload, wait_for

PASSWORD = "walk-wachtwoord-2025"
# Words and paths that give an English or a server-side message away on a Dutch page (a Dutch message has none).
ENGLISH = (" the ", " give ", " not ", "found", "session", "file", " please", " choose ", " cannot ", " could ",
           " is not ", "error", "traceback", "/tmp", "outputs/", ".py")
VTT = ("WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v Sanne>Wat ik meeneem is dat grenzen stellen echt helpt.</v>\n\n"
       "00:00:06.000 --> 00:00:10.000\n<v Joris>Ik ga volgende week met mijn leidinggevende praten.</v>\n\n"
       "00:00:11.000 --> 00:00:15.000\n<v Sanne>De sleutel is dat je het samen bespreekt.</v>\n")
SENT = {"sends": [{"sent_at": "2025-03-04T10:15:00Z", "accepted": ["Sanne <sanne@example.nl>"]}]}

Shown = Callable[[str], str]  # what a page shows, in a language


def msg(key: str, **params: Any) -> Shown:
    return Message(key, params).text


def label(key: str, **params: Any) -> Shown:
    return lambda language: texts(language, "web")[key].format(**params)


@dataclass
class Step:
    """One thing a facilitator does that goes wrong, and what the page must say."""

    name: str
    url: str
    shows: list[Shown] | Callable[[], list[Shown]]  # a callable: known only once `around` has begun
    post: dict[str, str] | None = None  # the form's fields; None: a GET
    files: dict[str, list[Path]] | None = None  # a file upload (multipart, the token in the URL)
    status: int = 400
    token: bool = True  # the form carries its CSRF token
    around: Callable[[], AbstractContextManager[Any]] = nullcontext
    where: str = "problem"  # "problem": the page's problem lines; "main": the page itself

    def expected(self) -> list[Shown]:
        return self.shows() if callable(self.shows) else self.shows


@dataclass
class Walk:
    out: Path
    config: Path  # the config file the server reads its [smtp] from
    uploads: Path
    login: list[Step] = field(default_factory=list)  # before logging in
    steps: list[Step] = field(default_factory=list)  # logged in


def _process(out: Path, name: str, title: str) -> Path:
    from pipeline.core.settings import Settings
    from pipeline.core.types import RunRequest
    from pipeline.service import Oogst

    source = out.parent / f"{name}.vtt"
    source.write_text(VTT, encoding="utf-8")
    Oogst(Settings(out_dir=out, models_dir=ROOT / "models", quiet=True)).run(RunRequest(str(source), title=title))
    source.unlink()  # the session keeps no recording: processing again needs `oogst run`
    return out / name


def prepare(root: Path) -> Walk:
    """An outputs folder with an unprocessed session (leeg), a processed one (concept) and a reviewed one
    (intervisie), the files a facilitator might upload by mistake, and the walk over them."""
    import docx
    from docx_helpers import CommentSpec, add_comments

    from pipeline.core.session import Session
    from pipeline.core.settings import Settings
    from pipeline.service import Oogst

    out, uploads = root / "outputs", root / "uploads"
    uploads.mkdir(parents=True)
    (out / "leeg").mkdir(parents=True)
    concept = _process(out, "concept", "Concept")
    reviewed = _process(out, "intervisie", "Intervisie")
    title = json.loads((reviewed / "insights.json").read_text(encoding="utf-8"))["insights"][0]["title"]
    copy = add_comments(reviewed / "draft.docx", root / "terug-fatima.docx", [CommentSpec(title, "+1", "Fatima")])
    Oogst(Settings(out_dir=out, models_dir=ROOT / "models")).collect(Session(reviewed), [copy])

    valid = uploads / "2025-03-04_overleg.vtt"
    valid.write_text(VTT, encoding="utf-8")
    (uploads / "opname.m4a").write_text("dit is geen geluid, maar tekst\n" * 50, encoding="utf-8")
    (uploads / "notulen.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< >>\nendobj\n")
    (uploads / "leeg.m4a").write_bytes(b"")
    (uploads / "verslag.txt").write_text("Dit is een verslag zonder namen ervoor.\nEn nog een regel.\n",
                                         encoding="utf-8")
    (uploads / "ondertitels.vtt").write_text("00:00:01.000 --> 00:00:04.000\nHallo allemaal.\n", encoding="utf-8")
    (uploads / "verslag.docx").write_bytes(b"PK\x03\x04 geen echt document")
    (uploads / "terug-pdf.docx").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    foreign = docx.Document()
    foreign.add_paragraph("Notities van een heel ander overleg, over de begroting.")
    foreign.save(str(uploads / "terug-vreemd.docx"))

    walk = Walk(out, root / "oogst.toml", uploads)
    walk.login = [
        Step("een formulier voor het inloggen", "/s/concept/delete", [msg("login_first")], post={}, status=403,
             token=False),
        Step("een verkeerd wachtwoord", "/login", [label("wrong_password")], post={"password": "raden", "next": "/"},
             status=403),
    ]
    new = {"file": [valid]}
    walk.steps = [
        Step("een formulier zonder token", "/s/concept/delete", [msg("csrf_expired")], post={}, status=403,
             token=False),
        # -- the new-session form ------------------------------------------------------------------------------
        Step("datum", "/new", [msg("date_format", value="4 maart")], post={"date": "4 maart"}, files=new),
        Step("sprekers geen getal", "/new", [msg("speakers_range", value="veel")], post={"speakers": "veel"},
             files=new),
        Step("sprekers te veel", "/new", [msg("speakers_range", value=12)], post={"speakers": "12"}, files=new),
        Step("taal", "/new", [msg("language_choice", value="de")], post={"language": "de"}, files=new),
        Step("naam van de reeks", "/new", [msg("series_name", name="-west")], post={"series": "-west"}, files=new),
        Step("stemmen zonder reeks", "/new", [msg("voices_need_series")], post={"remember_voices": "1"}, files=new),
        Step("stemmen onbekend", "/new", [msg("voices_choice")], post={"remember_voices": "soms"}, files=new),
        Step("geen geluid", "/new", [msg("not_audio", file="opname.m4a")], post={},
             files={"file": [uploads / "opname.m4a"]}),
        Step("een pdf", "/new", [msg("not_audio", file="notulen.pdf")], post={},
             files={"file": [uploads / "notulen.pdf"]}),
        Step("een leeg bestand", "/new", [msg("no_upload")], post={}, files={"file": [uploads / "leeg.m4a"]}),
        Step("tekst zonder namen", "/new", [msg("name_text_expected", file="verslag.txt", line=1,
                                                found="Dit is een verslag zonder namen ervoor.")], post={},
             files={"file": [uploads / "verslag.txt"]}),
        Step("ondertitels zonder kop", "/new", [msg("vtt_header", file="ondertitels.vtt",
                                                    found="00:00:01.000 --> 00:00:04.000")], post={},
             files={"file": [uploads / "ondertitels.vtt"]}),
        Step("een kapot Word-bestand", "/new", [msg("docx_unreadable", file="verslag.docx")], post={},
             files={"file": [uploads / "verslag.docx"]}),
        # -- sessions that are not there, not processed, or busy -------------------------------------------------
        Step("onbekende sessie", "/s/nergens", [msg("no_session", name="nergens")], status=404),
        Step("geen naam van een sessie", "/s/.verborgen", [msg("not_session_name", name=".verborgen")], status=404),
        Step("namen voor het verwerken", "/s/leeg/speakers", [msg("not_processed", name="leeg")],
             post={"name_0": "Sanne"}, status=409),
        Step("top 7 voor het verwerken", "/s/leeg/insights", [msg("no_insights_yet", name="leeg")], status=409),
        Step("namen terwijl het bezig is", "/s/concept/speakers",
             lambda: [msg("busy", name="concept", since=_since(concept))], post={"name_0": "Sanne"}, status=409,
             around=lambda: _held(concept)),
        # -- corrections and the top 7 --------------------------------------------------------------------------
        Step("een regel die er niet is", "/s/concept/transcript", [msg("line_gone")],
             post={"n": "999", "text": "Hallo."}),
        Step("een regel zonder nummer", "/s/concept/transcript", [msg("line_gone")], post={"n": "x", "text": "."},
             status=409),
        Step("een inzicht zonder zin", "/s/concept/insights", [msg("insight_needs_text")],
             post={"do": "save", "key": "k", "title": "Titel", "text": " "}),
        Step("een onbekende wijziging", "/s/concept/insights", [msg("unknown_change", change="raar")],
             post={"do": "raar", "key": "k"}),
        Step("een regel als inzicht die er niet is", "/s/concept/insights", [msg("line_gone")],
             post={"do": "promote", "n": "999"}),
        # -- sending, processing again, downloads, clips ----------------------------------------------------------
        Step("concept versturen voor het verwerken", "/s/leeg/review/freeze",
             [msg("file_missing", file="insights.json", folder="leeg")], post={}),
        Step("opnieuw verwerken zonder opname", "/s/concept/rerun", [msg("rerun_no_recording", name="concept")],
             post={}, status=409),
        Step("een download die er nog niet is", "/s/leeg/files/draft.docx",
             [msg("not_written", file="draft.docx", name="leeg")], status=404),
        Step("een download die niet bestaat", "/s/concept/files/geheim.txt", [msg("no_download", file="geheim.txt")],
             status=404),
        Step("een fragment dat niet bestaat", "/s/concept/clips/abc.wav", [msg("no_clip")], status=404),
        Step("de opname die er niet is", "/s/concept/audio", [msg("no_recording", name="concept")], status=404),
        Step("een adres dat niet bestaat", "/s/concept/fragmenten", [msg("page_not_found")], status=404),
        # -- collecting the comments --------------------------------------------------------------------------------
        Step("commentaar zonder bestanden", "/s/concept/review/collect", [msg("no_copies")], post={},
             files={"copies": []}),
        Step("onleesbare en vreemde kopieën", "/s/concept/review/collect",
             [msg("none_readable", n=2, first=Message("not_docx_pdf", {"file": "terug-pdf.docx"}))], post={},
             files={"copies": [uploads / "terug-pdf.docx", uploads / "terug-vreemd.docx"]}),
        Step("de problemen op de pagina", "/s/concept/review",
             [msg("not_docx_pdf", file="terug-pdf.docx"), msg("copy_no_mark", file="terug-vreemd.docx")], status=200),
        # -- participants and mail -----------------------------------------------------------------------------------
        Step("een verkeerd adres", "/s/concept/participants",
             [msg("address_row", row=1, name="Sanne", problem=Message("address_invalid",
                                                                        {"address": "sanne(at)example"}))],
             post={"name_0": "Sanne", "email_0": "sanne(at)example", "present_0": "on"}),
        Step("een verkeerd geplakt adres", "/s/concept/participants",
             [msg("address_pasted", line=2, problem=Message("address_invalid", {"address": "nee-geen-adres"}))],
             post={"paste": "Fatima Bakker <fatima@example.nl>\nnee-geen-adres"}),
        Step("mail voor het verwerken", "/s/leeg/mail", [msg("mail_no_draft", name="leeg")], status=200),
        Step("mail zonder ontvangers", "/s/concept/mail", [msg("no_recipients")], post={"do": "dryrun"}),
        Step("mail zonder afzender", "/s/concept/mail", [msg("no_sender", env="OOGST_SMTP_FROM")],
             post={"do": "send", "extra": "sanne@example.nl"}, around=lambda: _mail(walk, concept, "")),
        Step("mail zonder mailserver", "/s/concept/mail", [msg("no_smtp", env="OOGST_SMTP_HOST")],
             post={"do": "send", "extra": "sanne@example.nl"},
             around=lambda: _mail(walk, concept, '[smtp]\nfrom = "oogst@example.nl"\n')),
        Step("al gemaild", "/s/concept/mail", [msg("already_mailed", name="concept", times=1, last="2025-03-04 10:15")],
             post={"do": "send", "extra": "sanne@example.nl"}, status=409,
             around=lambda: _mail(walk, concept, "", sent=True)),
        # -- series --------------------------------------------------------------------------------------------------
        Step("onbekende reeks", "/series/nergens", [msg("no_series", name="nergens")], status=404),
        Step("geen naam van een reeks", "/series/-west", [msg("not_series_name", name="-west")], status=404),
        # -- the words of the pages themselves ------------------------------------------------------------------------
        Step("meelezers", "/s/intervisie/review", [label("reviewers")], status=200, where="main"),
        Step("meelezers in de lijst", "/", [label("reviewers_n_one", n=1)], status=200, where="main"),
    ]
    return walk


def _since(root: Path) -> str:
    from pipeline.core.lock import holder

    return str((holder(root) or {}).get("since", ""))[11:16]


@contextmanager
def _held(root: Path) -> Iterator[None]:
    """The session held by another process (a worker, `oogst run`) while the step runs."""
    from test_lock import hold_in_other_process

    proc = hold_in_other_process(root)
    try:
        yield
    finally:
        proc.kill()
        proc.wait()


@contextmanager
def _mail(walk: Walk, session: Path, config: str, *, sent: bool = False) -> Iterator[None]:
    """The mail settings (the config file's [smtp]) and whether the session was mailed before."""
    walk.config.write_text(config, encoding="utf-8")
    ledger = session / "sent.json"
    if sent:
        ledger.write_text(json.dumps(SENT), encoding="utf-8")
    try:
        yield
    finally:
        ledger.unlink(missing_ok=True)
        walk.config.write_text("", encoding="utf-8")


def check(step: Step, shown: str, language: str, out: Path) -> None:
    """The page shows each expected text in `language`; a Dutch page nothing English and no path."""
    for expected in step.expected():
        assert expected(language) in shown, f"{step.name} ({language}): {expected(language)!r} not in {shown!r}"
    assert str(out) not in shown and str(out.parent) not in shown, f"{step.name}: a server path in {shown!r}"
    if language == "nl":
        found = [word for word in ENGLISH if word in f" {shown.lower()} "]
        assert not found, f"{step.name}: English on a Dutch page ({found}): {shown!r}"
        if step.where == "main":
            assert "Reviewers" not in shown and "reviewers" not in shown, step.name


# -- in process ------------------------------------------------------------------------------------------------------
def _problems(answer: Any, where: str) -> str:
    """The problem lines of a page (an error page, the mail page's preview, the review page's copies), or the text
    of the page itself."""
    if answer.headers.get("content-type", "").startswith("text/plain"):
        return str(answer.text)
    page = str(answer.text)
    if where == "problem":
        lines = re.findall(r'<p class="problem"[^>]*>(.*?)</p>', page, flags=re.S)
        assert lines, f"no problem on the page: {page[:500]}"
        return html.unescape(" ".join(lines))
    main = re.search(r"<main>(.*)</main>", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", main[1] if main else page))


def client_walk(client: Any, walk: Walk, steps: list[Step], language: str) -> None:
    client.headers["Accept-Language"] = {"nl": "nl-NL,nl;q=0.9", "en": "en-GB,en;q=0.9"}[language]
    for step in steps:
        with step.around():
            if step.post is None:
                answer = client.get(step.url, follow_redirects=False)
            elif step.files is not None:  # a streamed upload: the token in the URL
                url = f"{step.url}?csrf={csrf(client, '/login')}" if step.token else step.url
                files = [(name, (p.name, p.read_bytes())) for name, paths in step.files.items() for p in paths] \
                    or [(name, ("", b"")) for name in step.files]
                answer = client.post(url, data=step.post, files=files, follow_redirects=False)
            else:
                data = {**step.post, **({"csrf": csrf(client, "/login")} if step.token else {})}
                answer = client.post(step.url, data=data, follow_redirects=False)
            assert answer.status_code == step.status, (step.name, answer.status_code, answer.text[:300])
            check(step, _problems(answer, step.where), language, walk.out)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_error_page_speaks_the_browsers_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       language: str) -> None:
    for var in [v for v in os.environ if v.startswith("OOGST_SMTP_")]:
        monkeypatch.delenv(var)
    walk = prepare(tmp_path)
    monkeypatch.setenv("OOGST_CONFIG", str(walk.config))
    client, _ = make_client(walk.out, tmp_path / "state", password=PASSWORD, host="192.0.2.10")
    client_walk(client, walk, walk.login, language)
    token = csrf(client, "/login")
    assert client.post("/login", data={"csrf": token, "password": PASSWORD, "next": "/"},
                       follow_redirects=False).status_code == 303
    client_walk(client, walk, walk.steps, language)


def test_a_failed_job_and_a_busy_delete_speak_dutch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the worker and the queue say reaches the page in its language: a job that failed with a message, one
    that failed without (an internal error), and deleting a session whose worker has not let go of it yet."""
    from pipeline.web import pages_sessions
    from tests.web_helpers import held_elsewhere

    monkeypatch.setattr(pages_sessions, "STOP_WAIT", 0.5)
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    source = tmp_path / "2025-03-04_overleg.vtt"
    source.write_text(VTT, encoding="utf-8")
    name = upload(client, source).headers["location"].rsplit("/", 1)[-1]
    with held_elsewhere(cfg.out_dir / name):
        answer = client.post(f"/s/{name}/delete", data={"csrf": csrf(client)}, follow_redirects=False)
    assert answer.status_code == 409
    check(Step("verwijderen terwijl het stopt", "", [msg("delete_busy", name=name)]), _problems(answer, "problem"),
          "nl", cfg.out_dir)
    source.write_text(VTT.replace("Ik ga", "Ik wil"), encoding="utf-8")  # another file (the same one asks first)
    name = upload(client, source).headers["location"].rsplit("/", 1)[-1]  # the first one's job was cancelled
    # the upload is changed before the worker gets to it: the job fails with the importer's message
    (cfg.out_dir / name / f"{name}.vtt").write_text("Hallo allemaal.\n", encoding="utf-8")
    run_jobs(cfg)
    job = cfg.queue.list(name, limit=1)[0]
    assert job.status == "failed" and str(job.error).startswith(str(cfg.out_dir / name / f"{name}.vtt"))
    failed = Message("vtt_header", {"file": f"{name}.vtt", "found": "Hallo allemaal."})
    check(Step("een mislukte taak", "", [failed.text]), _problems(client.get(f"/s/{name}"), "problem"), "nl",
          cfg.out_dir)
    assert client.get(f"/s/{name}/progress.json").json()["error"] == failed.text("nl")
    english = client.get(f"/s/{name}/progress.json", headers={"Accept-Language": "en"}).json()
    assert english["error"] == failed.text("en")

    again = cfg.queue.submit("run", name, str(source), {"rerun": True})
    cfg.queue.claim("test", again.id)
    cfg.queue.finish(again.id, "internal error (KeyError: 'x'); see the server log")
    check(Step("een interne fout", "", [msg("job_failed")]), _problems(client.get(f"/s/{name}"), "problem"), "nl",
          cfg.out_dir)



def test_a_copy_collected_by_an_older_version_is_named_in_dutch() -> None:
    """review.json of an older version keeps only the English line of a rejected copy: a Dutch page names the copy
    without its server path, an English page keeps the line."""
    from pipeline.web.pages_review import copy_problem

    entry = {"file": "/srv/oogst/outputs/x/returned/terug.docx", "status": "rejected",
             "problem": "/srv/oogst/outputs/x/returned/terug.docx: is not a Word document (.docx)"}
    assert copy_problem(entry, "nl") == Message("copy_unusable", {"file": "terug.docx"}).text("nl")
    assert copy_problem(entry, "en") == entry["problem"]
    entry["message"] = Message("not_docx_pdf", {"file": "terug.docx"}).to_dict()
    assert copy_problem(entry, "nl").startswith("terug.docx is geen Word-document (.docx) maar een PDF")


def test_a_bug_says_so_in_dutch_and_keeps_its_traceback_for_the_log(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from starlette.testclient import TestClient

    import pipeline.web.pages_sessions as pages

    client, _ = make_client(tmp_path / "outputs", tmp_path / "state")
    monkeypatch.setattr(pages, "sessions_in", lambda out_dir: 1 / 0)
    with pytest.raises(ZeroDivisionError):  # raised on to the server, which logs the traceback
        client.get("/")
    quiet = TestClient(client.app, raise_server_exceptions=False, base_url=str(client.base_url))
    answer = quiet.get("/")
    assert answer.status_code == 500 and answer.text == Message("generic").text("nl")
    assert quiet.get("/", headers={"Accept-Language": "en"}).text == Message("generic").text("en")

# -- in a browser --------------------------------------------------------------------------------------------------
SUBMIT = """
    const [action, fields, uploads] = arguments;
    const form = document.createElement("form");
    form.method = "post";
    form.action = action;
    if (uploads !== null) form.enctype = "multipart/form-data";
    for (const [name, value] of Object.entries(fields)) {
        const input = document.createElement("input");
        input.type = "hidden"; input.name = name; input.value = value;
        form.appendChild(input);
    }
    for (const name of uploads || []) {
        const input = document.createElement("input");
        input.type = "file"; input.name = name; input.id = "walk-" + name; input.multiple = true;
        form.appendChild(input);
    }
    form.id = "walk-form";
    document.body.appendChild(form);
    window.walking = true;
"""


def browser_walk(driver: Any, base: str, walk: Walk, steps: list[Step], language: str) -> None:
    """Each step as the browser does it: open the page, or post a form from a page of the app (the token read from
    the login page, as any of its forms has it); then read what the page shows."""
    from selenium.webdriver.common.by import By

    for step in steps:
        with step.around():
            if step.post is None:
                driver.get(base + step.url)
            else:
                driver.get(base + "/login")
                token = driver.find_element(By.CSS_SELECTOR, "input[name=csrf]").get_attribute("value")
                fields = dict(step.post)
                action = base + step.url
                if step.token and step.files is not None:
                    action += f"?csrf={token}"
                elif step.token:
                    fields["csrf"] = token
                driver.execute_script(SUBMIT, action, fields, list(step.files) if step.files is not None else None)
                for name, paths in (step.files or {}).items():
                    if paths:
                        driver.find_element(By.ID, f"walk-{name}").send_keys("\n".join(str(p) for p in paths))
                driver.execute_script("document.getElementById('walk-form').submit()")
                wait_for(lambda: driver.execute_script(
                    "return window.walking === undefined && document.readyState === 'complete'"), 30,
                    f"the page after {step.name}")
            problems = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".problem")]
            if step.where == "main" or not problems:
                problems = [driver.find_element(By.TAG_NAME, "main" if step.where == "main" else "body").text]
            check(step, " ".join(problems), language, walk.out)


def _in_chromium(base: str, walk: Walk, language: str, downloads: Path) -> None:
    """The walk in a fresh Chromium asking for `language`: before logging in, the login, then the rest."""
    from selenium.webdriver.common.by import By

    from tests.web_helpers import chromium

    driver = chromium(downloads, language)
    try:
        driver.get(base + "/")
        assert driver.execute_script("return navigator.language").startswith(language)
        browser_walk(driver, base, walk, walk.login, language)
        driver.get(base + "/login")
        driver.find_element(By.NAME, "password").send_keys(PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
        wait_for(lambda: not driver.current_url.rstrip("/").endswith("/login"), 30, "the login")
        browser_walk(driver, base, walk, walk.steps, language)
    finally:
        driver.quit()


@pytest.mark.slow
@pytest.mark.needs_system("chromium", "chromedriver")
def test_every_error_page_speaks_the_browsers_language_in_chromium(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    for var in [v for v in os.environ if v.startswith("OOGST_SMTP_")]:
        monkeypatch.delenv(var)
    walk = prepare(tmp_path)
    port = free_port()
    # not on loopback, so the login is part of the walk; the browser still comes from this machine
    with running_server(walk.out, tmp_path / "state", port, host="0.0.0.0",
                        env={"OOGST_WEB_PASSWORD": PASSWORD, "OOGST_CONFIG": str(walk.config)}):
        for language in ("nl", "en"):
            _in_chromium(f"http://127.0.0.1:{port}", walk, language, tmp_path / f"downloads-{language}")
