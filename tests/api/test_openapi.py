"""GET /api/v1/openapi.json: a valid OpenAPI 3.1 document that names every route the API answers."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from bot.api.routes import ROUTES


def test_the_document_is_valid_openapi_3_1_and_served_without_a_token(api):
    reply = api.get("/api/v1/openapi.json", token=None)

    assert reply.status == 200
    assert reply.body["openapi"] == "3.1.0"
    validate(reply.body)


def test_the_validator_would_refuse_a_broken_document(api):
    broken = api.get("/api/v1/openapi.json", token=None).body
    broken["paths"]["/api/v1/touchpoints"]["post"]["responses"] = "none"

    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def test_every_route_the_api_answers_is_described_with_its_methods(api):
    paths = api.get("/api/v1/openapi.json", token=None).body["paths"]

    assert set(paths) == set(ROUTES)
    for path, methods in ROUTES.items():
        assert {m.lower() for m in methods} == set(paths[path]), path
    for path in ROUTES:  # and the server answers each of them (with 401 here, no token): none is a 404
        concrete = path.replace("{id}", "1")
        method = ROUTES[path][0]
        assert api.request(method, concrete, token=None).status in (200, 401), path
