"""Mail the final top 7 to the group: compose the message, write it as mail.eml (dry run) or send it over SMTP.

The release gate: a session is only mailed from `final.json` (written by `oogst collect` after the review); the
unreviewed `insights.json` goes out only when the caller asks for a draft, and then subject and body say so. The
SMTP password comes from the environment or a prompt and is never written, logged or put in a message.
`sent.json` records every send the server accepted, so a second send asks first. With `[review] approval` set, the
final is sent only once enough present participants approved it (`approval`), and the mail says who approved.

Modules, each importing only those above it: `addresses` (recipients), `settings` ([smtp] + OOGST_SMTP_*),
`approval` (the approval gate), `message` (content, bodies, .eml), `ledger` (sent.json), `transport` (SMTP),
`command` (`oogst mail`).
May import `pipeline.core` and `pipeline.privacy` (a pseudonymised session's mail shows labels).
"""

from pipeline.mail.addresses import parse_address, read_recipients
from pipeline.mail.command import MailOutcome, run_mail, send_message_now
from pipeline.mail.message import DOCX_TYPE, SOURCE_HEADER, MailContent, compose, load_content, write_eml
from pipeline.mail.settings import PASSWORD_ENV, MailSettings, load_mail_settings
from pipeline.mail.transport import SendResult, previous_sends, resend_question, send

__all__ = ["DOCX_TYPE", "PASSWORD_ENV", "SOURCE_HEADER", "MailContent", "MailOutcome",
           "MailSettings", "SendResult", "compose", "load_content", "load_mail_settings", "parse_address",
           "previous_sends", "read_recipients", "resend_question", "run_mail", "send", "send_message_now",
           "write_eml"]
