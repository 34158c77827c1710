"""openapi.yaml at the repository root is what the app generates."""

import re
from pathlib import Path

import yaml

from casemgr.openapi import spec_dict

COMMITTED = Path(__file__).parent.parent / "openapi.yaml"


def test_the_committed_openapi_yaml_is_what_the_app_generates():
    committed = yaml.safe_load(COMMITTED.read_text("utf-8"))
    assert committed == spec_dict(), (
        "openapi.yaml is out of date: regenerate it with `casemgr openapi -o openapi.yaml`"
    )


def test_every_operation_has_a_summary_and_documents_its_errors():
    for path, operations in spec_dict()["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
            if path.startswith(("/ws/", "/core/", "/api/")):
                statuses = {int(s) for s in operation["responses"] if s.isdigit()}
                assert any(s >= 400 for s in statuses), f"{method.upper()} {path} documents no error"


API_PREFIXES = ("/ws/", "/core/", "/api/")


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield path, method, operation


def test_every_api_operation_is_described_and_names_the_credentials_it_needs():
    spec = spec_dict()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["egainSession"] == {**schemes["egainSession"], "type": "apiKey", "in": "header",
                                       "name": "X-egain-session"}
    assert set(schemes["egainOAuth2"]["flows"]) == {"password", "clientCredentials"}
    assert all(flow["tokenUrl"] == "/oauth2/token" for flow in schemes["egainOAuth2"]["flows"].values())
    assert {schemes[name]["name"] for name in ("thalamusTouchpoint", "thalamusToken")} == {
        "Thalamus-Touchpoint", "Thalamus-Token"}
    for path, method, operation in operations(spec):
        assert operation.get("description"), f"{method.upper()} {path} has no description"
        if path.startswith(API_PREFIXES) and path != "/ws/v12/authentication/user/login":
            assert operation.get("security"), f"{method.upper()} {path} names no credentials"
            for requirement in operation["security"]:
                assert set(requirement) <= set(schemes), requirement


def test_the_egain_edits_and_login_take_json_and_xml():
    spec = spec_dict()
    for path, method in (("/ws/v12/interaction/case", "put"), ("/ws/v12/authentication/user/login", "post"),
                         ("/core/casemgr/v3/case", "patch"), ("/core/casemgr/v3/case/closed", "patch")):
        content = spec["paths"][path][method]["requestBody"]["content"]
        assert set(content) == {"application/json", "application/xml"}, path


def test_the_reads_document_attribute_and_the_search_its_paging_and_its_204():
    paths = spec_dict()["paths"]

    def parameters(path):
        return {p["name"]: p for p in paths[path]["get"]["parameters"]}

    for path in ("/ws/v12/interaction/case/{case_ids}", "/core/casemgr/v3/case/{case_ids}",
                 "/ws/v12/interaction/case"):
        assert "(?:all|" in parameters(path)["$attribute"]["schema"]["pattern"], path
    search = paths["/ws/v12/interaction/case"]["get"]
    assert {"customer", "email", "phone", "$pagenum", "$pagesize", "$sort", "$order"} <= set(
        parameters("/ws/v12/interaction/case"))
    assert parameters("/ws/v12/interaction/case")["$pagesize"]["schema"]["maximum"] == 75
    assert "204" in search["responses"] and "204" in paths["/core/casemgr/v3/case/attributes"]["get"]["responses"]
    assert set(search["responses"]["200"]["content"]) == {"application/json", "application/xml"}


# -- what an integrator meets first: generated names, readable text ----------

# eGain's own catalog names for the v12 operations.
EGAIN_CATALOG = {
    ("post", "/ws/v12/authentication/user/login"): "login",
    ("delete", "/ws/v12/authentication/user/logout"): "logout",
    ("put", "/ws/v12/interaction/case"): "editCase",
    ("get", "/ws/v12/interaction/case/{case_ids}"): "getCasesByIds",
    ("put", "/ws/v12/interaction/case/{case_id}/close"): "closeCase",
    ("get", "/ws/v12/interaction/case/attributes"): "getCaseAttributes",
    ("get", "/ws/v12/interaction/case"): "searchCase",
    ("patch", "/core/casemgr/v3/case/closed"): "editClosedCase",
}


def test_every_operation_has_a_unique_operation_id_and_v12_carries_egains_names():
    spec = spec_dict()
    ids = [(operation.get("operationId"), f"{method.upper()} {path}") for path, method, operation in operations(spec)]
    assert all(operation_id for operation_id, _ in ids), [where for operation_id, where in ids if not operation_id]
    seen: dict[str, str] = {}
    for operation_id, where in ids:
        assert operation_id not in seen, f"{where} and {seen[operation_id]} are both {operation_id}"
        seen[operation_id] = where
    named = {(method, path): operation["operationId"] for path, method, operation in operations(spec)}
    assert {key: named[key] for key in EGAIN_CATALOG} == EGAIN_CATALOG
    # The scheme of docs/explorer.md: a name an earlier API (v12, then v3) already has takes the API as a suffix.
    assert named[("patch", "/core/casemgr/v3/case")] == "editCaseV3"
    assert named[("get", "/core/casemgr/v3/case/attributes")] == "getCaseAttributesV3"
    assert named[("get", "/api/v4/logout")] == "logoutV4"


def texts(node, where="#"):
    """Every description and summary of the spec: what Swagger UI renders as Markdown."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("description", "summary") and isinstance(value, str):
                yield f"{where}/{key}", value
            elif key not in ("example", "examples"):
                yield from texts(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from texts(value, f"{where}/{index}")


INTERNAL_WORDS = re.compile(r"(?i)\bseeds?\b|\bSPEC\b|casemgr\.(?:api|domain|service|db)\b|\.py\b")


def test_every_description_reads_as_written_with_no_internal_jargon():
    found = list(texts(spec_dict()))
    assert len(found) > 100
    for where, text in found:
        outside_code = re.sub(r"`[^`]*`", "", text)
        # Markdown drops <anything> as HTML: a placeholder must sit in a code span.
        assert not re.search(r"<[A-Za-z/!]", outside_code), f"{where}: {text!r}"
        assert not INTERNAL_WORDS.search(text), f"{where}: {text!r}"


def test_every_error_cause_is_listed_once_per_status():
    for name, response in spec_dict()["components"]["responses"].items():
        lines = response["description"].splitlines()
        assert len(lines) == len(set(lines)), name
        if name.startswith("EgainError"):
            codes = [re.match(r"- `([^`]+)`", line).group(1) for line in lines]
            assert len(codes) == len(set(codes)), f"{name}: {codes}"


def test_every_error_response_shows_an_example_of_one_of_its_own_causes():
    for name, response in spec_dict()["components"]["responses"].items():
        listed = re.findall(r"`([^`]+)`", response["description"])
        example = response["content"]["application/json"].get("example")
        assert example, f"{name} has no example: Swagger UI would show the schema's, a 400"
        shown = [example["code"]] if "code" in example else [
            code for key, code in example["errors"].items() if not key.startswith("execution.")]
        assert set(shown) <= set(listed), f"{name} shows {shown}, not one of its causes"


def test_authorize_offers_only_credentials_a_client_can_fill_in():
    # The Thalamus session cookie is HttpOnly: no one could type it into Authorize.
    schemes = spec_dict()["components"]["securitySchemes"]
    assert [name for name, scheme in schemes.items() if scheme.get("in") == "cookie"] == []


# -- every JSON example fits its schema ---------------------------------------
# (Redocly's no-invalid-media-type-examples is off in redocly.yaml because it
# also reads the XML examples as JSON; this checks what it would on JSON.)

def as_json_schema(node):
    """OpenAPI 3.0's schema dialect to JSON Schema draft 4: nullable becomes a null type."""
    if isinstance(node, list):
        return [as_json_schema(value) for value in node]
    if not isinstance(node, dict):
        return node
    converted = {key: as_json_schema(value) for key, value in node.items()
                 if key not in ("nullable", "example", "xml")}
    if node.get("nullable") and "type" in node:
        converted["type"] = [node["type"], "null"]
    return converted


def media_examples(spec):
    def of_content(where, content):
        for media_type, media in content.items():
            if media_type == "application/xml" or "schema" not in media:
                continue
            if "example" in media:
                yield f"{where} {media_type}", media["schema"], media["example"]
            for name, example in media.get("examples", {}).items():
                yield f"{where} {media_type} {name}", media["schema"], example["value"]

    for path, method, operation in operations(spec):
        if "requestBody" in operation:
            yield from of_content(f"{method.upper()} {path} request", operation["requestBody"]["content"])
        for status, response in operation["responses"].items():
            if "content" in response:
                yield from of_content(f"{method.upper()} {path} {status}", response["content"])
    for name, response in spec["components"]["responses"].items():
        yield from of_content(name, response.get("content", {}))


def test_every_json_example_is_valid_against_its_schema():
    import jsonschema_rs

    spec = spec_dict()
    components = as_json_schema(spec["components"])
    checked = 0
    for where, schema, example in media_examples(spec):
        validator = jsonschema_rs.Draft4Validator({**as_json_schema(schema), "components": components})
        errors = [error.message for error in validator.iter_errors(example)]
        assert not errors, f"{where}: {errors}"
        checked += 1
    assert checked > 30
