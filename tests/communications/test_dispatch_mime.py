"""communications/dispatch/mime.py: the e-mail bytes the sender writes are what Django's
EmailMessage / EmailMultiAlternatives would write (headers, parts, encodings)."""

from email import message_from_bytes, policy

import pytest
from django.core.mail import BadHeaderError, EmailMessage, EmailMultiAlternatives
from django.core.mail.message import sanitize_address

from communications.dispatch import mime

DATE = "Thu, 26 Nov 2026 17:44:10 -0000"
HEADERS = {
    "Message-ID": "<prm1.2@example.com>",
    "List-Unsubscribe": (
        "<https://prm.example.com/u/" + "T" * 80 + "/>, "
        "<mailto:prm@example.com?subject=unsubscribe%20" + "T" * 80 + ">"
    ),
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
}


def django_bytes(*, subject, to, text, html, headers=HEADERS) -> bytes:
    if html is None:
        email = EmailMessage(subject, text, to=[to], headers=headers)
    else:
        email = EmailMultiAlternatives(subject, text, to=[to], headers=headers)
        email.attach_alternative(html, "text/html")
    message = email.message()
    if html is not None:
        message.set_boundary("BOUNDARY")
    message.replace_header("Date", DATE)
    return message.as_bytes(linesep="\r\n")


def our_bytes(*, subject, to, text, html, headers=HEADERS) -> bytes | None:
    return mime.email_bytes(
        subject=subject,
        to=to,
        headers=headers,
        text=text,
        html=html,
        date=DATE,
        boundary="BOUNDARY",
    )


def read(raw: bytes) -> tuple[list, list]:
    """Headers (unfolded) and decoded parts, as a mail client sees them."""
    message = message_from_bytes(raw, policy=policy.default)
    headers = [(name, str(value).strip()) for name, value in message.items()]
    parts = [
        (part.get_content_type(), part["Content-Transfer-Encoding"], part.get_content())
        for part in message.walk()
        if not part.is_multipart()
    ]
    return headers, parts


CASES = {
    "html": ("News for Acme", "a@example.com", "Hello\nline two\n", "<p>Hi</p>\n"),
    "non-ascii": (
        "Nouvelles pour Société Générale — " * 4,
        "Zoë <zoe@exämple.test>",
        "héllo\r\nwörld",
        "<p>ü</p>",
    ),
    "text only": ("x" * 200, "b@example.com", "text only", None),
    "empty text part": ("", "a@example.com", "", "<p>pixel</p>"),
    "odd line ends and dots": ("s", "a@example.com", "a\u2028b\x0bc\rd\n.\n", "<p>.\r.x</p>"),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_email_bytes_read_as_what_django_writes(case):
    # given
    subject, to, text, html = case
    # when
    ours = our_bytes(subject=subject, to=to, text=text, html=html)
    # then
    assert ours is not None
    assert read(ours) == read(django_bytes(subject=subject, to=to, text=text, html=html))


def test_email_bytes_of_a_plain_message_differ_from_djangos_only_in_header_folding():
    # given
    kwargs = {"subject": "News", "to": "a@example.com", "text": "Hi\n", "html": "<p>Hi</p>"}
    # when
    ours, theirs = our_bytes(**kwargs), django_bytes(**kwargs)
    # then: every line ends in CRLF, a line is longer than 78 characters only where it
    # cannot be folded (one long URL), and unfolded the two messages are the same text
    assert b"\n" not in ours.replace(b"\r\n", b"")
    assert all(len(line) <= 78 or b" " not in line[1:] for line in ours.split(b"\r\n"))

    def unfolded(raw):
        return raw.replace(b": \r\n ", b": ").replace(b":\r\n ", b": ").replace(b"\r\n ", b" ")

    assert unfolded(ours) == unfolded(theirs)


def test_a_body_line_over_998_bytes_is_left_to_django():
    # when
    result = our_bytes(subject="s", to="a@example.com", text="x " * 600, html=None)
    # then: Django encodes it as quoted-printable
    assert result is None


def test_a_header_with_a_newline_is_refused_like_django_does():
    with pytest.raises(BadHeaderError):
        our_bytes(subject="Hi\nBcc: x@example.com", to="a@example.com", text="t", html=None)
    with pytest.raises(BadHeaderError):
        our_bytes(
            subject="Hi",
            to="a@example.com",
            text="t",
            html=None,
            headers={"X-Test": "a\r\nBcc: x@example.com"},
        )


@pytest.mark.parametrize(
    "address",
    [
        "a@example.com",
        "A.b-c+d@Example.COM",
        "o'brien@x-y.example",
        "x@localhost",
        "a..b@example.com",
        '"quoted"@example.com',
        "a@[192.0.2.1]",
        "zoe@exämple.test",
        "Zoë <zoe@example.test>",
    ],
)
def test_envelope_address_is_what_djangos_smtp_backend_gives_the_server(address):
    assert mime.envelope_address(address) == sanitize_address(address, "utf-8")


def test_envelope_sender_is_the_sanitized_from_address():
    assert mime.envelope_sender("Zoë <prm@example.com>") == sanitize_address(
        "Zoë <prm@example.com>", "utf-8"
    )
