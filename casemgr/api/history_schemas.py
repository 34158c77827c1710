"""OpenAPI shapes of a case's history and of the change feed (documentation
only: the bodies are built by ``casemgr.api.history``)."""

from __future__ import annotations

from marshmallow import Schema, fields

from casemgr.api.egain.xml import CASE_NS
from casemgr.domain.history import API_NAMES, MAX_PAGE_SIZE, FeedPosition
from casemgr.domain.visibility import STAFF
from casemgr.service.feed import MAX_LIMIT, encode_cursor

_DATE = {"format": "date-time"}
_ATTRIBUTE = {"xml": {"attribute": True}}
FIELD_VOCABULARY = (
    "subject, description, solution, severity, dueDate, owner (a user id), status, resolution (by name), "
    "category, type (by code), relatedCases (oldValue: the ids removed, newValue: the ids added), "
    "`customAttributes.<name>`, `caseData.<name>`, comments (newValue: the ids added); a creation or a load "
    "also records case (newValue created), department (by name) and customer (an id)"
)


class HistoryAuthor(Schema):
    id = fields.String(required=True, allow_none=True, metadata={
        "description": "The user's, customer's or OAuth client's id; null for staff as a customer sees them.",
        "example": "1001", **_ATTRIBUTE})
    name = fields.String(required=True, allow_none=True, metadata={
        "description": "A user's login, a customer's name, an OAuth client's id. A customer (Thalamus party) "
                       f"sees itself by its name and every agent and OAuth client as \"{STAFF.name}\" "
                       "(type staff): no login or id of the support team reaches a customer.",
        "example": "frank"})
    type = fields.String(required=True, metadata={"enum": ["user", "customer", "client", STAFF.kind]})


class HistoryFieldChange(Schema):
    field = fields.String(required=True, metadata={"description": f"The field: {FIELD_VOCABULARY}.",
                                                   "example": "subject"})
    oldValue = fields.String(required=True, allow_none=True, metadata={"example": "Phone does not charge"})
    newValue = fields.String(required=True, allow_none=True, metadata={"example": "Phone replaced"})


class HistoryEntry(Schema):
    date = fields.String(required=True, metadata={"description": "When the change was written.", **_DATE,
                                                  **_ATTRIBUTE})
    lastModified = fields.String(required=True, metadata={"description": "The case's version after it.", **_DATE})
    user = fields.Nested(HistoryAuthor, required=True, allow_none=True, metadata={
        "description": "Who made the change; null for a load."})
    api = fields.String(required=True, metadata={"enum": sorted(set(API_NAMES.values()))})
    changes = fields.List(fields.Nested(HistoryFieldChange), required=True)
    activity = fields.String(metadata={
        "description": "The Thalamus activity (query `activity` or header `Thalamus-Activity`) of the request "
                       "that wrote the entry; absent when none was named, and for a party on another's entry.",
        "example": "portal-complaint"})


class PaginationInfo(Schema):
    count = fields.Integer(required=True, metadata={"description": "Entries of the case in all.", "example": 3})
    pagenum = fields.Integer(required=True, metadata={"example": 1})
    pagesize = fields.Integer(required=True, metadata={"example": 25, "maximum": MAX_PAGE_SIZE})


class CaseHistory(Schema):
    class Meta:
        xml = {"name": "caseHistory", "namespace": CASE_NS}

    history = fields.List(fields.Nested(HistoryEntry), required=True, metadata={"description": "Newest first."})
    paginationInfo = fields.Nested(PaginationInfo, required=True)


class FeedChange(Schema):
    cursor = fields.String(required=True, metadata={
        "description": "This change's place in the feed: as after, it resumes right behind it."})
    caseId = fields.String(required=True, metadata={"example": "1013"})
    date = fields.String(required=True, metadata={"description": "When the change was written.", **_DATE})
    lastModified = fields.String(required=True, metadata={"description": "The case's version after it.", **_DATE})
    api = fields.String(required=True, metadata={"enum": sorted(set(API_NAMES.values()))})
    user = fields.Nested(HistoryAuthor, required=True, allow_none=True, metadata={
        "description": "Who made the change; null for a load."})
    fields_ = fields.List(fields.String(), required=True, data_key="fields", metadata={
        "description": "The fields the change changed, in the history's vocabulary."})


class ChangeFeed(Schema):
    class Meta:
        xml = {"name": "changeFeed", "namespace": CASE_NS}

    changes = fields.List(fields.Nested(FeedChange), required=True, metadata={
        "description": f"In feed order, at most limit (at most {MAX_LIMIT})."})
    next = fields.String(required=True, metadata={
        "description": "The cursor to pass as after to read on; also when changes is empty."})


HISTORY_EXAMPLE = {"history": [
    {"date": "2026-11-22T10:00:00.130Z", "lastModified": "2026-11-22T10:00:00.123Z",
     "user": {"id": "1001", "name": "frank", "type": "user"}, "api": "v12",
     "changes": [{"field": "subject", "oldValue": "Phone does not charge", "newValue": "Phone replaced"},
                 {"field": "severity", "oldValue": "high", "newValue": "urgent"}]},
    {"date": "2026-11-21T09:30:00.010Z", "lastModified": "2026-11-21T09:30:00.004Z",
     "user": {"id": "1001", "name": "frank", "type": "user"}, "api": "v4",
     "changes": [{"field": "status", "oldValue": "Open", "newValue": "In Progress"},
                 {"field": "comments", "oldValue": None, "newValue": "7"}]},
    {"date": "2026-11-20T08:00:00.000Z", "lastModified": "2026-11-20T08:00:00.000Z",
     "user": None, "api": "load",
     "changes": [{"field": "case", "oldValue": None, "newValue": "created"},
                 {"field": "subject", "oldValue": None, "newValue": "Phone does not charge"}]},
], "paginationInfo": {"count": 3, "pagenum": 1, "pagesize": 25}}


FEED_EXAMPLE = {"changes": [
    {"cursor": encode_cursor(FeedPosition(701, 25)), "caseId": "1013", "date": "2026-11-22T10:00:00.130Z",
     "lastModified": "2026-11-22T10:00:00.123Z", "api": "v12",
     "user": {"id": "1001", "name": "frank", "type": "user"}, "fields": ["subject", "severity"]},
    {"cursor": encode_cursor(FeedPosition(702, 26)), "caseId": "1001", "date": "2026-11-22T10:00:01.002Z",
     "lastModified": "2026-11-22T10:00:00.998Z", "api": "v3",
     "user": {"id": "crm", "name": "crm", "type": "client"}, "fields": ["customAttributes.region"]},
], "next": encode_cursor(FeedPosition(702, 26))}

PAGING_PARAMETERS_DOC = [
    {"in": "query", "name": "$pagenum", "required": False, "schema": {"type": "integer", "minimum": 1, "default": 1},
     "description": "The page, from 1."},
    {"in": "query", "name": "$pagesize", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": 25},
     "description": f"Entries per page, at most {MAX_PAGE_SIZE}."},
]
