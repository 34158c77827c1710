"""v12 wire shapes: lastModified is an object with a date."""

from __future__ import annotations

from marshmallow import Schema, fields

from casemgr.api.egain.schemas import EgainCaseEditFields


class V12LastModified(Schema):
    date = fields.String(required=True, metadata={"example": "2015-07-30T13:07:40.000Z"})


class V12CaseEdit(EgainCaseEditFields):
    lastModified = fields.Nested(
        V12LastModified,
        metadata={"description": "The case's lastModified as last read. Required unless If-Match is sent."},
    )


class V12Login(Schema):
    userName = fields.String(metadata={"example": "frank"})
    username = fields.String(metadata={"description": "Accepted as a synonym of userName."})
    password = fields.String(required=True, metadata={"example": "frank-pass"})
