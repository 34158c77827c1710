"""v3 wire shapes: lastModified is a plain date-time string."""

from __future__ import annotations

from marshmallow import Schema, fields

from casemgr.api.egain.schemas import EgainCaseEditFields, EgainCustomAttributes

_LAST_MODIFIED_DOC = {
    "description": "The case's lastModified as last read. Required unless If-Match is sent.",
    "example": "2015-07-30T13:07:40.000Z",
}


class V3CaseEdit(EgainCaseEditFields):
    lastModified = fields.String(metadata=_LAST_MODIFIED_DOC)


class V3ClosedCaseEdit(Schema):
    """Only the custom attributes of a closed case may change."""

    id = fields.String(required=True, metadata={"example": "1007"})
    lastModified = fields.String(required=True, metadata=_LAST_MODIFIED_DOC)
    customAttributes = fields.Nested(EgainCustomAttributes, required=True)


class V3TokenRequest(Schema):
    grant_type = fields.String(required=True, metadata={"enum": ["client_credentials", "password"]})
    client_id = fields.String(metadata={"description": "Or HTTP Basic client authentication."})
    client_secret = fields.String()
    username = fields.String(metadata={"description": "password grant only"})
    password = fields.String(metadata={"description": "password grant only"})
    scope = fields.String()


class V3Token(Schema):
    access_token = fields.String()
    token_type = fields.String(metadata={"example": "Bearer"})
    expires_in = fields.Integer()
    scope = fields.String()


class V3OAuthError(Schema):
    error = fields.String(metadata={"example": "invalid_client"})
    error_description = fields.String()
