"""OpenAPI documentation both eGain APIs share: the error responses (JSON and
XML, one per status, listing the codes of the error table), the optional
request headers, and examples: eGain's documented edit examples and a read
of its example case, 1013."""

from __future__ import annotations

from apispec import APISpec
from flask_smorest import Blueprint

from casemgr.api import apidoc
from casemgr.api.egain import attributes
from casemgr.api.egain.schemas import EgainError
from casemgr.api.egain.xml import CASE_NS, COMMON_NS
from casemgr.api.i18n import LANGUAGE_LOCALES
from casemgr.api.wire import JSON, XML
from casemgr.config import SUPPORTED_LANGUAGES
from casemgr.domain.model import MAX_CASES_PER_READ

ERROR_PREFIX = "EgainError"
MEDIA_TYPES = (JSON, XML)

_ERROR_EXAMPLES = {
    400: ("400-101", "Unsupported query parameter(s) supplied: 'sort'.", [{"key": "parameters", "value": "sort"}]),
    401: ("401-101", "Session is invalid or expired.", None),
    403: ("403-178", "User not allowed to perform action 'Edit Case'.", [{"key": "action", "value": "Edit Case"}]),
    404: ("404-9001", "No case found for the given ID(s).", None),
    405: ("405-9001", "The method is not allowed for the requested URL.", None),
    406: ("406-100", f"No language in 'Accept-Language: tlh' is supported; use one of "
                     f"{', '.join(SUPPORTED_LANGUAGES)} (a bare language such as 'en' or 'de', and '*', also work).",
          None),
    409: ("409-100", "lastModified does not match the case's current lastModified.",
          [{"key": "lastModified", "value": "2026-11-22T10:00:00.123Z"},
           {"key": "changedFields", "value": "subject,severity"}, {"key": "changes", "value": "2"}]),
    411: ("411-9001", "A chunked body is not supported by this server; send Content-Length.", None),
    412: ("412-9001", "If-Match does not match the case's ETag.",
          [{"key": "lastModified", "value": "2026-11-22T10:00:00.123Z"},
           {"key": "changedFields", "value": "status"}, {"key": "changes", "value": "1"}]),
    413: ("413-9001", "Request body exceeds 1048576 bytes.", None),
    415: ("415-9001", "Content-Type 'text/plain' is not supported; use application/json or application/xml.", None),
    429: ("429-9001", "Too many failed attempts; retry after 840 seconds.", None),
    500: ("500-100", "System unable to process the request.", None),
    503: ("503-9001", "The database is unavailable; retry shortly.", None),
}


def _json_example(status: int) -> dict:
    code, message, details = _ERROR_EXAMPLES.get(status, (f"{status}-100", "…", None))
    body = {"code": code, "developerMessage": message}
    if details:
        body["details"] = details
    return body


def _xml_example(status: int) -> str:
    body = _json_example(status)
    details = "".join(f"<detail><key>{d['key']}</key><value>{d['value']}</value></detail>"
                      for d in body.get("details", ()))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><error xmlns="{COMMON_NS}">'
            f"<code>{body['code']}</code><developerMessage>{body['developerMessage']}</developerMessage>"
            + (f"<details>{details}</details>" if details else "") + "</error>")


def _content(status: int) -> dict:
    return {
        JSON: {"schema": EgainError, "example": _json_example(status)},
        XML: {"schema": EgainError, "example": _xml_example(status)},
    }


def _headers(status: int) -> dict:
    headers = {"Content-Language": {"description": "The language of the texts.", "schema": {"type": "string"}}}
    if status == 401:
        headers["WWW-Authenticate"] = {
            "description": "v3: the RFC 6750 challenge, Bearer realm=\"casemgr\", with error=\"invalid_token\" "
                           "when a token was sent.", "schema": {"type": "string"}}
    if status == 403:
        headers["WWW-Authenticate"] = {
            "description": "v3, 403-197: Bearer realm=\"casemgr\", error=\"insufficient_scope\".",
            "schema": {"type": "string"}}
    if status == 429:
        headers["Retry-After"] = {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}
    if status == 503:
        headers["Retry-After"] = {"description": "Seconds to wait before retrying; absent after a statement timeout "
                                                 "(503-9005): the same request would take as long again.",
                                  "schema": {"type": "integer"}}
    if status == 415:
        headers["Accept-Encoding"] = {"description": "415-9002: identity, the only coding a request body may have.",
                                      "schema": {"type": "string"}}
    if status == 409:
        headers["ETag"] = {"description": "The case's current ETag.", "schema": {"type": "string"}}
    return headers


LANGUAGE_SCHEMA = "Language"


def register(spec: APISpec) -> None:
    # One schema for every Accept-Language parameter. Not an enum of the 15
    # locales: "de", "en-GB" or a weighted list are as valid as "de-DE" (and
    # an enum would call them invalid).
    spec.components.schema(LANGUAGE_SCHEMA, {
        "type": "string", "example": "en-US,en;q=0.9",
        "description": "An Accept-Language header: language ranges with q weights (RFC 9110 section 12.5.4)."})
    apidoc.error_responses(
        spec, prefix=ERROR_PREFIX, content=_content, headers=_headers,
        line=lambda entry: f"`{entry.egain_code}` {entry.summary}",
    )


def document_errors(blp: Blueprint, *statuses: int):
    return apidoc.document_errors(blp, ERROR_PREFIX, statuses)


# -- request headers ----------------------------------------------------------

def accept_language(*, required: bool) -> dict:
    bare = ", ".join(f"{language} → {locale}" for language, locale in LANGUAGE_LOCALES.items())
    return {
        "in": "header", "name": "Accept-Language", "required": required,
        "schema": {"$ref": f"#/components/schemas/{LANGUAGE_SCHEMA}"},
        "description": "The language of userMessage and of Content-Language, negotiated as RFC 9110 "
                       "section 12.5.4 says: a list of language ranges with q weights, case-insensitive. "
                       "The ranges are tried by descending q (ties in the order sent); the first that finds "
                       f"one of the 15 locales ({', '.join(SUPPORTED_LANGUAGES)}) by RFC 4647 lookup wins. "
                       f"A bare language answers in its region ({bare}); a more specific range falls "
                       "back by truncation (en-GB → en → en-US); `*` is the service's default language; "
                       "q=0 refuses what it names. Entries that do not parse are skipped. "
                       + ("Required: missing, or no range finding a locale, is 406 (406-100)." if required
                          else "Absent: the service's default language. No range finding a locale: 406 "
                               "(406-100)."),
    }


ERROR_MESSAGE_HEADER = {
    "in": "header", "name": "X-egain-error-message", "required": False,
    "schema": {"type": "string", "example": "yes"},
    "description": "yes (in any case): error bodies also carry userMessage, localized by Accept-Language; "
                   "any other value: they do not.",
}

IF_MATCH_HEADER = {
    "in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
    "description": "The case's ETag, as an alternative to the body's lastModified (412 on mismatch).",
}

ETAG = apidoc.etag_header("The case's new version")

CONTENT_LANGUAGE = {"Content-Language": {"description": "The language the answer was negotiated in.",
                                         "schema": {"type": "string"}}}


# -- examples (eGain's documented ones, for v12 and v3) -------------------------

def edit_examples(last_modified_of, href_prefix: str) -> dict:
    """eGain's two documented edit examples: every allowed element, and
    removing values.
    ``last_modified_of`` shapes the date as the API wants it."""
    return {
        "allElements": {
            "summary": "Modify all allowed elements of a case",
            "value": {
                "id": "1013",
                "lastModified": last_modified_of("2015-07-30T13:07:40.000Z"),
                "dueDate": "2030-11-30T18:30:00.000Z",
                "owner": {"user": {"id": "1002"}},
                "severity": {"value": "urgent"},
                "subject": "Issue with phone: ",
                "description": "Phone issue",
                "solution": "Replace phone",
                "relatedCases": {
                    "link": [{"rel": "case", "href": f"{href_prefix}1002"}],
                    "unlink": [{"rel": "case", "href": f"{href_prefix}1001"}],
                },
                "customAttributes": {"customAttribute": [
                    {"attribName": "customer_rating", "attribValues": {"attribValue": [{"value": "5"}]}}]},
            },
        },
        "removeValues": {
            "summary": "Modify a case to remove attribute values",
            "value": {
                "id": "1013",
                "lastModified": last_modified_of("2015-07-30T13:07:40.000Z"),
                "dueDate": "",
                "subject": "",
                "description": "",
                "solution": "",
            },
        },
    }


def edit_xml_example(href_prefix: str) -> str:
    return f"""<case xmlns="{CASE_NS}"
      xmlns:ns2="{COMMON_NS}" id="1013">
  <lastModified date="2015-07-02T10:45:01Z"/>
  <dueDate>2030-11-30T18:30:00.000Z</dueDate>
  <owner><user id="1002"/></owner>
  <severity><ns2:value>urgent</ns2:value></severity>
  <subject>Issue with phone: </subject>
  <relatedCases>
    <link rel="case" href="{href_prefix}1002"/>
    <unlink rel="case" href="{href_prefix}1001"/>
  </relatedCases>
  <customAttributes>
    <ns2:customAttribute>
      <ns2:attribName>customer_rating</ns2:attribName>
      <ns2:attribValues><ns2:attribValue><ns2:value>5</ns2:value></ns2:attribValue></ns2:attribValues>
    </ns2:customAttribute>
  </customAttributes>
</case>"""


def whole_case_example(href_prefix: str, last_modified) -> dict:
    """A read of eGain's example case with every attribute ($attribute=all)."""
    return {
        "id": "1013",
        "link": [{"rel": "self", "href": f"{href_prefix}1013"}],
        "department": {"id": "999", "name": "Service"},
        "status": {"value": "open", "displayValue": "Open"},
        "severity": {"value": "urgent", "displayValue": "Urgent"},
        "subject": "Issue with phone: ",
        "description": "Phone issue",
        "solution": "Replace phone",
        "dueDate": "2030-11-30T18:30:00.000Z",
        "owner": {"user": {"id": "1002", "name": "frank", "firstName": "Frank", "lastName": "Robert"}},
        "customer": {"id": "1000", "customerName": "John Russel Tierney"},
        "lastModified": last_modified,
        "relatedCases": {"link": [{"rel": "case", "href": f"{href_prefix}1002"}]},
        "customAttributes": {"customAttribute": [
            {"attribName": "customer_rating", "attribValues": {"attribValue": [{"value": "5"}]}}]},
    }


def summary_example(href_prefix: str, last_modified) -> dict:
    """The same case as a read shows it without $attribute."""
    whole = whole_case_example(href_prefix, last_modified)
    return {name: value for name, value in whole.items() if name in attributes.SUMMARY}


def read_examples(href_prefix: str, last_modified) -> dict:
    return {
        "summary": {"summary": "Without $attribute: the summary",
                    "value": {"case": [summary_example(href_prefix, last_modified)]}},
        "all": {"summary": "$attribute=all: every attribute",
                "value": {"case": [whole_case_example(href_prefix, last_modified)]}},
    }


def search_example(href_prefix: str, last_modified) -> dict:
    return {"case": [summary_example(href_prefix, last_modified)],
            "paginationInfo": {"count": 1, "pagenum": 1, "pagesize": 25}}


def request_body(schema, json_examples: dict | None = None, xml_example: str | None = None) -> dict:
    """An eGain request body: the same schema in JSON and in XML."""
    return {"required": True, "content": {
        JSON: {"schema": schema, **({"examples": json_examples} if json_examples else {})},
        XML: {"schema": schema, **({"example": xml_example} if xml_example else {})},
    }}


CASE_ID_PARAMETER = {"in": "path", "name": "case_id", "required": True, "schema": {"type": "string"},
                     "description": "The case's id.", "example": "1001"}

HISTORY_DESCRIPTION = (
    "Who changed what in the case, and through which API (v12, v3, v4, or a load), newest first: one "
    "entry per change, with each changed field's old and new value, in one vocabulary for every API. "
    "Paged as eGain pages: $pagenum from 1, $pagesize 25 unless given, at most 75."
)

CASE_IDS_PARAMETER = {
    "in": "path", "name": "case_ids", "required": True, "example": "1013,1001",
    "schema": {"type": "string", "pattern": r"^\s*[0-9]+\s*(,\s*[0-9]+\s*)*$"},
    "description": f"Up to {MAX_CASES_PER_READ} case ids, comma-separated.",
}
