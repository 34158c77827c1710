"""marshmallow schemas of the eGain edit body: shape and types only.

Unknown elements raise (marshmallow's default), null is refused (no field
allows None), and lengths are documented here but judged by the domain, so
that every API gives the same answer for the same fault.
"""

from __future__ import annotations

from marshmallow import Schema, fields

from casemgr.domain.model import MAX_RELATED_CASES, MAX_TEXT_LENGTH, SEVERITIES

_TEXT_DOC = {"maxLength": MAX_TEXT_LENGTH}


class EgainUserRef(Schema):
    id = fields.String(required=True, metadata={"description": "User ID.", "example": "1002"})


class EgainOwner(Schema):
    user = fields.Nested(EgainUserRef, required=True)


class EgainSeverity(Schema):
    value = fields.String(required=True, metadata={"enum": list(SEVERITIES)})


class EgainCaseLink(Schema):
    rel = fields.String(metadata={"example": "case"})
    href = fields.String(required=True, metadata={"description": "The case's URL; its last segment is the case ID."})


class EgainRelatedCases(Schema):
    link = fields.List(fields.Nested(EgainCaseLink), metadata={"maxItems": MAX_RELATED_CASES})
    unlink = fields.List(fields.Nested(EgainCaseLink))


class EgainAttribValue(Schema):
    value = fields.String(required=True)


class EgainAttribValues(Schema):
    attribValue = fields.List(fields.Nested(EgainAttribValue), required=True)


class EgainCustomAttribute(Schema):
    attribName = fields.String(required=True)
    attribValues = fields.Nested(EgainAttribValues, required=True)


class EgainCustomAttributes(Schema):
    customAttribute = fields.List(fields.Nested(EgainCustomAttribute), required=True)


class EgainCaseEditFields(Schema):
    """The elements both eGain edit bodies share (all but lastModified)."""

    id = fields.String(required=True, metadata={"description": "Case ID.", "example": "1013"})
    dueDate = fields.String(metadata={
        "description": "A future date-time (ISO-8601); \"\" removes the due date.",
        "example": "2030-11-30T18:30:00.000Z"})
    owner = fields.Nested(EgainOwner)
    severity = fields.Nested(EgainSeverity)
    subject = fields.String(metadata=_TEXT_DOC)
    description = fields.String(metadata=_TEXT_DOC)
    solution = fields.String(metadata=_TEXT_DOC)
    relatedCases = fields.Nested(EgainRelatedCases)
    customAttributes = fields.Nested(EgainCustomAttributes)


class EgainErrorDetail(Schema):
    key = fields.String()
    value = fields.String()


class EgainError(Schema):
    code = fields.String(required=True, metadata={"example": "409-100"})
    developerMessage = fields.String(required=True)
    userMessage = fields.String(metadata={"description": "Localized; sent when X-egain-error-message: yes."})
    details = fields.List(fields.Nested(EgainErrorDetail))
