"""What the OpenAPI documents of the three APIs share.

- ``Api``: flask-smorest's, without its generic ``default`` error response:
  each operation documents every status it can answer, with the body its
  API really sends, so a response that is not in the spec is a finding.
- ``XmlPlugin``: a marshmallow schema's ``Meta.xml`` becomes the component's
  OpenAPI ``xml`` object (the root element of the eGain XML bodies).
- ``error_responses``: one reusable response per status, described from the
  one error table, so the spec lists the same causes as docs/errors.md.
- ``documentation_only``: applies a decorator that only documents (``doc``,
  ``alt_response``) without its call-through wrapper.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import flask_smorest
from apispec import APISpec, BasePlugin
from flask_smorest import Blueprint

from casemgr.api.errors import ERROR_TABLE, ErrorEntry


class Api(flask_smorest.Api):
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _init_spec(self, *args, **kwargs):
        super()._init_spec(*args, **kwargs)
        self.ma_plugin.converter.add_attribute_function(nullable_only_with_a_type)

    # flask-smorest's generic error body and its pagination header are not
    # used by any API here: registering them would only add dead components.
    def _register_responses(self):
        pass

    def _register_pagination_header(self):
        pass


def nullable_only_with_a_type(converter, field, ret, **kwargs) -> dict:
    """OpenAPI 3.0.3: ``nullable`` says nothing without a ``type``. A field of
    no one type (marshmallow's ``Raw``) that may be null is documented
    without it: a schema with no type admits null already, and one with an
    ``anyOf`` says null in its branches."""
    if ret.get("nullable") and "type" not in ret and "$ref" not in ret:
        del ret["nullable"]
    return {}


class XmlPlugin(BasePlugin):
    def schema_helper(self, name, definition, **kwargs):
        schema = kwargs.get("schema")
        xml = getattr(getattr(schema, "Meta", None), "xml", None)
        return {"xml": dict(xml)} if xml else None


def register_security_schemes(spec: APISpec, *scheme_maps: dict[str, dict]) -> None:
    for schemes in scheme_maps:
        for name, scheme in schemes.items():
            spec.components.security_scheme(name, scheme)


# Swagger UI renders descriptions as Markdown and drops what looks like HTML:
# a placeholder such as <case id> is only shown inside a code span.
ETAG_FORMAT = '`"<case id>-<lastModified in ms>"`'


def etag_header(description: str) -> dict:
    return {"ETag": {"description": f"{description}: {ETAG_FORMAT}.", "schema": {"type": "string"}}}


EntryLine = Callable[[ErrorEntry], str]


def error_responses(
    spec: APISpec,
    *,
    prefix: str,
    content: Callable[[int], dict],
    line: EntryLine,
    status_of: Callable[[ErrorEntry], int] = lambda entry: entry.status,
    headers: Callable[[int], dict] = lambda status: {},
) -> None:
    """Registers ``<prefix><status>`` for every status of the error table:
    its description lists each cause once (one ``line`` per eGain code: the
    table maps several exceptions to one code), its content is
    ``content(status)``."""
    by_status: dict[int, dict[str, str]] = {}
    for entry in ERROR_TABLE.values():
        by_status.setdefault(status_of(entry), {}).setdefault(entry.egain_code, line(entry))
    for status, lines in sorted(by_status.items()):
        response = {"description": "\n".join(f"- {text}" for text in lines.values()), "content": content(status)}
        if headers(status):
            response["headers"] = headers(status)
        # lazy: only the statuses some operation answers appear in the spec
        spec.components.response(f"{prefix}{status}", response, lazy=True)


def documentation_only(decorator: Callable) -> Callable:
    """flask-smorest's ``doc`` and ``alt_response`` only add to the view's
    ``_apidoc``, but each also wraps the view in a function that calls
    through it (a ``current_app`` lookup and an async check on every
    request; an edit is documented by a dozen of them). This keeps the
    documentation they add and leaves the view itself unwrapped."""
    def decorate(view):
        view._apidoc = decorator(view)._apidoc
        return view
    return decorate


def document_errors(blp: Blueprint, prefix: str, statuses: Iterable[int]):
    """Decorates a view with the ``<prefix><status>`` response of each status."""
    def decorate(view):
        for status in sorted(set(statuses)):
            view = documentation_only(blp.alt_response(status, response=f"{prefix}{status}"))(view)
        return view
    return decorate
