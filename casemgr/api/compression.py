"""gzip, when the client names it (``Accept-Encoding: gzip``; ``*`` alone
is not enough: see ``_gzip_named``), on every
answer of the app that is worth it: the APIs' bodies and the explorer's
files alike.

- Only bodies of at least ``MIN_BYTES`` of a text type (JSON, XML, HTML,
  JavaScript, CSS): a smaller body or an image gains nothing.
- Never a 204 or a 304 (they have no body), nor an answer already encoded,
  nor a 206: its Content-Range counts the bytes of the file as it is, and
  its part is no whole file to keep compressed.
- ``Vary: Accept-Encoding`` on every answer that could have been compressed,
  compressed or not, so a cache keeps the two apart.
- The ETag stays as it is. A case's ETag names the case's version, which
  If-Match compares strongly, whatever coding carried the case; the
  explorer's files are the same files either way, and a browser compares
  its cached copy, decoded, by the same tag.

The explorer's files never change while the app runs: each is compressed
once, and kept (``_compressed_file``).
"""

from __future__ import annotations

import gzip

from flask import Flask, Response, request
from werkzeug.http import parse_accept_header

MIN_BYTES = 1024
LEVEL = 6
_TEXT_TYPES = ("application/json", "application/xml", "text/", "application/javascript")


def init_app(app: Flask) -> None:
    app.after_request(compress)


def compress(response: Response) -> Response:
    if not _worth_compressing(response):
        return response
    response.vary.add("Accept-Encoding")
    if not _gzip_named(request.headers.get("Accept-Encoding", "")):
        return response
    response.direct_passthrough = False  # a file: read it into the answer
    body = response.get_data()
    etag = response.headers.get("ETag")
    if response.status_code == 200 and response.cache_control.public and etag:
        compressed = _compressed_file(request.path, etag, body)
    else:
        compressed = gzip.compress(body, LEVEL, mtime=0)
    response.set_data(compressed)
    response.headers["Content-Encoding"] = "gzip"
    return response


def _gzip_named(header: str) -> bool:
    """gzip only for a client that names it (with a quality above 0). ``*``
    alone does not count: Thalamus's PHP SDK sends ``Accept-Encoding: *``
    as a bare header without asking curl to decode, and would read a gzip
    body as garbage; an answer as is is always acceptable (RFC 9110
    section 12.5.3)."""
    return any(coding.lower() in ("gzip", "x-gzip") and quality > 0
               for coding, quality in parse_accept_header(header))


def _worth_compressing(response: Response) -> bool:
    if response.status_code in (204, 206, 304) or "Content-Encoding" in response.headers:
        return False
    if not (response.mimetype or "").startswith(_TEXT_TYPES):
        return False
    # A file being sent declares its length; a body in memory is measured.
    length = response.content_length
    if length is None:
        length = response.calculate_content_length()
    return length is not None and length >= MIN_BYTES


_FILES: dict[tuple[str, str], bytes] = {}
_MAX_FILES = 64


def _compressed_file(path: str, etag: str, body: bytes) -> bytes:
    """A public file's compressed bytes, compressed once per path and version
    (Swagger UI's script is 1.7 MB: tens of milliseconds of CPU each time)."""
    compressed = _FILES.get((path, etag))
    if compressed is None:
        compressed = gzip.compress(body, LEVEL, mtime=0)
        if len(_FILES) < _MAX_FILES:
            _FILES[(path, etag)] = compressed
    return compressed
