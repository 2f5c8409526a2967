"""The whole program under mocks: the dev stack's run, evaluated once for the package."""

import pytest

from tests.program.harness import Run, run_stack


@pytest.fixture(scope="package")
def dev() -> Run:
    return run_stack("dev")
