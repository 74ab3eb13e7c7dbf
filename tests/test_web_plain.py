"""Plain about what it did and the small things: the send step says what it did and what comes next, the download
after sending is the stamped version, the mail page says when sending is not set up, a dry run freezes nothing, the
.eml is a complete draft (From, the facilitator's name), "Top 6" where six are left; empty name fields with a
placeholder, the roster merging by name, no-store pages, a second upload of the same file asked about, the speakers
step without audio, the login throttled. Fast: a session folder written by hand, no models."""

from __future__ import annotations

import datetime
import email
import json
import re
from email import policy
from pathlib import Path
from typing import Any

import pytest

from pipeline.core.layers import apply_edits, text_key
from pipeline.core.session import Session
from pipeline.core.settings import Settings
from pipeline.service import Edit, Oogst
from tests.test_web_edits import NAME, main_text, post, version_on, write_session
from tests.web_helpers import csrf, make_client

SMTP_ENV = ("OOGST_SMTP_HOST", "OOGST_SMTP_FROM", "OOGST_SMTP_USER", "OOGST_SMTP_PASSWORD", "OOGST_FACILITATOR")


def post_from(client: Any, url: str, page: str, **data: str) -> Any:
    """A form of `page` posted to `url`."""
    return client.post(url, data={"csrf": csrf(client, page), **data}, follow_redirects=False)


def write_draft(session: Session) -> Path:
    """draft.docx as the draft stage writes it from insights.json and the edits (what a re-run does)."""
    from pipeline.review.draft import write_draft as write

    insights = apply_edits(session.insights(), session.edits())
    return write(session, session.turns(), insights, title="Groep", date=datetime.date(2025, 3, 4))


@pytest.fixture()
def web(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, Session]:
    for var in SMTP_ENV:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OOGST_CONFIG", str(tmp_path / "none.toml"))
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    session = write_session(cfg.out_dir)
    write_draft(session)
    return client, cfg, session


# -- sending and mailing say what they do ------------------------------------------------------------------------------
def test_freezing_says_what_it_did_and_the_draft_download_is_then_the_stamped_version(web, tmp_path: Path) -> None:
    from pipeline.review.ooxml import read_docx

    client, _, session = web
    review = f"/s/{NAME}/review"
    page = main_text(client.get(review).text)
    assert "Concept vastzetten om te versturen" in page and "Er wordt nog niets gemaild." in page
    answer = post_from(client, f"{review}/freeze", review)
    assert answer.status_code == 303
    page = main_text(client.get(answer.headers["location"]).text)
    assert "Vastgezet als v1. Mail het concept via de pagina Mail, of download het en stuur het zelf." in page
    assert "Concept v1 downloaden (zoals vastgezet)" in page
    download = client.get(f"/s/{NAME}/files/draft.docx")
    assert "draft-v1.docx" in download.headers["content-disposition"]
    (tmp_path / "got.docx").write_bytes(download.content)
    assert read_docx(tmp_path / "got.docx").properties["OogstVersion"] == "v1"  # the stamped copy, not draft.docx
    again = post_from(client, f"{review}/freeze", review)
    assert "Dit concept was al vastgezet als v1." in main_text(client.get(again.headers["location"]).text)
    # a change after sending: the draft is made again, and its download is the new, unsent one
    Oogst(Settings(out_dir=session.out_dir)).edit(session, Edit("drop", text_key("Zin van inzicht 7.")))
    write_draft(session)
    download = client.get(f"/s/{NAME}/files/draft.docx")
    assert download.headers["content-disposition"].endswith(f'{NAME}-draft.docx"')


def test_the_mail_page_says_sending_is_not_set_up_and_how(web, monkeypatch: pytest.MonkeyPatch) -> None:
    client, _, _ = web
    mail = f"/s/{NAME}/mail"
    page = client.get(mail).text
    shown = main_text(page)
    assert "Versturen vanaf deze pagina is niet ingesteld: er is geen mailserver (SMTP)." in shown
    assert "[smtp] host = " in shown and "OOGST_SMTP_PASSWORD" in shown and 'id="send"' not in page
    monkeypatch.setenv("OOGST_SMTP_HOST", "smtp.example.nl")
    monkeypatch.setenv("OOGST_SMTP_FROM", "Oogst <oogst@example.nl>")
    page = client.get(mail).text
    assert 'id="smtp-off"' not in page and 'id="send"' in page


def test_a_dry_run_freezes_nothing_and_the_eml_is_a_complete_draft(web) -> None:
    client, cfg, session = web
    mail = f"/s/{NAME}/mail"
    assert "Wie verstuurt de mail?" in main_text(client.get(mail).text)  # asked once
    wrong = post(client, mail, do="facilitator", name="Marloes Jansen", email="marloes(at)example.nl")
    assert wrong.status_code == 400 and 'value="Marloes Jansen"' in wrong.text  # the form as it was filled in
    assert post(client, mail, do="facilitator", name="Marloes Jansen", email="marloes@example.nl").status_code == 303
    assert json.loads((cfg.state_dir / "facilitator.json").read_text(encoding="utf-8")) == {
        "facilitator": "Marloes Jansen <marloes@example.nl>"}  # kept in the state folder, for every session
    page = main_text(client.get(mail).text)
    assert "Wie verstuurt de mail?" not in page and "Afzender: Marloes Jansen <marloes@example.nl>" in page
    assert post(client, mail, do="dryrun", extra="Sanne <sanne@example.nl>").status_code == 303
    assert not session.path("sent").exists()  # only sending freezes
    message = email.message_from_bytes(session.path("mail.eml").read_bytes(), policy=policy.default)
    assert str(message["From"]) == "Marloes Jansen <marloes@example.nl>"
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Met vriendelijke groet,\nMarloes Jansen\n" in text
    assert "Marloes Jansen</p>" in message.get_body(("html",)).get_content()
    # a wrong added recipient: the page again with what was typed
    answer = post(client, mail, do="dryrun", extra="Pieter <pieter@example.nl>\nnee-geen-adres")
    assert answer.status_code == 400 and "'nee-geen-adres' is geen geldig e-mailadres" in main_text(answer.text)
    assert "Pieter &lt;pieter@example.nl&gt;\nnee-geen-adres</textarea>" in answer.text


def test_the_config_files_facilitator_is_used_and_not_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in SMTP_ENV:
        monkeypatch.delenv(var, raising=False)
    config = tmp_path / "oogst.toml"
    config.write_text('[oogst]\nfacilitator = "Ineke de Boer <ineke@example.nl>"\n', encoding="utf-8")
    monkeypatch.setenv("OOGST_CONFIG", str(config))
    from pipeline.cli import main

    session = write_session(tmp_path / "outputs")
    write_draft(session)
    assert main(["mail", NAME, "--draft", "--to", "sanne@example.nl", "--out-dir", str(tmp_path / "outputs")]) == 0
    message = email.message_from_bytes(session.path("mail.eml").read_bytes(), policy=policy.default)
    assert str(message["From"]) == "Ineke de Boer <ineke@example.nl>"
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Met vriendelijke groet,\nIneke de Boer\n" in text
    assert not session.path("sent").exists()  # `oogst mail --draft` without --send freezes nothing either


def test_a_dropped_insight_makes_it_a_top_6_everywhere(web, tmp_path: Path) -> None:
    """The draft, the top 7 page, the final (page, final.json's changes, final.docx) and the mail say "Top 6" when
    the facilitator dropped one of seven, and number 1 to 6."""
    import docx
    from docx_helpers import CommentSpec, add_comments

    client, _, session = web
    Oogst(Settings(out_dir=session.out_dir)).edit(session, Edit("drop", text_key("Zin van inzicht 2.")))
    draft = write_draft(session)
    paragraphs = docx.Document(str(draft)).paragraphs
    assert "Top 6 inzichten" in [p.text for p in paragraphs]
    assert [p.text.split(":")[0] for p in paragraphs if p.style.name == "List Number"] == [
        "Thema 1", "Thema 3", "Thema 4", "Thema 5", "Thema 6", "Thema 7"]
    assert re.search(r'<h2 id="top-heading">Top 6</h2>', client.get(f"/s/{NAME}/insights").text)
    copy = add_comments(draft, tmp_path / "terug.docx", [CommentSpec("Thema 3", "+1", "Sanne")])
    Oogst(Settings(out_dir=session.out_dir)).collect(session, [copy])
    final = json.loads(session.path("final.json").read_text(encoding="utf-8"))
    assert [i["rank"] for i in final["insights"]] == [1, 2, 3, 4, 5, 6]
    assert final["changes"][1]["text"].startswith("\u201cThema 3\u201d stijgt van 2 in het verstuurde concept")
    review = client.get(f"/s/{NAME}/review").text
    assert re.search(r'<h2 id="final-heading">Definitieve top 6</h2>', review)
    title = docx.Document(str(session.path("final.docx"))).paragraphs[0].text
    assert title.endswith("definitieve top 6")
    assert post(client, f"/s/{NAME}/mail", do="dryrun", extra="sanne@example.nl").status_code == 303
    message = email.message_from_bytes(session.path("mail.eml").read_bytes(), policy=policy.default)
    assert message["Subject"].startswith("Top 6 en actiepunten")
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "\nTop 6\n=====\n" in text and "\n6. " in text and "\n7. " not in text
    assert next(message.iter_attachments()).get_filename().endswith("-top6.docx")


# -- the small things --------------------------------------------------------------------------------------------------
def test_name_fields_are_empty_with_the_label_as_placeholder(web) -> None:
    client, _, session = web
    page = client.get(f"/s/{NAME}/speakers").text
    assert re.search(r'name="name_0" value="" placeholder="Spreker 1"', page)  # typing gives the name, not more
    assert re.search(r'name="name_1" value="Joris" placeholder="Joris"', page)  # a name given stays editable
    assert post(client, f"/s/{NAME}/speakers", version=version_on(page), name_0="", name_1="Joris").status_code == 303
    assert session.turns().speakers == {"S1": "Spreker 1", "S2": "Joris"}  # empty: unchanged


def test_the_roster_merges_a_pasted_name_into_its_row_and_rows_can_be_removed(web) -> None:
    client, _, session = web
    url = f"/s/{NAME}/participants"
    page = client.get(url).text
    assert post(client, url, version=version_on(page), name_0="Ingrid", email_0="", present_0="on",
                name_1="Joris", email_1="", present_1="on", name_2="Pieter", email_2="", remove_2="on",
                paste="Ingrid Jansen <ingrid@example.nl>\njoris@example.nl\nFatima Bakker <fatima@example.nl>",
                ).status_code == 303
    assert session.roster() == [
        {"name": "Ingrid Jansen", "email": "ingrid@example.nl", "present": True},  # filled, not added beside
        {"name": "Joris", "email": "joris@example.nl", "present": True},
        {"name": "Fatima Bakker", "email": "fatima@example.nl", "present": True}]  # Pieter removed


def test_pages_that_change_are_never_kept_by_the_browser(web) -> None:
    client, _, _ = web
    for url in ("/", f"/s/{NAME}", f"/s/{NAME}/insights", f"/s/{NAME}/review", f"/s/{NAME}/files/draft.docx",
                "/s/nergens"):
        assert client.get(url).headers["cache-control"] == "no-store", url


def test_the_speakers_step_offers_listening_only_when_there_is_audio(web) -> None:
    client, _, session = web
    page = main_text(client.get(f"/s/{NAME}").text)  # the session keeps a .vtt transcript: nothing to hear
    assert "Geef de sprekers een naam" in page and "Luister" not in page
    (session.root / f"{NAME}.vtt").rename(session.root / f"{NAME}.wav")
    assert "Luister naar de sprekers en geef ze een naam" in main_text(client.get(f"/s/{NAME}").text)


def test_a_second_upload_of_the_same_file_asks_first(web, tmp_path: Path) -> None:
    client, cfg, session = web
    vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v Sanne>Wat ik meeneem is dat grenzen stellen helpt.</v>\n"
    session.recording().write_text(vtt, encoding="utf-8")
    copy = tmp_path / "opnieuw.vtt"  # another name, the same bytes as the session's kept transcript
    copy.write_text(vtt, encoding="utf-8")
    with open(copy, "rb") as fh:
        answer = client.post(f"/new?csrf={csrf(client)}", files={"file": (copy.name, fh)}, data={"title": "Opnieuw"},
                             follow_redirects=False)
    assert answer.status_code == 409
    shown = main_text(answer.text)
    assert "opnieuw.vtt is precies hetzelfde bestand als de opname van deze sessie: Groep" in shown
    assert f'href="/s/{NAME}"' in answer.text and not (cfg.out_dir / "opnieuw").exists()
    token = re.search(r'name="token" value="(\w+)"', answer.text)[1]
    again = post_from(client, "/new/again", "/new", token=token)  # a second session all the same
    assert again.status_code == 303 and again.headers["location"] == "/s/opnieuw"
    assert (cfg.out_dir / "opnieuw" / "opnieuw.vtt").read_text(encoding="utf-8") == vtt
    assert cfg.queue.list("opnieuw", limit=1)[0].params["title"] == "Opnieuw"  # the form's fields kept
    assert post_from(client, "/new/again", "/new", token=token).status_code == 404  # answered once


def test_login_attempts_are_throttled_per_address(tmp_path: Path) -> None:
    from pipeline.web.app import LOGIN_ATTEMPTS, Throttle

    now = [1000.0]
    throttle = Throttle(3, 60.0, clock=lambda: now[0])
    for _ in range(3):
        assert throttle.wait("10.0.0.1") == 0
        throttle.failed("10.0.0.1")
    assert throttle.wait("10.0.0.1") == 60.0 and throttle.wait("10.0.0.2") == 0  # one address, not everyone
    now[0] += 59.0
    assert throttle.wait("10.0.0.1") == pytest.approx(1.0)
    now[0] += 1.5
    assert throttle.wait("10.0.0.1") == 0

    client, _ = make_client(tmp_path / "outputs", tmp_path / "state", password="juist-wachtwoord", host="0.0.0.0")
    for _ in range(LOGIN_ATTEMPTS):
        assert post(client, "/login", password="raden", next="/").status_code == 403
    answer = post(client, "/login", password="juist-wachtwoord", next="/")  # even the right one waits now
    assert answer.status_code == 429
    assert re.search(r"Te veel mislukte pogingen vanaf dit adres\. Probeer het over \d+ minuten opnieuw\.",
                     main_text(answer.text))
