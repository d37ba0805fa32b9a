"""Signed links in every e-mail and what they do: one-click unsubscribe (RFC 8058), the
preference page of a contact, the open pixel and click tracking.

A token is `django.core.signing` output (HMAC with SECRET_KEY, a salt per purpose, and a
timestamp so it expires after PRM_TRACKING_TOKEN_MAX_AGE_DAYS); it names a message (or, for
the preference page, a contact) and nothing else, so a token of one purpose is worthless
for another. The click redirect goes only to a URL the message itself contains
(`Message.links`), by index: there is no open redirect.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import html
import re
from dataclasses import dataclass
from email.utils import parseaddr
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes

from communications.models import ContactPreference, Message, Topic
from partners.models import Contact

UNSUBSCRIBE_SALT = "communications.tracking.unsubscribe"
PREFERENCES_SALT = "communications.tracking.preferences"
OPEN_SALT = "communications.tracking.open"
CLICK_SALT = "communications.tracking.click"

ONE_CLICK = "List-Unsubscribe=One-Click"
# The smallest transparent GIF: what an <img> of the open pixel receives.
PIXEL_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
_HREF = re.compile(r"""(\bhref\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


class BadToken(Exception):
    """A link whose signature is forged, damaged, of another purpose or expired."""


class LinkNotFound(Exception):
    """A well-signed link to a message (or link index) that does not exist."""


# ---------------------------------------------------------------------------------------
# Tokens and URLs
# ---------------------------------------------------------------------------------------


def public_base_url() -> str:
    """Where recipients reach this site (settings.PRM_PUBLIC_BASE_URL), without a slash."""
    return settings.PRM_PUBLIC_BASE_URL.rstrip("/")


def _token_max_age() -> dt.timedelta:
    return dt.timedelta(days=getattr(settings, "PRM_TRACKING_TOKEN_MAX_AGE_DAYS", 365))


def sign(value: int, *, salt: str) -> str:
    """A URL-safe signed token naming one id for one purpose: signing.dumps(value,
    salt=salt), token for token, from a signer whose HMAC key is derived once."""
    return _signer(salt, settings.SECRET_KEY).sign_object(value)


class _Signer(signing.TimestampSigner):
    """TimestampSigner that keeps its derived HMAC key: Django derives it (a hash of salt
    and SECRET_KEY) and sets up the HMAC for every signature, and a batch signs four links
    for each of thousands of messages. Signatures with any other key (the fallback keys
    when verifying) are Django's own."""

    def __init__(self, *, salt: str, key: str) -> None:
        super().__init__(salt=salt, key=key)
        derived = hashlib.new(self.algorithm, force_bytes(self.salt + "signer") + force_bytes(key))
        self._hmac = hmac.new(derived.digest(), digestmod=self.algorithm)

    def signature(self, value, key=None) -> str:
        if key is not None and key != self.key:
            return super().signature(value, key)
        mac = self._hmac.copy()
        mac.update(force_bytes(value))
        return signing.b64_encode(mac.digest()).decode()


@functools.lru_cache(maxsize=16)
def _signer(salt: str, key: str) -> _Signer:
    return _Signer(salt=salt, key=key)


def unsign(token: str, *, salt: str) -> int:
    """The id a token names; BadToken when forged, of another purpose or expired."""
    try:
        value = signing.loads(token, salt=salt, max_age=_token_max_age())
    except signing.BadSignature as error:  # SignatureExpired is a BadSignature too
        raise BadToken(str(error)) from error
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadToken("the token does not name a record")
    return value


@functools.lru_cache(maxsize=16)
def _route(name: str, base: str) -> tuple[str, str]:
    """The absolute URL of a tokenised route around its token: (before, after). Reversed
    once: a batch builds four links for each of thousands of messages."""
    marker = "__prm_token__"
    url = base + reverse(
        f"communications:{name}", args=[marker, 0] if name == "click" else [marker]
    )
    before, after = url.split(marker)
    return before, after


def _url(name: str, token: str) -> str:
    before, after = _route(name, public_base_url())
    return f"{before}{token}{after}"


def preferences_url(*, contact_id: int) -> str:
    return _url("preferences", sign(contact_id, salt=PREFERENCES_SALT))


def unsubscribe_url(*, message_id: int) -> str:
    return _url("unsubscribe", sign(message_id, salt=UNSUBSCRIBE_SALT))


@dataclass(frozen=True)
class MessageLinks:
    """The signed URLs one e-mail carries."""

    unsubscribe: str
    preferences: str
    open_pixel: str
    click_prefix: str  # + "<index>/"

    def click(self, index: int) -> str:
        return f"{self.click_prefix}{index}/"


def message_links(*, message_id: int, contact_id: int) -> MessageLinks:
    click = _url("click", sign(message_id, salt=CLICK_SALT))
    return MessageLinks(
        unsubscribe=unsubscribe_url(message_id=message_id),
        preferences=preferences_url(contact_id=contact_id),
        open_pixel=_url("open", sign(message_id, salt=OPEN_SALT)),
        click_prefix=click[: -len("0/")],
    )


def unsubscribe_mailto(*, token_url: str) -> str | None:
    """The mailto: alternative of List-Unsubscribe (PRM_UNSUBSCRIBE_MAILTO, else the From
    address), naming the message in its subject; None when there is no address."""
    address = getattr(settings, "PRM_UNSUBSCRIBE_MAILTO", None) or _address_of(
        settings.DEFAULT_FROM_EMAIL
    )
    if not address or "@" not in address:
        return None
    token = urlsplit(token_url).path.rstrip("/").rsplit("/", 1)[-1]
    return f"mailto:{address}?subject={quote('unsubscribe ' + token)}"


@functools.lru_cache(maxsize=8)
def _address_of(from_email: str) -> str:
    # Parsed once: every e-mail of a batch carries the same From.
    return parseaddr(from_email)[1]


# ---------------------------------------------------------------------------------------
# Decorating an outgoing e-mail
# ---------------------------------------------------------------------------------------


def list_unsubscribe_headers(links: MessageLinks) -> dict[str, str]:
    """RFC 2369 List-Unsubscribe (https first, then mailto) and RFC 8058 one-click POST."""
    targets = [f"<{links.unsubscribe}>"]
    mailto = unsubscribe_mailto(token_url=links.unsubscribe)
    if mailto:
        targets.append(f"<{mailto}>")
    return {"List-Unsubscribe": ", ".join(targets), "List-Unsubscribe-Post": ONE_CLICK}


def tracked_html(body: str, *, urls: list[str], links: MessageLinks) -> str:
    """An HTML body whose links to the message's URLs go through click tracking, with the
    unsubscribe footer and the open pixel before </body>."""
    index_of = {url: index for index, url in reversed(list(enumerate(urls)))}

    def rewrite(match: re.Match) -> str:
        index = index_of.get(html.unescape(match.group(3)).strip())
        if index is None:
            return match.group(0)
        return f"{match.group(1)}{match.group(2)}{html.escape(links.click(index))}{match.group(2)}"

    footer = (
        '<p style="font-size:12px;color:#666">'
        "You receive this as a contact of a partner of our program. "
        f'<a href="{html.escape(links.unsubscribe)}">Unsubscribe</a> · '
        f'<a href="{html.escape(links.preferences)}">Manage your e-mail preferences</a></p>'
        f'<img src="{html.escape(links.open_pixel)}" width="1" height="1" alt="" '
        'style="display:block;border:0;width:1px;height:1px">'
    )
    tracked = _HREF.sub(rewrite, body)
    ends = list(_BODY_END.finditer(tracked))
    if ends:
        at = ends[-1].start()
        return tracked[:at] + footer + tracked[at:]
    return tracked + footer


def tracked_text(body: str, *, urls: list[str], links: MessageLinks) -> str:
    """A plain-text body whose URLs go through click tracking, with the unsubscribe footer."""
    index_of = {url: index for index, url in reversed(list(enumerate(urls)))}
    spans: list[tuple[int, int, int]] = []
    # Longest first, so a URL that extends another is rewritten whole. (Plain string search:
    # a regex of each message's own URLs would be compiled anew for every message.)
    for url in sorted(index_of, key=len, reverse=True):
        start = body.find(url)
        while start != -1:
            end = start + len(url)
            if not any(
                start < taken_end and taken_start < end for taken_start, taken_end, _ in spans
            ):
                spans.append((start, end, index_of[url]))
            start = body.find(url, end)
    parts, position = [], 0
    for start, end, index in sorted(spans):
        parts += [body[position:start], links.click(index)]
        position = end
    parts.append(body[position:])
    return (
        f"{''.join(parts).rstrip()}\n\n-- \n"
        f"Unsubscribe: {links.unsubscribe}\n"
        f"Manage your e-mail preferences: {links.preferences}\n"
    )


# ---------------------------------------------------------------------------------------
# What the links do
# ---------------------------------------------------------------------------------------


def _message_for(token: str, *, salt: str) -> Message:
    message_id = unsign(token, salt=salt)
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        raise LinkNotFound(f"message {message_id} does not exist")
    return message


def message_for_unsubscribe(*, token: str) -> Message:
    """The message an unsubscribe link belongs to (for the confirmation page); BadToken or
    LinkNotFound otherwise. Changes nothing."""
    return _message_for(token, salt=UNSUBSCRIBE_SALT)


@transaction.atomic
def message_unsubscribe(*, token: str) -> Message:
    """One-click unsubscribe: the contact receives no more campaign e-mail
    (ContactPreference.unsubscribed_all) and the message records unsubscribed_at (once).
    Safe to repeat; BadToken/LinkNotFound change nothing."""
    message = _message_for(token, salt=UNSUBSCRIBE_SALT)
    now = timezone.now()
    preference, _ = ContactPreference.objects.select_for_update().get_or_create(
        contact_id=message.contact_id
    )
    if not preference.unsubscribed_all:
        preference.unsubscribed_all = True
        preference.save(update_fields=["unsubscribed_all", "updated_at"])
    Message.objects.filter(pk=message.pk, unsubscribed_at__isnull=True).update(unsubscribed_at=now)
    message.refresh_from_db(fields=["unsubscribed_at"])
    return message


def message_mark_opened(*, token: str) -> bool:
    """The open pixel was fetched: set opened_at the first time. True when it was set now."""
    message_id = unsign(token, salt=OPEN_SALT)
    return bool(
        Message.objects.filter(pk=message_id, opened_at__isnull=True).update(
            opened_at=timezone.now()
        )
    )


def message_mark_clicked(*, token: str, index: int) -> str:
    """A tracked link was followed: the URL to redirect to, which is always one the message
    contains (its `links[index]`, http or https only); sets clicked_at the first time, and
    opened_at when the pixel was blocked. LinkNotFound for an unknown message or index."""
    message = _message_for(token, salt=CLICK_SALT)
    links = message.links if isinstance(message.links, list) else []
    if not 0 <= index < len(links):
        raise LinkNotFound(f"message {message.pk} has no link {index}")
    url = str(links[index])
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise LinkNotFound(f"link {index} of message {message.pk} is not a web address")
    now = timezone.now()
    Message.objects.filter(pk=message.pk, clicked_at__isnull=True).update(clicked_at=now)
    Message.objects.filter(pk=message.pk, opened_at__isnull=True).update(opened_at=now)
    return url


# ---------------------------------------------------------------------------------------
# The preference page
# ---------------------------------------------------------------------------------------


def contact_for_preferences(*, token: str) -> Contact:
    """The contact a preference link belongs to; BadToken or LinkNotFound otherwise."""
    contact_id = unsign(token, salt=PREFERENCES_SALT)
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        raise LinkNotFound(f"contact {contact_id} does not exist")
    return contact


def preference_topics() -> list[tuple[str, str]]:
    """The topics a contact can opt out of (service messages are not optional)."""
    return [(value, label) for value, label in Topic.choices if value != Topic.SYSTEM]


def contact_preference_get(*, contact: Contact) -> ContactPreference:
    """The contact's preferences (an unsaved default row when they never set any)."""
    return ContactPreference.objects.filter(contact=contact).first() or ContactPreference(
        contact=contact
    )


def contact_preference_save(
    *,
    contact: Contact,
    receive_email: bool,
    topics_wanted: list[str],
    max_per_week: int | None,
) -> ContactPreference:
    """Save what the preference page shows: all campaign e-mail on or off, the optional
    topics the contact still wants (the others become topics_opted_out) and their own
    weekly cap (None = the global default), through services.contact_preference_update.
    The next frozen occurrence applies them."""
    from communications.services import contact_preference_update

    wanted = set(topics_wanted)
    return contact_preference_update(
        contact=contact,
        data={
            "unsubscribed_all": not receive_email,
            "topics_opted_out": [value for value, _ in preference_topics() if value not in wanted],
            "max_per_week": max_per_week,
        },
    )
