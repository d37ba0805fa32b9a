"""End customers: one Account per customer, found again by its web domain or, without one, by
its normalised name in its country."""

from __future__ import annotations

import functools
import re
import unicodedata

import tldextract
from cleanco import basename
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django_countries import countries

from deals.models import Account
from partners.models import Industry

_PUNCTUATION = re.compile(r"[^\w\s]+", re.UNICODE)
_SPACES = re.compile(r"\s+")
_HOST = re.compile(r"^[a-z0-9.-]+$")


@functools.cache
def _domain_extractor() -> tldextract.TLDExtract:
    # The public suffix list bundled with tldextract: never fetched, so no network is needed.
    # Its private part too: two customers on acme.github.io and globex.github.io are not one.
    return tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
    )


def normalize_company_name(name: str) -> str:
    """ "Acme GmbH" → "acme", "ACME, Inc." → "acme": legal suffixes (cleanco) and punctuation
    removed, spaces collapsed, case folded. What conflict detection compares."""
    text = unicodedata.normalize("NFKC", str(name or "")).strip()
    if not text:
        return ""
    # cleanco strips one suffix per call ("Acme Holdings Ltd." → "Acme Holdings"); twice covers
    # "Acme Co., Ltd." while a name that is only a suffix word keeps its text.
    stripped = basename(basename(text)) or text
    stripped = _PUNCTUATION.sub(" ", stripped)
    return _SPACES.sub(" ", stripped).strip().casefold()[:200]


def normalize_domain(value: str) -> str:
    """The registered domain of a URL, host or e-mail address: `https://www.Acme.co.uk/x` →
    `acme.co.uk`; "" when there is none."""
    text = str(value or "").strip().lower()
    if not text:
        return ""
    if "@" in text and "/" not in text:
        text = text.rsplit("@", 1)[1]
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    host = text.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    host = host.rsplit("@", 1)[-1].split(":", 1)[0].strip(".")
    if not host or not _HOST.match(host):
        return ""
    parts = _domain_extractor()(host)
    if not parts.domain or not parts.suffix:
        return ""
    return f"{parts.domain}.{parts.suffix}"


def account_get_or_create(
    *,
    name: str,
    domain: str = "",
    country: str | None = None,
    industry: Industry | None = None,
) -> Account:
    """The customer's Account: by registered domain when one is given, else by normalised name
    and country; created when new. Safe against two submissions creating it at once."""
    normalized = normalize_company_name(name)
    registered = normalize_domain(domain)
    country = (country or "").upper() or None
    if registered:
        lookup = {"domain": registered}
    else:
        lookup = {"domain": "", "normalized_name": normalized, "country": country}
    existing = Account.objects.filter(**lookup).order_by("id").first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Account.objects.create(
                name=name.strip()[:200],
                normalized_name=normalized,
                domain=registered,
                country=country,
                industry=industry,
            )
    except IntegrityError:
        # The other submission created it first (the unique domain): use theirs.
        return Account.objects.get(domain=registered)


@transaction.atomic
def account_update(
    *,
    account: Account,
    name: str | None = None,
    domain: str | None = None,
    country: str | None = None,
    industry: Industry | None = None,
    fields: frozenset[str] = frozenset(),
) -> Account:
    """Correct a customer (a manager's fix of a partner's spelling): the `fields` named are
    set, the normalised name follows the name, and a domain another customer already has
    is refused (merge them instead of keeping two). Raises ValidationError by field."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    errors: dict[str, list[str]] = {}
    if "name" in fields:
        text = str(name or "").strip()
        if not text or len(text) > 200:
            errors["name"] = ["Name the customer (at most 200 characters)."]
        account.name, account.normalized_name = text, normalize_company_name(text)
    if "domain" in fields:
        registered = normalize_domain(domain or "")
        if domain and not registered:
            errors["domain"] = [f"{domain!r} has no registered domain, e.g. acme.co.uk."]
        elif registered and Account.objects.filter(domain=registered).exclude(pk=account.pk):
            errors["domain"] = [f"Another customer has the domain {registered}."]
        account.domain = registered
    if "country" in fields:
        code = str(country or "").strip().upper() or None
        if code and code not in dict(countries):
            errors["country"] = [f"{code} is not an ISO 3166 country code."]
        account.country = code
    if "industry" in fields:
        account.industry = industry
    if errors:
        raise ValidationError(errors)
    account.save()
    return account
