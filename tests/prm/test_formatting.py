"""prm.formatting: money with its currency and numbers in the reader's locale (CLDR via Babel).

CLDR separates with no-break spaces: "\xa0" (U+00A0) and "\u202f" (narrow, U+202F).
"""

from decimal import Decimal

import pytest
from django.test import RequestFactory, override_settings

from prm.formatting import (
    EMPTY,
    FormattingLocaleMiddleware,
    Money,
    current_locale,
    format_money,
    format_money_compact,
    format_number,
    format_percent,
    locale_from_accept_language,
    locale_override,
    locale_tag,
    parse_locale,
)


class TestFormatMoney:
    @pytest.mark.parametrize(
        ("locale", "expected"),
        [
            ("en_US", "$719,389"),
            ("de_DE", "719.389\xa0$"),
            ("fr_FR", "719\u202f389\xa0$US"),
            ("en_GB", "US$719,389"),
            ("ja_JP", "$719,389"),
            ("en_IN", "$7,19,389"),
        ],
    )
    def test_whole_units_with_the_currency_in_the_locales_pattern(self, locale, expected):
        assert format_money(Decimal("719389.20"), locale=locale) == expected

    @pytest.mark.parametrize(
        ("currency", "locale", "expected"),
        [
            ("EUR", "en_US", "€12,500"),
            ("EUR", "de_DE", "12.500\xa0€"),
            ("GBP", "en_GB", "£12,500"),
            ("CHF", "de_CH", "CHF\xa012'500"),
        ],
    )
    def test_a_currency_given_is_used(self, currency, locale, expected):
        assert format_money(12500, currency, locale=locale) == expected

    def test_the_default_currency_is_prm_currency(self):
        with override_settings(PRM_CURRENCY="EUR"):
            assert format_money(5, locale="en_US") == "€5"
        assert format_money(5, locale="en_US") == "$5"

    def test_minor_units_follow_the_currency(self):
        assert format_money(Decimal("1234.5"), "USD", digits=None, locale="en_US") == "$1,234.50"
        assert format_money(Decimal("1234.5"), "JPY", digits=None, locale="ja_JP") == "￥1,235"
        assert format_money(Decimal("1234.5"), "EUR", digits=None, locale="de_DE") == (
            "1.234,50\xa0€"
        )

    @pytest.mark.parametrize(
        ("amount", "expected"),
        [
            (Decimal("0.5"), "$1"),
            (Decimal("2.5"), "$3"),
            (Decimal("-3.5"), "-$4"),
            (Decimal("-0.4"), "$0"),
            (0.1 + 0.2, "$0"),
            (1234567.5, "$1,234,568"),
            (Decimal("98765432109.99"), "$98,765,432,110"),
            (0, "$0"),
        ],
    )
    def test_rounds_half_up_as_people_do_and_never_shows_a_negative_zero(self, amount, expected):
        assert format_money(amount, locale="en_US") == expected

    def test_negative_amounts_in_the_locales_pattern(self):
        assert format_money(-1500, locale="en_US") == "-$1,500"
        assert format_money(-1500, locale="de_DE") == "-1.500\xa0$"
        assert format_money(-1500, "EUR", locale="nl_NL") == "€\xa0-1.500"

    @pytest.mark.parametrize("value", [None, "", "n/a", float("nan"), float("inf"), True])
    def test_what_is_not_an_amount_shows_a_dash(self, value):
        assert format_money(value, locale="en_US") == EMPTY

    def test_a_money_brings_its_own_currency(self):
        price = Money(Decimal("1234.5"), "eur")

        assert price.currency == "EUR"
        assert format_money(price, "USD", locale="en_US") == "€1,235"
        with locale_override("de-DE"):
            assert str(price) == "1.234,50\xa0€"

    def test_a_money_takes_decimals_as_given_and_refuses_what_is_not_money(self):
        assert Money("0.1", "USD").amount == Decimal("0.1")
        assert Money(0.1, "USD").amount == Decimal("0.1")
        with pytest.raises(ValueError, match="ISO 4217"):
            Money(Decimal(1), "DOLLARS")
        with pytest.raises(ValueError, match="not an amount"):
            Money(None, "USD")


class TestFormatMoneyCompact:
    @pytest.mark.parametrize(
        ("amount", "locale", "expected"),
        [
            (1_234_567, "en_US", "$1.2M"),
            (719_389, "en_US", "$719.4K"),
            (1_000_000, "en_US", "$1M"),
            (999_960, "en_US", "$1M"),
            (12_345_678_901, "en_US", "$12.3B"),
            (950, "en_US", "$950"),
            (-1_234_567, "en_US", "-$1.2M"),
            (1_234_567, "de_DE", "1,2\xa0Mio.\xa0$"),
            # German writes thousands in full
            (719_389, "de_DE", "719.389\xa0$"),
            (1_234_567, "en_IN", "$12.3L"),
        ],
    )
    def test_short_where_the_locale_abbreviates(self, amount, locale, expected):
        assert format_money_compact(amount, locale=locale) == expected

    def test_currency_and_none(self):
        assert format_money_compact(2_500_000, "EUR", locale="en_US") == "€2.5M"
        assert format_money_compact(Money(2_500_000, "GBP"), locale="en_GB") == "£2.5m"
        assert format_money_compact(None) == EMPTY


class TestFormatNumber:
    @pytest.mark.parametrize(
        ("locale", "expected"),
        [
            ("en_US", "1,234,567"),
            ("de_DE", "1.234.567"),
            ("fr_FR", "1\u202f234\u202f567"),
            ("en_IN", "12,34,567"),
        ],
    )
    def test_grouping_of_the_locale(self, locale, expected):
        assert format_number(1234567, locale=locale) == expected

    @pytest.mark.parametrize(
        ("value", "digits", "expected"),
        [
            (12.25, 1, "12.3"),
            (Decimal("55.55"), 1, "55.6"),
            (Decimal("2.5"), 0, "3"),
            (-0.2, 0, "0"),
            (Decimal("1234.5"), 2, "1,234.50"),
            (Decimal("12.50"), None, "12.5"),
            (Decimal("0.12345"), None, "0.123"),
            (-1234, None, "-1,234"),
        ],
    )
    def test_fraction_digits_fixed_or_as_needed(self, value, digits, expected):
        assert format_number(value, digits, locale="en_US") == expected

    def test_decimal_mark_of_the_locale(self):
        assert format_number(Decimal("1234.5"), 1, locale="de_DE") == "1.234,5"
        assert format_number(None) == EMPTY


class TestFormatPercent:
    def test_a_ratio_in_the_locales_pattern(self):
        assert format_percent(0.4237, locale="en_US") == "42%"
        assert format_percent(0.4237, 1, locale="en_US") == "42.4%"
        assert format_percent(0.4237, 1, locale="de_DE") == "42,4\xa0%"
        assert format_percent(Decimal("0.005"), locale="en_US") == "1%"
        assert format_percent(-0.25, locale="en_US") == "-25%"
        assert format_percent(None) == EMPTY


class TestLocales:
    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            ("de-CH,de;q=0.9,en;q=0.8", "de_CH"),
            ("en;q=0.1, fr-FR;q=0.9", "fr_FR"),
            ("x-klingon, pt-BR;q=0.5", "pt_BR"),
            ("ja", "ja"),
            ("*", None),
            ("", None),
        ],
    )
    def test_the_first_locale_of_accept_language_that_cldr_knows(self, header, expected):
        locale = locale_from_accept_language(header)
        assert (str(locale) if locale else None) == expected

    def test_unknown_tags_are_no_locale(self):
        assert parse_locale("not a locale") is None
        assert parse_locale("") is None
        assert str(parse_locale("de-AT")) == "de_AT"

    def test_the_default_locale_is_prm_locale(self):
        with override_settings(PRM_LOCALE="de-DE"):
            assert format_money(1500) == "1.500\xa0$"
        assert format_money(1500) == "$1,500"

    def test_an_override_lasts_for_its_block(self):
        with locale_override("fr-FR"):
            assert locale_tag() == "fr-FR"
            with locale_override(None):
                assert locale_tag() == "en-US"
            assert format_number(1234) == "1\u202f234"
        assert format_number(1234) == "1,234"

    def test_the_middleware_formats_a_request_in_its_browsers_locale(self):
        seen = {}

        def view(request):
            seen["request"] = request.format_locale
            seen["formatted"] = format_money(1500)
            return None

        middleware = FormattingLocaleMiddleware(view)
        request = RequestFactory().get("/", headers={"Accept-Language": "de-DE,de;q=0.9"})

        middleware(request)

        assert str(seen["request"]) == "de_DE"
        assert seen["formatted"] == "1.500\xa0$"
        assert str(current_locale()) == "en_US"  # reset after the request

    def test_a_request_without_a_known_locale_gets_the_default(self):
        seen = {}
        middleware = FormattingLocaleMiddleware(
            lambda request: seen.setdefault("formatted", format_money(1500))
        )

        middleware(RequestFactory().get("/", headers={"Accept-Language": "tlh"}))

        assert seen["formatted"] == "$1,500"
