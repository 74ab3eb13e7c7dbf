"""Sending freezes the draft (sent/vN); returned copies -> final; participants roster; mail dry run."""

from __future__ import annotations

import email
import json
from email import policy
from pathlib import Path

import pytest

from pipeline.core.layers import text_key
from tests.web_helpers import ROOT, csrf, make_client, run_jobs, upload


@pytest.fixture()
def session(tmp_path: Path):
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    source = tmp_path / "2025-03-04_sessie.txt"
    source.write_text((ROOT / "recordings" / "voorbeeld-intervisie.txt").read_text(encoding="utf-8"), encoding="utf-8")
    assert upload(client, source, title="Intervisie West").status_code == 303
    run_jobs(cfg)
    return client, cfg, cfg.out_dir / "2025-03-04_sessie"


def post(client, url: str, page: str, **data: str):
    return client.post(url, data={"csrf": csrf(client, page), **data}, follow_redirects=False)


def commented_copy(src: Path, dst: Path, anchor: str, text: str, author: str) -> Path:
    from docx_helpers import CommentSpec, add_comments

    return add_comments(src, dst, [CommentSpec(anchor, text, author)])


@pytest.mark.slow
def test_rerun_after_sending_keeps_the_sent_version_collectable(session, tmp_path: Path) -> None:
    from pipeline.review.ooxml import read_docx

    client, cfg, root = session
    name = root.name
    review = f"/s/{name}/review"
    assert post(client, f"{review}/freeze", review).headers["location"].endswith("notice=v1")
    sent = client.get(f"/s/{name}/files/sent-v1.docx")
    assert sent.status_code == 200
    v1 = tmp_path / "v1.docx"
    v1.write_bytes(sent.content)
    assert read_docx(v1).properties["OogstVersion"] == "v1"
    insights = json.loads((root / "insights.json").read_text(encoding="utf-8"))["insights"]
    first = insights[0]
    anchor = first["title"]  # the heading: the sentence itself is also in the summary
    copies = [commented_copy(v1, tmp_path / "terug-an.docx", anchor, "+1", "An"),
              commented_copy(v1, tmp_path / "terug-bo.docx", anchor, "eens", "Bo")]
    # after sending, the facilitator edits the top 7: the draft changes, v1 stays as it went out
    post(client, f"/s/{name}/insights", f"/s/{name}/insights", do="save", key=text_key(first["text"]),
         title="Nieuw", text="Een heel andere zin na het versturen.")
    stale = post(client, f"{review}/freeze", review)  # the draft is not rewritten yet: nothing to freeze
    assert stale.status_code == 400 and "is ouder dan de inzichten en de wijzigingen daarop" in stale.text
    run_jobs(cfg)
    assert (root / "sent" / "v1" / "draft.docx").read_bytes() == v1.read_bytes()
    with open(copies[0], "rb") as a, open(copies[1], "rb") as b:
        answer = client.post(f"{review}/collect?csrf={csrf(client, review)}",
                             files=[("copies", ("terug-an.docx", a)), ("copies", ("terug-bo.docx", b))],
                             follow_redirects=False)
    assert answer.status_code == 303, answer.text
    final = json.loads((root / "final.json").read_text(encoding="utf-8"))
    top = next(i for i in final["insights"] if i["text"] == first["text"])
    assert top["votes"]["up"] == 2 and sorted(final["reviewers"]) == ["An", "Bo"]
    assert sorted(p.name for p in (root / "returned").iterdir()) == ["terug-an.docx", "terug-bo.docx"]
    page = client.get(review).text
    assert "An, Bo" in page or "Bo, An" in page
    assert client.get(f"/s/{name}/files/final.docx").content[:2] == b"PK"
    # sending again after the edit makes v2; the CLI still collects a v1 copy
    assert post(client, f"{review}/freeze", review).headers["location"].endswith("notice=v2")
    from pipeline.cli import main

    assert main(["collect", name, str(copies[0]), "--out-dir", str(cfg.out_dir)]) == 0


@pytest.mark.slow
def test_roster_and_mail_dry_run(session) -> None:
    client, cfg, root = session
    name = root.name
    people = f"/s/{name}/participants"
    page = client.get(people).text
    assert 'value="Sanne"' in page and 'value="Joris"' in page  # filled from the speaker names
    answer = post(client, people, people, name_0="Sanne", email_0="sanne@example.nl", present_0="on",
                  name_1="Joris", email_1="", paste="Fatima Bakker <fatima@example.nl>\nnee-geen-adres")
    assert answer.status_code == 400 and "Geplakte regel 2: " in answer.text  # one line, no traceback
    answer = post(client, people, people, name_0="Sanne", email_0="sanne@example.nl", present_0="on",
                  name_1="Joris", email_1="", paste="Fatima Bakker <fatima@example.nl>")
    assert answer.status_code == 303
    roster = json.loads((root / "roster.json").read_text(encoding="utf-8"))["participants"]
    assert roster[0] == {"name": "Sanne", "email": "sanne@example.nl", "present": True}
    assert roster[1]["present"] is False and roster[2]["email"] == "fatima@example.nl"
    mail = f"/s/{name}/mail"
    page = client.get(mail).text
    assert "Intervisie West" in page and "sanne@example.nl" in page
    answer = post(client, mail, mail, do="dryrun")
    assert answer.status_code == 303 and answer.headers["location"].endswith("notice=eml")
    eml = client.get(f"/s/{name}/files/mail.eml")
    message = email.message_from_bytes(eml.content, policy=policy.default)
    assert "Intervisie West" in message["Subject"]
    assert {a.addr_spec for a in message["To"].addresses} == {"sanne@example.nl", "fatima@example.nl"}
    attachments = [p.get_filename() for p in message.iter_attachments()]
    assert len(attachments) == 1 and attachments[0].endswith(".docx")
    assert not (root / "sent").exists()  # a dry run freezes nothing: only sending does
    # the CLI reads the same roster
    from pipeline.cli import main

    assert main(["mail", name, "--draft", "--out-dir", str(cfg.out_dir)]) == 0
    again = email.message_from_bytes((root / "mail.eml").read_bytes(), policy=policy.default)
    assert {a.addr_spec for a in again["To"].addresses} == {"sanne@example.nl", "fatima@example.nl"}


@pytest.mark.slow
def test_send_from_the_page_asks_before_a_second_send(session, monkeypatch: pytest.MonkeyPatch) -> None:
    from mail_helpers import smtp_server

    client, cfg, root = session
    name = root.name
    people = f"/s/{name}/participants"
    post(client, people, people, name_0="Sanne", email_0="sanne@example.nl", present_0="on")
    mail = f"/s/{name}/mail"
    with smtp_server() as server:
        for key, value in {"OOGST_SMTP_HOST": server.host, "OOGST_SMTP_PORT": str(server.port),
                           "OOGST_SMTP_SECURITY": "none", "OOGST_SMTP_FROM": "Facilitator <fac@example.nl>",
                           "OOGST_SMTP_TIMEOUT": "5", "OOGST_CONFIG": str(root / "none.toml")}.items():
            monkeypatch.setenv(key, value)
        assert 'id="send"' in client.get(mail).text
        sent = post(client, mail, mail, do="send")
        assert sent.status_code == 303 and sent.headers["location"].endswith("notice=sent"), sent.text
        assert len(server.handler.messages) == 1 and server.handler.messages[0].rcpt_tos == ["sanne@example.nl"]
        again = post(client, mail, mail, do="send")
        assert again.status_code == 409 and "is al gemaild (1x" in again.text  # the resend question
        assert len(server.handler.messages) == 1
        assert post(client, mail, mail, do="send", again="on").status_code == 303
        assert len(server.handler.messages) == 2
    sends = json.loads((root / "sent.json").read_text(encoding="utf-8"))["sends"]
    assert len(sends) == 2 and sends[0]["draft"] is True
    assert (root / "sent" / "v1" / "draft.docx").is_file()
