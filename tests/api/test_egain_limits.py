"""Request body limits: 1 MiB, with or without Content-Length."""

from __future__ import annotations

import io
import json

import pytest

LIMIT = 1024 * 1024


def big_body(size: int) -> bytes:
    padding = "x" * max(size - 60, 0)
    return json.dumps({"id": "1013", "lastModified": {"date": "2020-01-01T00:00:00Z"}, "note": padding}).encode()


def test_a_body_over_one_mib_is_413(v12, unchanged):
    response = v12.edit_raw(big_body(LIMIT + 10))
    assert response.status_code == 413
    assert response.get_json()["code"] == "413-9001"
    unchanged.check()


def test_a_chunked_body_over_one_mib_is_413(v12, unchanged):
    headers = v12.headers("frank", **{"Transfer-Encoding": "chunked", "Content-Type": "application/json"})
    response = v12.client.put("/ws/v12/interaction/case", input_stream=io.BytesIO(big_body(LIMIT + 10)),
                              headers=headers, environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413
    unchanged.check()


def test_a_small_chunked_body_is_read_whole(v12):
    last_modified = v12.last_modified(1013)
    body = json.dumps({"id": "1013", "lastModified": {"date": last_modified}, "subject": "chunked"}).encode()
    headers = v12.headers("frank", **{"Transfer-Encoding": "chunked", "Content-Type": "application/json"})
    response = v12.client.put("/ws/v12/interaction/case", input_stream=io.BytesIO(body),
                              headers=headers, environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 204, response.get_data(as_text=True)
    assert v12.read_case(1013)["subject"] == "chunked"


def test_a_chunked_body_the_server_cannot_delimit_is_411_not_an_empty_body(v12, unchanged):
    headers = v12.headers("frank", **{"Transfer-Encoding": "chunked", "Content-Type": "application/json"})
    response = v12.client.put("/ws/v12/interaction/case", input_stream=io.BytesIO(b'{"id": "1013"}'),
                              headers=headers)
    assert response.status_code == 411
    assert response.get_json()["code"] == "411-9001"
    unchanged.check()


@pytest.mark.parametrize("size", [LIMIT - 200])
def test_a_body_just_under_the_limit_is_parsed(v12, size):
    response = v12.edit_raw(big_body(size))
    # parsed, then refused for its content (an unsupported element), not its size
    assert response.status_code == 400
    assert response.get_json()["code"] == "400-9004"
