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
            # bonus applications (附件6)
            "/bonus-applications": {
                "get": _op("Bonus applications the caller may see", params=[_YEAR_Q], errors=(400, 401)),
                "post": _op("A new draft for the caller's unit", "201", "#/components/schemas/BonusNew",
                            errors=(400, 401, 403, 422))},
            "/bonus-applications/{id}": {
                "get": _op("One application with its certificates", params=[_path("id")], errors=(401, 404)),
                "put": _op("Edit the draft (the unit) or the proposed points (the gate, in gate_review)",
                           body="#/components/schemas/BonusEdit", params=[_path("id")])},
            "/bonus-applications/{id}/attachments": {"post": {
                **_op("Upload a certificate: multipart field `file`, PDF/PNG/JPEG by content", "201",
                      params=[_path("id")], errors=(400, 401, 403, 404, 409, 413, 422)),
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"},
                                   "version": {"type": "integer"}}}}}}}},
            "/bonus-applications/{id}/actions/{action}": {"post": _op(
                "Fire an action; approve carries points_proposed, the leader's sign opinion and points_granted",
                body="#/components/schemas/BonusAction",
                params=[_path("id"), {"name": "action", "in": "path", "required": True,
                                      "schema": {"enum": ["submit", "withdraw", "approve", "sign",
                                                          "return", "reopen"]}}])},
            "/bonus-applications/{id}/history": {"get": _op("The application's history",
                                                            params=[_path("id")], errors=(401, 404))},
            "/attachments/{id}": {
                "get": {"summary": "The file, as an attachment with its original name",
                        "parameters": [_path("id")],
                        "responses": {"200": {"description": "the file"}, "401": _ERR, "404": _ERR}},
                "delete": _op("Remove a certificate from a draft", params=[_path("id")])},
            # reports (issue 3)
            "/ranking": {"get": _op(
                "The year's ranking: final sheets by total (ties share a rank), then unfinished ones (rank null); "
                "ranks over all final sheets, rows only for sheets the caller may see",
                params=[{**_YEAR_Q, "required": True}], errors=(400, 401))},
            "/sheets/{id}/export.pdf": {"get": {
                "summary": "The sheet in the layout of 附件3, A4 PDF (attachment)", "parameters": [_path("id")],
                "responses": {"200": {"description": "the PDF", "content": {"application/pdf": {
                    "schema": {"type": "string", "format": "binary"}}}}, "401": _ERR, "404": _ERR}}},
            "/years/{year}/export.xlsx": {"get": {
                "summary": "The year as one workbook: the ranking, then one 附件3 worksheet per visible unit",
                "parameters": [_path("year")],
                "responses": {"200": {"description": "the workbook", "content": {
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                        "schema": {"type": "string", "format": "binary"}}}}, "401": _ERR, "404": _ERR}}},
            "/bonus-applications/{id}/export.pdf": {"get": {
                "summary": "The application in the layout of 附件6, A4 PDF (attachment)", "parameters": [_path("id")],
                "responses": {"200": {"description": "the PDF", "content": {"application/pdf": {
                    "schema": {"type": "string", "format": "binary"}}}}, "401": _ERR, "404": _ERR}}},
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
                "BonusNew": {"type": "object", "required": ["year", "project", "points_requested"], "properties": {
                    "year": {"type": "integer"}, "project": {"type": "string"}, "points_requested": _POINTS}},
                "BonusEdit": {"type": "object", "required": ["version"], "properties": {
                    "version": {"type": "integer"}, "project": {"type": "string"},
                    "points_requested": _POINTS, "points_proposed": _POINTS}},
                "BonusAction": {"type": "object", "required": ["version"], "properties": {
                    "version": {"type": "integer"}, "comment": {"type": "string"},
                    "points_proposed": _POINTS, "opinion": {"type": "string"}, "points_granted": _POINTS}},
                "Action": {"type": "object", "required": ["version"], "properties": {
                    "version": {"type": "integer"}, "comment": {"type": "string"},
                    "items": {"type": "array", "items": {"type": "string"},
                              "description": "item codes a responsible office returns"}}},
            },
        },
    }
