"""The mail itself: what goes in (the release gate lives here), the text and HTML bodies, the .eml dry run."""

from __future__ import annotations

import html
import logging
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from pipeline.core.errors import MailError
from pipeline.core.language import date_from, format_date, text_language, texts, title_from
from pipeline.core.session import (
    DRAFT,
    EML,
    FINAL,
    FINAL_DOCX,
    INSIGHTS,
    TRANSCRIPT,
    TURNS,
    Session,
    atomic_write_bytes,
    hash_file,
    read_json,
    sent_file,
)
from pipeline.core.types import TOP_N, Insight, Insights
from pipeline.mail.addresses import parse_address
from pipeline.mail.approval import approvers, joined
from pipeline.privacy.shared import load_shared

log = logging.getLogger(__name__)

DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
SOURCE_HEADER = "X-Oogst-Source"


@dataclass(frozen=True)
class MailContent:
    """Everything `compose` puts in a message, read from a session folder."""

    language: str  # "nl" or "en"
    title: str
    recorded: date | None
    insights: Insights
    speakers: dict[str, str]
    draft: bool
    source: Path  # final.json or, for a draft, insights.json
    attachment: Path  # final.docx or draft.docx
    signature: str = ""  # the name under the closing greeting (the facilitator's)
    approved: tuple[str, ...] = ()  # who approved the final in the browser (review.json's approvals)

    def name(self, label: str | None) -> str:
        return self.speakers.get(label or "") or (label or "")

    @property
    def top(self) -> list[Insight]:
        return sorted(self.insights.insights, key=lambda i: i.rank)[:TOP_N]


@dataclass(frozen=True)
class DraftCopy:
    """The draft a draft mail carries, as the caller chose it (`service`: the version frozen for a send, or for a
    dry run the draft as it is, edits and all): its insights, the file they come from, the .docx to attach."""

    insights: Insights
    source: Path
    attachment: Path


def load_content(session: Session, *, draft: bool = False, copy: DraftCopy | None = None) -> MailContent:
    """Read what the mail needs from a session; the release gate lives here.

    Args:
        copy: for a draft mail, the draft to mail; None: the last sent version, else insights.json and draft.docx.
    """
    final = session.path(FINAL)
    if draft:
        if final.is_file():
            raise MailError(f"{final}: the review is already collected, so there is no draft to mail; "
                            "leave out --draft to mail the final top 7", "mail_collected", name=session.name)
        source, attachment = session.path(INSIGHTS), session.path(DRAFT)
        sent = session.sent_versions()
        if copy is not None:
            source, attachment = copy.source, copy.attachment
        elif sent:  # the draft as it was frozen when sent (review.versions)
            source, attachment = sent_file(sent[-1], INSIGHTS), sent_file(sent[-1], DRAFT)
        if not source.is_file():
            raise MailError(f"{source}: not found, so there is no draft to mail yet; run `oogst run` first",
                            "mail_no_draft", name=session.name)
    else:
        source, attachment = final, session.path(FINAL_DOCX)
        if not final.is_file():
            raise MailError(f"{final}: not found: the review has not been collected yet, so there is no final top 7 "
                            f"to mail; run `oogst collect {session.name}` first (or pass --draft to mail the "
                            "unreviewed draft, marked as a draft)", "mail_no_final", name=session.name)
    if not attachment.is_file():
        step = "oogst run" if draft else f"oogst collect {session.name}"
        raise MailError(f"{attachment}: not found, and the mail needs it as attachment; run `{step}` again",
                        "mail_no_attachment", name=session.name, file=attachment.name)
    try:
        insights = copy.insights if draft and copy is not None else Insights.from_dict(read_json(source))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MailError(f"{source}: not an Oogst insights file ({type(exc).__name__}: {exc}); "
                        "re-run the step that wrote it", "mail_bad_insights", name=session.name,
                        file=source.name) from None
    if not insights.insights:
        raise MailError(f"{source}: holds no insights, so there is nothing to mail", "mail_no_insights",
                        name=session.name)

    speakers: dict[str, str] = {}
    if session.has(TURNS):
        raw = session.read(TURNS)
        if isinstance(raw, dict) and isinstance(raw.get("speakers"), dict):
            speakers = {str(k): str(v) for k, v in raw["speakers"].items() if v}
    transcript: dict[str, Any] = {}
    if session.has(TRANSCRIPT):
        raw = session.read(TRANSCRIPT)
        transcript = raw if isinstance(raw, dict) else {}

    # the one fallback rule, on the whole name: "Nederlands"[:2] would be "ne" and fall back to English
    language = text_language(str(insights.language or transcript.get("language") or "nl"))
    # `oogst run` stores a title made from the folder name, date digits and all; the date goes in separately
    title = title_from(str(insights.title or transcript.get("title") or ""), keep_case=True)
    if not title and transcript.get("source"):
        title = title_from(Path(str(transcript["source"])).stem)
    title = title or title_from(session.name) or texts(language, "mail")["session"]
    recorded = _session_date(session, transcript)
    return MailContent(language, title, recorded, insights, speakers, draft, source, attachment,
                       approved=() if draft else approvers(session))


def _session_date(session: Session, transcript: Mapping[str, Any]) -> date | None:
    """The recording date: transcript "recorded", a date in a name, else the day transcript.json was written."""
    recorded = transcript.get("recorded")
    if recorded:
        try:
            return date.fromisoformat(str(recorded)[:10])
        except ValueError:
            log.warning("%s: 'recorded' is %r, not YYYY-MM-DD; ignoring it", session.path(TRANSCRIPT),
                        recorded)
    for name in (session.name, Path(str(transcript.get("source", ""))).stem):
        found = date_from(name)
        if found:
            return found
    stamp = session.path(TRANSCRIPT)
    if stamp.is_file():
        return datetime.fromtimestamp(stamp.stat().st_mtime).date()
    return None


def _votes(insight: Insight, t: Mapping[str, str]) -> str:
    """final.json "votes": {"up", "down", "net", "voters"} (from `oogst collect`) or a plain count."""
    votes = insight.votes
    if isinstance(votes, dict):
        up, down = votes.get("up"), votes.get("down")
        parts = []
        if isinstance(up, int) and up > 0:
            parts.append(t["votes_up"].format(n=up))
        if isinstance(down, int) and down > 0:
            parts.append(t["votes_down"].format(n=down))
        return f"{t['votes']}: {', '.join(parts)}" if parts else ""
    if isinstance(votes, bool) or not isinstance(votes, int) or votes <= 0:
        return ""
    return t["votes_1"] if votes == 1 else t["votes_n"].format(n=votes)


def attachment_name(content: MailContent) -> str:
    top = f"top{len(content.top)}"  # "top6" when six are left
    kind = "concept" if content.draft and content.language == "nl" else ("draft" if content.draft else top)
    stem = re.sub(r"[^\w\-]+", "-", content.title, flags=re.ASCII).strip("-").lower() or "oogst"
    day = f"-{content.recorded.isoformat()}" if content.recorded else ""
    return f"{stem}{day}-{kind}.docx"


def subject_line(content: MailContent) -> str:
    t = texts(content.language, "mail")
    subject = t["subject"].format(n=len(content.top), title=content.title)
    if content.recorded:
        subject += f" ({format_date(content.recorded, content.language)})"
    return f"{t['draft_tag']}: {subject}" if content.draft else subject


def render_text(content: MailContent, filename: str) -> str:
    """The text/plain body."""
    t = texts(content.language, "mail")
    n = len(content.top)
    of_date = t["of_date"].format(date=format_date(content.recorded, content.language)) if content.recorded else ""
    intro = t["intro_draft" if content.draft else "intro"].format(n=n, title=content.title, of_date=of_date)
    out = [t["greeting"], "", *textwrap.wrap(intro, 76)]
    if content.draft:
        out += textwrap.wrap(t["draft_ask"], 76)
    sections = content.insights.sections or ()
    if sections:  # the summary's paragraphs: a phase of the intervision or a theme each
        out += ["", t["summary"], "=" * len(t["summary"])]
        for section in sections:
            out += ["", section.heading, *textwrap.wrap(section.text, 76)]
    heading = t["top"].format(n=n)
    out += ["", heading, "=" * len(heading), ""]
    for insight in content.top:
        out.append(f"{insight.rank}. {insight.title}")
        out += textwrap.wrap(insight.text, 76, initial_indent="   ", subsequent_indent="   ")
        who = ", ".join(content.name(s) for s in insight.speakers)
        votes = _votes(insight, t)
        details = "; ".join(x for x in (f"{t['by']}: {who}" if who else "", votes) if x)
        if details:
            out.append(f"   ({details})")
        out.append("")
    out += [t["actions"], "=" * len(t["actions"]), ""]
    if not content.insights.actions:
        out += [t["no_actions"], ""]
    for action in content.insights.actions:
        out.append(f"- {t['who']}: {content.name(action.owner) or t['open']}")
        out += textwrap.wrap(f"{t['what']}: {action.text}", 76, initial_indent="  ", subsequent_indent="    ")
        out += [f"  {t['when']}: {action.due or t['open']}", ""]
    if content.approved:
        out += [*textwrap.wrap(approved_line(content), 76), ""]
    out += [t["attached"].format(file=filename), "", t["closing"], *([content.signature] if content.signature else []),
            "", "-- ", t["footer"], ""]
    return "\n".join(out)


def approved_line(content: MailContent) -> str:
    """"Akkoord gegeven door: An, Bo en Cor." in the mail's language."""
    return texts(content.language, "approval")["mailed_by"].format(names=joined(content.approved, content.language))


def render_html(content: MailContent, filename: str, subject: str) -> str:
    """The text/html body; every value from the session is escaped."""
    t = texts(content.language, "mail")
    e = html.escape
    n = len(content.top)
    of_date = t["of_date"].format(date=format_date(content.recorded, content.language)) if content.recorded else ""
    intro = t["intro_draft" if content.draft else "intro"].format(n=n, title=content.title, of_date=of_date)
    parts = [f'<!DOCTYPE html>\n<html lang="{content.language}"><head><meta charset="utf-8">'
             f"<title>{e(subject)}</title></head>",
             '<body style="font-family: Calibri, Arial, sans-serif; font-size: 15px; color: #222;">',
             f"<p>{e(t['greeting'])}</p>"]
    if content.draft:
        parts.append(f'<p style="background:#fff3cd; padding:6px;"><strong>{e(intro)}</strong> '
                     f"{e(t['draft_ask'])}</p>")
    else:
        parts.append(f"<p>{e(intro)}</p>")
    if content.insights.sections:
        parts.append(f"<h2>{e(t['summary'])}</h2>")
        parts += [f"<h3>{e(section.heading)}</h3>\n<p>{e(section.text)}</p>" for section in content.insights.sections]
    parts.append(f"<h2>{e(t['top'].format(n=n))}</h2>\n<ol>")
    for insight in content.top:
        who = ", ".join(content.name(s) for s in insight.speakers)
        votes = _votes(insight, t)
        details = "; ".join(x for x in (f"{t['by']}: {who}" if who else "", votes) if x)
        line = f'<li value="{insight.rank}"><strong>{e(insight.title)}</strong><br>{e(insight.text)}'
        if details:
            line += f'<br><span style="color:#666;">{e(details)}</span>'
        parts.append(line + "</li>")
    parts.append(f"</ol>\n<h2>{e(t['actions'])}</h2>")
    if content.insights.actions:
        cell = 'style="border:1px solid #ccc; padding:4px 8px; text-align:left; vertical-align:top;"'
        parts.append('<table style="border-collapse: collapse;">')
        parts.append(f"<tr><th {cell}>{e(t['who'])}</th><th {cell}>{e(t['what'])}</th>"
                     f"<th {cell}>{e(t['when'])}</th></tr>")
        for action in content.insights.actions:
            parts.append(f"<tr><td {cell}>{e(content.name(action.owner) or t['open'])}</td>"
                         f"<td {cell}>{e(action.text)}</td><td {cell}>{e(action.due or t['open'])}</td></tr>")
        parts.append("</table>")
    else:
        parts.append(f"<p>{e(t['no_actions'])}</p>")
    if content.approved:
        parts.append(f'<p id="approved">{e(approved_line(content))}</p>')
    closing = e(t["closing"]) + (f"<br>{e(content.signature)}" if content.signature else "")
    parts += [f"<p>{e(t['attached'].format(file=filename))}</p>", f"<p>{closing}</p>",
              f'<p style="color:#888; font-size: 12px;">{e(t["footer"])}</p>', "</body></html>", ""]
    return "\n".join(parts)


def compose(session: Session, recipients: Sequence[Address], *, sender: str | Address | None,
            draft: bool = False, when: datetime | None = None, signature: str = "",
            copy: DraftCopy | None = None) -> EmailMessage:
    """The mail for a session: text + HTML alternatives and the .docx attached.

    Raises MailError from the release gate when final.json is missing and `draft` is False.

    Args:
        signature: the name under the closing greeting (the facilitator's).
        copy: the draft a draft mail carries (`load_content`).
    """
    if not recipients:
        raise MailError("no recipients: give --to name@example.nl (repeatable) or --to-file participants.txt",
                        "no_recipients")
    content = replace(load_content(session, draft=draft, copy=copy), signature=signature)
    shared = load_shared(session, content.language)
    if shared is not None:  # pseudonymised session: the attachment already is; title, top 7 and actions too
        content = replace(content, title=shared.text(content.title, any_case=True),
                          insights=shared.insights(content.insights),
                          speakers={k: shared.name(v) or v for k, v in content.speakers.items()},
                          approved=tuple(shared.name(n) or n for n in content.approved))
    subject = subject_line(content)
    filename = attachment_name(content)
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = subject
    from_address: Address | None = None
    if sender is not None:
        from_address = sender if isinstance(sender, Address) else parse_address(str(sender), "sender")
        message["From"] = from_address
    message["To"] = tuple(recipients)
    message["Date"] = format_datetime((when or datetime.now(UTC)).astimezone())
    # make_msgid() without a domain asks DNS for this host's name, which can hang offline
    message["Message-ID"] = make_msgid("oogst", domain=from_address.domain if from_address else "oogst.invalid")
    message[SOURCE_HEADER] = f"{content.source.name}; sha256={hash_file(content.source)}"
    message.set_content(render_text(content, filename), subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(render_html(content, filename, subject), subtype="html", charset="utf-8",
                            cte="quoted-printable")
    message.add_attachment(content.attachment.read_bytes(), maintype=DOCX_TYPE[0], subtype=DOCX_TYPE[1],
                           filename=filename)
    message["Content-Language"] = content.language  # after the parts: set_content moves Content-* headers
    log.info("composed %s mail for %s: %d insights, %d recipients", "draft" if draft else "final",
             session.name, len(content.top), len(recipients))
    return message


def write_eml(session: Session, message: EmailMessage) -> Path:
    """The dry run: the message as outputs/<session>/mail.eml, which any mail client opens."""
    return atomic_write_bytes(session.path(EML), message.as_bytes(policy=policy.SMTP))


def recipients_of(message: EmailMessage) -> list[Address]:
    """Every address in To, Cc and Bcc."""
    found: list[Address] = []
    for header in ("To", "Cc", "Bcc"):
        value = message.get(header)
        if value is not None:
            found.extend(value.addresses)
    return found
