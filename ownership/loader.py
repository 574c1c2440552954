"""Load a registry directory: every *.yaml / *.yml file, any number, in a stable order."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ownership.assembly import Parts, assemble, placeholder_teams
from ownership.errors import Problem, RegistryInvalid, Severity
from ownership.formats import read_format
from ownership.formats.resolve import relax
from ownership.gc_pause import paused_gc
from ownership.load_cache import FileRead, LoadCache, StatKey, stat_key
from ownership.model import Registry, SourceRef
from ownership.pacing import checkpoint, paced, same_items
from ownership.read.assets import read_asset, read_raci, read_silence
from ownership.read.contracts import is_contract, read_contract
from ownership.read.fields import (
    INTERNAL_CODE,
    SLACK_USER,
    Collector,
    did_you_mean,
    internal_message,
)
from ownership.read.notices import read_formats, read_notice
from ownership.read.teams import read_team
from ownership.registry_files import registry_paths
from ownership.root_causes import classify, ordered
from ownership.validation import validate
from ownership.yamlsafe import YamlError, YMap

SECTIONS = ("teams", "assets", "raci", "silences", "admins", "change_notices", "formats")


@dataclass
class LoadResult:
    """`registry` is None when there is any error; `problems` has errors and warnings."""

    registry: Registry | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]


def load_registry(
    path: str | Path,
    *,
    lenient: bool | None = None,
    standalone: bool = False,
    cache: LoadCache | None = None,
    prefetch: Prefetch | None = None,
) -> LoadResult:
    """Read and validate every file; collect all problems instead of stopping at the first.

    `lenient` (default: the registry's `formats: {lenient: …}`) loads ODCS and dbt files that
    break their format's schema, and skips their contracts whose owner is no team, with warnings
    saying what was ignored (docs/formats.md).

    The cyclic garbage collector is paused meanwhile: loading only allocates (what it drops,
    reference counting frees), and each collection would walk the whole growing registry,
    which on 50k assets was half the load time (bench/b3_registry.py).

    `cache` (the bot's holder keeps one) makes a reload re-read only the files that changed
    and re-validate only what they touch; the result is the same as without it.

    `prefetch` (the CLI's, `bot/cli/parallel_read.py`) may read the files the cache does not
    hold before the loop does, e.g. in another process: given (file, name) pairs, it returns
    the `read_file` of some of them. A file changed since (its stat key) is read again.
    """
    with paused_gc():
        return _load_registry(path, lenient, standalone, cache, prefetch)


Prefetch = Callable[[list[tuple[str, str]]], dict[str, FileRead]]


def read_file(file: str, name: str) -> FileRead:
    """One file's reading, as the loader and its caches keep it (`name`: as messages show it)."""
    own = Parts()
    return FileRead(own, tuple(_read_file(Path(file), name, own)))


def _load_registry(
    path: str | Path,
    lenient: bool | None,
    standalone: bool,
    cache: LoadCache | None,
    prefetch: Prefetch | None = None,
) -> LoadResult:
    root = Path(path)
    if not root.exists():
        return LoadResult(
            None, [Problem(SourceRef(str(root)), "no such file or directory", code="not-found")]
        )
    files = registry_paths(root)
    if not files:
        return LoadResult(
            None,
            [Problem(SourceRef(str(root)), "no .yaml or .yml files here", code="empty-registry")],
        )
    parts, problems = Parts(), list[Problem]()
    cwd = Path.cwd()  # once, not per file
    kept = cache is not None  # the caller's: it lives on to the next load
    cache = cache if cache is not None else LoadCache(racy_seconds=float("inf"))
    cache.begin()
    present: set[tuple[str, str]] = set()
    looked: dict[str, tuple[StatKey | None, FileRead | None]] = {}  # each file stat once
    ready: dict[str, FileRead] = {}
    if prefetch is not None:
        looked = {file: cache.get(file, _display(file, cwd)) for file in files}
        ready = prefetch([(f, _display(f, cwd)) for f, (_, r) in looked.items() if r is None])
    for file in paced(files, 16):
        name = _display(file, cwd)
        present.add((file, name))
        key, read = looked.pop(file) if looked else cache.get(file, name)
        if read is None:
            read = ready.pop(file, None)
            if read is not None and key is not None and (now := stat_key(file)) != key:
                key, read = now, None  # changed since it was read: read it again
            if read is None:
                read = read_file(file, name)
            cache.put(file, name, key, read)
        problems.extend(read.problems)
        problems.extend(parts.merge(read.parts))
    cache.keep(present)
    if lenient is not None:
        parts.lenient = lenient
    if standalone:
        parts.teams.extend(placeholder_teams(parts))
    try:
        checkpoint()
        registry, more = assemble(parts)
        problems.extend(more)
        if kept:
            _downstream_from(cache, registry)
        checkpoint()
        problems.extend(validate(registry, cache))
    except Exception as exc:  # a bug in the cross-file checks: say so, never crash the caller
        where = SourceRef(_display(files[0], cwd), 1, 1)
        problems.append(Problem(where, internal_message(str(root), exc), code=INTERNAL_CODE))
        return LoadResult(None, problems)
    if parts.lenient:
        problems = relax(problems)
    problems = ordered(classify(problems, parts.failed))
    has_errors = any(p.is_error for p in problems)
    return LoadResult(None if has_errors else registry, problems)


def _downstream_from(cache: LoadCache, registry: Registry) -> None:
    """`registry`'s downstream index: the last load's when its lineage is this one's (most
    reloads change no upstream list: ~0.1 s at 50k assets saved), else built and kept."""
    lineage = ((a.id, a.upstream) for a in registry.assets.values())
    if cache.lineage is not None and same_items(cache.lineage[0], lineage):
        registry.use_downstream_index(cache.lineage[1])
        return
    key = [(a.id, a.upstream) for a in paced(registry.assets.values(), 500)]
    cache.lineage = (key, registry.downstream_index())


def guarded_load(
    path: str | Path,
    loader: Callable[..., LoadResult] | None = None,
    *,
    on_error: Callable[[Exception], None] | None = None,
    **options: Any,
) -> LoadResult:
    """`loader(path)` (default `load_registry`) that never raises: the callers' last resort.

    A loader bug becomes one problem, "internal error while loading <path>: <exc>", so
    `validate`, `serve`, `/demarc reload` and the file poller report it instead of dying;
    `on_error` gets the exception (the bot logs its traceback; the CLI prints none).
    """
    try:
        return (loader or load_registry)(Path(path), **options)
    except Exception as exc:
        if on_error is not None:
            on_error(exc)
        return LoadResult(None, [internal_error(path, exc)])


def internal_error(path: str | Path, exc: BaseException) -> Problem:
    detail = str(exc) if len(str(exc)) <= 300 else str(exc)[:300] + "…"
    return Problem(
        SourceRef(str(path)),
        f"internal error while loading {path}: {type(exc).__name__}: {detail}",
        code=INTERNAL_CODE,
    )


def load_registry_or_raise(path: str | Path) -> Registry:
    result = load_registry(path)
    if result.registry is None:
        raise RegistryInvalid(result.problems)
    return result.registry


def _display(file: str, cwd: Path) -> str:
    """`file` relative to the working directory when under it (`Path.relative_to` on strings:
    this runs once per file)."""
    text, prefix = str(file), str(cwd).rstrip(os.sep) + os.sep
    return text[len(prefix) :] if text.startswith(prefix) else text


def _read_file(file: Path, name: str, parts: Parts) -> list[Problem]:
    checkpoint()
    c = Collector(name)
    try:
        with open(file, "rb") as handle:  # bytes, then decoded: a third of `read_text`'s cost
            text = handle.read().decode("utf-8")
        if "\r" in text:  # the universal newlines `read_text` applied
            text = text.replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        parts.failed[name] = exc.object.decode("utf-8", "replace")
        at = _offset_ref(file, exc.start, name)
        c.error(at, f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x})", "encoding")
        return c.problems
    except OSError as exc:
        parts.failed[name] = None
        c.error(SourceRef(name, 1, 1), f"cannot read file: {exc.strerror or exc}", "io")
        return c.problems
    from ownership.yaml_nodes import parse_yaml  # lazy: PyYAML, not needed when all is cached

    try:
        docs = parse_yaml(text, name)
    except YamlError as exc:
        parts.failed[name] = text
        c.error(exc.where, exc.message, "yaml")
        return c.problems
    lines = text.splitlines()
    for doc in docs:
        try:
            _read_document(c, doc, lines, parts)
        except Exception as exc:  # a reader's bug: this document's error, not the whole load's
            parts.failed[name] = text
            where = getattr(doc, "where", SourceRef(name, 1, 1))
            c.error(where, internal_message(f"this document of {name}", exc), INTERNAL_CODE)
    return c.problems


def _offset_ref(file: Path, offset: int, name: str) -> SourceRef:
    """Where byte `offset` of `file` is (its column in bytes): for a file that is not text."""
    try:
        head = file.read_bytes()[:offset]
    except OSError:
        return SourceRef(name, 1, 1)
    return SourceRef(name, head.count(b"\n") + 1, offset - (head.rfind(b"\n") + 1) + 1)


def _read_document(c: Collector, doc: Any, lines: list[str], parts: Parts) -> None:
    if not isinstance(doc, YMap):
        c.error(
            SourceRef(c.file, 1, 1),
            "a registry file must be a mapping (teams:, assets:, "
            "raci: …) or a contract (data_source: …)",
            "wrong-type",
        )
        return
    if is_contract(doc):
        contract = read_contract(c, doc, lines)
        if contract is not None:
            parts.contracts.append(contract)
        return
    if (found := read_format(c, doc)) is not None:  # ODCS, dbt sources, Backstage
        parts.imported.extend(found.contracts)
        parts.teams.extend(found.teams)
        parts.memberships.extend(found.memberships)
        return
    if not any(key in doc for key in SECTIONS):
        first = next(iter(doc), "")
        c.error(
            doc.key_at(first) if first else doc.where,
            "not a registry file: expected teams:, assets:, raci:, silences: or a contract "
            f"with data_source:{did_you_mean(first, (*SECTIONS, 'data_source'))}",
            "unknown-document",
        )
        return
    c.mapping(doc, doc.where, "registry file", SECTIONS)
    for item, at in c.items(doc.get("teams"), doc.value_at("teams"), "teams"):
        if (team := read_team(c, item, at)) is not None:
            parts.teams.append(team)
    for item, at in paced(c.items(doc.get("assets"), doc.value_at("assets"), "assets"), 4):
        if (asset := read_asset(c, item, at)) is not None:
            parts.assets.append(asset)
    if doc.get("raci") is not None:
        activities, kinds = read_raci(c, doc["raci"], doc.value_at("raci"))
        raw_kinds = doc["raci"].get("kinds") if isinstance(doc["raci"], YMap) else None
        if isinstance(raw_kinds, YMap):
            parts.kind_sources.update({k: raw_kinds.value_at(k) for k in kinds})
        parts.activities.extend(activities)
        for kind, activity in kinds.items():
            if kind in parts.kinds:
                c.error(doc.value_at("raci"), f"raci kind '{kind}' is mapped twice", "duplicate-id")
            parts.kinds[kind] = activity
            parts.raci_at[kind] = doc.value_at("raci")
    for item, at in c.items(doc.get("silences"), doc.value_at("silences"), "silences"):
        if (silence := read_silence(c, item, at)) is not None:
            parts.silences.append(silence)
    for item, at in c.items(doc.get("admins"), doc.value_at("admins"), "admins"):
        admin = c.pattern(item, at, SLACK_USER, "admin", "U0123ABCD (a Slack user id)")
        if admin is not None:
            parts.admins.append(admin)
    for item, at in c.items(
        doc.get("change_notices"), doc.value_at("change_notices"), "change_notices"
    ):
        if (notice := read_notice(c, item, at)) is not None:
            parts.notices.append(notice)
    if doc.get("formats") is not None:
        lenient = read_formats(c, doc["formats"], doc.value_at("formats"))
        parts.lenient_set = parts.lenient_set if lenient is None else lenient
