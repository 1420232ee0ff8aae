"""The API tells the truth about itself: a bounded schemathesis run over /api/v1/openapi.json
(every phase, every check) against the app in-process finds no failure, and the document lists
every /api/v1 route. Plain tests of what such a run once found (405 with `Allow`, 404 for ids no
record can have, 401 before 404) are in test_api_auth.py and test_hostile_input.py.

Examples per operation: KAOHE_SCHEMATHESIS_EXAMPLES (default 8, to keep the suite fast; 30 for
the figures of docs/RELIABILITY.md). The run is derandomized (a fixed seed, KAOHE_SCHEMATHESIS_SEED,
default 1; no example database; one worker), so a failure reproduces."""
import os
import re
import time

import pytest
import schemathesis
from schemathesis.checks import load_all_checks
from schemathesis.engine import events
from schemathesis.engine.statistic import Statistic
from schemathesis.transport.wsgi import WSGITransport

from kaohe_flow.extensions import db
from kaohe_flow.org.models import ApiToken, User

EXAMPLES = int(os.environ.get("KAOHE_SCHEMATHESIS_EXAMPLES", "8"))
SEED = int(os.environ.get("KAOHE_SCHEMATHESIS_SEED", "1"))
# A well-formed request may still name a unit, a rule or a user that does not exist: the document
# cannot know the bureau's data, and says so with 422. Every other expectation is the default.
POSITIVE_ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]

load_all_checks()

_SEND = WSGITransport.send


def _send_without_socket_options(self, case, *, session=None, **kwargs):
    """schemathesis 4.32 sends the probes of `ignored_auth` (the same request without credentials)
    to a WSGI app with the socket options only `requests` takes; Werkzeug's client refuses them."""
    if session is None:
        for name in ("max_redirects", "verify", "cert", "proxies"):
            kwargs.pop(name, None)
    return _SEND(self, case, session=session, **kwargs)


def run_schemathesis(app, username: str, examples: int = EXAMPLES, seed: int = SEED):
    """Run every phase with every check as `username`; returns (statistic, failures, seconds).

    Each request carries a token freshly issued to `username`, so that `DELETE /tokens/current`
    revokes only its own and the run goes on authenticated."""
    config = schemathesis.Config()
    config.update(seed=seed, max_failures=None)
    project = config.projects.override
    project.update(workers=1)
    project.checks.update(included_check_names=["all"])
    project.checks.positive_data_acceptance.expected_statuses = POSITIVE_ACCEPTED
    project.generation.update(max_examples=examples, deterministic=True, database="none")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)

    class FreshToken:
        def get(self, case, ctx):
            # Straight to the database: the run's own sign-in attempts may have locked the name.
            with app.app_context():
                user = db.session.scalar(db.select(User).filter_by(username=username))
                row, token = ApiToken.issue(user, app.config["TOKEN_TTL_HOURS"])
                db.session.add(row)
                db.session.commit()
            return token

        def set(self, case, token, ctx):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}

    schema.auth(refresh_interval=None)(FreshToken)

    statistic = Statistic()
    problems = []
    started = time.monotonic()
    WSGITransport.send = _send_without_socket_options
    try:
        for event in schemathesis.engine.from_schema(schema).execute():
            if isinstance(event, events.ScenarioFinished):
                statistic.on_scenario_finished(event.recorder)
            elif isinstance(event, (events.NonFatalError, events.FatalError)):
                problems.append(f"{getattr(event, 'label', '')}: {event.info.message}")
    finally:
        WSGITransport.send = _SEND
    seconds = time.monotonic() - started
    failures = []
    for label, groups in statistic.failures.items():
        for group in groups.values():
            response = group.response
            answer = f"{response.status_code} {response.content[:300]!r}" if response is not None else "-"
            for failure in group.failures:
                failures.append(f"{label} [{failure.code}] {failure.title}: {failure.message}\n"
                                f"    {group.code_sample or ''}\n    → {answer}")
    return statistic, failures + problems, seconds


@pytest.mark.parametrize("username", ["admin", "bgs"])  # sees everything; a unit head who enters things
def test_the_api_conforms_to_its_openapi_document(app, client, username):
    """Every phase (examples, coverage, fuzzing, stateful) and every check, as the CLI's
    `--checks all`; the run's writes are undone by the next test's restore of the seed."""
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    operations = {f"{method.upper()} {path}" for path, ops in paths.items() for method in ops}
    statistic, failures, seconds = run_schemathesis(app, username)
    print(f"\nschemathesis as {username}: {len(statistic.tested_operations)} of {len(operations)} operations, "
          f"{EXAMPLES} examples each, seed {SEED}, {statistic.total_cases} cases, {len(failures)} failures, "
          f"{seconds:.1f} s")
    assert not failures, "\n".join(failures)
    # None skipped for a schema error; schemathesis leaves out the document's own address.
    assert operations - statistic.tested_operations == {"GET /openapi.json"}


def _openapi_path(rule: str) -> str:
    """A Werkzeug rule as the document writes it: /sheets/<id:sheet_id> → /sheets/{id}."""
    path = rule.removeprefix("/api/v1")
    return re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>",
                  lambda m: "{id}" if m.group(1).endswith("_id") else "{%s}" % m.group(1), path)


def test_every_api_route_is_documented_and_every_documented_operation_exists(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            routed |= {(_openapi_path(rule.rule), m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed - documented == set(), "routes missing from openapi.json"
    assert documented - routed == set(), "documented operations without a route"
