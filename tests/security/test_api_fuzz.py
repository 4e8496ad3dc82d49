"""Schemathesis against ``/api/v1``: as every role and anonymous, no 5xx, documented answers.

Every operation of the OpenAPI schema gets ``EXAMPLES`` generated requests per caller (CI:
25, so 125 per operation; ``make fuzz`` sets ``BIDWRIGHT_API_EXAMPLES`` higher). Each
response must not be a server error, its status code must be one the schema lists for
the operation, and its body and content type must match what the schema says.
"""

import os
from collections.abc import Callable

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine

from app.main import create_app
from app.vocabulary import AccessRole

EXAMPLES = int(os.environ.get("BIDWRIGHT_API_EXAMPLES", "25"))
CALLERS: list[AccessRole | None] = [None, *AccessRole]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# The operations of the schema, named up front so a new one shows up as a new test id.
OPERATIONS = [
    ("GET", "/api/v1/estimates"),
    ("POST", "/api/v1/estimates"),
    ("GET", "/api/v1/revisions/{revision_id}"),
    ("POST", "/api/v1/revisions/{revision_id}/lines"),
    ("PATCH", "/api/v1/lines/{line_id}"),
    ("POST", "/api/v1/revisions/{revision_id}/runs"),
    ("GET", "/api/v1/runs/{run_id}"),
]


def _schema(engine: Engine) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(engine))
    # The HTML pages share the app's schema; only the JSON API promises machine answers.
    return schema.include(path_regex="^/api/v1/")


def test_the_fuzzed_operations_are_every_operation_of_the_api(seeded: Engine) -> None:
    found = {
        (result.ok().method.upper(), result.ok().path)
        for result in _schema(seeded).get_all_operations()
    }
    assert found == set(OPERATIONS)


def _fuzz(operation: schemathesis.APIOperation, headers: dict[str, str]) -> Callable[[], None]:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    @hypothesis.given(case=operation.as_strategy())
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    return run


@pytest.mark.parametrize("caller", CALLERS, ids=lambda role: role.value if role else "anonymous")
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_api_operation_answers_every_caller_without_server_errors_and_as_documented(
    seeded: Engine,
    tokens: dict[AccessRole, str],
    method: str,
    path: str,
    caller: AccessRole | None,
) -> None:
    operation = _schema(seeded)[path][method]
    headers = {"Authorization": f"Bearer {tokens[caller]}"} if caller else {}
    _fuzz(operation, headers)()
