"""The OpenAPI 3.1 description of `/api/v1` (CONTRACT.md), served at /api/v1/openapi.json."""

_ERR = {"$ref": "#/components/responses/Error"}
_NO_CONTENT = {"description": "Done; no body"}


def _op(summary: str, ok: str = "200", body: str | None = None, params: list | None = None,
        errors=(400, 401, 403, 404, 409, 422), secured: bool = True) -> dict:
    """One operation answering JSON. Every secured one may answer 401 (no or a bad token) and 403
    (`password_change_required`: an account with a temporary password may only change it); one
    that reads a body may answer 400 (not a JSON object) and 413 (past MAX_CONTENT_LENGTH)."""
    ok_response = _NO_CONTENT if ok == "204" else {
        "description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}
    op = {"summary": summary, "responses": {ok: ok_response}}
    statuses = set(errors) | ({401, 403} if secured else set()) | ({400, 413} if body else set())
    for status in sorted(statuses):
        op["responses"][str(status)] = _ERR
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": {"$ref": body}}}}
    if params:
        op["parameters"] = params
    if not secured:
        op["security"] = []
    return op


def _path(name: str, schema_type: str = "integer") -> dict:
    """A path parameter. An id or a year that no record can have (0, negative, too large) is 404,
    after the 401 for a missing token, like any id that names nothing."""
    schema = {"type": schema_type}
    if schema_type == "integer":
        schema = _YEAR if name == "year" else {"type": "integer", "minimum": 1}
    return {"name": name, "in": "path", "required": True, "schema": schema}


_YEAR = {"type": "integer", "minimum": 1, "maximum": 9999, "examples": [2018]}
# Lists: without `year`, every year's records; reports: one year, so `year` is required.
_YEAR_Q = {"name": "year", "in": "query", "required": False, "schema": _YEAR,
           "description": "only this year's; without it, every year's"}
_YEAR_REQUIRED = {"name": "year", "in": "query", "required": True, "schema": _YEAR}
_VERSION_Q = {"name": "version", "in": "query", "required": False,
              "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
              "description": "the record's version as last read: 409 stale_version when it has moved on"}
_BINARY = {"schema": {"type": "string", "format": "binary"}}
# A download is a conditional GET (send_file): If-None-Match → 304, Range → 206 or 416.
_DOWNLOAD_EXTRAS = {"206": {"description": "the requested byte range"},
                    "304": {"description": "not modified (If-None-Match)"},
                    "416": {"description": "the requested range is not satisfiable"}}


def _download(summary: str, content_types: tuple, params: list, errors=(401, 404)) -> dict:
    """A file: its bytes in the given types, or the error shape."""
    responses = {"200": {"description": summary, "content": {t: _BINARY for t in content_types}},
                 **_DOWNLOAD_EXTRAS}
    for status in sorted(set(errors) | {403}):  # 403 password_change_required, as for every call
        responses[str(status)] = _ERR
    return {"summary": summary, "parameters": params, "responses": responses}


def _upload(summary: str, params: list | None = None, fields: dict | None = None,
            errors=(400, 401, 403, 404, 409, 413, 422)) -> dict:
    """A multipart upload (field `file`), answered 201 with JSON."""
    op = _op(summary, "201", params=params, errors=errors)
    op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary"}, **(fields or {})}}}}}
    return op


_TEXT = {"type": ["string", "null"], "description": "free text; null is the same as empty"}
_OA_FIELDS = {
    "oa_id": {"type": ["string", "integer", "null"], "maxLength": 100, "description": "the OA system's number"},
    "title": {"type": "string", "minLength": 1, "maxLength": 500},
    "kind": {"enum": ["meeting", "other", "test"]}, "sent_at": {"type": "string", "format": "date-time"},
    "recipients": {"type": "array", "minItems": 1, "items": {
        "type": "object", "description": "an account (`username`), a person on a unit's staff list (`name` and "
                                         "`unit`, or `staff_id`), or an outsider (`external`: true); anyone else "
                                         "is 422 unknown_recipient",
        "properties": {
            "username": {"type": "string", "minLength": 1}, "name": {"type": "string"},
            "unit": {"type": "string"}, "staff_id": {"type": "integer"}, "external": {"type": "boolean"},
            "signed_at": {"type": ["string", "null"], "format": "date-time"}}}}}
_POINTS = {"type": ["string", "number"], "description": "decimal points, at most two places, e.g. \"96.5\""}


def _tokens_op() -> dict:
    """POST /tokens, with the lockout: 429 and Retry-After after repeated failures for a name."""
    op = _op("Sign in: a bearer token. After LOGIN_MAX_FAILURES (5) failures for one username within "
             "LOGIN_FAILURE_WINDOW_SECONDS (900), every attempt for it answers 429 too_many_attempts until "
             "Retry-After seconds have passed", "201", "#/components/schemas/Credentials",
             errors=(400, 401), secured=False)
    op["responses"]["429"] = {"description": "too_many_attempts: this username is locked for a while",
                              "headers": {"Retry-After": {"description": "seconds until it may try again",
                                                         "schema": {"type": "integer", "minimum": 1}}},
                              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return op


def _security_events_op() -> dict:
    """GET /security-events (admin)."""
    op = _op("Security events, newest first (admin): at, kind, username, ip, detail",
             params=[{"name": "kind", "in": "query", "required": False,
                      "schema": {"enum": ["login_ok", "login_failed", "locked", "logout", "token_issued",
                                          "token_revoked", "password_changed", "password_reset",
                                          "user_changed", "forbidden"]}},
                     {"name": "limit", "in": "query", "required": False,
                      "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 200}}],
             errors=(400, 401, 403))
    op["responses"]["200"]["content"]["application/json"]["schema"] = {
        "type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {
            "type": "object", "required": ["at", "kind", "username", "ip"], "properties": {
                "at": {"type": "string", "format": "date-time"}, "kind": {"type": "string"},
                "username": {"type": ["string", "null"]}, "ip": {"type": ["string", "null"]},
                "detail": {"type": "string"}}}}}}
    return op


_EMAIL = {"type": ["string", "null"], "maxLength": 254,
          "description": "optional: where the daily digest e-mails the account's notifications; empty or null is none"}
_ROLE_ENUM = {"enum": ["member", "head", "leader", "viewer", "admin"]}
_AUDIT_ACTIONS = ["user_created", "user_changed", "password_reset", "year_created", "unit_changed", "item_changed",
                  "settings_changed", "year_opened", "targets_changed", "calendar_changed", "deadlines_changed"]
_USERNAME = {"name": "username", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}


def _audit_op() -> dict:
    """GET /audit (admin)."""
    op = _op("The admin's audit, newest first (admin): at, who, action, object, old, new",
             params=[{"name": "action", "in": "query", "required": False, "schema": {"enum": _AUDIT_ACTIONS}},
                     {"name": "limit", "in": "query", "required": False,
                      "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 200}}],
             errors=(400, 401, 403))
    op["responses"]["200"]["content"]["application/json"]["schema"] = {
        "type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {
            "type": "object", "required": ["at", "who", "action", "object", "old", "new"], "properties": {
                "at": {"type": "string", "format": "date-time"}, "who": {"type": "string"},
                "action": {"type": "string"}, "object": {"type": "string"}, "old": {}, "new": {}}}}}}
    return op


def _account_paths() -> dict:
    """CONTRACT.md "Accounts". An account with a temporary password gets 403 password_change_required
    from every call but PUT /me/password (the demo accounts never have one)."""
    return {
        "/users": {
            "get": _op("Every account (admin): username, name, unit, roles, active", errors=(401, 403)),
            "post": _op("Create an account (admin). Password: at least 10 characters, not the username, not a "
                        "common password (422 weak_password); a taken username → 409 username_taken; an unknown "
                        "unit or role → 422", "201", "#/components/schemas/NewUser", errors=(400, 401, 403, 409, 422))},
        "/users/{username}": {"put": _op(
            "Change an account (admin): any of name, unit, roles, active; active false ends its sessions and "
            "tokens at once", body="#/components/schemas/UserEdit", params=[_USERNAME],
            errors=(400, 401, 403, 404, 422))},
        "/users/{username}/password-reset": {"post": _op(
            "A temporary password (admin), answered once: the account must change it at its next sign-in",
            params=[_USERNAME], errors=(401, 403, 404, 422))},
        "/users/import": {"post": _upload(
            "Import accounts from .xlsx or .csv (admin): columns 用户名, 姓名, 科室 (code, name or alias), 角色 "
            "(科员/负责人/分管领导/查看/管理员 or codes, separated by 、 , or spaces). Any bad row imports "
            "nothing: 422 invalid_rows with error.rows [{row, message}]. Each new account's temporary password "
            "is answered once → {created, items}", errors=(400, 401, 403, 413, 422))},
        "/me/password": {"put": _op(
            "Change one's own password: a wrong current_password → 422 wrong_password; the policy as for "
            "POST /users (422 weak_password); every other session and token of the account ends. A wrong "
            "current password counts as a failed sign-in: 429 too_many_attempts with Retry-After once locked",
            body="#/components/schemas/PasswordChange", errors=(400, 401, 422, 429))},
    }


def _urge_op(what: str) -> dict:
    """POST …/urge (催办): 201 the history step; 429 too_soon with Retry-After within 24 hours."""
    op = _op(f"催办: urge whoever holds the {what} (a leader, the admin, or the record's own unit while someone "
             "else holds it): a history step `urge` (state and version unchanged) and `urged` notifications. "
             "403 may not urge; 409 nobody_holds (final), not_waiting (the unit's own draft) or own_turn; the "
             "same caller again within 24 hours → 429 too_soon", "201",
             "#/components/schemas/Urge", params=[_path("id")], errors=(400, 401, 403, 404, 409, 422))
    op["responses"]["429"] = {"description": "too_soon: this caller urged this record less than 24 hours ago",
                              "headers": {"Retry-After": {"description": "seconds until they may urge it again",
                                                         "schema": {"type": "integer", "minimum": 1}}},
                              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return op


def _notify_paths() -> dict:
    """CONTRACT.md "The year's rhythm": notifications and 催办."""
    return {
        "/notifications": {"get": _op(
            "The caller's notifications, newest first (at most 200): items id, at, kind (todo, returned, due_soon, "
            "overdue, urged, delegated), record {kind, id}, text, read; `unread` counts the unread ones",
            params=[{"name": "unread", "in": "query", "required": False, "schema": {"enum": ["0", "1"]},
                     "description": "1: only the unread ones; anything else but 0 → 400 bad_unread"}],
            errors=(400, 401))},
        "/notifications/{id}/read": {"post": _op(
            "Mark one of the caller's notifications read → the item (another's → 404)",
            params=[_path("id")], errors=(401, 404))},
        "/sheets/{id}/urge": {"post": _urge_op("sheet")},
        "/bonus-applications/{id}/urge": {"post": _urge_op("application")},
    }


_DUE_STATES = ("draft", "gate_review", "responsible_sign", "leader_sign")


def _rhythm_paths() -> dict:
    """CONTRACT.md "The year's rhythm": deadlines, batch steps, the progress board."""
    return {
        "/years/{year}/deadlines": {
            "get": _op("The year's deadlines (every signed-in user): draft, gate_review, responsible_sign, "
                       "leader_sign — each the date (YYYY-MM-DD) by which a record must leave that state, or null",
                       params=[_path("year")], errors=(401, 404)),
            "put": _op("Set any of the year's deadlines (admin); null or \"\" clears one; 422 invalid_deadlines names "
                       "the key (a bad date, an unknown state), 422 deadline_order when a later state's date is "
                       "before an earlier state's", body="#/components/schemas/Deadlines", params=[_path("year")],
                       errors=(400, 401, 403, 404, 409, 422))},
        "/batch/actions/{action}": {"post": _op(
            "Fire one action on several records (at most 100, else 422 too_many), each alone as its single call "
            "would: 200 items kind, id, status (that call's HTTP status), state, version (null when the caller "
            "may not see the record), error (null or {code, message}), in the request's order. The comment is "
            "each step's comment, and a bonus application's leader opinion",
            body="#/components/schemas/Batch",
            params=[{"name": "action", "in": "path", "required": True,
                     "schema": {"enum": ["submit", "withdraw", "approve", "sign", "return", "reopen"]}}],
            errors=(400, 401, 404, 422))},
        "/years/{year}/progress": {"get": _op(
            "The year's progress (leaders, viewers, admins): states (state → number of sheets), waiting (unit, "
            "state, count, oldest_since, overdue; leader in leader_sign), the overdue first",
            params=[_path("year")], errors=(401, 403, 404))},
    }


def _delegation_paths() -> dict:
    """CONTRACT.md "The year's rhythm": delegations, and what changed since a return."""
    changes = ("What changed since the last return or reopen: round, since (the return step: at, who, action, "
               "from_state, to_state, comment, items), items (field, old, new, at, who — each field once, net)")
    return {
        "/delegations": {
            "get": _op("The delegations the caller gave or received (the admin: all): id, from, to, from_date, "
                       "to_date, status (active, planned, ended, expired)", errors=(401,)),
            "post": _op("A head or a leader hands their capacities to `to` from `from_date` to `to_date` (both "
                        "included) → 201; 422 self_delegation, invalid_dates (backwards or past), invalid_date, "
                        "unknown_user, invalid_delegate; 409 overlapping_delegation, delegate_away",
                        ok="201", body="#/components/schemas/Delegation", errors=(400, 401, 403, 409, 422))},
        "/delegations/{id}": {"delete": _op(
            "End a delegation now (the delegator or the admin) → 200 it, status ended; 409 delegation_ended",
            params=[_path("id")], errors=(401, 403, 404, 409))},
        "/sheets/{id}/changes": {"get": _op(changes + "; unsigned_rows: the rows waiting for an office's "
                                            "signature", params=[_path("id")], errors=(401, 404))},
        "/bonus-applications/{id}/changes": {"get": _op(changes, params=[_path("id")], errors=(401, 404))},
    }


def _job_paths() -> dict:
    """Issue 11: background jobs (the year's workbook, every sheet as PDF, the trackers' sync, the digest)."""
    job = ("the job: id, kind, year, state (queued, running, done, failed), progress (0–100), message, error, "
           "attempts, file (its download address once done, else null), filename, size, result (the sync's and "
           "the digest's counts), created_by, created_at, started_at, finished_at")
    return {
        "/jobs": {"post": _op(
            "Ask for background work → 202 " + job + ". year_workbook and sheet_pdfs (anyone signed in: the file "
            "holds the sheets the caller may see), tracker_sync and notify_digest (admin; else 403). The same work "
            "asked for while it is queued or running is that job; a finished file whose data has not changed since "
            "is answered again. With a queue the job is queued; without one it is done (or failed) before the "
            "answer. 422 unknown_kind, unknown_year", "202", "#/components/schemas/JobRequest",
            errors=(400, 401, 403, 422))},
        "/jobs/{id}": {"get": _op("One job (its creator or an admin; anyone else → 404): " + job,
                                  params=[_path("id")], errors=(401, 404))},
        "/jobs/{id}/file": {"get": _download(
            "A done job's file (the workbook .xlsx, or a .zip of PDFs); 409 job_not_done while queued, running "
            "or failed; 404 no_file for a job that makes none",
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/zip"),
            [_path("id")], errors=(401, 404, 409))},
    }


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
            "/tokens": {"post": _tokens_op()},
            "/tokens/current": {"delete": _op("Revoke the token used for this call", "204", errors=(401,))},
            "/security-events": {"get": _security_events_op()},
            "/audit": {"get": _audit_op()},
            **_account_paths(),
            **_rhythm_paths(),
            **_notify_paths(),
            **_delegation_paths(),
            **_job_paths(),
            "/openapi.json": {"get": _op("This document", errors=(), secured=False)},
            "/me": {"get": _op("The caller: username, name, unit, roles", errors=(401,))},
            "/units": {"get": _op("One year's org chart: units with aliases, gate unit and supervising leader "
                                  "(without year: the latest opened year)",
                                  params=[{**_YEAR_Q, "description": "this year's chart; without it, the latest "
                                                                     "opened year's"}], errors=(400, 401, 404))},
            # years (issue 7): the admin makes a year from another, edits it until it opens, opens it
            "/years": {
                "get": _op("Every year: year, opened, units, total", errors=(401,)),
                "post": _op("A new year copied from copy_from (admin); 409 year_exists", "201",
                            "#/components/schemas/YearNew", errors=(400, 401, 403, 409, 422))},
            "/years/{year}/units/{code}": {"put": _op(
                "Change a unit in the year's chart (admin): name, aliases, gate_unit, leader; 422 invalid_org; "
                "409 year_opened for gate_unit once the year is opened", body="#/components/schemas/UnitEdit",
                params=[_path("year"), _path("code", "string")])},
            "/years/{year}/scheme/items/{code}": {"put": _op(
                "Change an item of the year's scheme (admin) until the year opens; 422 invalid_scheme; "
                "409 year_opened", body="#/components/schemas/ItemEdit",
                params=[_path("year"), _path("code", "string")])},
            "/years/{year}/info-quotas": {
                "get": _op("The year's 附件4 quotas: units, gov_affairs (unit code → {per_month} or {per_year} "
                           "or null), gov_default, extras, district_offices_per_year", params=[_path("year")],
                           errors=(401, 404)),
                "put": _op("Change the year's quotas (admin); 422 invalid_quotas; 409 year_opened once a sheet "
                           "of the year has left draft", body="#/components/schemas/InfoQuotas",
                           params=[_path("year")])},
            "/years/{year}/open": {"post": _op(
                "Open the year (admin): a draft sheet per unit; 422 total_mismatch or invalid_org; "
                "409 year_opened the second time", "201", params=[_path("year")],
                errors=(401, 403, 404, 409, 422))},
            "/years/{year}/scheme": {"get": _op("The year's scheme: items, offices, rules",
                                                params=[_path("year")], errors=(401, 404))},
            "/years/{year}/settings": {
                "get": _op("The year's settings (every signed-in user): office_hours, oa_no_client_hours, "
                           "oa_no_client_basis, oa_limits_minutes, oa_no_client_factor, info_yearly_minimum_points, "
                           "gov_affairs_points, bonus_cap", params=[_path("year")], errors=(401, 404)),
                "put": _op("Change any of the year's settings (admin); 422 invalid_settings names the key; "
                           "409 year_opened for every key but office_hours once a sheet of the year has left draft",
                           body="#/components/schemas/YearSettings", params=[_path("year")],
                           errors=(400, 401, 403, 404, 409, 422))},
            "/years/{year}/targets/{unit}": {
                "get": _op("A unit's target letter (目标责任书) of the year: year, unit, items (code, title, points); "
                           "empty items without a letter; 404 unless the caller may read the unit's sheet",
                           params=[_path("year"), _path("unit", "string")], errors=(401, 404)),
                "put": _op("Set the letter (the offices responsible for the targets item, or the admin): items "
                           "(title, points) adding up to the item's standard (422 targets_total); titles non-empty "
                           "and distinct, points > 0; an empty list removes it; 409 once the unit's sheet has left "
                           "draft", body="#/components/schemas/TargetLetter",
                           params=[_path("year"), _path("unit", "string")], errors=(400, 401, 403, 404, 409, 422))},
            "/sheets": {"get": _op("Sheets the caller may see", params=[_YEAR_Q], errors=(400, 401))},
            "/sheets/{id}": {"get": _op("One sheet with rows, totals and allowed actions",
                                        params=[_path("id")], errors=(401, 404))},
            "/sheets/{id}/items/{code}": {"put": _op(
                "Self score and reason (draft, the unit) or review score and reason (gate_review, the gate)",
                body="#/components/schemas/RowEdit", params=[_path("id"), _path("code", "string")])},
            "/sheets/{id}/targets/{code}": {"put": _op(
                "One target of the unit's letter (目标责任书), with the rights and rules of an item row: "
                "self score and reason (draft, the unit) or review score and reason (gate_review, the gate); "
                "a score above the target's points → 422 score_above_standard; an unknown target → 404",
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
            "/inbox": {"get": _op("What waits for the caller: items kind, id, unit, year, state, action, due, overdue, "
                                  "returned; sorted by due date (the overdue first, no deadline last)",
                                  params=[_YEAR_Q], errors=(400, 401))},
            # bonus applications (附件6)
            "/bonus-applications": {
                "get": _op("Bonus applications the caller may see", params=[_YEAR_Q], errors=(400, 401)),
                "post": _op("A new draft for the caller's unit", "201", "#/components/schemas/BonusNew",
                            errors=(400, 401, 403, 422))},
            "/bonus-applications/{id}": {
                "get": _op("One application with its certificates", params=[_path("id")], errors=(401, 404)),
                "put": _op("Edit the draft (the unit) or the proposed points (the gate, in gate_review)",
                           body="#/components/schemas/BonusEdit", params=[_path("id")])},
            "/bonus-applications/{id}/attachments": {"post": _upload(
                "Upload a certificate: multipart field `file`, a PDF, PNG or JPEG that parses as one",
                params=[_path("id")], fields={"version": _VERSION_Q["schema"]})},
            "/bonus-applications/{id}/actions/{action}": {"post": _op(
                "Fire an action; approve carries points_proposed, the leader's sign opinion and points_granted",
                body="#/components/schemas/BonusAction",
                params=[_path("id"), {"name": "action", "in": "path", "required": True,
                                      "schema": {"enum": ["submit", "withdraw", "approve", "sign",
                                                          "return", "reopen"]}}])},
            "/bonus-applications/{id}/history": {"get": _op("The application's history",
                                                            params=[_path("id")], errors=(401, 404))},
            "/attachments/{id}": {
                "get": _download("The file (a certificate or evidence) with its original name, in the type its "
                                 "bytes are", ("application/pdf", "image/png", "image/jpeg"), [_path("id")]),
                "delete": _op("Remove a certificate from a draft; answers the application",
                              params=[_path("id"), _VERSION_Q], errors=(400, 401, 403, 404, 409, 422))},
            # deduction records (考核记录, 附件2)
            "/deductions": {
                "get": _op("Deduction records the caller may see; `unit` by code, name or alias",
                           params=[_YEAR_Q, {"name": "unit", "in": "query", "required": False,
                                             "schema": {"type": "string"}}], errors=(400, 401, 422)),
                "post": _op("Record an incident (a responsible office of the rule's item)", "201",
                            "#/components/schemas/Deduction", errors=(400, 401, 403, 422))},
            "/deductions/{id}": {
                "get": _op("One record", params=[_path("id")], errors=(401, 404)),
                "put": _op("Correct a manual record: rule, count, date, people, note",
                           "200", "#/components/schemas/DeductionEdit", params=[_path("id")])},
            "/deductions/{id}/withdraw": {"post": _op("Withdraw a manual record, with a reason", params=[_path("id")],
                                                      body="#/components/schemas/Withdraw")},
            "/deductions/{id}/evidence": {"post": _upload(
                "Upload evidence: multipart field `file`, a PDF, PNG or JPEG that parses as one",
                params=[_path("id")], fields={"version": _VERSION_Q["schema"]})},
            "/deductions/{id}/history": {"get": _op("The record's history", params=[_path("id")], errors=(401, 404))},
            "/deductions/{id}/appeal": {"post": _op(
                "Appeal (申诉) a manual record: its unit's head, within the year's appeal_days of its creation "
                "(422 appeal_closed after; 409 appeal_exists: one appeal a record)", "201",
                "#/components/schemas/Appeal", params=[_path("id")])},
            "/deductions/{id}/appeal/decide": {"post": _op(
                "Decide an open appeal: a responsible office of the item other than the unit, or the admin; "
                "upheld withdraws the record (409 no_open_appeal, 422 answer_required to reject)",
                body="#/components/schemas/AppealDecision", params=[_path("id")])},
            # OA sign-in timeliness (附件5) and the admin's working-day calendar
            "/oa-documents": {
                "post": _op("Enter or push a document with its recipients; the same `oa_id`, or the same "
                            "title, kind and sending time, again → 409 duplicate_document (`error.document` names "
                            "it; correct it with PUT)", "201", "#/components/schemas/OaDocument",
                            errors=(400, 401, 403, 409, 422)),
                "get": _op("Documents (offices responsible for 信息管理, leaders, viewers, admins)",
                           params=[_YEAR_Q], errors=(400, 401, 403))},
            "/oa-documents/{id}": {
                "get": _op("One document", params=[_path("id")], errors=(401, 404)),
                "put": _op("Update a document (e.g. sign-ins pushed later)", body="#/components/schemas/OaDocumentEdit",
                           params=[_path("id")]),
                "delete": _op("Delete a document", "204", params=[_path("id")], errors=(401, 403, 404, 409, 422))},
            "/oa-documents/{id}/excuse": {"post": _op(
                "Excuse one late or missing sign-in with its reason (the 信息管理 office, not for its own unit; "
                "the admin); `excused`: false takes it back", body="#/components/schemas/OaExcuse",
                params=[_path("id")])},
            "/staff": {
                "get": _op("Staff lists: people without accounts (a unit its own; 信息管理 and leaders every unit's)",
                           params=[{"name": "unit", "in": "query", "required": False, "schema": {"type": "string"}}],
                           errors=(401, 422)),
                "post": _op("Put someone on a unit's staff list (the unit, the 信息管理 office, the admin); "
                            "409 staff_exists", "201", "#/components/schemas/StaffMember",
                            errors=(400, 401, 403, 409, 422))},
            "/staff/{id}": {"delete": _op("Take someone off a staff list", "204", params=[_path("id")],
                                          errors=(401, 403, 404))},
            "/staff/import": {"post": _upload("Import staff lists from .xlsx/.csv (科室, 姓名): all rows or none",
                                              errors=(400, 401, 403, 413, 422))},
            "/oa-documents/import": {"post": _upload(
                "Import sign-ins from .xlsx/.csv (multipart `file`): all rows or none; 422 lists bad `rows`",
                errors=(400, 401, 403, 413, 422))},
            "/oa-report": {"get": _op("Every recipient judged in working time, and points per unit",
                                      params=[_YEAR_REQUIRED], errors=(400, 401, 422))},
            "/calendar": {"get": _op("The admin's working-day overrides", params=[_YEAR_Q], errors=(400, 401))},
            "/calendar/{day}": {
                "put": _op("Declare a day a working day or a day off (admin)", params=[_path("day", "string")],
                           body="#/components/schemas/CalendarDay", errors=(400, 401, 403, 404, 422)),
                "delete": _op("Remove an override (admin)", "204", params=[_path("day", "string")],
                              errors=(401, 403, 404))},
            # information reporting (附件4)
            "/info-items": {
                "get": _op("Adopted information items of a year the caller may see (all units for leaders, viewers, "
                           "admins and the offices responsible for 信息宣传; else the caller's unit)",
                           params=[_YEAR_REQUIRED,
                                   {"name": "unit", "in": "query", "required": False, "schema": {"type": "string"},
                                    "description": "a unit code, name or alias"}], errors=(400, 401, 422)),
                "post": {**_op("Enter one adopted item (an office responsible for 信息宣传); the year's shortfall "
                               "records (source info) are recomputed at once. Same unit, title, adopted_on and "
                               "stream twice → 409 duplicate_item", "201", errors=(400, 401, 403, 409, 422)),
                         "requestBody": {"required": True, "content": {"application/json": {"schema": {
                             "type": "object", "required": ["unit", "title", "adopted_on"], "properties": {
                                 "unit": {"type": "string", "description": "a unit code, name or any alias"},
                                 "title": {"type": "string", "maxLength": 300},
                                 "adopted_on": {"type": "string", "format": "date"},
                                 "portal": {"enum": ["district", "city", "province"], "default": "district"},
                                 "special": {"type": "boolean", "default": False,
                                             "description": "在线访谈, 政策解读, 热点专访, 网页专题, 热点问答"},
                                 "stream": {"enum": ["info", "gov_affairs"], "default": "info"},
                                 "district_offices": {"type": "boolean", "default": False,
                                                      "description": "adopted by 区两办 (gov_affairs only)"}},
                             "examples": [{"unit": "szc", "title": "我局召开年度考核工作会议", "adopted_on": "2018-03-05",
                                           "portal": "district"}]}}}}}},
            "/info-items/{id}": {
                "put": {**_op("Correct an item: any of the fields above, with `version`", params=[_path("id")]),
                        "requestBody": {"required": True, "content": {"application/json": {"schema": {
                            "type": "object", "required": ["version"], "properties": {
                                "version": {"type": "integer"}}}}}}},
                "delete": _op("Delete an item; its shortfall records follow", "204", params=[_path("id")],
                              errors=(401, 403, 404, 409, 422))},
            "/info-items/import": {"post": _upload(
                "Import items from .xlsx or .csv (UTF-8, UTF-8 with BOM or GBK): columns 单位, 标题, 录用日期, "
                "录用网站 (区/市/省), 特殊类型 (是/否), 类别 (信息/政务信息), 区两办录用 (是/否), or the English "
                "field names. Any bad row imports nothing: 422 with error.rows [{row, message}]. Rows already "
                "entered are skipped → {imported, updated, skipped}",
                fields={"year": {**_YEAR, "description": "optional: every row must be in it"}},
                errors=(400, 401, 403, 409, 413, 422))},
            "/info-report": {"get": _op(
                "The year's report: units (quota, months, months_short, year_short, count, extras, total, points, "
                "gov_affairs with district_offices and points_note) and the ranking for the information-officer award",
                params=[_YEAR_REQUIRED], errors=(400, 401, 404))},
            # reports (issue 3)
            "/ranking": {"get": _op(
                "The year's ranking: final sheets by total (ties share a rank), then unfinished ones (rank null); "
                "ranks over all final sheets, rows only for sheets the caller may see",
                params=[_YEAR_REQUIRED], errors=(400, 401))},
            "/sheets/{id}/export.pdf": {"get": _download(
                "The sheet in the layout of 附件3, A4 PDF (attachment)", ("application/pdf",), [_path("id")])},
            "/years/{year}/export.xlsx": {"get": _download(
                "The year as one workbook: the ranking, then one 附件3 worksheet per visible unit",
                ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",), [_path("year")])},
            "/bonus-applications/{id}/export.pdf": {"get": _download(
                "The application in the layout of 附件6, A4 PDF (attachment)", ("application/pdf",),
                [_path("id")])},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {"Error": {"description": "Error", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}}}}},
            "schemas": {
                "Delegation": {"type": "object", "required": ["to", "from_date", "to_date"], "properties": {
                    "to": {"type": "string", "description": "the delegate's username"},
                    "from_date": {"type": "string", "format": "date"},
                    "to_date": {"type": "string", "format": "date"}}},
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
                "NewUser": {"type": "object", "required": ["username", "password"], "properties": {
                    "email": _EMAIL,
                    "username": {"type": "string", "minLength": 1, "maxLength": 64,
                                 "description": "letters, digits and . _ @ -"},
                    "name": {"type": ["string", "null"], "minLength": 1, "maxLength": 100,
                             "description": "defaults to the username"},
                    "unit": {"type": ["string", "null"], "description": "a unit code; null for bureau-level accounts"},
                    "roles": {"type": "array", "minItems": 1, "items": _ROLE_ENUM, "default": ["member"]},
                    "password": {"type": "string", "minLength": 1, "maxLength": 200}},
                    "examples": [{"username": "zhangsan", "name": "张三", "unit": "bgs", "roles": ["member"],
                                  "password": "Lanting-2019-xu"}]},
                "UserEdit": {"type": "object", "properties": {
                    "email": _EMAIL,
                    "name": {"type": ["string", "null"], "minLength": 1, "maxLength": 100,
                             "description": "null keeps the name"},
                    "unit": {"type": ["string", "null"]},
                    "roles": {"type": "array", "minItems": 1, "items": _ROLE_ENUM},
                    "active": {"type": "boolean"}}},
                "PasswordChange": {"type": "object", "required": ["current_password", "new_password"], "properties": {
                    "current_password": {"type": "string", "minLength": 1},
                    "new_password": {"type": "string", "minLength": 1, "maxLength": 200}}},
                "Credentials": {"type": "object", "required": ["username", "password"], "properties": {
                    "username": {"type": "string", "minLength": 1}, "password": {"type": "string", "minLength": 1}}},
                "RowEdit": {"type": "object", "required": ["version"], "properties": {
                    "version": {"type": "integer"}, "self_score": _POINTS, "self_reason": {"type": "string"},
                    "review_score": _POINTS, "review_reason": {"type": "string"}}},
                "KeyDeduction": {"type": "object", "required": ["version", "points"], "properties": {
                    "version": {"type": "integer"}, "points": _POINTS, "reason": {"type": "string"}}},
                "BonusNew": {"type": "object", "required": ["year", "project", "points_requested"], "properties": {
                    "year": _YEAR, "project": {"type": "string"}, "points_requested": _POINTS},
                    "examples": [{"year": 2018, "project": "获评市级文明单位", "points_requested": "1"}]},
                "BonusEdit": {"type": "object", "required": ["version"], "properties": {
                    "version": {"type": "integer"}, "project": {"type": "string"},
                    "points_requested": _POINTS, "points_proposed": _POINTS}},
                "BonusAction": {"type": "object", "required": ["version"], "properties": {
                    "version": {"type": "integer"}, "comment": {"type": "string"},
                    "points_proposed": _POINTS, "opinion": {"type": "string"}, "points_granted": _POINTS}},
                "Deduction": {"type": "object", "required": ["year", "unit", "rule", "date"], "properties": {
                    "year": _YEAR, "unit": {"type": "string"}, "rule": {"type": "string"},
                    "count": {"type": "integer", "minimum": 1}, "date": {"type": "string", "format": "date"},
                    "people": _TEXT, "note": _TEXT,
                    "target": {"type": ["string", "null"], "description": "the target code a record under the "
                               "target rule names (required for a unit with a target letter)"}},
                    "examples": [{"year": 2018, "unit": "szc", "rule": "info_mgmt-3", "count": 1,
                                  "date": "2018-03-05", "people": "张三", "note": "会议通知超时签收"}]},
                "Appeal": {"type": "object", "required": ["reason"], "properties": {
                    "reason": _TEXT, "version": {"type": "integer", "description": "optional; checked when sent"}},
                    "examples": [{"reason": "当日已按时回复，附系统截图"}]},
                "AppealDecision": {"type": "object", "required": ["decision"], "properties": {
                    "decision": {"enum": ["upheld", "rejected"]}, "answer": _TEXT,
                    "version": {"type": "integer", "description": "optional; checked when sent"}},
                    "examples": [{"decision": "rejected", "answer": "经核实，当日确未回复"}]},
                "DeductionEdit": {"type": "object", "required": ["version"], "properties": {
                    "version": {"type": "integer"}, "rule": {"type": "string"}, "count": {"type": "integer"},
                    "date": {"type": "string", "format": "date"}, "people": _TEXT, "note": _TEXT,
                    "target": {"type": ["string", "null"]}}},
                "TargetLetter": {"type": "object", "required": ["items"], "properties": {
                    "items": {"type": "array", "maxItems": 100, "items": {
                        "type": "object", "required": ["title", "points"], "properties": {
                            "title": {"type": "string", "minLength": 1, "maxLength": 300}, "points": _POINTS}}}},
                    "examples": [{"items": [{"title": "完成老旧小区改造", "points": "18"},
                                            {"title": "新建保障房500套", "points": "12"}]}]},
                "Withdraw": {"type": "object", "required": ["version", "comment"], "properties": {
                    "version": {"type": "integer"}, "comment": {"type": "string"}}},
                "OaDocument": {"type": "object", "required": ["title", "kind", "sent_at", "recipients"],
                               "properties": _OA_FIELDS,
                               "examples": [{"oa_id": "OA-2018-0001", "title": "关于召开年度考核工作会议的通知",
                                             "kind": "meeting", "sent_at": "2018-03-05T09:00:00+08:00",
                                             "recipients": [{"username": "szc.staff",
                                                             "signed_at": "2018-03-05T10:30:00+08:00"}]}]},
                "InfoQuotas": {"type": "object", "properties": {
                    "units": {"type": "object"}, "gov_affairs": {"type": "object"},
                    "gov_default": {"type": ["object", "null"]}, "extras": {"type": "object"},
                    "district_offices_per_year": {"type": "integer"}}},
                "OaExcuse": {"type": "object", "properties": {
                    "recipient": {"type": ["string", "integer"], "description": "its id, username or name"},
                    "reason": {"type": "string"}, "excused": {"type": "boolean"}}},
                "StaffMember": {"type": "object", "required": ["unit", "name"], "properties": {
                    "unit": {"type": "string"}, "name": {"type": "string", "minLength": 1, "maxLength": 100}}},
                "OaDocumentEdit": {"type": "object", "properties": _OA_FIELDS,
                                   "description": "any fields of OaDocument; the others stay, recipients replace "
                                                  "the list"},
                "YearNew": {"type": "object", "required": ["year"], "properties": {
                    "year": {"type": "integer"}, "copy_from": {"type": "integer"}}},
                "UnitEdit": {"type": "object", "properties": {
                    "name": {"type": "string"}, "aliases": {"type": "array", "items": {"type": "string"}},
                    "gate_unit": {"type": "string", "description": "a unit code of the year"},
                    "leader": {"type": "string", "description": "a leader's username"}}},
                "ItemEdit": {"type": "object", "properties": {
                    "name": {"type": "string"}, "standard": _POINTS, "method": {"type": "string"},
                    "responsible": {"type": "array", "items": {"type": "string"}},
                    "cooperating": {"oneOf": [{"const": "all"}, {"type": "array", "items": {"type": "string"}}]},
                    "rules": {"type": "array", "items": {"type": "object", "properties": {
                        "id": {"type": "string"}, "text": {"type": "string"},
                        "kind": {"enum": ["per_occurrence", "zeroing", "target"]}, "points": _POINTS}}}}},
                "YearSettings": {"type": "object", "additionalProperties": False, "properties": {
                    "office_hours": {"type": "array", "minItems": 1, "items": {
                        "type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "string"}},
                        "description": "ordered, non-overlapping [\"HH:MM\", \"HH:MM\"] periods"},
                    "oa_no_client_hours": {"type": "integer", "minimum": 1, "maximum": 720},
                    "oa_no_client_basis": {"enum": ["working", "calendar"]},
                    "oa_limits_minutes": {"type": "object", "minProperties": 1, "additionalProperties": False,
                                          "properties": {k: {"type": "integer", "minimum": 1, "maximum": 100000}
                                                         for k in ("meeting", "other", "test")}},
                    "oa_no_client_factor": {"type": "integer", "minimum": 1, "maximum": 10},
                    "info_yearly_minimum_points": _POINTS, "gov_affairs_points": _POINTS,
                    "bonus_cap": {"type": ["string", "number", "null"],
                                  "description": "decimal points, or null for no cap"},
                    "appeal_days": {"type": "integer", "minimum": 1, "maximum": 366,
                                    "description": "days after a deduction record's creation day to appeal it"},
                    "due_soon_days": {"type": "integer", "minimum": 0, "maximum": 60,
                                      "description": "a record is due soon (amber) from this many days before its "
                                                     "deadline"},
                    "version": {"type": ["integer", "null"], "description": "accepted and ignored: each key is "
                                "replaced whole, and concurrent changes are serialized (409 stale_version)"}},
                    "examples": [{"oa_limits_minutes": {"meeting": 240}, "bonus_cap": "3"}]},
                "Deadlines": {"type": "object", "additionalProperties": False, "properties": {
                    **{state: {"anyOf": [{"type": "string", "format": "date"}, {"enum": ["", None]}],
                               "description": "YYYY-MM-DD; null or \"\" clears it"} for state in _DUE_STATES},
                    "version": {"type": ["integer", "null"], "description": "accepted and ignored"}},
                    "examples": [{"draft": "2019-01-10", "gate_review": "2019-01-15", "leader_sign": None}]},
                "Batch": {"type": "object", "required": ["records"], "properties": {
                    "records": {"type": "array", "minItems": 1, "maxItems": 100, "items": {
                        "type": "object", "required": ["kind", "id", "version"], "properties": {
                            "kind": {"enum": ["sheet", "bonus"]},
                            "id": {"type": "integer", "description": "an id no record has → 404 in its item"},
                            "version": {"type": "integer"}}}},
                    "comment": {"type": ["string", "null"]}},
                    "examples": [{"records": [{"kind": "sheet", "id": 1, "version": 7}], "comment": "同意"}]},
                "CalendarDay": {"type": "object", "required": ["is_workday"], "properties": {
                    "is_workday": {"type": "boolean"}, "note": {"type": "string"}},
                    "examples": [{"is_workday": True, "note": "春节调休上班"}]},
                "JobRequest": {"type": "object", "required": ["kind", "year"], "properties": {
                    "kind": {"enum": ["year_workbook", "sheet_pdfs", "tracker_sync", "notify_digest"]},
                    "year": {"type": "integer", "minimum": 1, "maximum": 9999,
                             "description": "a year whose scheme is loaded, else 422 unknown_year"}},
                    "examples": [{"kind": "year_workbook", "year": 2018}]},
                "Urge": {"type": "object", "properties": {"comment": _TEXT},
                         "examples": [{"comment": "请尽快审核，本周五前报送"}]},
                "Action": {"type": "object", "required": ["version"], "properties": {
                    "version": {"type": "integer"}, "comment": {"type": "string"},
                    "items": {"type": "array", "items": {"type": "string"},
                              "description": "item codes a responsible office returns"}}},
            },
        },
    }
