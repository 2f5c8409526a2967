"""Seed values are written once: Vault's later versions (the tutorial's `vault kv put ... v2`) are never reverted."""

import pytest

from tests.program.harness import Registered, Run

SECRET = "vault:kv/secretV2:SecretV2"


@pytest.fixture(scope="module")
def seeded(dev: Run) -> list[Registered]:
    return dev.recorder.of_type(SECRET)


def test_every_seed_is_a_create_time_value(seeded: list[Registered]) -> None:
    """`up --refresh` reads the rotated value into state; ignoring dataJson keeps `up` from writing the seed back."""
    assert sorted(s.name for s in seeded) == ["kv-for-injection-my-pass", "kv-kvv2-webapp-config", "kv-secret-db-pass"]
    assert all(s.ignore_changes == ["dataJson"] for s in seeded)


def test_a_replaced_seed_is_deleted_before_it_is_written(seeded: list[Registered]) -> None:
    """`pulumi up --replace <urn>` rewrites the seed at the same path: deleting afterwards would delete it."""
    assert all(s.delete_before_replace for s in seeded)


def test_only_the_seeds_ignore_changes(dev: Run, seeded: list[Registered]) -> None:
    # And the password of a database connection whose admin password Vault rotates (test_databases).
    ignoring = sorted(r.name for r in dev.recorder.resources if r.ignore_changes)
    assert ignoring == sorted([s.name for s in seeded] + ["db-database-connection-app"])
