"""One exception class per cause a request can be refused for.

The classes carry the facts an error body needs (which attribute, which case,
which limit) and never an HTTP status: ``casemgr.api.errors`` maps each class
to each API's status and body, in one table.
"""

from __future__ import annotations

from datetime import datetime


class DomainError(Exception):
    """A rule refused the request."""

    def __init__(self, message: str, **facts):
        super().__init__(message)
        self.message = message
        self.facts = facts


class Refusals(DomainError):
    """Several refusals of one request, each a rule of its own that holds
    apart from the others (the codes of a classification, its case data,
    the status and the resolution; a body's shape faults): Thalamus shows
    them all at once, eGain the first, which is the one it would have
    answered alone (``first``)."""

    def __init__(self, refusals: list[Exception]):
        super().__init__(getattr(refusals[0], "message", str(refusals[0])), **getattr(refusals[0], "facts", {}))
        self.refusals = tuple(refusals)

    @property
    def first(self) -> Exception:
        return self.refusals[0]


def refuse_all(refusals: list[Exception]) -> None:
    """Raises the one refusal, or all of them; nothing when there is none."""
    if len(refusals) == 1:
        raise refusals[0]
    if refusals:
        raise Refusals(refusals)


# -- the request itself (checked before the case is read) ------------------

class NothingToChange(DomainError):
    """Rule 3: at least one attribute besides id and lastModified is given."""


class InvalidValue(DomainError):
    """A value of the right shape that no rule can accept (a malformed number, a
    number or date-time the service cannot store and print back, a case linked
    and unlinked at once). Its subclasses name more specific causes."""


class ValueTooLong(InvalidValue):
    """Rule 6: subject, description, solution, comments and custom text values hold 1024 characters at most."""


class TooManyComments(DomainError):
    """One request adds at most 100 comments, so no request can grow a case without bound."""


class InvalidEnumValue(DomainError):
    """Rule 7 (and enumerated custom attributes): a value outside its enumeration."""


class TooManyCaseIds(DomainError):
    """A read names more case ids than may be read at once."""


class SearchFilterRequired(DomainError):
    """A case search names at least one filter: it never lists every case."""


class SearchTooBroad(DomainError):
    """Every filter of a case search matches more cases the caller sees than
    a search considers (``casemgr.domain.search.MAX_SEARCH_CANDIDATES``):
    the caller narrows it, so no search costs more than that bound."""


# -- the case and the caller's access to it --------------------------------

class CaseNotFound(DomainError):
    """Rule 1: a case with the given id exists."""


class ActionNotAllowed(DomainError):
    """The user lacks the action (Edit Case, Close Case, Manage Closed Case)."""


class CaseOutsideUserDepartments(DomainError):
    """The case is in no department the user works in (an edit) or sees (a read)."""


class CaseNotVisibleToCustomer(DomainError):
    """A customer (Thalamus party) may only see and change its own cases."""


class CaseOutsideTouchpoint(CaseOutsideUserDepartments):
    """A Thalamus touchpoint permitted some categories only reaches the cases
    of those: refused like a case outside the user's departments (on v4,
    invalidId)."""


class CaseNotOpen(DomainError):
    """Rule 2: only a case whose status state is open may be edited."""


class CaseNotClosed(DomainError):
    """Only a closed case's custom attributes may be edited through the closed-case edit."""


class StaleCase(DomainError):
    """Rule 4: lastModified differs from the case's current lastModified.

    ``expected`` is the version the client named (None when what it sent
    names no version of the case); ``explanation``, once the service added
    it, what changed since (a ``casemgr.domain.history.ConflictExplanation``)."""

    def __init__(self, message: str, *, current: datetime, case_id: int | None = None,
                 expected: datetime | None = None):
        super().__init__(message, current=current, case_id=case_id)
        self.current = current
        self.expected = expected
        self.explanation = None


class PreconditionFailed(StaleCase):
    """An If-Match ETag differs from the case's current ETag."""


# -- values checked against the stored facts -------------------------------

class DueDateNotInFuture(DomainError):
    """Rule 5: a due date, when given with a value, lies in the future."""


class OwnerNotFound(DomainError):
    """Rule 8: the new owner is an existing user."""


class OwnerDisabled(DomainError):
    """Rule 8: the new owner is not disabled."""


class OwnerUnlicensed(DomainError):
    """Rule 8: the new owner holds a user license."""


class RelatedCaseNotFound(DomainError):
    """Rule 9: every linked or unlinked case exists."""


class RelatedCaseIsSelf(DomainError):
    """Rule 9: a case cannot be related to itself."""


class RelatedCaseLimitExceeded(DomainError):
    """Rule 9: no case is related to more than 75 cases, at either end."""


class UnknownCustomAttribute(DomainError):
    """Rule 10: a custom attribute's name is configured."""


class CustomAttributeCharacters(DomainError):
    """Rule 10: a free string custom value uses only the allowed characters."""


# -- permissions checked last ----------------------------------------------

class TransferNotPermitted(DomainError):
    """Assigning to another user needs Transfer Activities on that user."""


class CaseOutsideOwnerDepartments(DomainError):
    """The new owner's home or foreign departments include the case's department."""


class PullNotPermitted(DomainError):
    """Editing a case owned by someone else needs Pull Activities on its owner."""


class RelatedCaseNotPermitted(DomainError):
    """A linked case is in the user's departments, or shared with activity sharing."""


# -- Thalamus classification and case data ---------------------------------

class CategoryCodeRequired(DomainError):
    """Thalamus: categoryCode is mandatory."""


class TypeCodeRequired(DomainError):
    """Thalamus: typeCode is mandatory."""


class InvalidCategoryOrType(DomainError):
    """Thalamus: the category or type code is unknown, or the type is not in the category."""


class CategoryIsSystemNode(DomainError):
    """Thalamus: a system category cannot hold cases."""


class UnknownStatusName(DomainError):
    """A status name that is not configured."""


class UnknownResolutionName(DomainError):
    """A resolution name that is not configured."""


class StatusTransitionNotAllowed(DomainError):
    """The configured transitions do not lead from the case's status to the
    one named (none configured for a status: any status may follow it)."""


class CommentNotFound(DomainError):
    """A comment to rewrite that is no comment of the case (or, for a
    customer, none of its own)."""


class InvalidCaseField(InvalidValue):
    """Thalamus: caseData holds every field of the type, each of its data type, and no other."""


# -- authentication --------------------------------------------------------

class AuthenticationRequired(DomainError):
    """No valid session, token or credentials accompany the request."""


class PrincipalRequired(AuthenticationRequired):
    """Thalamus: a call on a case needs a logged-in operator or party."""


class InvalidCredentials(DomainError):
    """A login with an unknown name, a wrong password or a disabled account."""


class SessionLimitReached(DomainError):
    """A user already holds the maximum number of sessions."""


class ScopeNotGranted(DomainError):
    """An OAuth token without the scope the call needs."""


class TooManyFailedAttempts(DomainError):
    """Too many failed credential checks for an account or from an address
    within the throttle's window; ``retry_after`` says in how many seconds
    the next attempt is checked again."""


class TooManyReadsInFlight(DomainError):
    """A principal has as many searches, history and feed reads under way
    as it may (``casemgr.service.fairshare``): one more waits its turn
    with the client, not with everybody else."""


class NotChangeableWhenClosed(DomainError):
    """A closed case may have only its custom attributes changed."""


class InvalidCursor(DomainError):
    """A change feed cursor that the feed never handed out."""


# -- webhooks ----------------------------------------------------------------

class WebhookTargetRefused(DomainError):
    """A webhook URL whose host does not resolve (or not within the lookup
    timeout), or resolves to an address the service must not call: one that
    is not globally reachable (loopback, private, link-local, reserved,
    deprecated, or one of these carried in an IPv6 address) or a cloud
    metadata address (unless private targets are allowed)."""


class WebhookNotFound(DomainError):
    """No webhook subscription with that id among the client's own."""


class WebhookLimitReached(DomainError):
    """A client already has as many webhook subscriptions as it may have
    (``CASEMGR_WEBHOOK_MAX_SUBSCRIPTIONS_PER_CLIENT``): each is one more
    signed POST per change, retried for a day."""
