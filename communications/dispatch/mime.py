"""The e-mail of a rendered message: what it says (email_content), as Django's
EmailMessage (build_email), and as bytes written directly (email_bytes).

email_bytes writes the MIME message Django's EmailMessage / EmailMultiAlternatives would
write, without the stdlib `email` package's object tree, header folding machinery and
generator (about half a millisecond of CPU for every message, the largest part of the
sender's cost).

Same structure, header order and encodings as Django: a text/plain part and, for HTML
bodies, a text/html part in multipart/alternative; UTF-8 bodies as 7bit or 8bit; header
values through Django's own forbid_multi_line_headers (header injection refused, non-ASCII
values RFC 2047-encoded, addresses sanitized). What differs is only where long header lines
are folded. A body with a line over 998 bytes is the one case Django encodes as
quoted-printable: email_bytes() returns None for it and the caller falls back to Django.
"""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.message import (
    RFC5322_EMAIL_LINE_LENGTH_LIMIT,
    BadHeaderError,
    forbid_multi_line_headers,
    sanitize_address,
)
from django.utils.encoding import punycode

from communications import tracking
from communications.models import Message
from communications.templating import body_is_html, html_to_text

CHARSET = "utf-8"
FOLD_AT = 78  # RFC 5322: lines SHOULD be no longer (998 is the hard limit)
_NEWLINES = re.compile(r"\r\n|\r|\n")
# An address sanitize_address() returns unchanged: a dot-atom local part at an ASCII
# domain (no display name, nothing to quote or encode).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


class _Alternatives(EmailMultiAlternatives):
    """text + HTML with the MIME boundary chosen up front: the stdlib otherwise compiles a
    regular expression of a random boundary for every message it writes."""

    def message(self, *args, **kwargs):
        built = super().message(*args, **kwargs)
        if built.is_multipart():
            built.set_boundary(f"=_prm_{secrets.token_hex(16)}")
        return built


@dataclass(frozen=True)
class EmailContent:
    """What the e-mail of a rendered message says, whoever writes its MIME."""

    headers: dict[str, str]
    text: str
    html: str | None


def email_content(
    message: Message, *, links: tracking.MessageLinks, html_text: str | None = None
) -> EmailContent:
    """Its own Message-ID, List-Unsubscribe headers (RFC 8058 one-click), tracked links,
    the unsubscribe footer and (HTML) the open pixel. html_text: html_to_text(body) when
    the caller has it already."""
    headers = {"Message-ID": message.message_id, **tracking.list_unsubscribe_headers(links)}
    urls = list(message.links or [])
    if body_is_html(message.body):
        html_body = tracking.tracked_html(message.body, urls=urls, links=links)
        if html_text is None:
            html_text = html_to_text(message.body)
        text = tracking.tracked_text(html_text, urls=urls, links=links)
        return EmailContent(headers, text, html_body)
    return EmailContent(headers, tracking.tracked_text(message.body, urls=urls, links=links), None)


def build_email(
    message: Message,
    *,
    links: tracking.MessageLinks | None = None,
    backend=None,
    content: EmailContent | None = None,
) -> EmailMessage:
    """The e-mail of a rendered message (see email_content) as a Django EmailMessage."""
    links = links or tracking.message_links(message_id=message.pk, contact_id=message.contact_id)
    content = content or email_content(message, links=links)
    arguments = {"to": [message.to_email], "headers": content.headers, "connection": backend}
    if content.html is not None:
        email = _Alternatives(message.subject, content.text, **arguments)
        email.attach_alternative(content.html, "text/html")
        return email
    return EmailMessage(message.subject, content.text, **arguments)


def is_plain_address(address: str) -> bool:
    """A bare dot-atom@domain address in ASCII, which address parsers return unchanged."""
    return (
        bool(_PLAIN_ADDRESS.fullmatch(address))
        and punycode(address.rsplit("@", 1)[1]) == address.rsplit("@", 1)[1]
    )


def envelope_address(address: str) -> str:
    """sanitize_address(address, "utf-8") as Django's SMTP backend gives it to the server,
    without parsing the common plain address (the parser costs ~50 µs a call)."""
    return address if is_plain_address(address) else sanitize_address(address, CHARSET)


@functools.lru_cache(maxsize=8)
def envelope_sender(from_email: str) -> str:
    """The sanitized sender (one DEFAULT_FROM_EMAIL for every message)."""
    return sanitize_address(from_email, CHARSET)


@functools.lru_cache(maxsize=8)
def _from_header(from_email: str) -> bytes:
    return _header("From", from_email)


def email_bytes(
    *,
    subject: str,
    to: str,
    headers: dict[str, str],
    text: str,
    html: str | None = None,
    date: str,
    from_email: str | None = None,
    boundary: str | None = None,
) -> bytes | None:
    """The message as Django's EmailMessage(subject, text, from_email, [to],
    headers=headers) (+ attach_alternative(html, "text/html")) writes it with
    as_bytes(linesep="\\r\\n"), `date` as its Date header. None when a body needs
    quoted-printable (a line over 998 bytes): build it with Django then."""
    text_payload = _payload(text)
    if text_payload is None:
        return None
    if html is None:
        top = _part_headers("plain", text_payload)
        body = text_payload
    else:
        html_payload = _payload(html)
        if html_payload is None:
            return None
        boundary = (boundary or f"=_prm_{secrets.token_hex(16)}").encode()
        top = [
            _fold(f'Content-Type: multipart/alternative; boundary="{boundary.decode()}"'),
            b"MIME-Version: 1.0",
        ]
        # Django leaves the text part out when the text body is empty.
        parts = [_part("html", html_payload)]
        if text:
            parts.insert(0, _part("plain", text_payload))
        delimiter = b"\r\n--" + boundary + b"\r\n"
        body = b"--" + boundary + b"\r\n" + delimiter.join(parts) + b"\r\n--" + boundary + b"--\r\n"
    top.append(_subject_header(subject))
    top.append(_from_header(from_email or settings.DEFAULT_FROM_EMAIL))
    top.append(_header("To", to))
    names = {name.lower() for name in headers}
    if "date" not in names:
        top.append(_header("Date", date))
    for name, value in headers.items():
        if name.lower() not in {"from", "to", "cc", "reply-to"}:
            top.append(_header(name, value))
    return b"\r\n".join(top) + b"\r\n\r\n" + body


def _payload(content: str) -> bytes | None:
    """A text body as Django's SafeMIMEText writes it: UTF-8, CRLF line ends; None when a
    line is too long for 7bit/8bit (Django switches to quoted-printable)."""
    data = _NEWLINES.sub("\r\n", content).encode(CHARSET, "surrogateescape")
    if len(data) > RFC5322_EMAIL_LINE_LENGTH_LIMIT and any(
        len(line) > RFC5322_EMAIL_LINE_LENGTH_LIMIT for line in data.split(b"\r\n")
    ):
        return None
    return data


def _part_headers(subtype: str, payload: bytes) -> list[bytes]:
    return [
        b'Content-Type: text/%s; charset="utf-8"' % subtype.encode(),
        b"MIME-Version: 1.0",
        b"Content-Transfer-Encoding: " + (b"7bit" if payload.isascii() else b"8bit"),
    ]


def _part(subtype: str, payload: bytes) -> bytes:
    return b"\r\n".join(_part_headers(subtype, payload)) + b"\r\n\r\n" + payload


def _subject_header(subject: str) -> bytes:
    if subject.isascii():
        if "\n" in subject or "\r" in subject:
            raise BadHeaderError(f"Header values can't contain newlines (got {subject!r})")
        # Django passes an ASCII subject through Header().encode(), which only folds it.
        return _fold(f"Subject: {subject}")
    return _header("Subject", subject)


def _header(name: str, value: str) -> bytes:
    _, value = forbid_multi_line_headers(name, value, CHARSET)
    return _fold(f"{name}: {value}")


def _fold(line: str) -> bytes:
    """A header line folded before spaces to stay within 78 characters where it can (a
    fold is a CRLF before whitespace, which unfolding removes: the value is unchanged).
    RFC 2047 encoded values arrive already folded by email.header (with "\\n")."""
    if "\n" in line:
        return "\r\n".join(line.splitlines()).encode("ascii")
    if len(line) <= FOLD_AT:
        return line.encode("ascii")
    lines, current = [], ""
    for word in line.split(" "):
        if current and len(current) + 1 + len(word) > FOLD_AT:
            lines.append(current)
            current = " " + word
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    return "\r\n".join(line for line in lines).encode("ascii")
