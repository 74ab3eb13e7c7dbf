"""Participants review in the browser (issue 26): the answer store, invitations (a real SMTP server on loopback),
the participant's page (/p/TOKEN: what a token opens and what not), and browser answers counted by `collect` exactly
as the same answers given as Word comments."""

from __future__ import annotations

import datetime as dt
import email
import json
import re
import shutil
import time
from email import policy
from pathlib import Path
from typing import Any

import pytest
from docx_helpers import CommentSpec, add_comments
from test_docx_draft import DATE, make_session

from pipeline.core.errors import OogstError
from pipeline.core.session import Session, read_json
from pipeline.core.settings import Settings
from pipeline.review import draft as docx_draft
from pipeline.review.answers import AnswerStore, open_store, token_hash
from pipeline.review.round import round_state
from pipeline.rounds import invite
from pipeline.service import Oogst
from tests.web_helpers import ROOT

MISSING = "Zet hier een opmerking"  # a piece of the draft's "Mist er iets?" line
REWORDING = "De tijd voor een goede overdracht moet vast in het rooster staan."
PROPOSAL = "De werkdruk maakt een goede overdracht bijna onmogelijk."
ROSTER = [{"name": "An de Wit", "email": "an@example.nl", "present": True},
          {"name": "Bo Smit", "email": "bo@example.nl", "present": True},
          {"name": "Cor Kok", "email": "cor@example.nl", "present": False}]
# what An and Bo say, per insight rank: An agrees with 1 and 2 and rewords 3; Bo disagrees with 1, proposes a
# missing insight and approves the whole
AN = {1: "agree", 2: "agree"}
BO = {1: "disagree"}


def sent_session(root: Path, name: str = "intervisie-2026-03-05",
                 roster: list[dict[str, Any]] = ROSTER) -> tuple[Oogst, Session]:
    """A session whose draft was sent (sent/v1), with its roster; the service with a state folder."""
    session, turns, insights = make_session(root / "outputs", name)
    docx_draft.write_draft(session, turns, insights, title="Intervisie overdracht", date=DATE)
    oogst = Oogst(Settings(out_dir=root / "outputs", models_dir=ROOT / "models"))
    oogst.state_dir = root / "state"
    oogst.send_draft(session, reason="test")
    oogst.save_roster(session, roster)
    return oogst, session


def answer_in_store(store: AnswerStore, links: dict[str, str]) -> None:
    """The two participants' answers, saved the way the page saves them."""
    an = store.find(links["An de Wit"].rsplit("/", 1)[1])
    bo = store.find(links["Bo Smit"].rsplit("/", 1)[1])
    assert an is not None and bo is not None
    for rank, vote in AN.items():
        store.save(an, f"insight:{rank}", "vote", vote)
    store.save(an, "insight:3", "wording", REWORDING)
    for rank, vote in BO.items():
        store.save(bo, f"insight:{rank}", "vote", vote)
    store.save(bo, "missing", "text", PROPOSAL)
    store.save(bo, "all", "approve", "1")


def word_copies(session: Session, folder: Path) -> list[Path]:
    """The same answers as Word comments on the sent copy."""
    titles = {i.rank: i.title for i in session.insights().insights}
    sent = session.sent_version("v1") / "draft.docx"
    words = {"agree": "eens", "disagree": "oneens"}
    an = [CommentSpec(titles[r], words[v], "An de Wit") for r, v in AN.items()]
    an.append(CommentSpec(titles[3], f"beter: {REWORDING}", "An de Wit"))
    bo = [CommentSpec(titles[r], words[v], "Bo Smit") for r, v in BO.items()]
    bo.append(CommentSpec(MISSING, PROPOSAL, "Bo Smit"))
    folder.mkdir(parents=True, exist_ok=True)
    return [add_comments(sent, folder / "an.docx", an), add_comments(sent, folder / "bo.docx", bo)]


def comparable(final: dict[str, Any]) -> dict[str, Any]:
    """What the review decided: the order, texts, votes, rewordings, changes and proposals."""
    return {"insights": [(i["rank"], i["title"], i["text"], i["votes"], i.get("reworded_by"), i.get("original_rank"))
                         for i in final["insights"]],
            "changes": [c["text"] for c in final["changes"]], "reviewers": final["reviewers"],
            "proposals": [(p["text"], p["proposed_by"], p["added"]) for p in final["proposals"]]}


def test_browser_answers_make_the_same_final_as_word_comments(tmp_path: Path) -> None:
    oogst, session = sent_session(tmp_path / "browser")
    invited = invite(oogst, session, base_url="http://127.0.0.1:8000", send=False)
    assert invited.version == "v1" and [p.name for p in invited.people] == ["An de Wit", "Bo Smit"]  # present only
    links = {p.name: str(p.link) for p in invited.people}
    answer_in_store(open_store(oogst.state_dir), links)
    oogst.collect(session, [])
    by_browser = read_json(session.path("final.json"))
    review = read_json(session.path("review.json"))
    assert [a["name"] for a in review["approvals"]] == ["Bo Smit"]
    assert all(c["source"] == "browser" and c["file"] is None for c in review["comments"])

    word, other = sent_session(tmp_path / "word")
    word.collect(other, word_copies(other, tmp_path / "copies"))
    by_word = read_json(other.path("final.json"))
    assert comparable(by_browser) == comparable(by_word)
    third = next(i for i in by_browser["insights"] if i.get("reworded_by"))
    assert third["text"] == REWORDING and third["reworded_by"] == ["An de Wit"]
    first = next(i for i in by_browser["insights"] if i["original_rank"] == 1)
    assert first["votes"]["voters"] == {"An de Wit": 1, "Bo Smit": -1}

    # Word copies keep working next to the browser: An's later Word vote on insight 2 counts once, as the latest
    copy = add_comments(session.sent_version("v1") / "draft.docx", tmp_path / "an-later.docx",
                        [CommentSpec(session.insights().insights[1].title, "oneens", "an de wit")],
                        dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))
    oogst.collect(session, [copy])
    second = next(i for i in read_json(session.path("final.json"))["insights"]
                  if i["title"] == session.insights().insights[1].title)
    assert second["votes"]["voters"] == {"An de Wit": -1}


def test_links_resend_expiry_and_revocation(tmp_path: Path) -> None:
    store = AnswerStore(tmp_path / "answers.sqlite")
    token, first = store.invite("s", "v1", "h", "An", days=14, now=1000.0)
    assert len(token) >= 43 and first.token_hash == token_hash(token)  # 256 bits; only the hash is kept
    assert token not in (tmp_path / "answers.sqlite").read_bytes().decode("latin-1")
    store.save(first, "insight:1", "vote", "agree")
    again, second = store.invite("s", "v1", "h", "An")  # a lost link sent again
    assert store.find(token).state() == "revoked" and store.find(again).state() == "ok"
    assert store.answers_of("s", "v1", "An") == {("insight:1", "vote"): "agree"}  # nothing lost
    assert store.find("x" * 43) is None
    _, old = store.invite("s", "v1", "h", "Bo", days=1, now=time.time() - 2 * 86400)
    assert old.state() == "expired"
    assert [i.participant for i in store.invitations("s")] == ["Bo", "An"] or {
        i.participant for i in store.invitations("s")} == {"An", "Bo"}


def test_invite_refuses_plain_http_links_and_an_unsent_draft(tmp_path: Path) -> None:
    oogst, session = sent_session(tmp_path)
    for url in ("http://oogst.example.nl", "ftp://127.0.0.1", None):
        with pytest.raises(OogstError) as refused:
            invite(oogst, session, base_url=url, send=False)
        assert "https" in str(refused.value) and "\n" not in str(refused.value)
    assert invite(oogst, session, base_url="https://oogst.example.nl/", send=False).people[0].link.startswith(
        "https://oogst.example.nl/p/")
    fresh, _turns, _insights = make_session(tmp_path / "other", "nog-niet-verstuurd")
    with pytest.raises(OogstError, match="not sent yet"):
        invite(oogst, fresh, base_url="https://oogst.example.nl", send=False)


def test_the_invitation_mail_reaches_smtp_with_a_working_link(tmp_path: Path) -> None:
    from mail_helpers import smtp_server

    from tests.web_helpers import make_client

    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    oogst, session = sent_session(tmp_path)
    oogst.state_dir = cfg.state_dir
    with smtp_server() as server:
        env = {"OOGST_SMTP_HOST": server.host, "OOGST_SMTP_PORT": str(server.port), "OOGST_SMTP_SECURITY": "none",
               "OOGST_SMTP_FROM": "Begeleider <begeleider@example.nl>"}
        invited = invite(oogst, session, base_url="http://127.0.0.1:8000", env=env, everyone=True)
    assert [p.mailed for p in invited.people] == [True, True, True]
    assert sorted(m.rcpt_tos[0] for m in server.handler.messages) == ["an@example.nl", "bo@example.nl",
                                                                       "cor@example.nl"]
    first = server.handler.messages[0]
    mail = email.message_from_bytes(first.content, policy=policy.default)
    body = mail.get_body(("plain",)).get_content()
    link = re.search(r"http://127\.0\.0\.1:8000/p/[\w-]+", body)[0]
    assert "Intervisie overdracht" in mail["Subject"] and "Reageren kan tot en met" in body
    page = client.get(link)
    assert page.status_code == 200 and "Warme overdracht" in page.text and "Mist er iets?" in page.text
    named = {"an@example.nl": "An de Wit", "bo@example.nl": "Bo Smit", "cor@example.nl": "Cor Kok"}
    assert named[first.rcpt_tos[0]] in page.text  # the link is that participant's
    ledger = read_json(session.path("invitations.json"))
    assert len(ledger["mails"]) == 3 and all(m["mailed"] for m in ledger["mails"])
    assert "/p/" not in json.dumps(ledger)  # the ledger never keeps a link
    assert not session.path("sent.json").exists()  # sent.json stays the record of the top-7 mail

    # a reminder goes only to those who have not answered: An answers, Bo and Cor get a new link
    store = open_store(oogst.state_dir)
    an = next(p for p in invited.people if p.name == "An de Wit")
    store.save(store.find(str(an.link).rsplit("/", 1)[1]), "insight:2", "vote", "agree")
    with smtp_server() as server:
        env["OOGST_SMTP_PORT"] = str(server.port)
        reminded = invite(oogst, session, base_url="http://127.0.0.1:8000", env=env, everyone=True, reminder=True)
    assert [p.name for p in reminded.people] == ["Bo Smit", "Cor Kok"]
    assert sorted(m.rcpt_tos[0] for m in server.handler.messages) == ["bo@example.nl", "cor@example.nl"]
    old = {p.name: str(p.link) for p in invited.people}
    assert client.get(old["An de Wit"]).status_code == 200  # not reminded: her link still works
    assert client.get(old["Bo Smit"]).status_code == 410  # the reminder's new link replaced his
    assert [m["kind"] for m in read_json(session.path("invitations.json"))["mails"]] == ["invite"] * 3 + [
        "reminder"] * 2


def test_a_token_opens_its_page_only(tmp_path: Path) -> None:
    from tests.web_helpers import make_client

    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state", password="geheim", host="0.0.0.0")
    oogst, a = sent_session(tmp_path, "sessie-a")
    shutil.copytree(a.root, cfg.out_dir / "sessie-b")
    oogst.state_dir = cfg.state_dir
    base = "http://0.0.0.0:8000"
    an = invite(oogst, a, base_url="https://oogst.example.nl", send=False).people[0]
    token = str(an.link).rsplit("/", 1)[1]
    page = client.get(f"/p/{token}")
    assert page.status_code == 200 and page.headers["referrer-policy"] == "no-referrer"
    assert "Alleen de begeleider ziet ze" in page.text  # no facilitator configured: not "de begeleider (de begeleider)"
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)[1]
    saved = client.post(f"/p/{token}", data={"csrf": csrf, "item": "insight:2", "vote": "agree",
                                             "wording": "", "remark": "Goed punt"}, follow_redirects=False)
    assert saved.status_code == 303
    again = client.get(saved.headers["location"]).text  # reloaded (or on a second device): the answers are there
    assert re.search(r'id="agree-2" checked', again) and "Goed punt" in again and "Bewaard." in again
    assert client.post(f"/p/{token}", data={"item": "insight:1", "vote": "agree"}).status_code == 403  # no CSRF
    copy = client.get(f"/p/{token}/answers.txt")  # a copy of their own answers to keep
    assert copy.status_code == 200 and "attachment" in copy.headers["content-disposition"]
    assert "2. Warme overdracht\n   Eens\n   Opmerking: Goed punt\n" in copy.text and "An de Wit" in copy.text
    for path in (f"/p/{token}/../s/sessie-b", f"/p/{token}/sessie-b", f"/p/{token}x", "/p/sessie-b",
                 f"/p/{token}/files/draft.docx"):
        assert client.get(path, follow_redirects=False).status_code == 404, path
    for path in ("/s/sessie-a/review", "/s/sessie-b", "/s/sessie-a/files/draft.docx", "/"):
        answer = client.get(path, follow_redirects=False)  # the participant's browser is not logged in
        assert answer.status_code in (303, 403, 404) and "/login" in answer.headers.get("location", "/login"), path
    assert base
    # a new link stops the old one: a page that says what to do
    invite(oogst, a, names=["An de Wit"], base_url="https://oogst.example.nl", send=False)
    revoked = client.get(f"/p/{token}")
    assert revoked.status_code == 410 and "nieuwe link" in revoked.text and "Warme overdracht" not in revoked.text
    store = open_store(oogst.state_dir)
    _, _ = store.invite("sessie-a", "v1", "x", "Bo Smit", days=-1)
    expired_token, _inv = store.invite("sessie-a", "v1", store.version_hashes("sessie-a")["v1"], "Cor Kok", days=-1)
    expired = client.get(f"/p/{expired_token}")
    assert expired.status_code == 410 and "verlopen" in expired.text and "Vraag de begeleider" in expired.text


def test_oogst_invite_on_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline.cli import main

    oogst, session = sent_session(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text('[web]\npublic_url = "https://oogst.example.nl"\n', encoding="utf-8")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    common = ["--out-dir", str(tmp_path / "outputs"), "--config", str(config)]
    assert main(["invite", session.name, "--dry-run", *common]) == 0
    assert "An de Wit <an@example.nl>: would get a link to v1" in capsys.readouterr().out
    assert not (tmp_path / "xdg" / "oogst" / "answers.sqlite").exists() or not AnswerStore(
        tmp_path / "xdg" / "oogst" / "answers.sqlite").invitations(session.name)
    assert main(["invite", session.name, "--no-mail", "--to", "cor kok", *common]) == 0
    out = capsys.readouterr().out
    assert re.fullmatch(r"Cor Kok: not mailed: https://oogst\.example\.nl/p/[\w-]{43}\n", out), out
    store = AnswerStore(tmp_path / "xdg" / "oogst" / "answers.sqlite")  # where `oogst serve` looks
    assert [i.participant for i in store.invitations(session.name)] == ["Cor Kok"]
    assert read_json(session.path("invitations.json")).get("shown", {}).get("quotes") is not True  # off by default
    assert main(["invite", session.name, "--no-mail", "--to", "Cor Kok", "--show-quotes", *common]) == 0
    assert read_json(session.path("invitations.json"))["shown"] == {"quotes": True, "group": False}
    assert main(["invite", session.name, "--no-mail", "--to", "Cor Kok", *common]) == 0  # kept when not said
    assert read_json(session.path("invitations.json"))["shown"] == {"quotes": True, "group": False}
    assert main(["invite", session.name, "--to", "Dirk", *common]) == 1
    assert "Dirk: not among the participants" in capsys.readouterr().err


def test_guessing_tokens_is_limited_per_address(tmp_path: Path) -> None:
    from tests.web_helpers import make_client

    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    oogst, session = sent_session(tmp_path)
    oogst.state_dir = cfg.state_dir
    link = str(invite(oogst, session, base_url="http://127.0.0.1:8000", send=False).people[0].link)
    for n in range(20):
        assert client.get(f"/p/{'a' * 40}{n:03d}").status_code == 404
    assert client.get(f"/p/{'b' * 43}").status_code == 429
    assert client.get(link).status_code == 429  # a right token waits too: the guesser's address is held back


def test_the_review_page_invites_and_shows_the_links_in_dutch(tmp_path: Path) -> None:
    from tests.web_helpers import csrf, make_client

    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    oogst, session = sent_session(tmp_path)
    oogst.save_roster(session, [*ROSTER[:2], {"name": "Dirk", "email": "", "present": True}])
    review = f"/s/{session.name}/review"
    assert "Nog niemand uitgenodigd." in client.get(review).text
    page = client.post(f"{review}/invite", data={"csrf": csrf(client, review), "do": "invite"},
                       headers={"accept-language": "nl"})
    assert page.status_code == 200
    links = re.findall(r'value="(http://127\.0\.0\.1:8000/p/[\w-]+)"', page.text)
    assert len(links) == 3 and page.text.count("(geef de link zelf door)") == 3  # no mail server set here
    assert "no e-mail address" not in page.text
    shown = client.get(review).text
    assert shown.count('data-name="') == 3 and "Reacties verwerken" in shown
    assert "/p/" not in shown  # the links are shown once, right after inviting; never kept
    assert client.get(links[2]).status_code == 200


def test_twenty_participants_answering_at_once_lose_nothing(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from tests.web_helpers import make_client

    _client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    oogst, session = sent_session(tmp_path)
    people = [{"name": f"Deelnemer {n}", "email": "", "present": True} for n in range(20)]
    oogst.save_roster(session, people)
    oogst.state_dir = cfg.state_dir
    links = [str(p.link) for p in invite(oogst, session, base_url="http://127.0.0.1:8000", send=False).people]

    def answer(link: str) -> None:
        from starlette.testclient import TestClient

        from pipeline.web.serve import create_app

        client = TestClient(create_app(cfg), base_url="http://127.0.0.1:8000")
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get(link).text)[1]
        for rank in range(1, 8):
            vote = "agree" if (rank + len(link)) % 2 else "disagree"
            answer = client.post(link, data={"csrf": token, "item": f"insight:{rank}", "vote": vote,
                                             "remark": f"opmerking {rank}"}, follow_redirects=False)
            assert answer.status_code == 303, answer.text
        assert client.post(link, data={"csrf": token, "item": "all", "approve": "1"},
                           follow_redirects=False).status_code == 303

    with ThreadPoolExecutor(20) as pool:
        list(pool.map(answer, links))
    oogst.collect(session, [])
    review = read_json(session.path("review.json"))
    assert len(review["approvals"]) == 20
    assert len([c for c in review["comments"] if c["interpretation"]["kind"] == "vote"]) == 20 * 7
    assert len([c for c in review["comments"] if c["interpretation"]["kind"] == "remark"]) == 20 * 7
    rows = round_state(open_store(oogst.state_dir), session.name, session.roster())
    assert len(rows) == 20 and all(row["answered"] and row["approved"] for row in rows)


def test_a_public_url_puts_the_facilitator_pages_behind_the_password(tmp_path: Path) -> None:
    """Behind a TLS proxy the app listens on 127.0.0.1, yet the world reaches it: with a public URL the facilitator's
    pages need the password, the public host is accepted and participants' pages open without it."""
    from starlette.testclient import TestClient

    from pipeline.web.serve import create_app, web_config

    said: list[str] = []
    settings = Settings(out_dir=tmp_path / "outputs", models_dir=ROOT / "models",
                        sections={"web": {"public_url": "https://oogst.example.nl"}})
    cfg = web_config(settings, host="127.0.0.1", state_dir=tmp_path / "state", env={}, announce=said.append)
    assert cfg.guard.password and any("password" in line for line in said)
    _oogst, session = sent_session(tmp_path)
    link = str(invite(cfg.service, session, send=False).people[0].link)  # the base from [web] public_url
    assert link.startswith("https://oogst.example.nl/p/")
    client = TestClient(create_app(cfg), base_url="https://oogst.example.nl")
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")
    assert client.get(f"/s/{session.name}/review", follow_redirects=False).status_code == 303
    assert client.get(link.removeprefix("https://oogst.example.nl")).status_code == 200
    other = TestClient(create_app(cfg), base_url="https://elders.example.org")
    assert other.get(link.removeprefix("https://oogst.example.nl")).status_code == 400  # another host: refused
    plain = Settings(out_dir=tmp_path / "outputs", models_dir=ROOT / "models",
                     sections={"web": {"public_url": "http://oogst.example.nl"}})
    with pytest.raises(OogstError, match="https"):
        web_config(plain, host="127.0.0.1", state_dir=tmp_path / "state", env={}, announce=said.append)


def test_closing_the_round_collects_and_the_links_say_so(tmp_path: Path) -> None:
    from tests.web_helpers import csrf, make_client

    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    oogst, session = sent_session(tmp_path)
    oogst.state_dir = cfg.state_dir
    links = {p.name: str(p.link) for p in invite(oogst, session, base_url="http://127.0.0.1:8000", send=False).people}
    answer_in_store(open_store(oogst.state_dir), links)
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get(links["Bo Smit"]).text)[1]
    review = f"/s/{session.name}/review"
    closed = client.post(f"{review}/close", data={"csrf": csrf(client, review)}, follow_redirects=False)
    assert closed.status_code == 303 and session.has("final.json")
    assert [a["name"] for a in read_json(session.path("review.json"))["approvals"]] == ["Bo Smit"]
    page = client.get(links["Bo Smit"])
    assert page.status_code == 410 and "gesloten" in page.text
    late = client.post(links["Bo Smit"], data={"csrf": token, "item": "all", "approve": ""}, follow_redirects=False)
    assert late.status_code == 410  # no answer changes after the round closed
    assert open_store(oogst.state_dir).answers_of(session.name, "v1", "Bo Smit")[("all", "approve")] == "1"
    # closed stays closed: the page says so and offers only to reopen; inviting or reminding is refused in one line
    shown = client.get(review).text
    assert 'id="round-closed"' in shown and 'id="reopen"' in shown and 'id="remind"' not in shown
    for how in ({}, {"reminder": True}):
        with pytest.raises(OogstError, match=r"closed on \d{4}-\d\d-\d\d .*--reopen"):
            invite(oogst, session, base_url="http://127.0.0.1:8000", send=False, **how)
    refused = client.post(f"{review}/invite", data={"csrf": csrf(client, review), "do": "remind"})
    assert "is gesloten op" in refused.text and "/p/" not in refused.text
    reopened = client.post(f"{review}/invite", data={"csrf": csrf(client, review), "do": "reopen"})
    fresh = re.findall(r'value="http://127\.0\.0\.1:8000(/p/[\w-]+)"', reopened.text)
    assert len(fresh) == 2 and client.get(fresh[0]).status_code == 200  # the new links work
    assert 'id="round-closed"' not in client.get(review).text


def test_oogst_collect_without_copies_counts_the_browser_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline.cli import main

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    oogst, session = sent_session(tmp_path)
    common = ["--out-dir", str(tmp_path / "outputs")]
    assert main(["collect", session.name, *common]) == 1  # nobody invited, nothing collected: one line
    assert "nothing to collect" in capsys.readouterr().err
    oogst.state_dir = tmp_path / "xdg" / "oogst"
    links = {p.name: str(p.link) for p in invite(oogst, session, base_url="https://o.example.nl", send=False).people}
    answer_in_store(open_store(oogst.state_dir), links)
    assert main(["collect", session.name, *common]) == 0
    assert read_json(session.path("final.json"))["reviewers"] == ["An de Wit", "Bo Smit"]


def test_quoted_lines_and_the_groups_answers_only_when_the_facilitator_opts_in(tmp_path: Path) -> None:
    """Off by default (a token opens no transcript and no other participant's answers); the review page's two boxes
    (or `oogst invite --show-quotes --show-group`) turn them on for the session, kept beside the invitation mails;
    the group's answers are counted without names and leave out the participant's own."""
    from tests.web_helpers import csrf, make_client

    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    oogst, session = sent_session(tmp_path)
    oogst.state_dir = cfg.state_dir
    quote = session.insights().insights[0].quotes[0].text
    links = {p.name: str(p.link) for p in invite(oogst, session, base_url="https://oogst.example.nl",
                                                  send=False).people}
    store = open_store(oogst.state_dir)
    answer_in_store(store, links)
    bo_page = client.get("/p/" + links["Bo Smit"].rsplit("/", 1)[1]).text
    assert 'id="quotes-1"' not in bo_page and quote not in bo_page and 'id="group-1"' not in bo_page
    review = f"/s/{session.name}/review"
    page = client.post(f"{review}/invite", data={"csrf": csrf(client, review), "do": "invite", "shown": "1",
                                                 "show_quotes": "1", "show_group": "1"})
    assert page.status_code == 200 and 'id="show-quotes" checked' in client.get(review).text
    ledger = read_json(session.path("invitations.json"))
    assert ledger["shown"] == {"quotes": True, "group": True} and ledger["mails"]  # the mails' record is kept
    links = {p.name: str(p.link) for p in invite(oogst, session, names=["An de Wit", "Bo Smit"],
                                                  base_url="https://oogst.example.nl", send=False).people}
    bo_page = client.get("/p/" + links["Bo Smit"].rsplit("/", 1)[1]).text
    assert 'id="quotes-1"' in bo_page and quote in bo_page
    group_1 = re.search(r'id="group-1">(.*?)</p>', bo_page, re.S)[1]
    assert "De anderen: 1 eens, 0 oneens." in group_1 and "An de Wit" not in group_1  # An's vote, not Bo's own
    assert REWORDING in re.search(r'id="group-3">(.*?)</p>', bo_page, re.S)[1]
    an_page = client.get("/p/" + links["An de Wit"].rsplit("/", 1)[1]).text
    assert "De anderen: 0 eens, 1 oneens." in re.search(r'id="group-1">(.*?)</p>', an_page, re.S)[1]
    # the boxes unticked: both off again (a reminder, which has no boxes, would keep them)
    page = client.post(f"{review}/invite", data={"csrf": csrf(client, review), "do": "invite", "shown": "1"})
    assert read_json(session.path("invitations.json"))["shown"] == {"quotes": False, "group": False}
    fresh = re.findall(r'value="http://127\.0\.0\.1:8000(/p/[\w-]+)"', page.text)
    assert len(fresh) == 2
    for link in fresh:
        again = client.get(link).text
        assert "Warme overdracht" in again and quote not in again and 'id="group-1"' not in again


def test_deleting_a_session_deletes_its_invitations_and_answers(tmp_path: Path) -> None:
    """The participant's page says the answers go with the session: deleting it empties answers.sqlite of it (and
    leaves another session's answers alone)."""
    oogst, session = sent_session(tmp_path)
    _other_oogst, other = sent_session(tmp_path, "intervisie-2026-04-02")
    for each in (session, other):
        links = {p.name: str(p.link) for p in invite(oogst, each, base_url="https://oogst.example.nl",
                                                      send=False).people}
        answer_in_store(open_store(oogst.state_dir), links)
    store = open_store(oogst.state_dir)
    assert store.answers(session.name) and store.invitations(session.name)
    oogst.delete(session)
    assert not session.root.exists()
    assert store.answers(session.name) == [] and store.invitations(session.name) == []
    assert store.answers(other.name) and store.invitations(other.name)
