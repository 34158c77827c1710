"""v3 wire shapes: lastModified is a plain date-time string."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields

from casemgr.api.egain.schemas import (
    EgainAttributeDefinition,
    EgainCaseEditFields,
    EgainCaseShownFields,
    EgainCustomAttributes,
)
from casemgr.api.egain.xml import CASE_NS

# A date-time, like the lastModified a read shows: a generated client passes
# the one it read straight back.
_LAST_MODIFIED_DOC = {
    "description": "The case's lastModified as last read. Required unless If-Match is sent.",
    "format": "date-time", "example": "2015-07-30T13:07:40.000Z",
}


class V3CaseEdit(EgainCaseEditFields):
    class Meta:
        xml = {"name": "case", "namespace": CASE_NS}

    lastModified = fields.String(metadata=_LAST_MODIFIED_DOC)


class V3ClosedCaseEdit(Schema):
    """Only the custom attributes of a closed case may change."""

    class Meta:
        xml = {"name": "case", "namespace": CASE_NS}

    id = fields.String(required=True, metadata={"example": "1007", "xml": {"attribute": True}})
    # Required unless If-Match is sent, as on the open-case edit.
    lastModified = fields.String(metadata=_LAST_MODIFIED_DOC)
    customAttributes = fields.Nested(EgainCustomAttributes, required=True)


class V3Case(EgainCaseShownFields):
    lastModified = fields.String(required=True, metadata={"format": "date-time"})


class V3Cases(Schema):
    class Meta:
        xml = {"name": "cases", "namespace": CASE_NS}

    case = fields.List(fields.Nested(V3Case), required=True)


class V3AttributeDefinitions(Schema):
    class Meta:
        xml = {"name": "attributes", "namespace": CASE_NS}

    attribute = fields.List(fields.Nested(EgainAttributeDefinition), required=True)
    resource = fields.String(required=True, metadata={"enum": ["case"]})


class V3TokenRequest(Schema):
    class Meta:
        # RFC 6749 section 3.2: the token endpoint ignores parameters it does not know.
        unknown = INCLUDE

    grant_type = fields.String(required=True, metadata={"enum": ["client_credentials", "password"]})
    client_id = fields.String(metadata={"description": "Or HTTP Basic client authentication.", "example": "crm"})
    client_secret = fields.String(metadata={"example": "crm-secret"})
    username = fields.String(metadata={"description": "password grant only", "example": "frank"})
    password = fields.String(metadata={"description": "password grant only", "example": "frank-pass"})
    scope = fields.String(metadata={
        "description": "Space-separated scopes, all of the grant's kind: the password grant gives user scopes "
                       "(core.casemgr.manage), client_credentials client scopes (app.core.casemgr.manage). "
                       "Left out: the grant's manage scope."})


class V3RevocationRequest(Schema):
    class Meta:
        # RFC 7009 section 2.1 (as RFC 6749 section 3.2): parameters it does not know are ignored.
        unknown = INCLUDE

    token = fields.String(required=True, metadata={"description": "The access token to revoke."})
    token_type_hint = fields.String(metadata={
        "enum": ["access_token", "refresh_token"],
        "description": "Optional. The service issues access tokens only: either hint finds them."})
    client_id = fields.String(metadata={"description": "Or HTTP Basic client authentication.", "example": "crm"})
    client_secret = fields.String(metadata={"example": "crm-secret"})


class V3Revoked(Schema):
    """RFC 7009 section 2.2: the status says it all; the body is an empty object."""


class V3Token(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"example": 3600})
    scope = fields.String(required=True, metadata={"example": "core.casemgr.manage"})


class V3OAuthError(Schema):
    error = fields.String(required=True, metadata={"example": "invalid_client"})
    error_description = fields.String()
