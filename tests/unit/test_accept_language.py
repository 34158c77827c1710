"""Accept-Language negotiated as HTTP says (RFC 9110 section 12.5.4, RFC 4647
lookup), over the 15 supported locales."""

import pytest

from casemgr.api.i18n import LANGUAGE_LOCALES, negotiate_language, parse_accept_language
from casemgr.config import SUPPORTED_LANGUAGES


@pytest.mark.parametrize("header, expected", [
    ("en-US,en;q=0.9", "en-US"),  # Chromium's default
    ("de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7", "de-DE"),
    ("en-us", "en-US"),
    ("EN-US", "en-US"),
    ("fr-ca", "fr-CA"),
    ("pt-PT", "pt-PT"),
    (" ja-JP ", "ja-JP"),
])
def test_a_supported_locale_is_found_whatever_its_case(header, expected):
    assert negotiate_language(header, "en-US") == expected


@pytest.mark.parametrize("language, locale", sorted(LANGUAGE_LOCALES.items()))
def test_a_bare_language_answers_in_its_supported_region(language, locale):
    assert negotiate_language(language, "en-US") == locale


def test_every_supported_language_has_a_locale_for_its_bare_form():
    assert set(LANGUAGE_LOCALES) == {locale.split("-")[0] for locale in SUPPORTED_LANGUAGES}
    assert set(LANGUAGE_LOCALES.values()) <= set(SUPPORTED_LANGUAGES)


@pytest.mark.parametrize("header, expected", [
    ("en-GB", "en-US"),
    ("en-GB-oxendict", "en-US"),
    ("de-CH", "de-DE"),
    ("fr-BE", "fr-FR"),
    ("pt-AO", "pt-BR"),
    ("zh-Hant-TW", "zh-CN"),
    ("es-419", "es-ES"),
    ("sv-x-private", "sv-SE"),  # truncation drops the singleton x with what follows it
])
def test_a_range_more_specific_than_any_locale_falls_back_by_truncation(header, expected):
    assert negotiate_language(header, "en-US") == expected


@pytest.mark.parametrize("header, expected", [
    ("de;q=0.5, fr;q=0.8", "fr-FR"),
    ("de;q=0.5, fr;q=0.5", "de-DE"),  # equal weights: the order sent
    ("tlh, ko;q=0.1", "ko-KR"),  # an unsupported first choice
    ("da;Q=1.000, ru;q=0.999", "da-DK"),
])
def test_ranges_are_tried_by_weight(header, expected):
    assert negotiate_language(header, "en-US") == expected


@pytest.mark.parametrize("default", ["en-US", "ja-JP"])
def test_a_star_is_the_default_language(default):
    assert negotiate_language("*", default) == default
    assert negotiate_language("tlh, *;q=0.1", default) == default


@pytest.mark.parametrize("header, expected", [
    ("en;q=0, *", "es-ES"),  # anything but English: the first locale not refused
    ("*;q=0, de", "de-DE"),  # a named language beats the refused rest
    ("de;q=0, fr;q=0.1", "fr-FR"),
    ("en;q=0, en-US", "en-US"),  # a more specific range asks for it again
    ("en-US;q=0, en", None),  # en finds only en-US, which is refused
    ("en-GB, en;q=0", None),  # en-GB falls back through en, which is refused
    ("de-DE;q=0.0", None),
])
def test_q_zero_refuses(header, expected):
    assert negotiate_language(header, "en-US") == expected


@pytest.mark.parametrize("header", ["", " ", ",", "tlh", "x-klingon", "i-klingon", "*;q=0", "de;q=0", "e n",
                                    "de;q=1.5", "de;q=0.5;x=1", "12-34"])
def test_nothing_usable_is_none(header):
    assert negotiate_language(header, "en-US") is None


def test_malformed_entries_are_skipped_and_the_rest_is_used():
    assert [r.tag for r in parse_accept_language("de;q=2, en-*, fr;x=1, @@, sv;q=0.3")] == ["sv"]
    assert negotiate_language("de;q=2, en-*, fr;x=1, @@, sv;q=0.3", "en-US") == "sv-SE"
