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
