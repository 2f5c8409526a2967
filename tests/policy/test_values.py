from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policy.values import UNKNOWN, get_path, https_violations, is_unknown, truthy, unwrap


def test_unwrap_replaces_unknowns_instead_of_raising() -> None:
    proxied = unknown_checking_proxy(
        {
            "address": UNKNOWN_STRING_VALUE,
            "nested": {"flag": UNKNOWN_BOOLEAN_VALUE, "ok": "x"},
            "items": ["a", UNKNOWN_STRING_VALUE],
        }
    )
    assert unwrap(proxied) == {"address": UNKNOWN, "nested": {"flag": UNKNOWN, "ok": "x"}, "items": ["a", UNKNOWN]}


def test_raw_sentinels_count_as_unknown() -> None:
    assert is_unknown(UNKNOWN_STRING_VALUE)
    assert is_unknown(UNKNOWN)
    assert not is_unknown("https://vault:8200")


def test_get_path_distinguishes_missing_from_unknown() -> None:
    data = {"a": {"b": UNKNOWN}, "c": UNKNOWN}
    assert get_path(data, "a", "b") is UNKNOWN
    assert get_path(data, "c", "d") is UNKNOWN
    assert get_path(data, "a", "x") is None
    assert get_path(data, "z") is None


def test_truthy_accepts_go_boolean_spellings() -> None:
    assert truthy(True) is True
    assert truthy("TRUE") is True
    assert truthy("1") is True
    assert truthy("false") is False
    assert truthy("-") is None
    assert truthy(UNKNOWN) is None
    assert truthy(None) is None


def test_https_violations() -> None:
    assert https_violations("x", "https://vault:8200") == []
    assert https_violations("x", "HTTPS://vault:8200") == []
    assert https_violations("x", None) == []
    assert https_violations("x", UNKNOWN) == []
    assert https_violations("x", "http://vault:8200") == ['x "http://vault:8200" is not https']
    assert https_violations("x", "vault:8200") == ['x "vault:8200" is not https']
