"""The HTTP API described as OpenAPI 3.1, served at `/api/v1/openapi.json`.

Written by hand as a dict, next to the code it describes; `tests/api/test_openapi.py` validates it and checks
that every route `bot.api.routes` answers is in it.
"""

from __future__ import annotations

from typing import Any

from bot.api.intake import MAX_BATCH, MAX_EXTERNAL_ID, MAX_SOURCE_SYSTEM, MAX_SUMMARY, MAX_URL
from bot.api.lookups import CUSTOMER_KEYS
from bot.capture.kinds import KINDS
from bot.capture.touchpoints import DEPARTMENTS

_INSTANT = {"type": "string", "format": "date-time", "description": "ISO 8601 with its offset"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _problem(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": _ref("Problem")}},
    }
    if headers:
        answer["headers"] = headers
    return answer


_UNAUTHORIZED = _problem(
    "No token, a wrong one, or a revoked one; nothing was stored",
    {"WWW-Authenticate": {"schema": {"type": "string"}, "description": 'Bearer realm="touchpoint"'}},
)
_RATE_LIMITED = _problem(
    "Over API_RATE_PER_MINUTE requests a minute for this token",
    {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}},
)

_SCHEMAS: dict[str, Any] = {
    "CustomerRef": {
        "type": "object",
        "description": "Exactly one of id, domain, email (of a contact) or name, matched as /log matches a name",
        "properties": {
            "id": {"type": "integer"},
            "domain": {"type": "string"},
            "email": {"type": "string"},
            "name": {"type": "string"},
            "create_if_missing": {"type": "boolean", "default": False, "description": "with name: create it"},
        },
        "additionalProperties": False,
        "oneOf": [{"required": [key]} for key in CUSTOMER_KEYS],
    },
    "FollowUp": {
        "type": "object",
        "required": ["due_at"],
        "properties": {
            "due_at": _INSTANT,
            "assignee": {"type": "string", "description": "Slack user id or e-mail; default: the author"},
        },
        "additionalProperties": False,
    },
    "NewTouchpoint": {
        "type": "object",
        "required": ["customer", "kind", "summary", "occurred_at"],
        "properties": {
            "customer": _ref("CustomerRef"),
            "kind": {"enum": list(KINDS)},
            "summary": {"type": "string", "minLength": 1, "maxLength": MAX_SUMMARY},
            "occurred_at": _INSTANT,
            "author": {"type": "string", "description": "Slack user id (U…) or e-mail of a member of the workspace"},
            "department": {"enum": list(DEPARTMENTS)},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
            "url": {"type": "string", "format": "uri", "maxLength": MAX_URL, "description": "link to the record"},
            "source_system": {
                "type": "string",
                "maxLength": MAX_SOURCE_SYSTEM,
                "description": "the system it comes from (default: the token's name)",
            },
            "external_id": {
                "type": "string",
                "maxLength": MAX_EXTERNAL_ID,
                "description": "its id there: the same (source_system, external_id) again is the same touchpoint",
            },
            "follow_up": _ref("FollowUp"),
        },
        "additionalProperties": False,
    },
    "Batch": {
        "type": "object",
        "required": ["touchpoints"],
        "properties": {
            "touchpoints": {"type": "array", "items": _ref("NewTouchpoint"), "minItems": 1, "maxItems": MAX_BATCH}
        },
        "additionalProperties": False,
    },
    "Saved": {
        "type": "object",
        "required": ["id", "status"],
        "properties": {"id": {"type": "integer"}, "status": {"enum": ["created", "existing"]}},
    },
    "FieldError": {
        "type": "object",
        "required": ["field", "message"],
        "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
    },
    "BatchResult": {
        "type": "object",
        "required": ["results"],
        "properties": {
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["index", "status"],
                    "properties": {
                        "index": {"type": "integer"},
                        "status": {"enum": ["created", "existing", "error"]},
                        "id": {"type": "integer"},
                        "errors": {"type": "array", "items": _ref("FieldError")},
                    },
                },
            }
        },
    },
    "Problem": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string"},
            "message": {"type": "string"},
            "errors": {"type": "array", "items": _ref("FieldError")},
        },
    },
    "CustomerMatch": {
        "type": "object",
        "required": ["id", "name", "score"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "score": {"type": "number"},
            "matched": {
                "type": "object",
                "properties": {"by": {"type": "string"}, "value": {"type": "string"}},
                "description": "what matched, when it was not the customer's own name",
            },
        },
    },
    "Touchpoint": {
        "type": "object",
        "required": ["id", "customer_id", "kind", "summary", "occurred_at", "author", "source"],
        "properties": {
            "id": {"type": "integer"},
            "customer_id": {"type": "integer"},
            "kind": {"type": "string"},
            "summary": {"type": "string"},
            "occurred_at": _INSTANT,
            "author": {"type": "string"},
            "department": {"type": ["string", "null"]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "source": {"type": "string", "description": "command, modal, shortcut, import or api"},
            "source_system": {"type": ["string", "null"]},
            "external_id": {"type": ["string", "null"]},
            "url": {"type": ["string", "null"]},
            "permalink": {"type": ["string", "null"]},
        },
    },
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Touchpoint HTTP API",
            "version": "1",
            "description": "Log customer touchpoints from other systems, and read customers' stories. "
            "Every request but this document's carries a token of `touchpoint api-token create`; a token "
            "reads and writes only its own installation's data.",
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _SCHEMAS,
        },
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/touchpoints": {
                "post": {
                    "summary": "Log one touchpoint, or a batch of up to 500",
                    "operationId": "logTouchpoints",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"oneOf": [_ref("NewTouchpoint"), _ref("Batch")]}}},
                    },
                    "responses": {
                        "200": {
                            "description": "Logged before (same source_system and external_id), nothing changed; "
                            "or a batch, answered item by item",
                            "content": {
                                "application/json": {"schema": {"oneOf": [_ref("Saved"), _ref("BatchResult")]}}
                            },
                        },
                        "201": {
                            "description": "Logged",
                            "content": {"application/json": {"schema": _ref("Saved")}},
                        },
                        "400": _problem("Field errors, listed; nothing was stored"),
                        "401": _UNAUTHORIZED,
                        "413": _problem("The body is over 1 MB"),
                        "415": _problem("The body is not application/json"),
                        "429": _RATE_LIMITED,
                    },
                }
            },
            "/api/v1/customers": {
                "get": {
                    "summary": "Find customers as /customer finds them: name, alias, domain, contact, e-mail, typos",
                    "operationId": "searchCustomers",
                    "parameters": [{"name": "q", "in": "query", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "200": {
                            "description": "The outcome (one, several or none) and the customers found, best first",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "outcome": {"enum": ["one", "several", "none"]},
                                            "customers": {"type": "array", "items": _ref("CustomerMatch")},
                                        },
                                    }
                                }
                            },
                        },
                        "400": _problem("No q"),
                        "401": _UNAUTHORIZED,
                        "429": _RATE_LIMITED,
                    },
                }
            },
            "/api/v1/customers/{id}/touchpoints": {
                "get": {
                    "summary": "A customer's touchpoints, oldest first, 100 a page",
                    "operationId": "customerTouchpoints",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                        {"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"}},
                        {
                            "name": "cursor",
                            "in": "query",
                            "schema": {"type": "string"},
                            "description": "next_cursor of the previous page",
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "A page; next_cursor is null on the last",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "touchpoints": {"type": "array", "items": _ref("Touchpoint")},
                                            "next_cursor": {"type": ["string", "null"]},
                                        },
                                    }
                                }
                            },
                        },
                        "400": _problem("A bad since or cursor"),
                        "401": _UNAUTHORIZED,
                        "404": _problem("No such customer in this installation"),
                        "429": _RATE_LIMITED,
                    },
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "summary": "This document",
                    "operationId": "openapi",
                    "security": [],
                    "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}},
                }
            },
        },
    }
