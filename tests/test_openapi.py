"""The OpenAPI document tells the truth, checked cheaply (schemathesis checks it deeply: make
test-api-fuzz): the one error shape on every error response, the statuses each kind of operation
can answer, security schemes that exist and match what the API demands, references that resolve,
and an `Allow` header listing every method of a path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Api
from viewfinder.app import API_PREFIX

METHODS = ("get", "put", "post", "patch", "delete")
UNSAFE = {"put", "post", "patch", "delete"}


@pytest.fixture
def document(anon: Api) -> dict[str, Any]:
    response = anon.get("/openapi.json")
    assert response.status_code == 200
    found: dict[str, Any] = response.json()
    return found


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for value in node:
            yield from references(value)


def test_every_reference_resolves_and_litestars_error_body_is_gone(document):
    for ref in set(references(document)):
        prefix, _, name = ref.rpartition("/")
        assert prefix == "#/components/schemas", ref
        assert name in document["components"]["schemas"], ref
    # Litestar's own error body (status_code, detail, extra) is never sent by this API.
    text = str(document)
    assert "'status_code'" not in text
    assert "Validation Exception" not in text


def test_the_error_component_is_the_one_shape_the_api_sends(document, anon):
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    inner = error["properties"]["error"]
    assert set(inner["required"]) == {"code", "message", "fields"}
    assert inner["properties"]["fields"]["additionalProperties"] == {"type": "string"}

    sent = anon.get("/accounts/me").json()
    assert set(sent) == {"error"}
    assert set(sent["error"]) == set(inner["properties"])


def test_every_error_response_refers_to_the_error_component(document):
    for method, path, operation in operations(document):
        responses = operation["responses"]
        assert "503" in responses, f"{method} {path}: every operation can meet a service that is down"
        assert "Retry-After" in responses["503"]["headers"]
        for status, response in responses.items():
            if int(status) >= 400:
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, f"{method} {path} {status}"
                assert response["description"].startswith("Error codes: "), f"{method} {path} {status}"
            elif int(status) == 204:
                assert "content" not in response, f"{method} {path}: a 204 has no body"


def test_statuses_follow_from_what_each_operation_takes(document):
    for method, path, operation in operations(document):
        statuses = set(operation["responses"])
        where = {parameter["in"] for parameter in operation.get("parameters", [])}
        label = f"{method.upper()} {path}"
        if "path" in where:
            assert "404" in statuses, label
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= statuses, label
        if where & {"query", "header"}:
            assert "400" in statuses, label
        if method in UNSAFE:
            assert "403" in statuses, f"{label}: writes from another site's page are refused"
        if operation.get("security"):
            assert "401" in statuses, label


def test_routes_declare_what_only_their_services_know(document, alice):
    paths = document["paths"]
    collections = paths[f"{API_PREFIX}/collections"]["post"]["responses"]
    assert "collection_exists" in collections["409"]["description"]
    assert alice.post("/collections", json={"name": "Trips"}).status_code == 201
    assert alice.post("/collections", json={"name": "trips"}).status_code == 409

    login = paths[f"{API_PREFIX}/accounts/login"]["post"]["responses"]
    assert "invalid_credentials" in login["401"]["description"]
    assert "429" in login  # it takes the rate limiter
    assert "404" in paths[f"{API_PREFIX}/reports"]["post"]["responses"]


def test_security_schemes_exist_and_name_the_real_cookie_and_header(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["sessionCookie"] == {
        "type": "apiKey",
        "in": "cookie",
        "name": "vf_session",
        "description": schemes["sessionCookie"]["description"],
    }
    assert (schemes["csrfHeader"]["type"], schemes["csrfHeader"]["in"]) == ("apiKey", "header")
    assert schemes["csrfHeader"]["name"] == "x-csrf-token"
    assert (schemes["bearerToken"]["type"], schemes["bearerToken"]["scheme"]) == ("http", "bearer")
    used = {name for _, _, op in operations(document) for alt in op.get("security", []) for name in alt}
    assert used == set(schemes)


def test_cookie_writes_need_the_csrf_header_and_public_reads_allow_anonymity(document):
    for method, path, operation in operations(document):
        security = operation.get("security")
        if path.endswith(("/accounts/signup", "/accounts/login")):
            assert security is None, path  # no viewer at all: nobody to authenticate
        if security is None:
            continue
        assert {"bearerToken": []} in security
        cookie: dict[str, list[str]] = {"sessionCookie": []}
        if method in UNSAFE:
            cookie["csrfHeader"] = []
        assert cookie in security, f"{method} {path}"
    explore = document["paths"][f"{API_PREFIX}/explore"]["get"]["security"]
    assert {} in explore
    assert {} not in document["paths"][f"{API_PREFIX}/feed"]["get"]["security"]


def fill(path: str) -> str:
    """A concrete path: ids and names that name nothing."""
    parts = []
    for part in path.removeprefix(API_PREFIX).split("/"):
        if part.startswith("{"):
            part = "1" if part.endswith("_id}") else "nobody"
        parts.append(part)
    return "/".join(parts)


def test_operations_without_anonymity_refuse_anonymous_requests_and_the_others_do_not(document, anon):
    for method, path, operation in operations(document):
        if "requestBody" in operation or "security" not in operation:
            continue  # a missing body is refused (400) before anyone is asked who they are
        required = {} not in operation["security"]
        response = getattr(anon, method)(fill(path))
        if required:
            assert response.status_code == 401, f"{method} {path}: {response.text}"
        else:
            assert response.status_code != 401, f"{method} {path}: {response.text}"


def test_options_answers_every_method_of_the_path(document, anon):
    for path, item in document["paths"].items():
        documented = {method.upper() for method in item if method in METHODS}
        response = anon.client.options(API_PREFIX + fill(path))
        assert response.status_code == 204, path
        allowed = {method.strip() for method in response.headers["allow"].split(",")}
        assert allowed == documented | {"OPTIONS"}, path
