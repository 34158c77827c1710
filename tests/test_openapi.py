"""openapi.yaml at the repository root is what the app generates."""

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
