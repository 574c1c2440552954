"""Safe YAML with positions: every mapping and sequence remembers where each item came from.

PyYAML's safe composer builds a node tree (no object construction); we turn it into plain
dicts and lists that also carry line/column marks, enforcing a size limit and a budget on
alias expansion (a "billion laughs" document would otherwise explode in memory). The types
are here, the parsing in `ownership.yaml_nodes` (PyYAML, imported by the first parse): a run
that reads every file from the parse cache needs only these types.
"""

from __future__ import annotations

from typing import Any

from ownership.errors import OwnershipError
from ownership.model import SourceRef

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_NODES_PER_BYTE = 4  # generous for real files; a few aliases cannot multiply past it
MIN_NODE_BUDGET = 10_000
MAX_DEPTH = 64  # nesting far past any registry's; a recursive alias (`&a [*a]`) stops here too


class YamlError(OwnershipError):
    def __init__(self, where: SourceRef, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}")


class YMap(dict[str, Any]):
    """A YAML mapping: `where` is the mapping itself, `key_at`/`value_at` each entry."""

    where: SourceRef
    keys_where: dict[str, SourceRef]
    values_where: dict[str, SourceRef]
    duplicates: list[tuple[str, SourceRef]]

    def key_at(self, key: str) -> SourceRef:
        return self.keys_where.get(key, self.where)

    def value_at(self, key: str) -> SourceRef:
        return self.values_where.get(key, self.where)


class YList(list[Any]):
    where: SourceRef
    items_where: list[SourceRef]

    def item_at(self, index: int) -> SourceRef:
        return self.items_where[index] if index < len(self.items_where) else self.where


def offset_ref(text: str, offset: int, file: str) -> SourceRef:
    """The line and column of character `offset` in `text`."""
    line = text.count("\n", 0, offset) + 1
    return SourceRef(file, line, offset - (text.rfind("\n", 0, offset) + 1) + 1)
