"""Thalamus v4 wire shapes: shape and types only.

Unknown elements raise (marshmallow's default) and become a 400. Whether a
category, type, status or case data field exists, and whether a value fits
its field, is the domain's to judge, so ``caseData`` values are loaded as
they come.
"""

from __future__ import annotations

from marshmallow import Schema, fields

from casemgr.domain.model import COMMENTS_SHOWN, MAX_COMMENTS_PER_REQUEST, MAX_TEXT_LENGTH


class ThalamusSignin(Schema):
    principal = fields.String(required=True, metadata={
        "description": "An operator's login or email, or a party's email.", "example": "frank"})
    password = fields.String(required=True, metadata={"example": "frank-pass"})


class ThalamusNewComment(Schema):
    description = fields.String(required=True, metadata={"maxLength": MAX_TEXT_LENGTH, "example": "Called back"})


class ThalamusCaseBody(Schema):
    """The body of the update (PUT) and of the creation (POST)."""

    # Mandatory, but judged by the domain: a missing or null code is refused
    # with CodeRequired, not with a shape error.
    categoryCode = fields.String(allow_none=True, metadata={"description": "Mandatory.", "example": "Case6534"})
    typeCode = fields.String(allow_none=True, metadata={"description": "Mandatory.", "example": "Casetype6534"})
    # null is "not given", as Thalamus's own PHP SDK sends both when its caller gives none.
    status = fields.String(allow_none=True, metadata={
        "description": "A configured status name; null or absent: the status stays (a new case starts in the "
                       "initial status).", "example": "In Progress"})
    resolution = fields.String(allow_none=True, metadata={
        "description": "A configured resolution name; null or absent: the resolution stays.", "example": "Resolved"})
    comments = fields.List(fields.Nested(ThalamusNewComment), metadata={
        "description": f"Comments to append: at most {MAX_COMMENTS_PER_REQUEST} in one request "
                       f"(else 400 comments: LimitExceeded), each of 1 to {MAX_TEXT_LENGTH} characters.",
        "maxItems": MAX_COMMENTS_PER_REQUEST})
    caseData = fields.Dict(
        keys=fields.String(), values=fields.Raw(allow_none=True),
        metadata={"description": "When given, every field of the type, each a value of the field's data type: "
                                 "a number a 64-bit integer holds; a decimal a double holds exactly (at most 17 "
                                 "significant digits, within ±1.8e308: it reads back as sent); a text of at most "
                                 f"{MAX_TEXT_LENGTH} characters; a date as YYYY-MM-DD.",
                  "example": {"Boolean6534": True, "Decimal6534": 2.2, "Number6534": 2500}},
    )


class ThalamusSimpleProfile(Schema):
    firstname = fields.String(allow_none=True)
    email = fields.String(allow_none=True)


class ThalamusContext(Schema):
    simpleProfile = fields.Nested(ThalamusSimpleProfile)


class ThalamusContextResponse(Schema):
    context = fields.Nested(ThalamusContext)


class ThalamusComment(Schema):
    id = fields.Integer()
    caseInstanceId = fields.Integer()
    description = fields.String()


class ThalamusCase(Schema):
    id = fields.Integer(metadata={"example": 1013})
    categoryCode = fields.String(allow_none=True)
    categoryName = fields.String(allow_none=True)
    typeCode = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "The status name."})
    resolution = fields.String(allow_none=True, metadata={"description": "The resolution name."})
    comments = fields.List(fields.Nested(ThalamusComment), metadata={
        "description": f"The case's newest {COMMENTS_SHOWN} comments, oldest first: comments only grow, so an "
                       "answer shows a window of them, never the whole history. commentCount tells how many "
                       "the case holds.",
        "maxItems": COMMENTS_SHOWN})
    commentCount = fields.Integer(metadata={
        "description": "How many comments the case holds, shown or not.", "example": 1})
    caseData = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), metadata={
        "description": "The values of the case type's fields, each of the field's data type, or null."})


class ThalamusCaseResponse(Schema):
    context = fields.Nested(ThalamusContext)
    case = fields.Nested(ThalamusCase)


class ThalamusCaseList(Schema):
    cases = fields.List(fields.Nested(ThalamusCase), required=True, metadata={
        "description": "The principal's own cases, newest first: an operator's the cases it owns, a party's its "
                       "cases; never those of a type not visible in the app. Empty: `[]`."})


class ThalamusNoteBody(Schema):
    description = fields.String(required=True, metadata={"maxLength": MAX_TEXT_LENGTH, "example": "This is a note!"})


class ThalamusNoteUpdateBody(Schema):
    id = fields.Raw(required=True, metadata={
        "description": "The comment's id, a number or a string of digits: a comment of the case in the path.",
        "oneOf": [{"type": "integer"}, {"type": "string"}], "example": "1"})
    description = fields.String(required=True, metadata={"maxLength": MAX_TEXT_LENGTH, "example": "Corrected note"})


class ThalamusCommentResponse(Schema):
    context = fields.Nested(ThalamusContext)
    comment = fields.Nested(ThalamusComment)


class ThalamusTransitionBody(Schema):
    # Required, but null is "missing" too (the SDK sends null): judged by the view.
    statusName = fields.String(allow_none=True, metadata={
        "description": "Required: a configured status the case's status may move to.", "example": "Closed"})


class ThalamusAssignmentBody(Schema):
    email = fields.String(allow_none=True, metadata={
        "description": "Required: the e-mail address of the operator who becomes the owner.",
        "example": "alice@example.com"})
    groupName = fields.String(allow_none=True, metadata={
        "description": "An operator group: casemgr has none, so any name is invalidName (and with email, invalid)."})


class ThalamusStatus(Schema):
    statusName = fields.String(metadata={"example": "Open"})
    initial = fields.Boolean(metadata={"description": "The status a new case starts in."})
    finalState = fields.Boolean(metadata={"description": "A status whose state is closed."})


class ThalamusStatuses(Schema):
    caseStatuses = fields.List(fields.Nested(ThalamusStatus))


class ThalamusCaseDataField(Schema):
    name = fields.String()
    type = fields.String(metadata={"enum": ["boolean", "number", "decimal", "string", "date"]})


class ThalamusTypeCategory(Schema):
    caseTypeCode = fields.String()
    caseTypeName = fields.String()
    caseCategoryCode = fields.String()
    caseCategoryName = fields.String()
    defaultAnswer = fields.String(metadata={"description": "The type's default answer; \"\" when none is configured."})
    # Named "fields" on the wire; a class attribute of that name would hide marshmallow's module.
    field_list = fields.List(fields.Nested(ThalamusCaseDataField), data_key="fields", metadata={
        "description": "Beyond Thalamus's shape: the type's case data fields, what caseData must hold."})


class ThalamusTypeCategories(Schema):
    caseTypeCategories = fields.List(fields.Nested(ThalamusTypeCategory))


class ThalamusErrors(Schema):
    errors = fields.Dict(
        keys=fields.String(), values=fields.String(), required=True,
        metadata={"description": "One entry per error, each with an `execution.{key}` companion in English.",
                  "example": {"status": "InvalidName", "execution.status": "execution.status: Status 'X' does not exist."}},
    )
    changedFields = fields.String(metadata={
        "description": "412 only: the fields changed since the version If-Match named, comma-separated, in the "
                       "history's vocabulary (as GET /api/v4/cases/{caseInstanceId}/history names them); "
                       "unknown when the case never had that version.",
        "example": "subject,status"})
