"""The language of an answer: Accept-Language negotiation, and the localized
error messages of eGain's userMessage.

The messages are gettext catalogs (``casemgr/api/locales/<ll_CC>/LC_MESSAGES/
messages.po``), one per supported Accept-Language code, read once with Babel.
The message ids are the English texts of ``USER_MESSAGES``; a test holds
every catalog to translating every one of them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from babel.messages.pofile import read_po

from casemgr.config import SUPPORTED_LANGUAGES

LOCALES_DIR = Path(__file__).parent / "locales"

# One sentence per error code, for the person in front of the integrator's
# screen: what went wrong and what to do.
USER_MESSAGES: dict[str, str] = {
    "400-101": "The request has parameters that are not supported.",
    "400-152": "A value in the request is not valid.",
    "400-196": "A value in the request is not one of the allowed values.",
    "400-10424": "A case can be related to at most 75 other cases.",
    "400-9001": "The request is empty.",
    "400-9002": "The request could not be read.",
    "400-9003": "A required value is missing from the request.",
    "400-9004": "The request contains a value that cannot be changed here.",
    "400-9005": "Nothing to change was given.",
    "400-9006": "The case does not exist.",
    "400-9007": "The case is not open, so it cannot be changed.",
    "400-9008": "The case is not closed.",
    "400-9009": "A text is longer than 1024 characters.",
    "400-9010": "An empty value must be sent as an empty text, not as null.",
    "400-9011": "The due date must be in the future.",
    "400-9012": "The new owner does not exist.",
    "400-9013": "The new owner's account is disabled.",
    "400-9014": "The new owner has no user license.",
    "400-9015": "A related case does not exist.",
    "400-9016": "A case cannot be related to itself.",
    "400-9017": "A custom attribute is not known.",
    "400-9018": "A custom attribute contains characters that are not allowed.",
    "400-9019": "At most 75 cases can be read at once.",
    "400-9020": "The category is required.",
    "400-9021": "The type is required.",
    "400-9022": "The category or the type is not known.",
    "400-9023": "This category cannot hold cases.",
    "400-9024": "The status is not known.",
    "400-9025": "The resolution is not known.",
    "400-9026": "The case data does not match the case type.",
    "400-9027": "At most 100 comments can be added at once.",
    "400-9028": "The position to continue the list of changes from is not valid.",
    "400-9029": "The webhook address cannot be used: it must lead to a public internet address.",
    "400-9030": "The search matches too many cases. Add a filter to narrow it down.",
    "400-9031": "This integration already has as many webhook subscriptions as it may have. Delete one before adding another.",
    "400-9032": "The case cannot move to this status from its current one. Choose one of the statuses that may follow it.",
    "400-9033": "This comment does not belong to the case. Reload the case and try again.",
    "401-101": "Your session has expired. Please log in again.",
    "401-9001": "The user name or the password is wrong.",
    "401-9002": "Please log in first.",
    "403-105": "You are not allowed to work on this case.",
    "403-178": "You are not allowed to perform this action.",
    "403-197": "Your access does not allow this operation.",
    "403-9001": "You are not allowed to work on this case.",
    "403-9002": "You are not allowed to assign cases to this user.",
    "403-9003": "This user cannot be assigned cases of this department.",
    "403-9004": "You are not allowed to take over cases from the current owner.",
    "403-9005": "You are not allowed to relate one of these cases.",
    "403-9006": "You have too many open sessions. Log out elsewhere or force the login.",
    "404-9001": "No case was found.",
    "404-9002": "The requested resource does not exist.",
    "404-9003": "The webhook subscription does not exist.",
    "405-9001": "This operation is not available here.",
    "406-100": "The requested language is not supported.",
    "406-9001": "The requested response format is not supported.",
    "409-100": "Someone else changed the case in the meantime. Reload it and try again.",
    "409-9001": "Someone else changed the case in the meantime. Reload it and try again.",
    "408-9001": "The request did not arrive in time. Please try again.",
    "411-9001": "The size of the request is unknown.",
    "429-9001": "Too many failed attempts. Please wait and try again.",
    "429-9002": "Too many requests at once. Please wait a moment and try again.",
    "503-9004": "The service is checking many passwords right now. Please try again in a moment.",
    "503-9006": "The service is checking many webhook addresses right now. Please try again in a moment.",
    "412-9001": "Someone else changed the case in the meantime. Reload it and try again.",
    "413-9001": "The request is too large.",
    "415-9001": "The request format is not supported.",
    "415-9002": "The request was sent compressed. Please send it uncompressed.",
    "500-100": "Something went wrong. Please try again later.",
    "503-9001": "The service is temporarily unavailable. Please try again shortly.",
    "503-9002": "The case is busy. Please try again shortly.",
    "503-9003": "The connection was lost while saving. Reload the case to see whether your change was saved.",
    "503-9005": "The request took too long and was stopped. Narrow it down, or try again later.",
}


def locale_dir_name(language: str) -> str:
    """Accept-Language code (de-DE) → gettext locale directory (de_DE)."""
    return language.replace("-", "_")


@functools.cache
def catalog(language: str) -> dict[str, str]:
    """msgid → translation for one language ({} for en-US: the ids are English)."""
    path = LOCALES_DIR / locale_dir_name(language) / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        parsed = read_po(handle, locale=locale_dir_name(language))
    return {m.id: m.string for m in parsed if m.id and m.string and not m.fuzzy}


def user_message(code: str, language: str) -> str:
    english = USER_MESSAGES.get(code, USER_MESSAGES["500-100"])
    if language not in SUPPORTED_LANGUAGES:
        return english
    return catalog(language).get(english, english)


# -- Accept-Language (RFC 9110 section 12.5.4, RFC 4647 lookup) ---------------

# The locale a bare language answers in (RFC 4647 lookup truncates en-GB to
# en, which answers in en-US). fr and pt have two supported regions each: the
# one with the most speakers answers.
LANGUAGE_LOCALES: dict[str, str] = {
    "en": "en-US", "es": "es-ES", "fr": "fr-FR", "it": "it-IT", "de": "de-DE", "nl": "nl-NL",
    "pt": "pt-BR", "da": "da-DK", "ru": "ru-RU", "zh": "zh-CN", "ja": "ja-JP", "ko": "ko-KR",
    "sv": "sv-SE",
}
_LOCALES = {locale.lower(): locale for locale in SUPPORTED_LANGUAGES}
# RFC 4647 section 2.1 basic language range (lower-cased), and RFC 9110 qvalue.
_RANGE = re.compile(r"\*|[a-z]{1,8}(?:-[a-z0-9]{1,8})*")
_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")


@dataclass(frozen=True)
class LanguageRange:
    tag: str  # lower case; "*" is any language
    quality: float

    @property
    def specificity(self) -> int:
        return 0 if self.tag == "*" else self.tag.count("-") + 1

    def matches(self, locale: str) -> bool:
        """RFC 4647 basic filtering: the range is the tag or a prefix of it."""
        tag = locale.lower()
        return self.tag == "*" or tag == self.tag or tag.startswith(self.tag + "-")


def parse_accept_language(header: str) -> list[LanguageRange]:
    """The well-formed entries of an Accept-Language value, in the order sent.
    Read leniently: an entry that is not a language range with at most a q
    weight (``en-US;q=0.8``) is skipped, not fatal, so one odd entry from a
    client does not cost it the languages it named correctly."""
    ranges = []
    for item in header.split(","):
        tag, *parameters = (part.strip() for part in item.split(";"))
        tag = tag.lower()
        if not _RANGE.fullmatch(tag) or len(parameters) > 1:
            continue
        quality = 1.0
        if parameters:
            name, _, value = parameters[0].partition("=")
            if name.strip().lower() != "q" or not _QVALUE.fullmatch(value.strip()):
                continue
            quality = float(value)
        ranges.append(LanguageRange(tag, quality))
    return ranges


# Clients send few distinct values (a browser sends the same one on every
# request): the outcome is remembered per value, in a bounded cache.
@functools.lru_cache(maxsize=256)
def negotiate_language(header: str, default: str) -> str | None:
    """The supported locale the header asks for, or None when it names none.

    The ranges with q > 0 are tried by descending q (ties in the order sent);
    the first that finds a locale by RFC 4647 lookup wins. ``*`` is the
    default language. A range with q=0 refuses what it matches, unless the
    locale was found through a more specific range (``en;q=0, en-US``
    still gives en-US)."""
    ranges = parse_accept_language(header)
    refusals = [r for r in ranges if r.quality == 0]
    for wanted in sorted((r for r in ranges if r.quality > 0), key=lambda r: -r.quality):
        for locale, specificity in _lookup(wanted, default):
            if not any(r.matches(locale) and r.specificity >= specificity for r in refusals):
                return locale
    return None


def _lookup(wanted: LanguageRange, default: str):
    """The locales a range finds, most specific first, each with the number
    of subtags it was found by. RFC 4647 section 3.4: the range is truncated
    from the end until a locale matches, dropping a trailing singleton; a bare
    language finds its locale of ``LANGUAGE_LOCALES``."""
    if wanted.tag == "*":
        # Any language: the default, else (when q=0 refused it) the first not refused.
        yield from ((locale, 0) for locale in dict.fromkeys((default, *SUPPORTED_LANGUAGES)))
        return
    subtags = wanted.tag.split("-")
    while subtags:
        prefix = "-".join(subtags)
        locale = _LOCALES.get(prefix) or (LANGUAGE_LOCALES.get(prefix) if len(subtags) == 1 else None)
        if locale:
            yield locale, len(subtags)
        subtags.pop()
        if subtags and len(subtags[-1]) == 1:
            subtags.pop()
