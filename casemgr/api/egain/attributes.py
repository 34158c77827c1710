"""Which attributes of a case an eGain read shows: the summary, and more when
``$attribute`` asks for it.

eGain reads answer a case's summary attributes unless the common query
parameter ``$attribute`` names more: a comma-separated list of attribute
names, or ``all``. The summary is what eGain's documented summary example
shows of a case (everything it shows that casemgr has): id, link,
department, status, severity, subject, customer and lastModified. What a
read shows never changes the case's version: the ETag is the same whatever
is shown.
"""

from __future__ import annotations

from flask import request

from casemgr.api import errors as api_errors
from casemgr.domain import errors

PARAMETER = "$attribute"
ALL = "all"
SUMMARY = ("id", "link", "department", "status", "severity", "subject", "customer", "lastModified")
# The attributes only $attribute shows, in the order a case shows them.
MORE = ("description", "solution", "dueDate", "owner", "lastClosed", "relatedCases", "customAttributes")
# eGain's name for the custom attributes of a resource ($attribute=custom).
ALIASES = {"custom": "customAttributes"}
# Every value $attribute takes, in the order a refusal lists them.
NAMES = (ALL, *MORE, *ALIASES, *SUMMARY)

SUMMARY_ONLY = frozenset(SUMMARY)
EVERYTHING = frozenset(SUMMARY + MORE)


def requested() -> frozenset[str]:
    """The attributes this request's ``$attribute`` asks for, with the
    summary; an unknown name is 400 (400-196) with every name it takes, a
    second ``$attribute`` 400 (400-152): the list is one comma-separated value."""
    values = request.args.getlist(PARAMETER)
    if len(values) > 1:
        raise api_errors.InvalidAttributeValue(
            f"Query parameter '{PARAMETER}' may be given once, as a comma-separated list.", attribute=PARAMETER)
    return shown_attributes(values[0] if values else None)


def shown_attributes(value: str | None) -> frozenset[str]:
    if value is None:
        return SUMMARY_ONLY
    names = value.split(",")  # exactly: " all" names nothing
    unknown = [name for name in names if name not in NAMES]
    if unknown:
        raise errors.InvalidEnumValue(
            f"Invalid value '{unknown[0]}' for '{PARAMETER}': expected a comma-separated list of {', '.join(NAMES)}.",
            attribute=PARAMETER, expected=NAMES)
    if ALL in names:
        return EVERYTHING
    return SUMMARY_ONLY | {ALIASES.get(name, name) for name in names}


def parameter(description: str) -> dict:
    """The ``$attribute`` query parameter, as the spec documents it."""
    name = "(?:" + "|".join(NAMES) + ")"
    return {
        "in": "query", "name": PARAMETER, "required": False,
        "schema": {"type": "string", "pattern": f"^{name}(?:,{name})*$"},
        "description": description + f" Without it, the summary: {', '.join(SUMMARY)}. `all` adds "
                       f"{', '.join(MORE)}; a comma-separated list of names adds the attributes it names "
                       "(`custom` is customAttributes). Any other name is 400 (400-196), with every name it "
                       "takes in details.",
        "examples": {
            "all": {"summary": "Every attribute", "value": ALL},
            "some": {"summary": "The summary, the description and the custom attributes",
                     "value": "description,custom"},
        },
    }
