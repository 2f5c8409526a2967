"""What `make demo` prints of delivered files: secrets masked, a database user's name shown."""

from pathlib import Path

from localenv.delivered import agent_view, key_values, masked_lines


def test_a_database_file_shows_its_username_and_masks_its_password(tmp_path: Path) -> None:
    (tmp_path / "db-creds.txt").write_text("username=v-app-1\npassword=secret-password-1\n")
    (tmp_path / "config.txt").write_text("username=kv-user-1\npassword=secret-password-2\n")
    lines = agent_view(tmp_path, ["db-creds.txt", "config.txt"], {}, False, database_files=["db-creds.txt"])
    assert lines == [
        "  db-creds.txt: username=v-app-1 | password=se*************-1",
        # A KV value named username is a secret like any other.
        "  config.txt: username=kv*****-1 | password=se*************-2",
    ]


def test_masked_lines_keep_keys_and_lines_without_a_value() -> None:
    assert masked_lines("a=bcdefgh\nplain-line-x", False) == ["a=bc***gh", "pl********-x"]


def test_key_values_of_a_rendered_file() -> None:
    assert key_values("username=u\npassword=p=q\nnoise\n") == {"username": "u", "password": "p=q"}
