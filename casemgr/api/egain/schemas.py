"""marshmallow schemas of the eGain edit body: shape and types only.

Unknown elements raise (marshmallow's default), null is refused (no field
allows None), and lengths are documented here but judged by the domain, so
that every API gives the same answer for the same fault.
"""

from __future__ import annotations

from marshmallow import Schema, fields

from casemgr.api.egain.xml import CASE_NS, COMMON_NS
from casemgr.domain.model import MAX_RELATED_CASES, MAX_TEXT_LENGTH, SEVERITIES

_TEXT_DOC = {"maxLength": MAX_TEXT_LENGTH}
# In eGain XML these scalars are attributes of their element (casemgr.api.egain.xml).
_ATTRIBUTE = {"xml": {"attribute": True}}


class EgainUserRef(Schema):
    id = fields.String(required=True, metadata={"description": "User ID.", "example": "1002", **_ATTRIBUTE})


class EgainOwner(Schema):
    user = fields.Nested(EgainUserRef, required=True)


class EgainSeverity(Schema):
    value = fields.String(required=True, metadata={"enum": list(SEVERITIES)})


class EgainCaseLink(Schema):
    rel = fields.String(metadata={"example": "case", **_ATTRIBUTE})
    href = fields.String(required=True, metadata={
        "description": "The case's URL; its last segment is the case ID.", **_ATTRIBUTE})


class EgainRelatedCases(Schema):
    link = fields.List(fields.Nested(EgainCaseLink), metadata={"maxItems": MAX_RELATED_CASES})
    unlink = fields.List(fields.Nested(EgainCaseLink))


class EgainAttribValue(Schema):
    value = fields.String(required=True, metadata={
        "maxLength": MAX_TEXT_LENGTH,
        "description": "The value as text, of the attribute's type: a text of allowed characters; an integer "
                       "of at most 64 bits in ASCII digits (an optional leading minus); a decimal that a "
                       "double holds exactly (at most 17 significant digits, within ±1.8e308: it reads back "
                       "as sent); true or false; a date as YYYY-MM-DD. \"\" removes the value."})


class EgainAttribValues(Schema):
    attribValue = fields.List(fields.Nested(EgainAttribValue), required=True)


class EgainCustomAttribute(Schema):
    attribName = fields.String(required=True)
    attribValues = fields.Nested(EgainAttribValues, required=True)


class EgainCustomAttributes(Schema):
    customAttribute = fields.List(fields.Nested(EgainCustomAttribute), required=True)


class EgainCaseEditFields(Schema):
    """The elements both eGain edit bodies share (all but lastModified)."""

    id = fields.String(required=True, metadata={"description": "Case ID.", "example": "1013", **_ATTRIBUTE})
    dueDate = fields.String(metadata={
        "description": "A future date-time (ISO-8601), at most 9999-12-31T23:59:59.999Z once in UTC; "
                       "\"\" removes the due date.",
        "example": "2030-11-30T18:30:00.000Z"})
    owner = fields.Nested(EgainOwner)
    severity = fields.Nested(EgainSeverity)
    subject = fields.String(metadata=_TEXT_DOC)
    description = fields.String(metadata=_TEXT_DOC)
    solution = fields.String(metadata=_TEXT_DOC)
    relatedCases = fields.Nested(EgainRelatedCases)
    customAttributes = fields.Nested(EgainCustomAttributes)


class EgainErrorDetail(Schema):
    class Meta:
        xml = {"name": "detail"}

    key = fields.String(required=True)
    value = fields.String(required=True)


class EgainError(Schema):
    class Meta:
        xml = {"name": "error", "namespace": COMMON_NS}

    code = fields.String(required=True, metadata={"example": "409-100"})
    developerMessage = fields.String(required=True)
    userMessage = fields.String(metadata={"description": "Localized; sent when X-egain-error-message: yes."})
    details = fields.List(fields.Nested(EgainErrorDetail), metadata={
        "description": "What the client needs to act on the error: a 409's (and 412's) current "
                       "lastModified, changedFields (the fields changed since the client's version, "
                       "comma-separated, as the case's history names them) and changes (how many), both "
                       "unknown when the case never had that version; a 400-196's expected values.",
        "xml": {"wrapped": True}})


# -- the case as eGain shows it (casemgr.api.egain.representation) -----------

class EgainDepartmentRef(Schema):
    id = fields.String(required=True, metadata={"example": "999", **_ATTRIBUTE})
    name = fields.String(required=True, metadata={"example": "Service"})


class EgainStatusShown(Schema):
    value = fields.String(required=True, metadata={"enum": ["open", "closed"], "description": "The status's state."})
    displayValue = fields.String(required=True, metadata={"description": "The status's name.", "example": "Open"})


class EgainSeverityShown(Schema):
    value = fields.String(required=True, metadata={"enum": list(SEVERITIES)})
    displayValue = fields.String(required=True, metadata={"example": "Urgent"})


class EgainUserShown(Schema):
    id = fields.String(required=True, metadata=_ATTRIBUTE)
    name = fields.String(required=True, allow_none=True, metadata={"description": "Login."})
    firstName = fields.String(allow_none=True)
    lastName = fields.String(allow_none=True)


class EgainOwnerShown(Schema):
    user = fields.Nested(EgainUserShown, required=True)


class EgainCustomerRef(Schema):
    id = fields.String(required=True, metadata=_ATTRIBUTE)
    customerName = fields.String(required=True, allow_none=True)


class EgainDateShown(Schema):
    date = fields.String(required=True, metadata={"format": "date-time", **_ATTRIBUTE})


class EgainRelatedCasesShown(Schema):
    link = fields.List(fields.Nested(EgainCaseLink), required=True)


class EgainCaseShownFields(Schema):
    """The elements both eGain case representations share (all but lastModified)."""

    id = fields.String(required=True, metadata={"example": "1013", **_ATTRIBUTE})
    link = fields.List(fields.Nested(EgainCaseLink), required=True, metadata={"description": "rel self: the case's URL."})
    department = fields.Nested(EgainDepartmentRef, required=True)
    status = fields.Nested(EgainStatusShown, required=True)
    severity = fields.Nested(EgainSeverityShown)
    subject = fields.String()
    description = fields.String()
    solution = fields.String()
    dueDate = fields.String(metadata={"format": "date-time"})
    owner = fields.Nested(EgainOwnerShown)
    customer = fields.Nested(EgainCustomerRef)
    lastClosed = fields.Nested(EgainDateShown)
    relatedCases = fields.Nested(EgainRelatedCasesShown)
    customAttributes = fields.Nested(EgainCustomAttributes)


class EgainAttributeDefinition(Schema):
    attribName = fields.String(required=True, metadata={"example": "region"})
    attribType = fields.String(required=True, metadata={"example": "string"})
    attribValues = fields.Nested(EgainAttribValues, metadata={"description": "The allowed values of an enumeration."})


class EgainAttributeDefinitions(Schema):
    class Meta:
        xml = {"name": "customAttributes", "namespace": CASE_NS}

    customAttribute = fields.List(fields.Nested(EgainAttributeDefinition), required=True)


class EgainPaginationInfo(Schema):
    count = fields.Integer(required=True, metadata={"description": "How many cases were found, on all pages.",
                                                    "example": 2})
    pagenum = fields.Integer(required=True, metadata={"description": "This page's number.", "example": 1})
    pagesize = fields.Integer(required=True, metadata={"description": "Cases per page.", "example": 25})
