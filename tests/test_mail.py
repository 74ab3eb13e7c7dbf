"""Mail: recipients, settings, the release gate, composing, and sending to a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import email
import io
import json
import logging
import time
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from mail_helpers import HOST, SESSION_NAME, Handler, free_port, make_cert, make_session, silent_server, smtp_server

from pipeline import mail
from pipeline.core.errors import ConfigError, InputError, MailError
from pipeline.core.types import Insights

USER = "zoë@example.nl"
SECRET = "Gehe1m-wachtwoord-§42"
SENDER = "Zoë van ’t Hek 🌷 <zoe@example.nl>"
RECIPIENTS = ["Inês Došen <ines@example.nl>", "Fatma Yılmaz 🌻 <fatma@example.nl>", "jan-willem@example.nl"]


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    return make_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def session(tmp_path):
    return make_session(tmp_path)


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


def final_titles() -> list[str]:
    top = Insights.from_dict(json.loads((Path(__file__).parent / "data/mail/final.json").read_text("utf-8")))
    return [i.title for i in sorted(top.insights, key=lambda i: i.rank)]


def settings_for(port: int, cafile: Path | None = None, **changes) -> mail.MailSettings:
    values = dict(host=HOST, port=port, user=USER, security="starttls", sender=SENDER, timeout=5.0, cafile=cafile)
    values.update(changes)
    return mail.MailSettings(**values)


def never_asked(question: str) -> bool:
    raise AssertionError(f"confirm should not be called: {question}")


# -- recipients ----------------------------------------------------------------------------------------------
def test_read_recipients_accepts_names_comments_and_drops_duplicates(tmp_path):
    listing = tmp_path / "deelnemers.txt"
    listing.write_text("# intervisiegroep zorgteam\n"
                       "Inês Došen <ines@example.nl>\n"
                       "\n"
                       '"Vries, Jan-Willem de" <jw@example.nl>   # neemt notulen\n'
                       "fatma@example.nl\n"
                       "INES@example.nl\n", encoding="utf-8")
    found = mail.read_recipients(["Zoë 🌷 <zoe@example.nl>"], listing)
    print([str(a) for a in found])
    assert [a.addr_spec for a in found] == ["zoe@example.nl", "ines@example.nl", "jw@example.nl", "fatma@example.nl"]
    assert [a.display_name for a in found] == ["Zoë 🌷", "Inês Došen", "Vries, Jan-Willem de", ""]


@pytest.mark.parametrize("bad", ["jan@", "jan@@example.nl", "jan example.nl", "jan@example", "Jan <jan@exa mple.nl>",
                                 ".jan@example.nl", "jan..de@example.nl", "jan@-example.nl", "Jan <jan@example.nl",
                                 "a@b.c", "jan@example.nl\r\nBcc: evil@example.com"])
def test_read_recipients_rejects_bad_addresses_naming_the_line(tmp_path, bad):
    listing = tmp_path / "deelnemers.txt"
    listing.write_text(f"ines@example.nl\n# comment\n{bad}\n", encoding="utf-8")
    with pytest.raises(MailError) as info:
        mail.read_recipients([], listing)
    text = str(info.value)
    assert "\n" not in text
    if "\r" not in bad:  # splitlines() cuts a CR LF injection into two lines; the first half is the bad line
        assert f"{listing} line 3" in text, text
    with pytest.raises(MailError, match="--to"):
        mail.read_recipients([bad], None)


def test_read_recipients_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        mail.read_recipients([], tmp_path / "nope.txt")


def test_international_domain_becomes_punycode():
    (address,) = mail.read_recipients(["Bé <be@café.nl>"])
    assert address.addr_spec == "be@xn--caf-dma.nl"


# -- settings ------------------------------------------------------------------------------------------------
def test_settings_from_file_and_env_env_wins(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[oogst]\nlanguage = "nl"\n\n[smtp]\nhost = "smtp.file.nl"\nsecurity = "ssl"\n'
                      'user = "me@file.nl"\nfrom = "Facilitator <me@file.nl>"\ntimeout = 12\n', encoding="utf-8")
    only_file = mail.load_mail_settings({}, config)
    assert (only_file.host, only_file.port, only_file.security, only_file.timeout) == ("smtp.file.nl", 465, "ssl", 12)
    env = {"OOGST_SMTP_HOST": "smtp.env.nl", "OOGST_SMTP_PORT": "2525", "OOGST_SMTP_SECURITY": "starttls",
           "OOGST_SMTP_PASSWORD": SECRET}
    both = mail.load_mail_settings(env, config)
    assert (both.host, both.port, both.security, both.user) == ("smtp.env.nl", 2525, "starttls", "me@file.nl")
    assert both.sender == "Facilitator <me@file.nl>"
    assert SECRET not in repr(both)


def test_settings_default_file_and_sender_from_user(tmp_path):
    home = tmp_path / "home"
    (home / ".config/oogst").mkdir(parents=True)
    (home / ".config/oogst/config.toml").write_text('[smtp]\nhost = "smtp.example.nl"\nuser = "jij@example.nl"\n')
    settings = mail.load_mail_settings({"HOME": str(home)}, None)
    assert (settings.host, settings.port, settings.sender) == ("smtp.example.nl", 587, "jij@example.nl")
    assert mail.load_mail_settings({"HOME": str(tmp_path / "empty")}, None).host == ""


def test_config_file_with_password_is_refused_and_says_why(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    inside = repo / "outputs" / "sessie" / "config.toml"
    inside.parent.mkdir(parents=True)
    inside.write_text(f'[smtp]\nhost = "smtp.example.nl"\npassword = "{SECRET}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        mail.load_mail_settings({}, inside, repo_root=repo)
    print(info.value)
    assert "inside" in str(info.value) and "committed" in str(info.value) and "OOGST_SMTP_PASSWORD" in str(info.value)
    assert SECRET not in str(info.value)
    outside = tmp_path / "elders" / "config.toml"
    outside.parent.mkdir()
    outside.write_text(f'[smtp]\nhost = "smtp.example.nl"\npassword = "{SECRET}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="never reads passwords from files"):
        mail.load_mail_settings({}, outside, repo_root=repo)


@pytest.mark.parametrize("body, match", [('[smtp]\nsecurity = "tls"\n', "not one of starttls, ssl, none"),
                                         ('[smtp]\nport = "vijf"\n', "not a whole number"),
                                         ('[smtp]\nhots = "x"\n', "unknown key 'hots'"),
                                         ('[smtp]\nfrom = "niet een adres"\n', "not a valid e-mail address"),
                                         ("[smtp\n", "not valid TOML")])
def test_bad_settings_give_one_line_errors(tmp_path, body, match):
    config = tmp_path / "config.toml"
    config.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=match) as info:
        mail.load_mail_settings({}, config)
    assert "\n" not in str(info.value)


def test_missing_explicit_config_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        mail.load_mail_settings({}, tmp_path / "geen.toml")


# -- the release gate and composing --------------------------------------------------------------------------
def test_gate_refuses_without_final_json(tmp_path):
    session = make_session(tmp_path, final=False)
    recipients = mail.read_recipients(RECIPIENTS)
    with pytest.raises(MailError) as info:
        mail.compose(session, recipients, sender=SENDER)
    text = str(info.value)
    print(text)
    assert "final.json" in text and f"oogst collect {SESSION_NAME}" in text and "--draft" in text
    with pytest.raises(MailError, match="oogst collect"):
        mail.run_mail(session, to=RECIPIENTS, env={})
    assert not session.path("mail.eml").exists()


def test_draft_mail_says_it_is_a_draft(tmp_path):
    session = make_session(tmp_path, final=False)
    message = mail.compose(session, mail.read_recipients(RECIPIENTS), sender=SENDER, draft=True)
    assert message["Subject"].startswith("CONCEPT: ")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "CONCEPT" in text and "CONCEPT" in html
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename().endswith("-concept.docx")
    assert attachment.get_content() == session.path("draft.docx").read_bytes()
    # the draft ranking (insights.json) is what it shows, limited to the top 7 of 8
    assert "1. Casus vooraf delen" in text and "Koffie en start" not in text
    assert message[mail.SOURCE_HEADER].startswith("insights.json; sha256=")


def test_draft_flag_refused_once_review_is_collected(session):
    with pytest.raises(MailError, match="leave out --draft"):
        mail.compose(session, mail.read_recipients(RECIPIENTS), sender=SENDER, draft=True)


def test_final_needs_final_docx(session):
    session.path("final.docx").unlink()
    with pytest.raises(MailError, match="final.docx: not found"):
        mail.compose(session, mail.read_recipients(RECIPIENTS), sender=SENDER)


def test_compose_structure_escaping_and_unicode(session):
    import docx

    message = mail.compose(session, mail.read_recipients(RECIPIENTS), sender=SENDER)
    parsed = parse(message.as_bytes(policy=policy.SMTP))
    assert parsed.get_content_type() == "multipart/mixed"
    alternative, attachment = parsed.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "text/html"]
    assert attachment.get_content_type() == mail.DOCX_TYPE[0] + "/" + mail.DOCX_TYPE[1]
    assert parsed["Subject"] == "Top 7 en actiepunten: Intervisie zorgteam (14 mei 2024)"
    assert parsed["Content-Language"] == "nl"
    assert [a.display_name for a in parsed["To"].addresses] == ["Inês Došen", "Fatma Yılmaz 🌻", ""]
    assert parsed["From"].addresses[0].display_name == "Zoë van ’t Hek 🌷"
    assert all(ord(ch) < 128 for ch in message.as_bytes(policy=policy.SMTP).decode("ascii"))  # 7-bit on the wire

    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    for rank, title in enumerate(final_titles(), start=1):
        assert f"{rank}. {title}" in text
    assert html.count("<li ") == 7
    assert "Feedback &amp; veiligheid" in html and "&lt;veilig&gt;" in html and "<veilig>" not in html
    assert "Fatma Yılmaz 🌻" in text and "Fatma Yılmaz 🌻" in html  # speaker labels are replaced by names
    for what in ("Casus voor de volgende sessie rondsturen", "21 mei", "Evaluatiemoment plannen"):
        assert what in text and what in html
    assert "Wie" in html and "Wanneer" in html
    # votes as `oogst collect` writes them: {"up", "down", "net", "voters"}
    assert "(Ingebracht door: Jan-Willem de Vries; stemmen: 4 voor, 1 tegen)" in text
    assert "stemmen: 5 voor" in html
    document = docx.Document(io.BytesIO(attachment.get_content()))
    body = "\n".join(p.text for p in document.paragraphs)
    assert all(title in body for title in final_titles())


def test_english_session(tmp_path):
    session = make_session(tmp_path, language="en")
    message = mail.compose(session, mail.read_recipients(RECIPIENTS), sender=SENDER)
    assert message["Subject"] == "Top 7 and action points: Intervisie zorgteam (14 May 2024)"
    text = message.get_body(("plain",)).get_content()
    assert "Dear participants" in text and "Action points" in text and "Raised by" in text


@pytest.mark.parametrize(("language", "subject", "greeting"), [
    ("de", "Top 7 and action points: ", "Dear participants"),
    ("nl-BE", "Top 7 en actiepunten: ", "Beste deelnemers"),
    ("Nederlands", "Top 7 en actiepunten: ", "Beste deelnemers"),
])
def test_mail_language_follows_the_fallback(tmp_path, language, subject, greeting):
    """German falls back to the English mail (like its draft); Belgian Dutch gets the Dutch one."""
    session = make_session(tmp_path, language=language)
    message = mail.compose(session, mail.read_recipients(RECIPIENTS), sender=SENDER)
    assert message["Subject"].startswith(subject)
    assert greeting in message.get_body(("plain",)).get_content()


def test_title_from_folder_name_when_nothing_else(tmp_path):
    session = make_session(tmp_path, name="2023-11-02_team-west")
    data = json.loads(session.path("transcript.json").read_text("utf-8"))
    del data["source"], data["recorded"], data["title"]
    session.path("transcript.json").write_text(json.dumps(data), "utf-8")
    message = mail.compose(session, mail.read_recipients(RECIPIENTS), sender=SENDER)
    assert message["Subject"] == "Top 7 en actiepunten: Team west (2 november 2023)"


def test_title_typed_by_the_user_is_kept(tmp_path):
    session = make_session(tmp_path)
    data = json.loads(session.path("transcript.json").read_text("utf-8"))
    data["title"] = "Intervisie Zorgteam-Noord: casus 'grenzen'"
    session.path("transcript.json").write_text(json.dumps(data), "utf-8")
    message = mail.compose(session, mail.read_recipients(RECIPIENTS), sender=SENDER)
    assert message["Subject"] == "Top 7 en actiepunten: Intervisie Zorgteam-Noord: casus 'grenzen' (14 mei 2024)"


def test_dry_run_writes_eml_and_nothing_else(session):
    outcome = mail.run_mail(session, to=RECIPIENTS, env={"HOME": str(session.root)})
    assert outcome.eml == session.path("mail.eml") and outcome.sent is None
    assert [a.addr_spec for a in outcome.recipients] == ["ines@example.nl", "fatma@example.nl",
                                                         "jan-willem@example.nl"]
    parsed = parse(outcome.eml.read_bytes())
    assert parsed["Subject"].startswith("Top 7") and parsed.get_body(("html",)) is not None
    assert not session.path("sent.json").exists()
    assert not [p for p in session.root.iterdir() if p.name.endswith(".tmp")]
    print(outcome.summary)


# -- sending to a real server --------------------------------------------------------------------------------
def received(server) -> EmailMessage:
    (message,) = server.handler.messages
    return parse(message.content)


def assert_no_secret(session, caplog, capsys=None) -> None:
    for path in session.root.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    assert SECRET not in caplog.text
    if capsys is not None:
        out, err = capsys.readouterr()
        assert SECRET not in out + err


@pytest.mark.needs_system("openssl")
def test_send_starttls_with_auth_and_self_signed_ca(session, cert, caplog):
    import docx

    caplog.set_level(logging.DEBUG)
    recipients = mail.read_recipients(RECIPIENTS)
    message = mail.compose(session, recipients, sender=SENDER)
    with smtp_server(cert=cert, auth=(USER, SECRET)) as server:
        started = time.monotonic()
        result = mail.send(message, settings_for(server.port, cert.certfile), SECRET, session=session,
                           confirm=never_asked)
        print(f"STARTTLS + AUTH send took {time.monotonic() - started:.2f} s")
        assert server.handler.messages[0].login == USER
        assert sorted(server.handler.messages[0].rcpt_tos) == sorted(r.addr_spec for r in recipients)
        got = received(server)
    text = got.get_body(("plain",)).get_content()
    html = got.get_body(("html",)).get_content()
    for rank, title in enumerate(final_titles(), start=1):
        assert f"{rank}. {title}" in text
        assert f'<li value="{rank}"><strong>{title.replace("&", "&amp;")}</strong>' in html
    (attachment,) = list(got.iter_attachments())
    document = docx.Document(io.BytesIO(attachment.get_content()))
    assert "Definitieve top 7" in [p.text for p in document.paragraphs]
    assert got["Subject"] == "Top 7 en actiepunten: Intervisie zorgteam (14 mei 2024)"
    assert [a.display_name for a in got["To"].addresses][:2] == ["Inês Došen", "Fatma Yılmaz 🌻"]

    sent = json.loads(session.path("sent.json").read_text("utf-8"))
    (entry,) = sent["sends"]
    print(json.dumps(entry, ensure_ascii=False, indent=1))
    assert entry["message_id"] == got["Message-ID"] == result.message_id
    assert entry["to"] == [str(r) for r in recipients] and entry["refused"] == {}
    assert entry["source"] == "final.json" and entry["draft"] is False
    from pipeline.core.session import hash_file
    assert entry["source_sha256"] == hash_file(session.path("final.json"))
    assert entry["server"] == f"{HOST}:{server.port}"
    assert_no_secret(session, caplog)


@pytest.mark.needs_system("openssl")
def test_untrusted_certificate_gives_tls_message(session, cert):
    message = mail.compose(session, mail.read_recipients(RECIPIENTS), sender=SENDER)
    with smtp_server(cert=cert, auth=(USER, SECRET)) as server:
        with pytest.raises(MailError) as info:
            mail.send(message, settings_for(server.port, cafile=None), SECRET, session=session, confirm=never_asked)
        assert server.handler.messages == []
    text = str(info.value)
    print(text)
    assert "certificate" in text and HOST in text and "cafile" in text and "OOGST_SMTP_CAFILE" in text
    assert not session.path("sent.json").exists()


@pytest.mark.needs_system("openssl")
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # the test server is TLS throughout
def test_implicit_tls_ssl_path(session, cert):
    message = mail.compose(session, mail.read_recipients(RECIPIENTS[:1]), sender=SENDER)
    with smtp_server(cert=cert, implicit_tls=True, auth=(USER, SECRET)) as server:
        result = mail.send(message, settings_for(server.port, cert.certfile, security="ssl"), SECRET,
                           session=session, confirm=never_asked)
        assert server.handler.messages[0].login == USER
        assert received(server)["Subject"].startswith("Top 7")
    assert result.accepted == ("Inês Došen <ines@example.nl>",)


@pytest.mark.needs_system("openssl")
def test_ssl_setting_against_starttls_port(session, cert):
    message = mail.compose(session, mail.read_recipients(RECIPIENTS[:1]), sender=SENDER)
    with smtp_server(cert=cert) as server, pytest.raises(MailError) as info:
        mail.send(message, settings_for(server.port, cert.certfile, security="ssl", user=None), None,
                  session=session, confirm=never_asked)
    print(info.value)
    assert "TLS handshake failed" in str(info.value) and "starttls" in str(info.value)


def test_server_without_starttls(session):
    message = mail.compose(session, mail.read_recipients(RECIPIENTS[:1]), sender=SENDER)
    with smtp_server() as server, pytest.raises(MailError, match="does not offer STARTTLS"):
        mail.send(message, settings_for(server.port, user=None), None, session=session, confirm=never_asked)


@pytest.mark.needs_system("openssl")
def test_refused_login(session, cert, caplog):
    caplog.set_level(logging.DEBUG)
    message = mail.compose(session, mail.read_recipients(RECIPIENTS), sender=SENDER)
    with smtp_server(cert=cert, auth=(USER, "het-echte-wachtwoord")) as server:
        with pytest.raises(MailError) as info:
            mail.send(message, settings_for(server.port, cert.certfile), SECRET, session=session,
                      confirm=never_asked)
        assert server.handler.messages == []
    text = str(info.value)
    print(text)
    assert "login refused" in text and USER in text and "535" in text and SECRET not in text
    assert not session.path("sent.json").exists()
    assert_no_secret(session, caplog)


@pytest.mark.needs_system("openssl")
def test_partly_refused_recipients_are_named_and_only_accepted_recorded(session, cert):
    message = mail.compose(session, mail.read_recipients(RECIPIENTS), sender=SENDER)
    handler = Handler(refuse={"fatma@example.nl"})
    with smtp_server(handler, cert=cert, auth=(USER, SECRET)) as server:
        with pytest.raises(MailError) as info:
            mail.send(message, settings_for(server.port, cert.certfile), SECRET, session=session,
                      confirm=never_asked)
        assert sorted(handler.messages[0].rcpt_tos) == ["ines@example.nl", "jan-willem@example.nl"]
    text = str(info.value)
    print(text)
    assert "sent only partly" in text
    assert "Inês Došen <ines@example.nl>, jan-willem@example.nl got it" in text
    assert "refused: Fatma Yılmaz 🌻 <fatma@example.nl> (550" in text
    (entry,) = json.loads(session.path("sent.json").read_text("utf-8"))["sends"]
    assert entry["to"] == ["Inês Došen <ines@example.nl>", "jan-willem@example.nl"]
    assert list(entry["refused"]) == ["Fatma Yılmaz 🌻 <fatma@example.nl>"]


@pytest.mark.needs_system("openssl")
def test_all_recipients_refused_records_nothing(session, cert):
    message = mail.compose(session, mail.read_recipients(RECIPIENTS[:2]), sender=SENDER)
    handler = Handler(refuse={"ines@example.nl", "fatma@example.nl"})
    with smtp_server(handler, cert=cert, auth=(USER, SECRET)) as server:
        with pytest.raises(MailError, match="refused every recipient, nothing was sent") as info:
            mail.send(message, settings_for(server.port, cert.certfile), SECRET, session=session,
                      confirm=never_asked)
    print(info.value)
    assert "Inês Došen <ines@example.nl>" in str(info.value) and handler.messages == []
    assert not session.path("sent.json").exists()


def test_unreachable_and_silent_servers(session):
    message = mail.compose(session, mail.read_recipients(RECIPIENTS[:1]), sender=SENDER)
    with pytest.raises(MailError, match="connection refused") as info:
        mail.send(message, settings_for(free_port(), user=None), None, session=session, confirm=never_asked)
    print(info.value)
    with silent_server() as port:
        started = time.monotonic()
        with pytest.raises(MailError, match="no answer from the SMTP server within 1 s") as info:
            mail.send(message, settings_for(port, user=None, timeout=1.0), None, session=session,
                      confirm=never_asked)
        print(info.value, f"(after {time.monotonic() - started:.1f} s)")
    assert not session.path("sent.json").exists()


@pytest.mark.needs_system("openssl")
def test_second_send_asks_and_run_mail_end_to_end(session, cert, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    questions: list[str] = []
    prompts: list[str] = []

    def prompt(text: str) -> str:
        prompts.append(text)
        return SECRET

    with smtp_server(cert=cert, auth=(USER, SECRET)) as server:
        env = {"OOGST_SMTP_HOST": HOST, "OOGST_SMTP_PORT": str(server.port), "OOGST_SMTP_USER": USER,
               "OOGST_SMTP_FROM": SENDER, "OOGST_SMTP_CAFILE": str(cert.certfile), "OOGST_SMTP_TIMEOUT": "5",
               "HOME": str(session.root / "home")}
        common = dict(to=RECIPIENTS, send=True, env=env, password_prompt=prompt)
        first = mail.run_mail(session, **common, confirm=never_asked)
        assert first.sent is not None and len(first.sent.accepted) == 3 and len(prompts) == 1
        print(first.summary)

        # declined: nothing sent, nothing recorded, and no password asked
        with pytest.raises(MailError, match="not sent again"):
            mail.run_mail(session, **common, confirm=lambda q: questions.append(q) or False)
        assert len(server.handler.messages) == 1 and len(prompts) == 1
        print(questions[0])
        assert "already mailed once" in questions[0] and "Inês Došen <ines@example.nl>" in questions[0]
        # no terminal and no --yes: refused
        with pytest.raises(MailError, match="pass --yes"):
            mail.run_mail(session, **common, confirm=None)
        # accepted: sent again; --yes: sent without asking
        mail.run_mail(session, **common, confirm=lambda q: True)
        mail.run_mail(session, **common, confirm=never_asked, yes=True)
        assert len(server.handler.messages) == 3
        # the low-level send asks too
        message = mail.compose(session, mail.read_recipients(RECIPIENTS[:1]), sender=SENDER)
        with pytest.raises(MailError, match="not sent again"):
            mail.send(message, mail.load_mail_settings(env, None), SECRET, session=session, confirm=lambda q: False)
    sends = json.loads(session.path("sent.json").read_text("utf-8"))["sends"]
    assert len(sends) == 3 and len({s["message_id"] for s in sends}) == 3
    assert parse(session.path("mail.eml").read_bytes())["Message-ID"] == sends[-1]["message_id"]
    assert_no_secret(session, caplog, capsys)


@pytest.mark.needs_system("openssl")
def test_draft_can_be_sent_and_is_recorded_as_draft(tmp_path, cert):
    session = make_session(tmp_path, final=False)
    with smtp_server(cert=cert, auth=(USER, SECRET)) as server:
        env = {"OOGST_SMTP_HOST": HOST, "OOGST_SMTP_PORT": str(server.port), "OOGST_SMTP_USER": USER,
               "OOGST_SMTP_PASSWORD": SECRET, "OOGST_SMTP_FROM": SENDER, "OOGST_SMTP_CAFILE": str(cert.certfile),
               "HOME": str(tmp_path)}
        with pytest.raises(MailError, match="oogst collect"):
            mail.run_mail(session, to=RECIPIENTS, send=True, env=env)
        assert server.handler.messages == []
        outcome = mail.run_mail(session, to=RECIPIENTS, send=True, draft=True, env=env)
        assert received(server)["Subject"].startswith("CONCEPT: ")
    (entry,) = json.loads(session.path("sent.json").read_text("utf-8"))["sends"]
    assert entry["draft"] is True and entry["source"] == "insights.json"
    assert outcome.sent is not None and outcome.draft


def test_send_without_host_or_password_is_a_config_error(session):
    env = {"HOME": str(session.root)}
    with pytest.raises(ConfigError, match="no SMTP server set"):
        mail.run_mail(session, to=RECIPIENTS, send=True, env={**env, "OOGST_SMTP_FROM": SENDER})
    with pytest.raises(ConfigError, match="no sender address"):
        mail.run_mail(session, to=RECIPIENTS, send=True, env={**env, "OOGST_SMTP_HOST": "smtp.example.nl"})
    with pytest.raises(ConfigError, match="OOGST_SMTP_PASSWORD"):
        mail.run_mail(session, to=RECIPIENTS, send=True, password_prompt=None,
                      env={**env, "OOGST_SMTP_HOST": "smtp.example.nl", "OOGST_SMTP_USER": USER,
                           "OOGST_SMTP_FROM": SENDER})
    with pytest.raises(ConfigError, match="unencrypted"):
        mail.send(mail.compose(session, mail.read_recipients(RECIPIENTS), sender=SENDER),
                  mail.MailSettings(host="smtp.example.nl", port=25, user=USER, security="none", sender=SENDER),
                  SECRET, session=session, confirm=never_asked)
    assert not session.path("sent.json").exists()
