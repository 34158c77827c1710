"""The one error table: every cause → HTTP status, eGain code, Thalamus entry.

Domain errors name causes without HTTP; wire errors (below) are causes only an
HTTP request can have (a query parameter, a media type, a body that does not
parse). Each API renders the same table entry in its own body shape. The
error-code table of docs/errors.md lists these rows; a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass

from casemgr.domain import errors as domain
from casemgr.domain.search import MAX_SEARCH_CANDIDATES
from casemgr.service.errors import (
    CaseBusy,
    CommitOutcomeUnknown,
    ConcurrentChange,
    PasswordChecksBusy,
    ServiceUnavailable,
    StatementTimeout,
    StorageFault,
    WebhookLookupsBusy,
)


class WireError(Exception):
    """A request refused for its HTTP form, before it becomes a command."""

    def __init__(self, message: str, **facts):
        super().__init__(message)
        self.message = message
        self.facts = facts


class UnsupportedQueryParameter(WireError):
    pass


class EmptyBody(WireError):
    pass


class MalformedBody(WireError):
    pass


class MissingElement(WireError):
    pass


class UnsupportedElement(WireError):
    pass


class InvalidAttributeValue(WireError):
    pass


class NullNotAllowed(WireError):
    pass


class NotAcceptable(WireError):
    pass


class LanguageNotSupported(WireError):
    pass


class UnsupportedMediaType(WireError):
    pass


class UnsupportedContentCoding(WireError):
    """A body sent with a Content-Encoding other than identity (gzip, br…):
    refused, never read as if it were plain (RFC 9110 section 15.5.16)."""


class BodyTooLarge(WireError):
    pass


class LengthRequired(WireError):
    pass


class RequestTimeout(WireError):
    pass


class NoCaseFound(WireError):
    """A read by ids found none of them (eGain answers 404)."""


class RouteNotFound(WireError):
    pass


class MethodNotAllowed(WireError):
    pass


class InternalError(WireError):
    pass


@dataclass(frozen=True)
class ErrorEntry:
    status: int
    egain_code: str
    # Thalamus: the key and code of the flat {"errors": {key: code}} map.
    thalamus_key: str
    thalamus_code: str
    summary: str
    # Thalamus answers a refusal about the principal's reach to a case as
    # 400 invalidId, like an unknown case, so a case's existence never leaks.
    thalamus_status: int | None = None


E = ErrorEntry
ERROR_TABLE: dict[type[Exception], ErrorEntry] = {
    UnsupportedQueryParameter: E(400, "400-101", "query", "UnsupportedParameter", "Unsupported query parameter(s)"),
    InvalidAttributeValue: E(400, "400-152", "{attribute}", "InvalidFormat", "Invalid value for an attribute (type or format)"),
    domain.InvalidValue: E(400, "400-152", "{attribute}", "InvalidValue", "Invalid value for an attribute"),
    domain.InvalidEnumValue: E(400, "400-196", "{attribute}", "InvalidEnumValue", "Invalid enumeration value; details list the expected values"),
    domain.RelatedCaseLimitExceeded: E(400, "400-10424", "relatedCases", "LimitExceeded", "Limit exceeded: a case relates to at most 75 cases"),
    EmptyBody: E(400, "400-9001", "body", "Required", "Request body is empty"),
    MalformedBody: E(400, "400-9002", "body", "InvalidJson", "Request body does not parse (JSON or XML)"),
    MissingElement: E(400, "400-9003", "{attribute}", "Required", "A required element is missing"),
    domain.SearchFilterRequired: E(400, "400-9003", "{attribute}", "Required", "A required element is missing (a case search names no filter)"),
    UnsupportedElement: E(400, "400-9004", "{attribute}", "Unsupported", "Unsupported element in the request body"),
    domain.NotChangeableWhenClosed: E(400, "400-9004", "{attribute}", "Unsupported", "Unsupported element in the request body"),
    domain.NothingToChange: E(400, "400-9005", "body", "NothingToChange", "No attribute besides id and lastModified"),
    domain.CaseNotFound: E(400, "400-9006", "case", "invalidId", "Case does not exist"),
    domain.CaseNotOpen: E(400, "400-9007", "case", "CaseNotOpen", "Case is not open"),
    domain.CaseNotClosed: E(400, "400-9008", "case", "CaseNotClosed", "Case is not closed (closed-case edit)"),
    domain.ValueTooLong: E(400, "400-9009", "{attribute}", "TooLong", "Value longer than 1024 characters"),
    NullNotAllowed: E(400, "400-9010", "{attribute}", "NullNotAllowed", "null given; use \"\" to remove a value"),
    domain.DueDateNotInFuture: E(400, "400-9011", "dueDate", "NotInFuture", "dueDate is not in the future"),
    domain.OwnerNotFound: E(400, "400-9012", "owner", "invalidId", "New owner does not exist"),
    domain.OwnerDisabled: E(400, "400-9013", "owner", "Disabled", "New owner is disabled"),
    domain.OwnerUnlicensed: E(400, "400-9014", "owner", "Unlicensed", "New owner has no user license"),
    domain.RelatedCaseNotFound: E(400, "400-9015", "relatedCases", "invalidId", "Related case does not exist"),
    domain.RelatedCaseIsSelf: E(400, "400-9016", "relatedCases", "SelfReference", "A case cannot be related to itself"),
    domain.UnknownCustomAttribute: E(400, "400-9017", "{attribute}", "Unknown", "Custom attribute is not configured"),
    domain.CustomAttributeCharacters: E(400, "400-9018", "{attribute}", "InvalidCharacters", "Custom attribute value has characters that are not allowed"),
    domain.TooManyCaseIds: E(400, "400-9019", "case", "TooManyIds", "More than 75 case ids in one read"),
    domain.CategoryCodeRequired: E(400, "400-9020", "category", "CodeRequired", "categoryCode is missing"),
    domain.TypeCodeRequired: E(400, "400-9021", "type", "CodeRequired", "typeCode is missing"),
    domain.InvalidCategoryOrType: E(400, "400-9022", "categoryOrType", "InvalidCode", "Unknown category or type code"),
    domain.CategoryIsSystemNode: E(400, "400-9023", "category", "CategorySystemNode", "Category is a system node"),
    domain.UnknownStatusName: E(400, "400-9024", "status", "InvalidName", "Unknown status name"),
    domain.UnknownResolutionName: E(400, "400-9025", "resolution", "InvalidName", "Unknown resolution name"),
    domain.InvalidCaseField: E(400, "400-9026", "caseData.{field}", "invalidCaseField", "caseData field missing, unknown or of the wrong type"),
    domain.TooManyComments: E(400, "400-9027", "comments", "LimitExceeded", "More than 100 comments in one request"),
    domain.InvalidCursor: E(400, "400-9028", "after", "InvalidCursor", "Change feed cursor not handed out by the feed"),
    domain.WebhookTargetRefused: E(400, "400-9029", "url", "TargetRefused", "Webhook URL whose host does not resolve in time, or resolves to an address that is not globally reachable: loopback, private, link-local, reserved, deprecated (6to4, Teredo), such an IPv4 address written as IPv6, or a cloud metadata address"),
    domain.SearchTooBroad: E(400, "400-9030", "search", "TooBroad", f"Case search too broad: each of its filters matches more than {MAX_SEARCH_CANDIDATES:,} cases the caller sees; narrow it with another filter"),
    domain.StatusTransitionNotAllowed: E(400, "400-9032", "{attribute}", "invalid", "Status cannot follow the case's current status by the configured transitions"),
    domain.CommentNotFound: E(400, "400-9033", "comment", "InvalidId", "Comment does not exist in the case (or, for a party, is not its own)"),
    domain.WebhookLimitReached: E(400, "400-9031", "webhook", "LimitReached", "Client already has as many webhook subscriptions as it may have, 25 unless configured; delete one first"),
    domain.AuthenticationRequired: E(401, "401-101", "token", "InvalidToken", "Session or token missing, invalid or expired"),
    domain.PrincipalRequired: E(401, "401-9002", "principal", "LoginRequired", "Thalamus: no operator or party login (cookie or HTTP Basic)"),
    domain.InvalidCredentials: E(401, "401-9001", "principal", "InvalidCredentials", "Wrong user name or password, or disabled user"),
    domain.ActionNotAllowed: E(403, "403-178", "case", "invalidId", "User not allowed to perform the action", thalamus_status=400),
    domain.CaseOutsideUserDepartments: E(403, "403-105", "case", "invalidId", "Case is outside the user's departments", thalamus_status=400),
    domain.CaseNotVisibleToCustomer: E(403, "403-9001", "case", "invalidId", "Case belongs to another customer", thalamus_status=400),
    domain.TransferNotPermitted: E(403, "403-9002", "owner", "TransferNotPermitted", "No Transfer Activities permission on the new owner"),
    domain.CaseOutsideOwnerDepartments: E(403, "403-9003", "owner", "OutsideDepartments", "Case is outside the new owner's departments"),
    domain.PullNotPermitted: E(403, "403-9004", "case", "invalidId", "No Pull Activities permission on the current owner", thalamus_status=400),
    domain.RelatedCaseNotPermitted: E(403, "403-9005", "relatedCases", "NotPermitted", "Related case is outside the user's reach"),
    domain.SessionLimitReached: E(403, "403-9006", "session", "LimitReached", "User already holds the maximum number of sessions"),
    domain.ScopeNotGranted: E(403, "403-197", "token", "ScopeNotGranted", "Token lacks the scope the call needs"),
    domain.TooManyFailedAttempts: E(429, "429-9001", "principal", "TooManyAttempts", "Too many failed credential checks; retry after the seconds in Retry-After"),
    domain.TooManyReadsInFlight: E(429, "429-9002", "principal", "TooManyRequests", "This principal's searches, history and feed reads under way are at their limit; retry after the seconds in Retry-After"),
    NoCaseFound: E(404, "404-9001", "case", "invalidId", "None of the requested cases was found"),
    RouteNotFound: E(404, "404-9002", "path", "NotFound", "No such resource"),
    domain.WebhookNotFound: E(404, "404-9003", "webhook", "invalidId", "No webhook subscription of the client with that id"),
    MethodNotAllowed: E(405, "405-9001", "method", "NotAllowed", "Method not allowed on this resource"),
    NotAcceptable: E(406, "406-9001", "accept", "NotAcceptable", "Accept names neither application/json nor application/xml"),
    LanguageNotSupported: E(406, "406-100", "language", "NotSupported", "Accept-Language missing (v3), or naming none of the 15 locales"),
    domain.StaleCase: E(409, "409-100", "lastModified", "Conflict", "lastModified does not match the case's; details carry the current value"),
    ConcurrentChange: E(409, "409-9001", "case", "ConcurrentChange", "Another request wrote the same thing at the same time (the database refused this one's write); nothing saved: re-read and retry"),
    RequestTimeout: E(408, "408-9001", "body", "Timeout", "Request body did not arrive within the read timeout"),
    LengthRequired: E(411, "411-9001", "body", "LengthRequired", "Body length unknown"),
    domain.PreconditionFailed: E(412, "412-9001", "etag", "PreconditionFailed", "If-Match does not match the case's ETag"),
    BodyTooLarge: E(413, "413-9001", "body", "TooLarge", "Request body over 1 MiB"),
    UnsupportedMediaType: E(415, "415-9001", "contentType", "UnsupportedMediaType", "Content-Type is neither application/json nor application/xml"),
    UnsupportedContentCoding: E(415, "415-9002", "contentEncoding", "Unsupported", "Request body sent with a Content-Encoding (gzip, br…) other than identity; send it uncompressed"),
    InternalError: E(500, "500-100", "system", "InternalError", "System unable to process the request"),
    # The database refused a statement the service should not have sent:
    # the service's fault, answered like any other.
    StorageFault: E(500, "500-100", "system", "InternalError", "System unable to process the request"),
    ServiceUnavailable: E(503, "503-9001", "system", "Unavailable", "Database unavailable; retry shortly"),
    CaseBusy: E(503, "503-9002", "case", "Busy", "Case locked by another request for too long; retry"),
    PasswordChecksBusy: E(503, "503-9004", "system", "PasswordChecksBusy", "Too many password checks in progress; retry shortly"),
    CommitOutcomeUnknown: E(503, "503-9003", "system", "OutcomeUnknown", "Connection lost while committing: the change may or may not be saved; re-read before retrying"),
    StatementTimeout: E(503, "503-9005", "system", "StatementTimeout", "The database stopped the request at its statement timeout (nothing saved): ask for less, or try later; no Retry-After"),
    WebhookLookupsBusy: E(503, "503-9006", "system", "WebhookLookupsBusy", "Too many webhook host lookups in progress; retry shortly"),
}


def entry_for(exc: Exception) -> ErrorEntry:
    """The table row of the most specific class the exception is an instance
    of; several refusals at once answer with the first one's status."""
    if isinstance(exc, domain.Refusals):
        return entry_for(exc.first)
    for cls in type(exc).__mro__:
        if cls in ERROR_TABLE:
            return ERROR_TABLE[cls]
    return ERROR_TABLE[InternalError]


def retry_after(exc: Exception) -> dict[str, str]:
    """When to try again, as a header: a throttled credential check says how
    long; an unavailable database, a busy case or a principal's reads at
    their limit, a second.

    A statement timeout says nothing. 503 because the request was valid and
    the service could not complete it (a 4xx would tell the client its
    request was wrong, while the same request may pass on a quieter
    database, and the service cannot tell its cost from the database's load
    when the timeout fires); its own code (503-9005, not the outage's
    503-9001) because the database is up; and no Retry-After, because
    ``Retry-After: 1`` would invite the same expensive request again at once,
    into the load that may have slowed it."""
    if isinstance(exc, domain.TooManyFailedAttempts):
        return {"Retry-After": str(exc.facts["retry_after"])}
    if isinstance(exc, StatementTimeout):
        return {}
    busy = entry_for(exc).status == 503 or isinstance(exc, domain.TooManyReadsInFlight)
    return {"Retry-After": "1"} if busy else {}
