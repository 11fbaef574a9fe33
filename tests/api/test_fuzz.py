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
from schemathesis.checks import negative_data_rejection

from siyu.accounts import service as accounts
from siyu.accounts.rules import API_SCOPES
from siyu.app import create_app
from siyu.config import Settings
from siyu.db.engine import unit_of_work
from siyu.store import open_store
from siyu.workspaces import service as workspaces
from tests.cli.test_cli import siyu

EXAMPLES = int(os.environ.get("SIYU_FUZZ_EXAMPLES", "12"))
# Pydantic's lax mode accepts what the document's JSON Schema does not describe (epoch
# seconds for a date-time, "1" for a boolean): lenient input is not a fault, so the check
# that every schema-violating request is refused stays off.
LENIENT = [negative_data_rejection]


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
        case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, excluded_checks=LENIENT)

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
