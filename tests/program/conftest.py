"""The whole program under mocks: the dev and prod stacks' runs, each evaluated once for the package."""

import pytest

from tests.program.harness import Run, prod_project, run_stack


@pytest.fixture(scope="package")
def dev() -> Run:
    return run_stack("dev")


@pytest.fixture(scope="package")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """With its two CA files (harness.PROD_VAULT_CA, PROD_KUBE_CA) in a project folder of its own."""
    return run_stack("prod", cwd=prod_project(tmp_path_factory.mktemp("prod")))
