"""HTTP form shared by the APIs: media types, languages, query parameters,
bodies and dates. Everything here judges the *form* of a request; no rule
about cases lives here.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

import marshmallow
from flask import current_app, request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from casemgr.api import errors
from casemgr.api.i18n import negotiate_language
from casemgr.config import SUPPORTED_LANGUAGES
from casemgr.domain import errors as domain_errors
from casemgr.domain import values
from casemgr.domain.versions import format_timestamp

JSON = "application/json"
XML = "application/xml"
MEDIA_TYPES = (JSON, XML)


def response_media_type(default: str = JSON) -> str:
    """JSON or XML, by Accept. A request without Accept (or with an empty
    one) gets the API's ``default``; ``*/*`` and ties get JSON."""
    best = best_media_type(request.headers.get("Accept"), default)
    if best is None:
        raise errors.NotAcceptable(
            f"None of the media types in Accept is supported; use {JSON} or {XML}.", supported=MEDIA_TYPES
        )
    return best


# Parsing and ranking an Accept header (werkzeug sorts its entries by
# specificity) costs more than the rest of negotiation, and clients send few
# distinct values: the outcome is remembered per value, in a bounded cache.
@functools.lru_cache(maxsize=256)
def best_media_type(header: str | None, default: str = JSON) -> str | None:
    """What ``request.accept_mimetypes`` decides for this Accept header; None
    when it names neither media type. No header is the ``default``."""
    if not header or not header.strip():
        return default
    accept = parse_accept_header(header, MIMEAccept)
    if not accept or accept.best == "*/*":
        return JSON
    return accept.best_match(MEDIA_TYPES)


def request_language(*, required: bool) -> str:
    """The supported locale Accept-Language negotiates (``i18n.negotiate_language``);
    absent means the default, unless required. A header sent but naming no
    supported language, an empty one too, is refused."""
    header = request.headers.get("Accept-Language")
    default = current_app.config["CASEMGR"].default_language
    if header is None:
        if required:
            raise errors.LanguageNotSupported("Accept-Language header is required.", value="")
        return default
    language = negotiate_language(header, default)
    if language is None:
        shown = header if len(header) <= 100 else header[:100] + "…"
        raise errors.LanguageNotSupported(
            f"No language in 'Accept-Language: {shown}' is supported; use one of "
            f"{', '.join(SUPPORTED_LANGUAGES)} (a bare language such as 'en' or 'de', and '*', also work).",
            value=header,
        )
    return language


def request_media_type() -> str | None:
    """The body's media type (JSON or XML), or None for a request without a
    body. A body with a content coding is refused first (``reject_content_coding``)."""
    req = request._get_current_object()  # one context lookup for all it reads
    if not req.content_length and not req.headers.get("Transfer-Encoding"):
        return None
    reject_content_coding()
    mimetype = req.mimetype
    if mimetype not in MEDIA_TYPES:
        raise errors.UnsupportedMediaType(
            f"Content-Type '{req.content_type or ''}' is not supported; use {JSON} or {XML}.",
            value=req.content_type or "",
        )
    return mimetype


# Content-Encoding values that leave the body as it is.
IDENTITY = "identity"


def content_codings() -> list[str]:
    """The codings Content-Encoding lists (lower case), identity left out."""
    header = request.headers.get("Content-Encoding", "")
    return [coding for coding in (part.strip().lower() for part in header.split(",")) if coding and coding != IDENTITY]


def reject_content_coding() -> None:
    """415 (415-9002) for a body sent with a content coding: the service
    reads bodies as sent, so a gzip or br body would be read as garbage
    (RFC 9110 section 8.4 lets the server refuse it; section 15.5.16 says
    Accept-Encoding tells which codings it takes: identity, set by the error
    handler). Not decoded: a few kilobytes of gzip can inflate to gigabytes,
    and the body cap would have to be applied to the decoded size."""
    codings = content_codings()
    if codings:
        shown = ", ".join(codings)
        raise errors.UnsupportedContentCoding(
            f"Content-Encoding '{shown}' is not supported; send the body uncompressed (identity).", value=shown)


def reject_query_parameters(allowed: tuple[str, ...] = ()) -> None:
    """400-101 for a parameter that is not ``allowed``, then 400-152 for one
    given more than once: every parameter takes one value (a list is one
    comma-separated value), never the first of several."""
    unsupported = [name for name in request.args if name not in allowed]
    if unsupported:
        names = ",".join(dict.fromkeys(unsupported))
        raise errors.UnsupportedQueryParameter(
            f"Unsupported query parameter(s) supplied: '{names}'.", names=names
        )
    for name, given in request.args.lists():
        if len(given) > 1:
            raise errors.InvalidAttributeValue(f"Query parameter '{name}' may be given once.", attribute=name)


def read_body() -> bytes:
    """The raw body, at most ``max_body_bytes``. Read from the stream with a
    cap, because a chunked body has no Content-Length to check up front."""
    limit = current_app.config["CASEMGR"].max_body_bytes
    req = request._get_current_object()  # one context lookup for all it reads
    # content_length is parsed from the headers on each access: read it once.
    content_length = req.content_length
    chunked = "chunked" in req.headers.get("Transfer-Encoding", "").lower()
    if content_length is None and chunked and not req.environ.get("wsgi.input_terminated"):
        # werkzeug would hand us an empty stream here: never mistake a body
        # we cannot read for an empty one (gunicorn does terminate its input).
        raise errors.LengthRequired("A chunked body is not supported by this server; send Content-Length.")
    if content_length is not None and content_length > limit:
        raise errors.BodyTooLarge(f"Request body exceeds {limit} bytes.", limit=limit)
    body = req.stream.read(limit + 1)
    if len(body) > limit:
        raise errors.BodyTooLarge(f"Request body exceeds {limit} bytes.", limit=limit)
    return body


def parse_json(body: bytes) -> Any:
    try:
        data = json.loads(body.decode("utf-8"), parse_float=_json_decimal, parse_int=_json_integer)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise errors.MalformedBody("Request body is not valid JSON.") from exc
    reject_unstorable_text(data)
    return data


# JSON numbers reach the domain as written, so that it judges the number the
# client sent (1e400 is not infinity, 1e-400 not zero, 5,000 digits not a
# rounded double): a fraction or exponent as a Decimal, an integer as an int.
_NOT_A_NUMBER = Decimal("NaN")
# Python refuses to parse integers longer than this (quadratic work); longer
# ones stay Decimals, which no integer field accepts.
_INT_DIGITS = 4300


def _json_decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:  # an exponent beyond what Decimal holds: no storable number
        return _NOT_A_NUMBER


def _json_integer(text: str) -> int | Decimal:
    return int(text) if len(text) <= _INT_DIGITS else Decimal(text)


def is_storable_text(text: str) -> bool:
    """Postgres text holds neither NUL nor a lone surrogate (which no UTF-8
    can encode); JSON can carry both as escapes."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def reject_unstorable_text(data: Any) -> None:
    """Every key and string of a parsed body, iteratively (bodies may nest)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not is_storable_text(item):
                raise errors.MalformedBody("Request body holds a NUL character or an unpaired surrogate.")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def reject_unstorable_parameters() -> None:
    """Query parameters and form fields (the OAuth token request) reach
    lookups before any schema sees them: refuse what no lookup can hold. A
    form with a content coding is not read here: its endpoint refuses it."""
    req = request._get_current_object()  # one context lookup for all it reads
    pairs = list(req.args.items(multi=True))
    if req.mimetype == "application/x-www-form-urlencoded" and not content_codings():
        pairs += list(req.form.items(multi=True))
    for name, value in pairs:
        if not (is_storable_text(name) and is_storable_text(value)):
            raise errors.InvalidAttributeValue(
                f"Parameter '{name.encode('unicode_escape').decode()}' holds a NUL character or an unpaired surrogate.",
                attribute="parameter",
            )


BodyParser = Callable[[bytes], Any]


def load_body(schema: marshmallow.Schema, parsers: dict[str, BodyParser]) -> dict:
    """Parse the body by its media type and load it with ``schema``: shape and
    types only. Unknown elements are refused, never ignored."""
    media_type = request_media_type()
    body = read_body()
    if media_type is None or not body.strip():
        raise errors.EmptyBody("Request body is empty.")
    data = parsers[media_type](body)
    if not isinstance(data, dict):
        raise errors.MalformedBody("Request body must be an object.")
    try:
        return schema.load(data)
    except marshmallow.ValidationError as exc:
        faults = wire_errors_from(exc.messages, schema)
        raise (faults[0] if len(faults) == 1 else domain_errors.Refusals(faults)) from exc


_UNKNOWN = marshmallow.fields.Field.default_error_messages.get("unknown", "Unknown field.")
_REQUIRED = marshmallow.fields.Field.default_error_messages["required"]
_NULL = marshmallow.fields.Field.default_error_messages["null"]
# marshmallow files an error about a nested object as a whole under this key.
_WHOLE_OBJECT = marshmallow.exceptions.SCHEMA


def flatten_messages(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    """marshmallow's nested error dict as (path, message) pairs, each path as
    the client wrote it: ``relatedCases.link[0].href``, ``severity``."""
    if isinstance(messages, dict):
        pairs = []
        for key, value in messages.items():
            if key == _WHOLE_OBJECT:
                path = prefix
            elif isinstance(key, int):
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            pairs.extend(flatten_messages(value, path))
        return pairs
    if isinstance(messages, list):
        if all(isinstance(m, str) for m in messages):
            return [(prefix, m) for m in messages]
        return [pair for m in messages for pair in flatten_messages(m, prefix)]
    return [(prefix, str(messages))]


def wire_errors_from(messages: Any, schema: marshmallow.Schema) -> list[errors.WireError]:
    """Every shape fault of a body, one per place, in a deterministic
    order: unsupported elements, then missing, then null, then bad values,
    each kind by path. The texts are the API's own (marshmallow's are for
    Python programmers): a bad value names what the schema expects at its
    place. An API that answers one error at a time answers the first.
    """
    builders = {
        _UNKNOWN: lambda p: errors.UnsupportedElement(f"Unsupported element '{p}' in request body.", attribute=p),
        _REQUIRED: lambda p: errors.MissingElement(f"Required element '{p}' is missing.", attribute=p),
        _NULL: lambda p: errors.NullNotAllowed(
            f"Element '{p}' may not be null; set it to an empty string to remove its value.", attribute=p),
    }
    kinds = list(builders)
    faults: dict[str, tuple[int, errors.WireError]] = {}
    for path, message in sorted(flatten_messages(messages)):
        rank = kinds.index(message) if message in builders else len(kinds)
        if path in faults and faults[path][0] <= rank:
            continue  # one fault per place, the first kind
        build = builders.get(message) or (lambda p: errors.InvalidAttributeValue(
            f"Invalid value for '{p}': expected {expected_at(schema, p)}.", attribute=p))
        faults[path] = (rank, build(path))
    return [fault for _, fault in sorted(faults.values(), key=lambda item: item[0])]


_PATH_STEP = re.compile(r"\[(\d+)\]|\.?([^.\[]+)")


def expected_at(schema: marshmallow.Schema, path: str) -> str:
    """What the schema takes at a path of the body, in words."""
    field: marshmallow.fields.Field | None = None
    for index, name in _PATH_STEP.findall(path):
        if index and isinstance(field, marshmallow.fields.List):
            field = field.inner
        elif name and (field is None or isinstance(field, marshmallow.fields.Nested)):
            nested = schema if field is None else field.schema
            field = _fields_by_wire_name(nested).get(name)
        else:
            field = None
        if field is None:
            return "a valid value"
    return _describe_field(field)


def _fields_by_wire_name(schema: marshmallow.Schema) -> dict[str, marshmallow.fields.Field]:
    return {field.data_key or name: field for name, field in schema.fields.items()}


def _describe_field(field: marshmallow.fields.Field) -> str:
    if isinstance(field, marshmallow.fields.Nested):
        members = _fields_by_wire_name(field.schema)
        required = [f"'{name}'" for name, member in members.items() if member.required]
        optional = [f"'{name}'" for name in members]
        return ("an object with " + " and ".join(required)) if required else (
            "an object with " + " or ".join(optional))
    if isinstance(field, marshmallow.fields.List):
        return "a list"
    if isinstance(field, marshmallow.fields.Dict):
        return "an object"
    if isinstance(field, marshmallow.fields.String):
        return "a string"
    if isinstance(field, marshmallow.fields.Boolean):
        return "true or false"
    if isinstance(field, marshmallow.fields.Number):
        return "a number"
    return "a valid value"


def parse_datetime(value: str, attribute: str) -> datetime:
    """A request's date-time, by the domain's rule (``values.parse_moment``)."""
    return values.parse_moment(value, attribute)


def format_datetime(value: datetime | None) -> str | None:
    return None if value is None else format_timestamp(value)


def parse_id(value: str, attribute: str) -> int:
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise errors.InvalidAttributeValue(
            f"Invalid value '{value}' for '{attribute}': expected a numeric id.", attribute=attribute
        )
    return int(text)


def parse_ids(case_ids: str) -> list[int]:
    """A path's comma-separated case ids (``1001,1002``)."""
    return [parse_id(part, "ID") for part in case_ids.split(",")]
