"""eGain XML, to and from the same dicts the JSON schemas load and the JSON
representations are built from: the domain never sees XML.

Parsing is defusedxml's with DTDs, entities and external references
forbidden, so a hostile document is refused before it can expand, read a
file or reach the network; nesting deeper than any eGain body is refused too.

The mapping follows eGain's bindings: ``case/@id``, ``lastModified/@date``,
``user/@id`` and ``link/@rel``/``@href`` are attributes; repeated elements
(``link``, ``customAttribute``, ``attribValue`` …) become lists; an empty
element is the empty string (which removes a value). Element names are read
by their local name, whatever their namespace.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from casemgr.api import errors

CASE_NS = "http://bindings.egain.com/ws/model/v12/gen/interaction/case"
COMMON_NS = "http://bindings.egain.com/ws/model/v12/gen/common"
ATTRIBUTE_NS = "http://bindings.egain.com/ws/model/v12/gen/interaction/attribute"

MAX_DEPTH = 16
# Elements that may repeat: always lists, even with one item.
REPEATED = frozenset({"link", "unlink", "customAttribute", "attribValue", "case", "detail",
                      "history", "changes", "fields"})
# Scalars shown as XML attributes of their parent element.
AS_ATTRIBUTES = frozenset({"id", "date", "rel", "href"})
# Elements of eGain's common namespace (the rest are in the API's own).
COMMON_ELEMENTS = frozenset({
    "value", "displayValue", "customAttribute", "attribName", "attribValues", "attribValue", "attribType",
    "link", "code", "developerMessage", "userMessage", "details", "detail", "key",
    "paginationInfo", "count", "pagenum", "pagesize",
})


# -- parsing ------------------------------------------------------------------

def parse_xml(body: bytes) -> dict:
    try:
        root = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise errors.MalformedBody("XML with a DTD, entities or external references is not accepted.") from exc
    except (SafeET.ParseError, ValueError) as exc:
        raise errors.MalformedBody("Request body is not well-formed XML.") from exc
    _check_depth(root)
    value = _element_value(root)
    return value if isinstance(value, dict) else {}


def _check_depth(root: Element) -> None:
    """Iteratively, so a 10,000-level document costs no recursion."""
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise errors.MalformedBody(f"XML nesting deeper than {MAX_DEPTH} levels is not accepted.")
        stack.extend((child, depth + 1) for child in element)


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _element_value(element: Element) -> Any:
    children = list(element)
    if not children and not element.attrib:
        return element.text or ""
    value: dict[str, Any] = {local_name(k): v for k, v in element.attrib.items() if "}" not in k}
    for child in children:
        name = local_name(child.tag)
        child_value = _element_value(child)
        if name in REPEATED:
            value.setdefault(name, []).append(child_value)
        elif name in value:
            raise errors.UnsupportedElement(f"Element '{name}' may appear only once.", attribute=name)
        else:
            value[name] = child_value
    if (element.text or "").strip():
        raise errors.MalformedBody(f"Element '{local_name(element.tag)}' mixes text and elements.")
    return value


# -- serializing --------------------------------------------------------------

def to_xml(root_name: str, payload: dict, namespace: str = CASE_NS) -> bytes:
    """A representation dict as eGain XML, rooted at ``root_name``."""
    # Prefixes are written literally and declared on the root, as eGain
    # does: the root's namespace is the default, the common one is ns2.
    root = Element(root_name, {"xmlns": namespace})
    if namespace != COMMON_NS:
        root.set("xmlns:ns2", COMMON_NS)
    _fill(root, payload, namespace)
    text = tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + text).encode("utf-8")


def _tag(name: str, namespace: str) -> str:
    return f"ns2:{name}" if name in COMMON_ELEMENTS and namespace != COMMON_NS else name


def _fill(element: Element, value: Any, namespace: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in AS_ATTRIBUTES and not isinstance(item, (dict, list)):
                element.set(key, _text(item))
            elif isinstance(item, list):
                for entry in item:
                    _fill(SubElement(element, _tag(key, namespace)), entry, namespace)
            elif item is not None:
                _fill(SubElement(element, _tag(key, namespace)), item, namespace)
    else:
        element.text = _text(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
