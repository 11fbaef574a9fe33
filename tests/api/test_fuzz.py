"""Property-based fuzzing of the served OpenAPI document (Schemathesis) against the real app
on a demo store, authenticated with an API key holding every scope: no 500s, and every
response matches its documented status, content type, headers and schema.

The budget is small here (SIYU_FUZZ_EXAMPLES per operation, 12 by default, about a minute);
`scripts/fuzz-api.sh` runs the same test with a larger one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import negative_data_rejection, positive_data_acceptance
from schemathesis.core.failures import Failure

from siyu.accounts import service as accounts
from siyu.accounts.rules import API_SCOPES
from siyu.app import create_app
from siyu.config import Settings
from siyu.db.engine import unit_of_work
from siyu.store import open_store
from siyu.workspaces import service as workspaces
from tests.cli.test_cli import siyu

EXAMPLES = int(os.environ.get("SIYU_FUZZ_EXAMPLES", "12"))
MALFORMED = {"request.invalid", "http.error"}
"""The codes of a request refused before any rule of siyu's ran (its shape was wrong)."""


@schemathesis.check
def refused_only_by_rules_the_document_cannot_state(
    ctx: Any, response: Any, case: Any
) -> bool | None:
    """A schema-valid request may still break a rule JSON Schema cannot state (a segment
    rule's grammar, one date before another, a whole number of fen): refused with that rule's
    own code it is fine; refused as malformed, the document and the validators disagree."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    if response.status_code not in (400, 422):
        return None
    error = response.json().get("error", {})
    # A model's own validator (type value_error) states a rule across fields: a rule too.
    kinds = {d.get("type") for d in error.get("details", [])} - {"value_error"}
    if error.get("code") in MALFORMED and (kinds or not error.get("details")):
        raise Failure(operation=case.operation.label, title="Schema-valid request malformed",
                      message=f"{response.status_code}: {response.text[:300]}")  # fmt: skip
    return None


# Pydantic's lax mode accepts what the document's JSON Schema does not describe (epoch
# seconds for a date-time, "1" for a boolean): lenient input is not a fault, so the check
# that every schema-violating request is refused stays off. The stock acceptance check is
# replaced by the one above.
LENIENT = [negative_data_rejection, positive_data_acceptance]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    """The app on a demo store after its daily run, and an API key with every scope."""
    home = tmp_path_factory.mktemp("fuzz")
    for args in (("init",), ("demo", "load", "--orders", "1000", "--seed", "5"), ("run",)):
        done = siyu(home, *args)
        assert done.returncode == 0, done.stderr
    store = open_store(Settings(home=home, locale="en", environment="test"))
    with unit_of_work(store.sessions) as session:
        workspace = workspaces.require(session, "demo")
        made = accounts.create_api_key(session, workspace.id, store.cipher, name="fuzz",
                                       scopes=" ".join(sorted(API_SCOPES)))  # fmt: skip
    try:
        yield create_app(store), made.key
    finally:
        store.close()


@pytest.fixture(scope="module")
def api_schema(served: tuple[Any, str]) -> Any:
    app, _ = served
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)


def _fuzz(operation: Any, key: str, mode: GenerationMode) -> str | None:
    """Run one operation's examples; the first failure, described, or None."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def run(case: Any) -> None:
        case.call_and_validate(
            headers={"Authorization": f"Bearer {key}"}, excluded_checks=LENIENT,
            additional_checks=[refused_only_by_rules_the_document_cannot_state],
        )  # fmt: skip

    try:
        run()
    except Unsatisfiable:  # nothing to get wrong: an operation without parameters or body
        return None
    except (Exception, BaseExceptionGroup) as exc:  # every check's failure, reported below
        return f"{operation.label} ({mode.value}): {str(exc)[:1500]}"
    return None


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_holds_to_its_document(
    api_schema: Any, served: tuple[Any, str], mode: GenerationMode
) -> None:
    _, key = served
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 25  # every route of the document is fuzzed
    failures = [f for op in operations if (f := _fuzz(op, key, mode)) is not None]
    assert failures == [], "\n\n".join(failures)
