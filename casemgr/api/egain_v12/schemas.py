"""v12 wire shapes: lastModified is an object with a date."""

from __future__ import annotations

from marshmallow import Schema, fields

from casemgr.api.egain.schemas import EgainCaseEditFields, EgainCaseShownFields, EgainPaginationInfo
from casemgr.api.egain.xml import CASE_NS


class V12LastModified(Schema):
    # A date-time, like the lastModified.date a read shows: a generated client
    # passes the one it read straight back.
    date = fields.String(required=True, metadata={
        "format": "date-time", "example": "2015-07-30T13:07:40.000Z", "xml": {"attribute": True}})


class V12CaseEdit(EgainCaseEditFields):
    class Meta:
        xml = {"name": "case", "namespace": CASE_NS}

    lastModified = fields.Nested(
        V12LastModified,
        metadata={"description": "The case's lastModified as last read. Required unless If-Match is sent."},
    )


class V12Login(Schema):
    class Meta:
        xml = {"name": "user"}

    userName = fields.String(metadata={"example": "frank"})
    username = fields.String(metadata={"description": "Accepted as a synonym of userName."})
    password = fields.String(required=True, metadata={"example": "frank-pass"})


class V12LastModifiedUser(Schema):
    id = fields.String(required=True, metadata={"xml": {"attribute": True}})
    name = fields.String(required=True, allow_none=True, metadata={"description": "Login."})


class V12LastModifiedShown(Schema):
    date = fields.String(required=True, metadata={"format": "date-time", "xml": {"attribute": True}})
    user = fields.Nested(V12LastModifiedUser, metadata={"description": "Who made the last change."})


class V12Case(EgainCaseShownFields):
    lastModified = fields.Nested(V12LastModifiedShown, required=True)


class V12Cases(Schema):
    class Meta:
        xml = {"name": "cases", "namespace": CASE_NS}

    case = fields.List(fields.Nested(V12Case), required=True)


class V12CaseSearchPage(Schema):
    class Meta:
        xml = {"name": "cases", "namespace": CASE_NS}

    case = fields.List(fields.Nested(V12Case), required=True)
    paginationInfo = fields.Nested(EgainPaginationInfo, required=True)
