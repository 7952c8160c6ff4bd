"""The OpenAPI document: valid 3.1, complete, and true of the running app.

The schemathesis run sends what the document allows (and, in its negative
mode, what it forbids) to the WSGI app in-process and checks every answer: no
500, a documented status, a documented content type and headers, a body that
matches its schema, and that the document and the service agree on what is
valid (schema-valid requests are accepted, or refused only for the state they
meet, 404 or 409; schema-invalid ones are refused). Path parameters are often
real sessions (opened up front, some with bets, some ended) so bets, spins and
withdrawals run for real rather than only reaching 404; the ledger is audited
afterwards. A stateful run follows the document's links from a new session
through every operation that takes it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import falcon.inspect
import jsonschema_rs
import pytest
import schemathesis
from falcon import testing
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import Response
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from parlor import names, passwords
from parlor.house.accounts import AccountsHouse
from parlor.house.ledger import check_ledger
from parlor.house.roulette import RouletteHouse
from parlor.service.app import create_app, create_falcon_app
from parlor.service.openapi import openapi_document
from parlor.store.db import Database, open_database
from parlor.store.schema import migrate
from parlor.wsgi.types import WSGIApp

DOCUMENT_URL = "/api/v1/openapi.json"
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    # The document and the service's checks agree: what the document allows is
    # accepted (or refused only for the state it meets: 404, 409), what it forbids
    # is refused with a 4xx (413 included: see negative_data_rejection_or_too_large).
]
#: Fuzzed cases per operation, on top of the document's examples and the coverage
#: phase's boundary cases; the whole file takes about 30 s on two cores.
MAX_EXAMPLES = 100
#: Scenarios of the stateful run, each up to 20 calls along the document's links.
STATEFUL_EXAMPLES = 60


@dataclass
class Service:
    app: WSGIApp
    house: RouletteHouse
    db: Database
    #: Sessions any operation may be pointed at: open, poor, European, ended.
    sessions: list[str]
    #: Sessions reserved for "end", so the others stay open for bets and spins.
    endable: list[str]
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)


#: The running service, for the generation hooks (which get no fixtures).
_ACTIVE: list[Service] = []


SETUP_BETS = 6


def _open_sessions(house: RouletteHouse) -> tuple[list[str], list[str]]:
    # Table limits as wide as the document's amounts, so fuzzed bets are placed for real.
    sessions = [
        house.open_session(f"player {n}", bankroll=1_000_000, table_min=1, table_max=100_000).id
        for n in range(6)
    ]
    sessions += [
        house.open_session("european", wheel="european", la_partage=True, bankroll=50_000).id,
        house.open_session("poor", bankroll=15).id,
    ]
    for n in range(2):  # ended, with history: verification answers 200, play 409
        sid = house.open_session(f"retired {n}").id
        house.place_bet(sid, "red", None, 10)
        house.spin(sid)
        house.place_bet(sid, "straight", ["00"], 10)
        house.end_session(sid)
        sessions.append(sid)
    endable = [house.open_session(f"leaving {n}").id for n in range(4)]
    for sid in endable[:2]:
        house.place_bet(sid, "dozen", [2], 20)  # refunded when the session ends
    return sessions, endable  # with SETUP_BETS bets between them


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('openapi') / 'parlor.db'}")
    migrate(db)
    house = RouletteHouse(db)
    sessions, endable = _open_sessions(house)
    app = create_app(house, accounts=AccountsHouse(db, hasher=passwords.new_hasher(fast=True)))
    running = Service(app, house, db, sessions, endable)
    _ACTIVE.append(running)
    yield running
    _ACTIVE.remove(running)
    report = check_ledger(db)
    db.close()
    assert report.ok, report.problems


# -- the document itself ----------------------------------------------------------


def _walk(node: Any, pointer: str = "#") -> Iterator[tuple[str, Any]]:
    yield pointer, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{pointer}/{index}")


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_the_app_serves_a_valid_openapi_31_document(service: Service) -> None:
    result = testing.TestClient(service.app).simulate_get(DOCUMENT_URL)
    assert result.status_code == 200
    assert result.headers["content-type"] == "application/json"
    document = result.json
    assert document == openapi_document()
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] == "parlor roulette service"
    assert document["servers"] == [{"url": "/"}]

    # The OpenAPI 3.1 meta-schema, as schemathesis loads it from the app ...
    schemathesis.openapi.from_wsgi(DOCUMENT_URL, service.app).validate()
    # ... which does not look inside Schema Objects: check each against JSON Schema 2020-12,
    schemas = [node for pointer, node in _walk(document) if pointer.endswith("/schema")]
    schemas += document["components"]["schemas"].values()
    for schema in schemas:
        jsonschema_rs.meta.validate(
            {"$schema": "https://json-schema.org/draft/2020-12/schema"} | schema
        )
    # ... and every $ref must point somewhere.
    for pointer, node in _walk(document):
        if isinstance(node, dict) and "$ref" in node:
            assert _resolve(document, node["$ref"]) is not None, pointer


def test_every_operation_is_described(service: Service) -> None:
    document = openapi_document()
    ids = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation["description"].strip(), f"{method} {path}"
            assert operation["responses"], f"{method} {path}"
            assert "default" not in operation["responses"], "statuses are listed one by one"
            ids.append(operation["operationId"])
            if path.startswith("/api/v1/"):
                assert path == path.rstrip("/")
            else:
                assert path.endswith("/"), path
                assert operation["tags"] == ["seed"], path
    assert len(ids) == len(set(ids))


def _route_key(path: str) -> str:
    """A route with its fields blanked and no trailing slash: how Falcon matches it."""
    return re.sub(r"\{[^}]*\}", "{}", path).rstrip("/") or "/"


def test_every_route_is_documented(service: Service) -> None:
    """A route added to the app without its operation in the document fails here."""
    app = create_falcon_app(service.house)
    routes = {
        (_route_key(route.path), method.method.lower())
        for route in falcon.inspect.inspect_routes(app)
        for method in route.methods
        if not method.internal  # Falcon's own OPTIONS and 405 responders
    }
    documented = {
        (_route_key(path), method)
        for path, item in openapi_document()["paths"].items()
        for method in item
    }
    assert routes, "falcon.inspect found no routes"
    # HEAD goes wherever GET does (RFC 9110 §9.3.2), so the document leaves it implicit.
    heads = {path for path, method in routes if method == "head"}
    assert heads == {path for path, method in routes if method == "get"}
    assert {(path, method) for path, method in routes if method != "head"} == documented
    # The versioned routes use the app's own field names.
    for route in falcon.inspect.inspect_routes(app):
        if route.path.startswith("/api/"):
            assert re.sub(r"\{(\w+):[^}]*\}", r"{\1}", route.path) in openapi_document()["paths"]


# -- schemathesis: the document against the app -------------------------------------

schema = schemathesis.openapi.from_dict(openapi_document())

_SESSION_FIELDS = ("session_id", "session")


@schema.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any]
) -> st.SearchStrategy[dict[str, Any]]:
    """Two times in three, a real session (and a confirmation it may have) instead of noise."""
    operation = context.operation
    names = [name for name in _SESSION_FIELDS if name in (path_parameters or {})]
    if not _ACTIVE or operation is None or not names:  # explicit examples are drawn earlier
        return st.just(path_parameters)
    running = _ACTIVE[-1]
    pool = running.endable if operation.path.endswith("/end") else running.sessions
    confirmations = st.integers(1, 6) if "confirmation" in path_parameters else st.nothing()
    real = st.builds(
        lambda sid, extra: {**path_parameters, names[0]: sid, **extra},
        st.sampled_from(pool),
        st.one_of(st.just({}), confirmations.map(lambda n: {"confirmation": n})),
    )
    return st.one_of(st.just(path_parameters), real, real)  # about two in three real


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_input_breaks_the_service(case: schemathesis.Case[Any], service: Service) -> None:
    response = case.call_and_validate(
        app=service.app, checks=[*CHECKS, positive_data_acceptance_but_crossed_limits]
    )
    service.statuses[(case.operation.label, response.status_code)] += 1


@schemathesis.check
def negative_data_rejection_or_too_large(
    ctx: CheckContext, response: Response, case: schemathesis.Case[Any]
) -> bool | None:
    """``negative_data_rejection``, counting a 413 as the refusal it is: a body the document
    forbids for its size (a 1,001-move opening, say) can be over the 64 KB every body may
    be, and is refused before it is read as JSON."""
    if response.status_code == 413:
        return None
    return negative_data_rejection(ctx, response, case)


CHECKS.append(negative_data_rejection_or_too_large)


@schemathesis.check
def positive_data_acceptance_but_crossed_limits(
    ctx: CheckContext, response: Response, case: schemathesis.Case[Any]
) -> bool | None:
    """``positive_data_acceptance``, but for the refusals no schema can foresee.

    Each is refused by its own rule, and let through only when the request
    really is one of them:

    * ``table_max`` below ``table_min``, both given: valid to the schema, refused
      by the house (the one cross-field rule, parlor.wire.roulette's docstring);
    * an ``Idempotency-Key`` sent again with a different bet or move: 422 as
      the IETF idempotency-key draft says, and known only from the keys used before;
    * a chess move that is not legal in the game's position (422 illegal_move),
      and a list's ``cursor`` that no page gave (400 bad_cursor);
    * a username or password the schema's lengths admit but the account rules
      do not (one script per name, NFKC, passwords attackers try first): let
      through only when ``parlor.names`` or ``parlor.passwords`` refuses it too.
    """
    if response.status_code == 400 and response.json().get("code") == "bad_cursor":
        return None  # a cursor is valid only if a page gave it, which no schema can say
    if response.status_code == 422:
        problem = response.json()
        body = case.body if isinstance(case.body, dict) else {}
        low, high = body.get("table_min"), body.get("table_max")
        crossed = isinstance(low, int | float) and isinstance(high, int | float) and high < low
        if crossed and problem.get("field") == "table_max":
            return None
        if problem.get("code") == "illegal_move":
            return None
        reused = problem.get("code") == "idempotency_key_reused"
        if reused and "Idempotency-Key" in (case.headers or {}):
            return None
        if _refused_by_the_account_rules(body, problem.get("field")):
            return None
    return positive_data_acceptance(ctx, response, case)


def _refused_by_the_account_rules(body: dict[str, Any], field: object) -> bool:
    if field == "username":
        return names.username_problem(body.get("username")) is not None
    if field == "password":
        name = body.get("username")
        return passwords.password_problem(body.get("password"), str(name or "")) is not None
    return False


def test_integers_past_64_bits_are_refused(service: Service) -> None:
    client = testing.TestClient(service.app)
    sid = service.sessions[0]
    answers = {
        f"/api/v1/sessions/{sid}/bets/{2**63}": client.simulate_get(
            f"/api/v1/sessions/{sid}/bets/{2**63}"
        ),
        f"DELETE .../bets/{2**63}": client.simulate_delete(f"/api/v1/sessions/{sid}/bets/{2**63}"),
        f"/bet/{sid}/{2**63}/": client.simulate_get(f"/bet/{sid}/{2**63}/"),
        f"?after={2**63}": client.simulate_get(
            f"/api/v1/sessions/{sid}/bets", params={"after": str(2**63)}
        ),
    }
    assert {result.status_code for result in answers.values()} <= {400, 404}


# Chess is left out: its links carry a game's id, but a player's token is a credential,
# not a parameter a link can carry, so a stateful run would only ever watch. The chess
# suite plays games through the same operations (tests/chess_rules/test_chess_api.py).
stateful_schema = schemathesis.openapi.from_dict(openapi_document()).exclude(path_regex="/chess/")


@stateful_schema.hook
def map_body(context: schemathesis.HookContext, body: Any) -> Any:
    """Sessions the stateful run opens take the document's whole range of bets.

    Only members the generated body left out are filled in, with values the
    document allows, so a body that was invalid stays invalid.
    """
    operation = context.operation
    opens = operation is not None and operation.path in ("/api/v1/sessions", "/session/")
    if opens and isinstance(body, dict):
        for name, value in (("bankroll", 1_000_000), ("table_min", 1), ("table_max", 100_000)):
            body.setdefault(name, value)
    return body


@pytest.mark.slow
@pytest.mark.no_cover  # its worth is in its checks; the fuzzed run covers the same lines
def test_a_stateful_run_follows_the_links_to_every_operation(tmp_path: Any) -> None:
    """From a new session (or bet), through every operation that takes it, on its own house.

    The document's links carry each answer's session id (and bet confirmation)
    into the next call, so the run plays real sessions end to end instead of
    guessing ids; every operation must answer a success at least once, every
    answer pass the checks, and the ledger balance afterwards.
    """
    db = open_database(f"sqlite:///{tmp_path / 'stateful.db'}")
    migrate(db)
    app = create_app(
        RouletteHouse(db), accounts=AccountsHouse(db, hasher=passwords.new_hasher(fast=True))
    )
    reached: Counter[tuple[str, int]] = Counter()
    checks = [*CHECKS, positive_data_acceptance_but_crossed_limits]

    class Workflow(stateful_schema.as_state_machine()):  # type: ignore[misc]
        def call(self, case: schemathesis.Case[Any], **kwargs: Any) -> Response:
            return case.call(app=app)

        def validate_response(
            self, response: Response, case: schemathesis.Case[Any], **kwargs: Any
        ) -> None:
            reached[(case.operation.label, response.status_code)] += 1
            case.validate_response(response, checks=checks)

    try:
        Workflow.run(
            settings=settings(
                max_examples=STATEFUL_EXAMPLES,
                stateful_step_count=20,
                derandomize=True,  # the same scenarios every run: a miss is a real regression
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
        )
        report = check_ledger(db)
    finally:
        db.close()
    assert report.ok, report.problems
    succeeded = {label for (label, status), _ in reached.items() if 200 <= status < 300}
    every = {  # every operation that takes a session
        f"{method.upper()} {path}"
        for path, item in openapi_document()["paths"].items()
        for method in item
        if "{session" in path
    }
    assert every - succeeded == set(), sorted(reached.items())


def test_the_fuzzed_run_leaves_the_ledger_balanced(service: Service) -> None:
    """Whatever the fuzzing did to the module's sessions so far, the books balance."""
    report = check_ledger(service.db)
    assert report.ok, report.problems
