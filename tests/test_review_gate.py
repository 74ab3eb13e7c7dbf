"""The approval gate ([review] approval), who approved in the top-7 mail, closing the round from the command line, and
a round whose deadline passed (issue 26)."""

from __future__ import annotations

import email
import re
import time
from email import policy
from pathlib import Path

import pytest
from test_review_browser import answer_in_store, sent_session

from pipeline.core.errors import ConfigError, MailError
from pipeline.core.session import Session, read_json
from pipeline.core.settings import Settings, load_settings
from pipeline.mail.approval import ApprovalRule, approval_rule
from pipeline.review.answers import open_store
from pipeline.review.round import latest_sent
from pipeline.rounds import close, collect, gate, invite
from pipeline.service import Oogst
from tests.web_helpers import ROOT


def gated(root: Path, approval: object) -> tuple[Oogst, Session, dict[str, str]]:
    """A sent session (An and Bo present, Cor absent) whose present participants were invited; Bo answered and
    approved, An answered without approving; the service with `[review] approval`."""
    _, session = sent_session(root)
    oogst = Oogst(Settings(out_dir=root / "outputs", models_dir=ROOT / "models",
                           sections={"review": {"approval": approval}}))
    oogst.state_dir = root / "state"
    links = {p.name: str(p.link) for p in invite(oogst, session, base_url="http://127.0.0.1:8000", send=False).people}
    answer_in_store(open_store(oogst.state_dir), links)
    return oogst, session, links


def smtp_env(server: object) -> dict[str, str]:
    return {"OOGST_SMTP_HOST": server.host, "OOGST_SMTP_PORT": str(server.port),  # type: ignore[attr-defined]
            "OOGST_SMTP_SECURITY": "none", "OOGST_SMTP_FROM": "Begeleider <begeleider@example.nl>"}


def test_the_approval_rule_from_the_config(tmp_path: Path) -> None:
    assert [approval_rule({"approval": v}).required(4) for v in ("none", "all", 0.6, "0.5", 1)] == [0, 4, 3, 2, 4]
    assert approval_rule({}).required(4) == 0 and not approval_rule({}).needed  # default: today's behaviour
    assert ApprovalRule(0.6).required(5) == 3 and ApprovalRule(0.7).required(10) == 7  # no float rounding up to 8
    for wrong in ("most", 0, 1.5, -0.2, True, "60%"):
        with pytest.raises(ConfigError, match=r"approval = .*none.*all"):
            approval_rule({"approval": wrong}, "config.toml")
    config = tmp_path / "config.toml"
    config.write_text('[review]\napproval = 0.6\n', encoding="utf-8")
    assert approval_rule(load_settings({}, {}, config=config).section("review")).share == 0.6
    config.write_text('[review]\napprove = "all"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown key 'approve' in \[review\]"):
        load_settings({}, {}, config=config)


def test_the_gate_waits_for_approvals_counted_when_collecting_and_the_mail_says_who(tmp_path: Path) -> None:
    from mail_helpers import smtp_server

    oogst, session, links = gated(tmp_path, "all")
    collect(oogst, session)
    state = gate(oogst, session)
    assert state.line("en") == "1 of 2 present participants approved; 2 required" and state.waiting == ("An de Wit",)
    with smtp_server() as server:
        with pytest.raises(MailError) as refused:
            oogst.mail(session, send=True, env=smtp_env(server))
        assert not server.handler.messages
    line = str(refused.value)
    assert "\n" not in line and "not yet: An de Wit" in line and "--remind" in line and "[review]" in line
    assert "Bo Smit" not in line.split("not yet:")[1]
    assert "nog niet: An de Wit" in refused.value.text("nl")  # the web page's Dutch line

    # a dry run still writes mail.eml and says what --send waits for
    outcome, _ = oogst.mail(session, env={})
    assert outcome.eml.is_file() and "Note: --send waits for approval: 1 of 2" in outcome.summary

    # An approves now: the gate counts review.json, so only after collecting again (here: closing the round)
    store = open_store(oogst.state_dir)
    an = store.find(links["An de Wit"].rsplit("/", 1)[1])
    assert an is not None
    store.save(an, "all", "approve", "1")
    with pytest.raises(MailError, match="not yet: An de Wit"):
        oogst.mail(session, send=True, env={"OOGST_SMTP_HOST": "127.0.0.1", "OOGST_SMTP_FROM": "b@example.nl"})
    close(oogst, session)
    assert gate(oogst, session).open
    with smtp_server() as server:
        outcome, _ = oogst.mail(session, send=True, env=smtp_env(server))
        assert outcome.sent is not None and len(server.handler.messages) == 1
        sent = email.message_from_bytes(server.handler.messages[0].content, policy=policy.default)
    text = sent.get_body(("plain",)).get_content()
    html = sent.get_body(("html",)).get_content()
    assert "Akkoord gegeven door: Bo Smit en An de Wit." in text  # the session's language, in the order given
    assert re.search(r'<p id="approved">Akkoord gegeven door: Bo Smit en An de Wit\.</p>', html)


def test_a_share_opens_the_gate_and_without_a_rule_nothing_waits(tmp_path: Path) -> None:
    oogst, session, _ = gated(tmp_path / "half", 0.5)
    assert not gate(oogst, session).open  # nothing collected yet: no approval counted
    collect(oogst, session)
    assert gate(oogst, session).open and gate(oogst, session).line("nl") == (
        "1 van 2 aanwezige deelnemers gaven akkoord; 1 nodig")
    outcome, _ = oogst.mail(session, env={})
    assert "Note:" not in outcome.summary
    # the default (no [review]): the final is mailed as before, and still says who approved
    plain, other, _ = gated(tmp_path / "none", "none")
    collect(plain, other)
    outcome, _ = plain.mail(other, env={})
    body = email.message_from_bytes(outcome.eml.read_bytes(), policy=policy.default).get_body(("plain",))
    assert "Akkoord gegeven door: Bo Smit." in body.get_content()


def test_oogst_collect_close_on_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline.cli import main
    from tests.web_helpers import make_client

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    oogst, session = sent_session(tmp_path)
    oogst.state_dir = tmp_path / "xdg" / "oogst"  # where the command line looks
    links = {p.name: str(p.link) for p in invite(oogst, session, base_url="http://127.0.0.1:8000", send=False).people}
    answer_in_store(open_store(oogst.state_dir), links)
    config = tmp_path / "config.toml"
    common = ["--out-dir", str(tmp_path / "outputs"), "--config", str(config)]
    config.write_text('[review]\napproval = "most"\n', encoding="utf-8")
    assert main(["collect", session.name, "--close", *common]) == 1  # a wrong value: one line, nothing collected
    assert "approval = 'most'" in capsys.readouterr().err and not session.has("final.json")
    assert all(i.closed is None for i in open_store(oogst.state_dir).invitations(session.name))
    config.write_text('[review]\napproval = "all"\n', encoding="utf-8")
    assert main(["collect", session.name, "--close", *common]) == 0
    out = capsys.readouterr().out
    assert "Approval: 1 of 2 present participants approved; 2 required; not yet: An de Wit" in out
    client, _cfg = make_client(tmp_path / "outputs", tmp_path / "xdg" / "oogst")
    page = client.get(links["An de Wit"])
    assert page.status_code == 410 and "gesloten" in page.text  # the links say the round is closed
    monkeypatch.setenv("OOGST_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("OOGST_SMTP_FROM", "Begeleider <begeleider@example.nl>")
    assert main(["mail", session.name, "--send", "--yes", *common]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("oogst: error:") and "not yet: An de Wit" in err
    assert not session.path("sent.json").exists()


def test_a_round_whose_deadline_passed_counts_as_closed(tmp_path: Path) -> None:
    from tests.web_helpers import make_client

    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    _, session = sent_session(tmp_path)
    version, store = latest_sent(session), open_store(cfg.state_dir)
    long_ago = time.time() - 20 * 86400  # invited 20 days ago, links of 14 days
    an, _ = store.invite(session.name, version.name, version.insights_hash, "An de Wit", now=long_ago)
    bo, bo_invitation = store.invite(session.name, version.name, version.insights_hash, "Bo Smit", now=long_ago)
    store.save(bo_invitation, "all", "approve", "1", now=long_ago + 60)
    cor, _ = store.invite(session.name, version.name, version.insights_hash, "Cor Kok", days=1)  # a later link
    expired = client.get(f"/p/{an}")
    assert expired.status_code == 410 and "verlopen" in expired.text  # Cor's link still works: ask for a new one
    store.revoke(session.name, "Cor Kok")
    over = client.get(f"/p/{an}")
    assert over.status_code == 410 and "voorbij" in over.text and "verlopen" not in over.text
    assert store.round_over(session.name) and all(i.closed is None for i in store.invitations(session.name))
    collect(cfg.service, session)  # collecting closes a round whose deadline passed
    assert all(i.closed is not None for i in store.invitations(session.name) if i.revoked is None)
    assert [a["name"] for a in read_json(session.path("review.json"))["approvals"]] == ["Bo Smit"]
    assert cor


def test_the_review_page_shows_the_gate_and_the_mail_page_who_has_not_approved(tmp_path: Path) -> None:
    from tests.web_helpers import csrf, make_client

    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    cfg.service.settings.sections["review"] = {"approval": "all"}
    oogst, session = sent_session(tmp_path)
    oogst.state_dir = cfg.state_dir
    links = {p.name: str(p.link) for p in invite(oogst, session, base_url="http://127.0.0.1:8000", send=False).people}
    answer_in_store(open_store(oogst.state_dir), links)
    review = f"/s/{session.name}/review"
    page = client.get(review).text
    assert re.search(r'<p id="gate" class="problem">0 van 2 aanwezige deelnemers gaven akkoord; 2 nodig</p>', page)
    rows = dict(re.findall(r'<tr data-name="([^"]+)">(.*?)</tr>', page, re.S))
    assert [c for c in re.findall(r"<td>(.*?)</td>", rows["Bo Smit"])][1] == "✓"  # present
    assert re.findall(r"<td>(.*?)</td>", rows["Cor Kok"])[1] == "–"  # not present
    assert re.findall(r"<td>(.*?)</td>", rows["Bo Smit"])[-1] == "✓"  # approved
    assert client.post(f"{review}/answers", data={"csrf": csrf(client, review)}).status_code == 200
    page = client.get(review).text
    gate_line = re.search(r'<p id="gate" class="problem">(.*?)</p>', page)
    assert gate_line and gate_line[1] == ("1 van 2 aanwezige deelnemers gaven akkoord; 2 nodig "
                                          "Nog geen akkoord van: An de Wit.")
    mail = client.get(f"/s/{session.name}/mail").text
    problem = re.search(r'<p class="problem" id="problem">(.*?)</p>', mail)
    assert problem and "nog niet: An de Wit" in problem[1] and "herinnering" in problem[1]
    cfg.service.settings.sections["review"] = {"approval": 0.5}
    assert 'class="meta">1 van 2' in client.get(review).text
    assert 'id="problem"' not in client.get(f"/s/{session.name}/mail").text
