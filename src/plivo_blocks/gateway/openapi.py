"""The gateway's OpenAPI 3.1 document, generated from the catalog: one POST path per block."""

from __future__ import annotations

from functools import cache
from importlib import metadata as importlib_metadata
from typing import Any

from plivo_blocks.catalog import BLOCKS, Block
from plivo_blocks.gateway.envelope import ErrorCode
from plivo_blocks.gateway.metadata import CREDENTIAL_ARGS, PACKAGE, RENAME_ARG

_REF = "#/components/schemas/"


def _version() -> str:
    try:
        return importlib_metadata.version("plivo-blocks")
    except importlib_metadata.PackageNotFoundError:
        return "0.0.0"


def _summary(description: str) -> str:
    first = description.split(". ")[0].strip().rstrip(".")
    return first if len(first) <= 120 else first[:117] + "..."


def args_schema(block: Block) -> dict[str, Any]:
    """JSON schema of a block's ``args`` object: credentials, the optional ``to``, and its arguments."""
    properties: dict[str, Any] = {
        name: {"type": "string", "minLength": 1, "description": info} for name, info in CREDENTIAL_ARGS
    }
    properties[RENAME_ARG] = {
        "type": "string",
        "description": "Key to put the answer under in contextWrites (default: to). Not sent to Plivo.",
    }
    for arg in block.args:
        properties[arg.name] = {**arg.type.schema(), "description": arg.info or arg.type.describe()}
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name, _ in CREDENTIAL_ARGS] + list(block.required),
        "additionalProperties": False,
    }


def _json(schema_ref: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _REF + schema_ref}}},
    }


_HTTP_ERRORS: dict[str, str] = {
    "401": "X-RapidAPI-Proxy-Secret missing or wrong (only when the gateway is configured with one)",
    "408": "The request body did not arrive in time",
    "413": "The request body is larger than the gateway accepts",
}


IDEMPOTENCY_KEY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes the call idempotent (Stripe's model): repeated with the same key and arguments, "
    "it answers the first call's stored outcome (with Idempotent-Replayed: true) and sends nothing to "
    "Plivo; kept 24 hours, scoped by authId and block.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]*[!-~][ -~]*$"},
}
_ANSWER_HEADERS: dict[str, Any] = {
    "Idempotent-Replayed": {
        "description": "true when the answer was stored by an earlier call with the same Idempotency-Key",
        "schema": {"const": "true"},
    },
    "Retry-After": {
        "description": "RATE_LIMITED and IDEMPOTENCY_KEY_IN_USE: seconds to wait before retrying",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
}


def _block_operation(block: Block) -> dict[str, Any]:
    return {
        "operationId": block.name,
        "summary": _summary(block.description),
        "description": block.description,
        "tags": [block.group],
        "parameters": [IDEMPOTENCY_KEY_PARAMETER],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["args"],
                        "properties": {"args": args_schema(block)},
                    }
                }
            },
        },
        "responses": {
            "200": {
                "description": "The callback envelope: success with Plivo's answer, or error with its code",
                "headers": _ANSWER_HEADERS,
                "content": {
                    "application/json": {
                        "schema": {
                            "oneOf": [{"$ref": _REF + "SuccessEnvelope"}, {"$ref": _REF + "ErrorEnvelope"}]
                        }
                    }
                },
            },
            **{status: _json("HttpError", text) for status, text in _HTTP_ERRORS.items()},
        },
        "x-plivo-request": {
            "method": block.method,
            "path": "/v1/Account/{auth_id}/" + block.path,
            "params": {arg.name: arg.param for arg in block.args},
        },
    }


_COMPONENTS: dict[str, Any] = {
    "schemas": {
        "SuccessEnvelope": {
            "type": "object",
            "required": ["callback", "contextWrites"],
            "properties": {
                "callback": {"const": "success"},
                "contextWrites": {
                    "type": "object",
                    "minProperties": 1,
                    "maxProperties": 1,
                    "additionalProperties": {
                        "description": "Plivo's answer; {status: success} when it was empty"
                    },
                },
            },
        },
        "ErrorEnvelope": {
            "type": "object",
            "required": ["callback", "contextWrites"],
            "properties": {
                "callback": {"const": "error"},
                "contextWrites": {
                    "type": "object",
                    "minProperties": 1,
                    "maxProperties": 1,
                    "additionalProperties": {"$ref": _REF + "ErrorDetail"},
                },
            },
        },
        "ErrorDetail": {
            "type": "object",
            "required": ["status_code", "status_msg"],
            "properties": {
                "status_code": {"type": "string", "enum": [code.value for code in ErrorCode]},
                "status_msg": {"type": "string"},
                "fields": {
                    "description": "REQUIRED_FIELDS: the missing names; INVALID_FIELDS: name -> what is wrong",
                    "oneOf": [
                        {"type": "array", "items": {"type": "string"}},
                        {"type": "object", "additionalProperties": {"type": "string"}},
                    ],
                },
                "invalid": {"type": "object", "additionalProperties": {"type": "string"}},
                "status": {"type": "integer", "description": "API_ERROR: Plivo's HTTP status"},
                "error": {"description": "API_ERROR: Plivo's error text"},
                "api_id": {"type": ["string", "null"], "description": "API_ERROR: Plivo's request id"},
                "retry_after": {
                    "type": "integer",
                    "description": "RATE_LIMITED, IDEMPOTENCY_KEY_IN_USE: seconds to wait before retrying",
                },
            },
        },
        "HttpError": {
            "type": "object",
            "required": ["status_code", "status_msg"],
            "properties": {"status_code": {"type": "string"}, "status_msg": {"type": "string"}},
        },
        "Metadata": {
            "type": "object",
            "required": ["package", "accounts", "blocks"],
            "properties": {
                "package": {"const": PACKAGE},
                "accounts": {"type": "object"},
                "blocks": {"type": "array", "items": {"type": "object"}},
            },
        },
    },
    "securitySchemes": {
        "proxySecret": {
            "type": "apiKey",
            "in": "header",
            "name": "X-RapidAPI-Proxy-Secret",
            "description": "Required only when the operator sets PLIVO_BLOCKS_PROXY_SECRET.",
        }
    },
}


@cache
def build_openapi() -> dict[str, Any]:
    """The OpenAPI document. Cached: the catalog is immutable; callers must not mutate it."""
    paths: dict[str, Any] = {
        f"/api/{PACKAGE}": {
            "get": {
                "operationId": "getMetadata",
                "summary": "RapidAPI package metadata: every block and its arguments",
                "tags": ["Gateway"],
                "responses": {
                    "200": _json("Metadata", "The package metadata"),
                    "401": _json("HttpError", _HTTP_ERRORS["401"]),
                },
            }
        },
        "/healthz": {
            "get": {
                "operationId": "healthz",
                "summary": "Liveness for load balancers",
                "tags": ["Gateway"],
                "responses": {
                    "200": {
                        "description": "The gateway is up",
                        "content": {
                            "application/json": {
                                "schema": {"type": "object", "properties": {"status": {"const": "ok"}}}
                            }
                        },
                    }
                },
            }
        },
    }
    paths["/metrics"] = {
        "get": {
            "operationId": "metrics",
            "summary": "Prometheus metrics: requests by block and outcome, upstream latency, retries, "
            "idempotent replays, pacing waits",
            "tags": ["Gateway"],
            "responses": {
                "200": {
                    "description": "Prometheus's text format",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                },
                "401": _json("HttpError", _HTTP_ERRORS["401"]),
            },
        }
    }
    for block in BLOCKS:
        paths[f"/api/{PACKAGE}/{block.name}"] = {"post": _block_operation(block)}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "plivo-blocks gateway",
            "version": _version(),
            "description": "Plivo's REST API as named, validated blocks, speaking the RapidAPI package protocol.",
        },
        "tags": [{"name": group} for group in dict.fromkeys(block.group for block in BLOCKS)]
        + [{"name": "Gateway"}],
        "paths": paths,
        "components": _COMPONENTS,
    }
