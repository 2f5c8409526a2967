"""A strict reader for the Vault policy HCL this project writes.

Only `path "..." { capabilities = [...] }` blocks are accepted. Anything else
(parameter constraints, JSON policies, other attributes) is refused, because a
policy the reader cannot fully understand cannot be shown to grant nothing extra.
"""

import re
from dataclasses import dataclass
from typing import Final

_TOKEN: Final = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n]*|//[^\n]*|/\*.*?\*/)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<word>[A-Za-z_][A-Za-z0-9_-]*)
  | (?P<punct>[{}\[\]=,])
    """,
    re.VERBOSE | re.DOTALL,
)


class HclError(ValueError):
    """The text is not in the accepted policy form."""


@dataclass(frozen=True)
class PathBlock:
    path: str
    capabilities: tuple[str, ...]


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise HclError(f"unexpected character {text[pos]!r} at offset {pos}")
        kind = match.lastgroup or ""
        if kind not in ("space", "comment"):
            value = match.group()
            if kind == "string":
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            tokens.append((kind, value))
        pos = match.end()
    return tokens


class _Reader:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self._tokens = tokens
        self._pos = 0

    def done(self) -> bool:
        return self._pos >= len(self._tokens)

    def take(self, kind: str, value: str | None = None) -> str:
        if self.done():
            raise HclError(f"unexpected end of policy, expected {value or kind}")
        got_kind, got_value = self._tokens[self._pos]
        if got_kind != kind or (value is not None and got_value != value):
            raise HclError(f"expected {value or kind}, found {got_value!r}")
        self._pos += 1
        return got_value

    def peek(self) -> str | None:
        return None if self.done() else self._tokens[self._pos][1]


def _block(reader: _Reader) -> PathBlock:
    reader.take("word", "path")
    path = reader.take("string")
    reader.take("punct", "{")
    capabilities: tuple[str, ...] | None = None
    while reader.peek() not in ("}", None):
        attribute = reader.take("word")
        if attribute != "capabilities":
            raise HclError(f'path "{path}" uses unsupported attribute {attribute!r}')
        if capabilities is not None:
            raise HclError(f'path "{path}" sets capabilities twice')
        reader.take("punct", "=")
        reader.take("punct", "[")
        items: list[str] = []
        while reader.peek() not in ("]", None):
            items.append(reader.take("string"))
            if reader.peek() != "]":
                reader.take("punct", ",")
        reader.take("punct", "]")
        capabilities = tuple(items)
    reader.take("punct", "}")
    if capabilities is None:
        raise HclError(f'path "{path}" has no capabilities')
    return PathBlock(path, capabilities)


def parse_policy(text: str) -> list[PathBlock]:
    """Every path block in order; raises HclError for anything outside the accepted form."""
    reader = _Reader(_tokens(text))
    blocks: list[PathBlock] = []
    while not reader.done():
        blocks.append(_block(reader))
    return blocks
