"""eGain's case search query (``GET /ws/v12/interaction/case?…``) as one
``CaseSearch``: the filters, eGain's common paging (``$pagenum``,
``$pagesize``) and sorting (``$sort``, ``$order``) parameters. Only the form
of the query is judged here; which cases match is the database's answer."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from casemgr.api import errors, wire
from casemgr.api.egain import attributes
from casemgr.domain import errors as domain
from casemgr.domain.search import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, CaseSearch

FILTERS = ("customer", "email", "phone")
CUSTOM_PREFIX = "custom."
PAGE_NUMBER, PAGE_SIZE, SORT, ORDER = "$pagenum", "$pagesize", "$sort", "$order"
# eGain's attribute names → the domain's sort keys.
SORTS = {"id": "id", "lastModified": "lastModified", "dueDate": "dueDate", "severity": "severity",
         "subject": "subject"}
ORDERS = ("asc", "desc")
MAX_PAGE_NUMBER = 10**9
PARAMETERS = (*FILTERS, PAGE_NUMBER, PAGE_SIZE, SORT, ORDER, attributes.PARAMETER)


def search_from_query(args: MultiDict) -> CaseSearch:
    """400-101 for a parameter that is none of these, 400-152 for a value of
    the wrong form (or a parameter given twice), 400-196 for a sort or order
    that is not one of eGain's, 400-9003 for ``$order`` without ``$sort``."""
    wire.reject_query_parameters(allowed=tuple(name for name in args if _is_custom(name)) + PARAMETERS)
    if ORDER in args and SORT not in args:
        raise errors.MissingElement(f"Query parameter '{ORDER}' needs '{SORT}'.", attribute=SORT)
    customer = args.get("customer")
    return CaseSearch(
        customer_id=wire.parse_id(customer, "customer") if customer is not None else None,
        email=args.get("email"),
        phone=args.get("phone"),
        custom=tuple((name[len(CUSTOM_PREFIX):], value) for name, value in args.items() if _is_custom(name)),
        page=_number(args.get(PAGE_NUMBER), PAGE_NUMBER, 1, MAX_PAGE_NUMBER, default=1),
        page_size=_number(args.get(PAGE_SIZE), PAGE_SIZE, 1, MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE),
        sort=SORTS[_one_of(args.get(SORT, "id"), SORT, tuple(SORTS))],
        descending=_one_of(args.get(ORDER, "asc"), ORDER, ORDERS) == "desc",
    )


def _is_custom(name: str) -> bool:
    return name.startswith(CUSTOM_PREFIX) and len(name) > len(CUSTOM_PREFIX)


def _number(value: str | None, name: str, low: int, high: int, *, default: int) -> int:
    if value is None:
        return default
    text = value.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 10 and low <= int(text) <= high):
        raise errors.InvalidAttributeValue(
            f"Invalid value '{value}' for '{name}': expected a whole number from {low} to {high:,}.", attribute=name)
    return int(text)


def _one_of(value: str, name: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise domain.InvalidEnumValue(f"Invalid value '{value}' for '{name}': expected one of {', '.join(allowed)}.",
                                      attribute=name, expected=allowed)
    return value


def parameters() -> list[dict]:
    """The search's query parameters, as the spec documents them."""
    def query(name: str, description: str, schema: dict, example=None) -> dict:
        documented = {"in": "query", "name": name, "required": False, "schema": schema, "description": description}
        return {**documented, "example": example} if example is not None else documented

    return [
        query("customer", "The customer's id.", {"type": "string", "pattern": "^[0-9]{1,18}$"}, "2001"),
        query("email", "The customer's email address (compared without regard to case).",
              {"type": "string"}, "john@example.com"),
        query("phone", "The customer's phone number, unformatted (digits after an optional +).",
              {"type": "string"}),
        query(PAGE_NUMBER, "The page to answer, from 1.",
              {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_NUMBER, "default": 1}),
        query(PAGE_SIZE, f"Cases per page, 1 to {MAX_PAGE_SIZE}.",
              {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE}),
        query(SORT, "The attribute the cases are ordered by (then by id); cases without it come last.",
              {"type": "string", "enum": list(SORTS), "default": "id"}),
        query(ORDER, f"asc or desc; needs {SORT}. Ascending severity is low, medium, high, urgent.",
              {"type": "string", "enum": list(ORDERS), "default": "asc"}),
        attributes.parameter("The attributes shown of each case found."),
    ]
