"""Parsing YAML: PyYAML's node tree to positioned dicts and lists (`ownership.yamlsafe`'s
types, limits and budget); the loader imports it when it first reads a file."""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from ownership import yamlsafe
from ownership.model import SourceRef
from ownership.pacing import active, checkpoint, paced
from ownership.yamlsafe import MAX_DEPTH, MIN_NODE_BUDGET, YamlError, YList, YMap, offset_ref

try:  # the libyaml composer is ~10x faster; fall back to pure Python where it is missing
    from yaml import CSafeLoader as _Base
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _Base  # type: ignore[assignment]

_TAGS: dict[tuple[Any, Any, Any], Any] = {}  # (node kind, value, implicit) -> tag
_MAX_TAGS = 32_768


class _Loader(_Base):
    """The safe loader with its tag resolution remembered: libyaml asks Python to resolve
    every scalar (~2 µs, a regex per candidate tag), and a registry repeats the same keys and
    values in thousands of files. The tag depends only on (kind, value, implicit): the safe
    loader has no path resolvers."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        key = (kind, value, implicit)
        tag = _TAGS.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
            if len(_TAGS) >= _MAX_TAGS:
                _TAGS.clear()
            _TAGS[key] = tag
        return tag


class _PacedLoader(_Loader):
    """The composer, pausing every `EVERY` scalars (`ownership.pacing`): libyaml composes a
    whole file in one call, but asks Python to resolve each scalar's tag."""

    EVERY = 100

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._left = self.EVERY

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        self._left -= 1
        if not self._left:
            self._left = self.EVERY
            checkpoint()
        return super().resolve(kind, value, implicit)


_PLAIN = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
_STR_TAG = "tag:yaml.org,2002:str"


class _Builder:
    def __init__(self, file: str, budget: int) -> None:
        self.file = file
        self.budget = budget
        self.depth = 0
        self.constructor = SafeConstructor()

    def ref(self, node: yaml.Node) -> SourceRef:
        mark = node.start_mark
        return SourceRef(self.file, mark.line + 1, mark.column + 1)

    def build(self, node: yaml.Node) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise YamlError(self.ref(node), "document expands to too many nodes (alias bomb?)")
        if node.__class__ is yaml.ScalarNode and node.tag == _STR_TAG:
            return node.value  # what SafeConstructor.construct_yaml_str returns, minus its calls
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN:
            raise YamlError(self.ref(node), f"cannot read value: tag {node.tag!r} is not allowed")
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            if self.depth >= MAX_DEPTH:
                raise YamlError(
                    self.ref(node), f"nested more than {MAX_DEPTH} levels deep (recursive alias?)"
                )
            self.depth += 1
            try:
                if isinstance(node, yaml.MappingNode):
                    return self._mapping(node)
                return self._sequence(node)
            finally:
                self.depth -= 1
        return self._scalar(node)

    def _scalar(self, node: yaml.Node) -> Any:
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            raise YamlError(self.ref(node), f"cannot read value: {problem}") from exc
        except Exception as exc:  # 2026-13-45, `!!timestamp x`, `!!bool maybe`: PyYAML's own bugs
            if isinstance(exc, AttributeError | KeyError):
                exc = ValueError(f"not a valid {node.tag.rsplit(':', 1)[-1]}")
            message = f"cannot read value {_short(node.value)}: {exc}"
            raise YamlError(self.ref(node), message) from exc

    def _sequence(self, node: yaml.SequenceNode) -> YList:
        out = YList()
        out.where = self.ref(node)
        out.items_where = where = []
        file, build = self.file, self.build
        for item in paced(node.value, 8):
            out.append(build(item))
            mark = item.start_mark
            where.append(SourceRef(file, mark.line + 1, mark.column + 1))
        return out

    def _mapping(self, node: yaml.MappingNode) -> YMap:
        try:
            self.constructor.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            mark = getattr(exc, "problem_mark", None)
            where = SourceRef(self.file, mark.line + 1, mark.column + 1) if mark else self.ref(node)
            raise YamlError(where, f"cannot merge keys: {problem}") from exc
        out = YMap()
        out.where = self.ref(node)
        out.keys_where, out.values_where = keys, values = {}, {}
        out.duplicates = []
        file, build = self.file, self.build
        for key_node, value_node in node.value:
            key = build(key_node)
            if key.__class__ is str:
                skey = key
            elif not isinstance(key, str | int | float | bool) or key is None:
                raise YamlError(self.ref(key_node), "mapping keys must be plain scalars")
            else:
                skey = str(key)
            mark = key_node.start_mark
            key_ref = SourceRef(file, mark.line + 1, mark.column + 1)
            if skey in out:
                out.duplicates.append((skey, key_ref))
            out[skey] = build(value_node)
            keys[skey] = key_ref
            mark = value_node.start_mark
            values[skey] = SourceRef(file, mark.line + 1, mark.column + 1)
        return out


def parse_yaml(text: str, file: str) -> list[Any]:
    """Parse every document in `text`; raise YamlError with file:line:col on bad input."""
    size = len(text.encode("utf-8", "surrogatepass"))
    limit = yamlsafe.MAX_FILE_BYTES  # read at each call (tests lower it)
    if size > limit:
        raise YamlError(SourceRef(file, 1, 1), f"file is {size} bytes; the limit is {limit} bytes")
    budget = max(MIN_NODE_BUDGET, size * yamlsafe.MAX_NODES_PER_BYTE)
    builder = _Builder(file, budget)
    try:
        nodes = list(yaml.compose_all(text, Loader=_PacedLoader if active() else _Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = SourceRef(file, mark.line + 1, mark.column + 1) if mark else SourceRef(file, 1, 1)
        raise YamlError(where, f"invalid YAML: {exc.problem or exc.context}") from exc
    except yaml.reader.ReaderError as exc:  # a control character such as NUL
        where = offset_ref(text, exc.position, file)
        char = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or "?")
        raise YamlError(where, f"invalid YAML: {exc.reason} (U+{char:04X})") from exc
    except yaml.YAMLError as exc:
        raise YamlError(SourceRef(file, 1, 1), f"invalid YAML: {exc}") from exc
    except RecursionError as exc:  # the pure-Python composer on deep nesting
        raise YamlError(SourceRef(file, 1, 1), "invalid YAML: nested too deeply") from exc
    return [builder.build(node) for node in nodes if node is not None]


def _short(value: object, limit: int = 40) -> str:
    text = str(value)
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "…"
