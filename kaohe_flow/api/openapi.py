"""The OpenAPI 3.1 description of `/api/v1` (CONTRACT.md), served at /api/v1/openapi.json."""

_ERR = {"$ref": "#/components/responses/Error"}


def _op(summary: str, ok: str = "200", body: str | None = None, params: list | None = None,
        errors=(400, 401, 403, 404, 409, 422), secured: bool = True) -> dict:
    op = {"summary": summary, "responses": {ok: {"description": "OK",
                                                 "content": {"application/json": {"schema": {"type": "object"}}}}}}
    for status in errors:
        op["responses"][str(status)] = _ERR
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": {"$ref": body}}}}
    if params:
        op["parameters"] = params
    if not secured:
        op["security"] = []
    return op


def _path(name: str, schema_type: str = "integer") -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": schema_type}}


_YEAR_Q = {"name": "year", "in": "query", "required": False, "schema": {"type": "integer"}}
_POINTS = {"type": ["string", "number"], "description": "decimal points, at most two places, e.g. \"96.5\""}


def document() -> dict:
    """The whole document; built on demand, it is small."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "考核流 kaohe-flow API", "version": "1",
                 "description": "目标管理考核: sheets (附件3) and their path draft → gate_review → "
                                "responsible_sign → leader_sign → final."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/tokens": {"post": _op("Sign in: a bearer token", "201", "#/components/schemas/Credentials",
                                    errors=(400, 401), secured=False)},
            "/tokens/current": {"delete": _op("Revoke the token used for this call", "204", errors=(401,))},
            "/openapi.json": {"get": _op("This document", errors=(), secured=False)},
            "/me": {"get": _op("The caller: username, name, unit, roles", errors=(401,))},
            "/units": {"get": _op("Units with aliases, gate unit and supervising leader", errors=(401,))},
            "/years/{year}/scheme": {"get": _op("The year's scheme: items, offices, rules",
                                                params=[_path("year")], errors=(401, 404))},
            "/sheets": {"get": _op("Sheets the caller may see", params=[_YEAR_Q], errors=(400, 401))},
            "/sheets/{id}": {"get": _op("One sheet with rows, totals and allowed actions",
                                        params=[_path("id")], errors=(401, 404))},
            "/sheets/{id}/items/{code}": {"put": _op(
                "Self score and reason (draft, the unit) or review score and reason (gate_review, the gate)",
                body="#/components/schemas/RowEdit", params=[_path("id"), _path("code", "string")])},
            "/sheets/{id}/key-deduction": {"put": _op(
                "重点指标扣分 (gate_review, the gate unit)", body="#/components/schemas/KeyDeduction",
                params=[_path("id")])},
            "/sheets/{id}/actions/{action}": {"post": _op(
                "Fire submit, withdraw, approve, sign, return or reopen",
                body="#/components/schemas/Action",
                params=[_path("id"), {"name": "action", "in": "path", "required": True,
                                      "schema": {"enum": ["submit", "withdraw", "approve", "sign",
                                                          "return", "reopen"]}}])},
            "/sheets/{id}/history": {"get": _op("The sheet's history, oldest first",
                                                params=[_path("id")], errors=(401, 404))},
            "/inbox": {"get": _op("What waits for the caller", params=[_YEAR_Q], errors=(400, 401))},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {"Error": {"description": "Error", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}}}}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
                "Credentials": {"type": "object", "required": ["username", "password"],
                                "properties": {"username": {"type": "string"}, "password": {"type": "string"}}},
                "RowEdit": {"type": "object", "required": ["version"], "properties": {
                    "version": {"type": "integer"}, "self_score": _POINTS, "self_reason": {"type": "string"},
                    "review_score": _POINTS, "review_reason": {"type": "string"}}},
                "KeyDeduction": {"type": "object", "required": ["version", "points"], "properties": {
                    "version": {"type": "integer"}, "points": _POINTS, "reason": {"type": "string"}}},
                "Action": {"type": "object", "required": ["version"], "properties": {
                    "version": {"type": "integer"}, "comment": {"type": "string"},
                    "items": {"type": "array", "items": {"type": "string"},
                              "description": "item codes a responsible office returns"}}},
            },
        },
    }
