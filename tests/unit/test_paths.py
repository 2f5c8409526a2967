"""Vault API paths: the one place `data/` and `issue/` are added."""

from __future__ import annotations

import pytest

from derive.paths import clean_segment, kv2_api_path, pki_issue_path


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("secret", "secret"), ("/secret/", "secret"), (" kvv2/webapp/config/ ", "kvv2/webapp/config"), ("//pki", "pki")],
)
def test_clean_segment(raw: str, clean: str) -> None:
    assert clean_segment(raw) == clean


@pytest.mark.parametrize(
    ("mount", "path", "api"),
    [
        ("secret", "db-pass", "secret/data/db-pass"),  # tutorial 1.3 / SecretProviderClass
        ("for-injection", "my-pass", "for-injection/data/my-pass"),  # tutorial 2.2
        ("kvv2", "webapp/config", "kvv2/data/webapp/config"),
        ("/kvv2/", "/webapp/config/", "kvv2/data/webapp/config"),
        ("team/kv", "app", "team/kv/data/app"),
    ],
)
def test_kv2_api_path(mount: str, path: str, api: str) -> None:
    assert kv2_api_path(mount, path) == api


@pytest.mark.parametrize(
    ("mount", "role", "api"),
    [("pki", "my-role", "pki/issue/my-role"), ("/pki-int/", "services", "pki-int/issue/services")],
)
def test_pki_issue_path(mount: str, role: str, api: str) -> None:
    assert pki_issue_path(mount, role) == api
