import pytest

from policy.hcl import HclError, PathBlock, parse_policy


def test_reads_the_form_the_program_renders() -> None:
    text = (
        'path "secret/data/db-pass" {\n  capabilities = ["read"]\n}\n'
        "\n"
        'path "pki/issue/my-role" {\n  capabilities = ["create", "update"]\n}\n'
    )
    assert parse_policy(text) == [
        PathBlock("secret/data/db-pass", ("read",)),
        PathBlock("pki/issue/my-role", ("create", "update")),
    ]


def test_comments_and_trailing_commas() -> None:
    text = '# app\npath "a/b" { // x\n  capabilities = ["read",] /* y */ }'
    assert parse_policy(text) == [PathBlock("a/b", ("read",))]


def test_empty_policy_has_no_blocks() -> None:
    assert parse_policy("  # nothing\n") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'path "a" { capabilities = ["read"]\n allowed_parameters = {} }',
            "path \"a\" uses unsupported attribute 'allowed_parameters'",
        ),
        ('path "a" { }', 'path "a" has no capabilities'),
        ('path "a" { capabilities = ["read"] capabilities = ["list"] }', 'path "a" sets capabilities twice'),
        ('{"path": {}}', "unexpected character ':' at offset 7"),
        ('path "a" { capabilities = [read] }', "expected string, found 'read'"),
        ('path "a" { capabilities = ["read"]', "unexpected end of policy, expected }"),
        ('key "a" {}', "expected path, found 'key'"),
    ],
)
def test_refuses_anything_else(text: str, message: str) -> None:
    with pytest.raises(HclError) as err:
        parse_policy(text)
    assert str(err.value) == message
