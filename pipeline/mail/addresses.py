"""Recipient addresses: `Name <name@example.nl>` or `name@example.nl`, checked strictly, one line per problem."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from email.headerregistry import Address
from pathlib import Path

from pipeline.core.errors import InputError, MailError

log = logging.getLogger(__name__)

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_RE = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*$")
_LABEL_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_TLD_RE = re.compile(r"^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$")
_NAMED_RE = re.compile(r"^(?P<name>.*?)\s*<(?P<addr>[^<>]*)>$")
_FORMS = "expected `Name <name@example.nl>` or `name@example.nl`"


def parse_address(text: str, where: str) -> Address:
    """One `Name <addr>` or bare address, strictly checked; `where` names its origin in the error."""
    raw = text.strip()
    if any(ch in raw for ch in "\r\n\x00"):
        raise MailError(f"{where}: {raw!r} contains a line break ({_FORMS})", "address_line_break", address=raw)
    match = _NAMED_RE.match(raw)
    name, addr = (match["name"].strip(), match["addr"].strip()) if match else ("", raw)
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\").strip()
    if "<" in name or ">" in name:
        raise MailError(f"{where}: {raw!r} has a stray < or > ({_FORMS})", "address_brackets", address=raw)
    spec = check_addr_spec(addr)
    if spec is None:
        raise MailError(f"{where}: {addr or raw!r} is not a valid e-mail address ({_FORMS})", "address_invalid",
                        address=addr or raw)
    local, domain = spec
    try:
        return Address(display_name=name, username=local, domain=domain)
    except (ValueError, IndexError, TypeError) as exc:
        raise MailError(f"{where}: {raw!r} is not a valid e-mail address ({exc})", "address_invalid",
                        address=raw) from None


def check_addr_spec(addr: str) -> tuple[str, str] | None:
    if addr.count("@") != 1 or len(addr) > 254:
        return None
    local, domain = addr.split("@")
    if not local or len(local) > 64 or not _LOCAL_RE.match(local):
        return None
    try:  # international domain names travel as punycode
        domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        return None
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL_RE.match(label) for label in labels) or not _TLD_RE.match(labels[-1]):
        return None
    return local, domain.lower()


def read_recipients(to: Sequence[str], to_file: Path | None = None) -> list[Address]:
    """Recipients from --to values and a file with one `Name <addr>` or address per line (# comments).

    Duplicates (same address, any case) are kept once, in first-seen order.
    """
    found: list[tuple[str, str]] = [(value, "--to") for value in to]
    if to_file is not None:
        path = Path(to_file)
        try:
            lines = path.read_text(encoding="utf-8-sig").splitlines()
        except FileNotFoundError:
            raise InputError(f"{path}: recipients file not found (give a text file with one "
                             "`Name <name@example.nl>` per line)") from None
        except UnicodeDecodeError:
            raise InputError(f"{path}: not a UTF-8 text file (save the recipients list as plain text, "
                             "UTF-8)") from None
        except OSError as exc:
            raise InputError(f"{path}: cannot read recipients file ({exc.strerror})") from None
        for number, line in enumerate(lines, start=1):
            line = re.sub(r"(^|\s)#.*$", "", line).strip()
            if line:
                found.append((line, f"{path} line {number}"))
    recipients: list[Address] = []
    seen: set[str] = set()
    for text, where in found:
        address = parse_address(text, where)
        key = address.addr_spec.lower()
        if key in seen:
            log.info("%s: %s is listed twice; mailing it once", where, address.addr_spec)
            continue
        seen.add(key)
        recipients.append(address)
    return recipients
