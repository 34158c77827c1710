"""Failures of the infrastructure, as the service layer names them. The db
adapter translates driver errors into these at one boundary."""


class ServiceUnavailable(Exception):
    """The database cannot be reached or did not answer in time."""

    @property
    def message(self) -> str:
        """What the answer tells the client (every API's error body shows an
        error's ``message``): the cause as the raiser worded it."""
        return str(self)


class CaseBusy(ServiceUnavailable):
    """Another request held the case's row lock for longer than the lock timeout."""


class StatementTimeout(ServiceUnavailable):
    """The database stopped one of the request's statements at the statement
    timeout: the request costs more than the service allows one request, at
    least with the database as busy as it was. Nothing of it was saved. The
    database is up: retrying the same request at once would most likely cost
    the same again."""


class CommitOutcomeUnknown(ServiceUnavailable):
    """The connection failed during the commit: the write may have been saved."""


class PasswordChecksBusy(ServiceUnavailable):
    """As many password checks as the process allows are running or waiting:
    this one is turned away at once rather than holding a request thread."""


class WebhookLookupsBusy(ServiceUnavailable):
    """As many name lookups of webhook hosts as the process allows are under
    way (a name server that does not answer holds each for as long as it
    takes): one more is turned away at once rather than holding a request
    thread."""


class ConcurrentChange(Exception):
    """Another transaction wrote the same key at the same time (a unique or
    exclusion constraint refused this one's write). Nothing of the request
    was saved; the same request may pass now."""

    @property
    def message(self) -> str:
        return str(self)


class StorageFault(Exception):
    """The database refused a statement for a reason the service should have
    caught before writing (a constraint, a value, the SQL itself): a fault of
    the service, never of the request. Nothing was saved."""

    @property
    def message(self) -> str:
        return str(self)
