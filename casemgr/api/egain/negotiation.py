"""The checks every eGain request passes after authentication and before its
body is read: 406 (Accept, Accept-Language), then 415 (Content-Type)."""

from __future__ import annotations

from flask import g

from casemgr.api import wire


def negotiate(*, language_required: bool, default_media_type: str = wire.JSON) -> None:
    """``default_media_type``: what a request without Accept gets (v12: XML)."""
    g.media_type = wire.response_media_type(default_media_type)
    g.language = wire.request_language(required=language_required)
    wire.request_media_type()


def with_content_language(response):
    """The language the answer's texts are in, once it was negotiated."""
    language = getattr(g, "language", None)
    if language and "Content-Language" not in response.headers:
        response.headers["Content-Language"] = language
    return response
