"""Failures of the infrastructure, as the service layer names them. The db
adapter translates driver errors into these at one boundary."""


class ServiceUnavailable(Exception):
    """The database cannot be reached or did not answer in time."""


class CaseBusy(ServiceUnavailable):
    """Another request held the case's row lock for longer than the lock timeout."""


class CommitOutcomeUnknown(ServiceUnavailable):
    """The connection failed during the commit: the write may have been saved."""


class PasswordChecksBusy(ServiceUnavailable):
    """As many password checks as the process allows are running or waiting:
    this one is turned away at once rather than holding a request thread."""
