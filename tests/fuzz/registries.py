"""Hypothesis strategies for whole registries, and the property every load must keep.

A generated registry is a directory of YAML files built from structurally plausible documents
(teams, assets, RACI, silences, change notices, admins, demarc contracts, ODCS, dbt
`sources.yml`, Backstage entities: the example registries' own files plus templates of the
sections they lack), then mutated: values swapped for wrong types, odd strings (NUL, huge,
right-to-left, path-like timezones …), huge or impossible numbers and dates; keys deleted,
renamed or added; and the YAML bytes themselves flipped, cut, spliced or sprinkled with YAML
syntax. The property: `load_registry` never raises, and every problem it reports has a file,
a line, a column and a message, and is never an internal error (a demarc bug).
"""

from __future__ import annotations

import copy
import datetime as dt
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from ownership.errors import Problem
from ownership.loader import LoadResult, load_registry

INTERNAL_CODE = "internal-error"  # ownership.read.fields.INTERNAL_CODE: a demarc bug

ROOT = Path(__file__).resolve().parents[2]
SEED_FILES = sorted(
    p for d in ("examples/registry", "examples/formats") for p in (ROOT / d).rglob("*.y*ml")
)
TEAM_IDS = ("data_engineering", "mlops_churn", "product", "t1")
ASSET_IDS = ("customer_master_db", "churn_features", "customer_age", "a1")

TEMPLATES: dict[str, Any] = {
    "silences": {
        "silences": [
            {"asset": "customer_master_db", "from": "2026-12-01T00:00:00+00:00",
             "to": "2026-12-01T06:00:00+00:00", "reason": "backfill"},
        ]
    },
    "notices": {
        "change_notices": [
            {"id": "n1", "contract": "customer_master_db", "announced": dt.date(2026, 10, 1),
             "effective": dt.date(2026, 11, 15), "change": "drop monthly_charges",
             "scope": ["monthly_charges"]},
        ],
        "admins": ["U0ALICE01"],
        "formats": {"lenient": False},
    },
    "contract": {
        "data_source": "a1", "id": "a1", "owner_team": "t1", "consumer_teams": ["product"],
        "sla": {"update_frequency": "cron", "cron": "0 2 * * 1-5", "timezone": "Europe/Berlin",
                "max_delay": "PT30M"},
        "freshness": {"warn_after": "12 hours", "error_after": "1 day"},
        "schema": {"id": "string", "at": {"type": "timestamp", "required": True}},
        "change_policy": {"breaking_changes": "2 weeks notice via #changes", "notice_days": 14},
        "contacts": {"oncall": "#t1-oncall"},
        "probe": {"http": {"url": "https://x.example/latest.json", "timestamp": "json:meta.at",
                           "headers": {"Authorization": "env:TOKEN"}}},
        "alert_channel": "#t1-oncall",
    },
    "team": {
        "teams": [
            {"id": "t1", "name": "T One", "discipline": "mlops",
             "slack": {"usergroup": {"id": "S0TONE001", "handle": "t1"},
                       "oncall_channel": "#t1-oncall", "incident_channel": "C0INCIDENT"},
             "members": ["U0TONE001", {"name": "Bo", "email": "bo@x.org", "slack": "U0BO00001"}],
             "oncall": {"members": ["U0TONE001", "bo@x.org"], "period": "2 weeks",
                        "handoff": "10:30", "timezone": "America/Argentina/Buenos_Aires",
                        "start": dt.date(2026, 3, 29),
                        "overrides": [{"member": "U0TONE001", "from": "2026-12-24T09:00:00+01:00",
                                       "to": "2026-12-28T09:00:00+01:00"}]}},
        ],
        "assets": [
            {"id": "a1", "kind": "table", "owner": "t1", "upstream": ["customer_master_db"],
             "aliases": ["alpha"], "activity": "feature_engineering", "raci": {"product": "C"},
             "runbook": "https://wiki/a1",
             "probe": {"sql": {"connection": "WAREHOUSE_URL", "table": "a1", "schema": "s",
                               "timestamp_column": "at", "naive_timezone": "Asia/Kolkata"}}},
        ],
    },
}

# Values that have broken, or could break, a reader: wrong types, odd and huge text, timezones
# that are file paths, durations, times and dates at and past the edges.
ODD_TEXT = (
    "", " ", "\x00", "a\x00b", "Europe/\x00Berlin", "a" * 300, "Europe/" + "x" * 300, "é" * 70,
    "../../etc/passwd", "/etc/passwd", "Europe", "Europe/", "zone1970.tab", "__init__.py",
    "Factory", "UTC ", "utc", "+05:30", "02:00 " + "b" * 300, "25:61 UTC", "Mon 06:00 Mars/Base",
    ":15", "24:00", "99999999999999999999 days", "1e999 minutes", "P99999999999999D", "PT0S",
    "nan hours", "-5 minutes", "0 0 31 2 *", "* * * * * *", "*/0 * * * *", "@reboot",
    "0 0 99999999999 * *", "http://", "ftp://x", "javascript:alert(1)", "env:", "json:",
    "header:", "#", "#-", "<!channel>", "<@U0AAA>", "\u202eevil", "\ufeffbom", "𝟘𝟚:𝟘𝟘 UTC",
    "٠٢:٠٠ UTC", "line\nbreak", "tab\there", "{", "[", "*x", "&a", "!!python/object", "%s%n",
    "2026-02-30", "2026-12-24T09:00:00", "0001-01-01T00:00:00+00:00",
    "9999-12-31T23:59:59-23:59", "R/A/X", "R//A", "S0", "U0", "v3.9.0", "v2.2.2",
    "backstage.io/v1alpha1", "DataContract", "Group", "User", "day", "hour", "minute",
)
# Odd values of the kind a field holds, drawn for that field half the time it is replaced.
ZONES = ("a" * 300, "Europe/" + "x" * 300, "a\x00b", "../../etc/passwd", "/etc/passwd", "Europe",
         "Europe/", "zone1970.tab", "__init__.py", "Factory", "UTC ", "", "Etc/GMT+5", "tzdata",
         "Europe//Berlin", "\udc80".encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
         "Etc/GMT-14", "Etc/GMT+12", "Pacific/Kiritimati", "posixrules", "Europe/Dublin")
DURATIONS = ("99999999999999999999 days", "1e999 minutes", "P99999999999999D", "PT0S",
             "nan hours", "-5 minutes", "0 minutes", "1.5e300 weeks", "3661 days", "P", "PT",
             "1 fortnight", "30", 30, 2**64, -1, 0.0, float("nan"), "1h 1h 1h", "x" * 500,
             "3660 days", "1 second", "P1W", "1.5 hours", "522 weeks", "daily", "weekly")
TIMES = ("25:61 UTC", "Mon 06:00 Mars/Base", ":15", "24:00", "02:00 " + "b" * 300, 99999999,
         -5, 1439, 1440, "02:00", "Sun, 06:00 Europe/Berlin", "Funday 06:00 UTC", "02:00 UTC UTC",
         "23:59:59 Pacific/Kiritimati", "00:00 Etc/GMT+12", "02:30 Europe/Berlin", "01:30")
DATES = (dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.datetime(9999, 12, 31, 23, 59),
         dt.datetime(1, 1, 1, tzinfo=dt.UTC), "0001-01-01T00:00:00+00:00", "2026-02-30",
         "9999-12-31T23:59:59-23:59", "2026-12-24T09:00:00", "x" * 100, 20260101,
         dt.date(1900, 1, 1), dt.date(2999, 12, 31), "2999-12-31T23:59:59-12:00",
         "1900-01-01T00:00:00+14:00", dt.date(2026, 3, 29))
CRONS = ("0 0 31 2 *", "* * * * * *", "*/0 * * * *", "@reboot", "0 0 99999999999 * *",
         "0 0 L * *", "1" * 3000, "a\x00", "0-59/99999999999 * * * *")
NUMBERS = (0, -1, 2**31, 2**63, 10**30, 1e308, float("inf"), float("nan"), True, "14", 3650)
BY_KEY = {
    "timezone": ZONES, "naive_timezone": ZONES, "update_time": TIMES, "handoff": TIMES,
    "value": TIMES + DURATIONS, "max_delay": DURATIONS, "warn_after": DURATIONS,
    "error_after": DURATIONS, "period": (*DURATIONS, "day", "hour", [], {}),
    "start": DATES, "from": DATES, "to": DATES, "announced": DATES, "effective": DATES,
    "cron": CRONS, "schedule": CRONS, "count": NUMBERS, "notice_days": NUMBERS,
    "unit": ("d", "fortnight", None, 5, [], "ms"), "url": ("http://", "ftp://x", "x" * 3000),
    "breaking_changes": ("99999999999999999999 days notice", "9999 weeks notice via #x"),
}
ODD_VALUES: tuple[Any, ...] = (
    None, True, False, 0, -1, 1, 2**31, 2**63, 2**64 + 1, 10**30, -(10**30), 0.5, 1e308,
    float("inf"), float("-inf"), float("nan"), [], {}, [None], [[[]]], {"a": {"b": None}},
    dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.datetime(9999, 12, 31, 23, 59),
    dt.datetime(1, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 1, 1, tzinfo=dt.UTC), b"\x00\xff",
)
KEYS = (
    "id", "name", "kind", "owner", "timezone", "start", "period", "cron", "sla", "probe", "<<",
    "tables", "sources", "version", "apiVersion", "spec", "metadata", "data_source", "teams",
    "freshness", "warn_after", "count", "unit", "value", "property", "slaProperties", "schema",
    "members", "oncall", "", "x" * 200, "\x00",
)
SYNTAX = (
    b": ", b"- ", b"\n- ", b"&a ", b"*a", b"*nope", b"<<: *a\n", b"!!binary ", b"!!timestamp ",
    b"!!python/name:os.system ", b"!!set ", b"{", b"}", b"[", b"]", b'"', b"'", b"\t", b"\x00",
    b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b"#", b"---\n", b"...\n", b"? ", b"|\n", b">-\n",
    b"%YAML 1.1\n", b"\r", b"\xe2\x80\xae", b"1e999", b"0x", b"2026-13-45", b"9999-99-99",
)


def seeds() -> list[tuple[str, list[Any]]]:
    """(file name, documents) of every example file and template."""
    out = [
        (str(p.relative_to(ROOT / "examples")), list(yaml.safe_load_all(p.read_text())))
        for p in SEED_FILES
    ]
    out += [(f"templates/{name}.yaml", [doc]) for name, doc in TEMPLATES.items()]
    return out


SEEDS = seeds()


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every position in a document tree, the root included."""
    out = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*path, index))
    return out


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        node = node[step]
    return node


def _set(root: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    _get(root, path[:-1])[path[-1]] = value
    return root


odd_scalars = st.one_of(
    st.sampled_from(ODD_TEXT),
    st.sampled_from(ODD_TEXT),
    st.sampled_from(ODD_VALUES),
    st.sampled_from(TEAM_IDS + ASSET_IDS),
    st.text(max_size=12),
    st.integers(),
    st.floats(),
)
odd_values = st.recursive(
    odd_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)
    ),
    max_leaves=6,
).map(copy.deepcopy)  # ODD_VALUES holds lists and dicts that a later mutation would change


@st.composite
def mutated(draw: st.DrawFn, doc: Any) -> Any:
    """`doc` with a few of its nodes replaced, removed, renamed, added or duplicated."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 6))):
        paths = _paths(doc)
        leaves = [p for p in paths if not isinstance(_get(doc, p), dict | list)]
        typed = [p for p in leaves if p and isinstance(p[-1], str) and p[-1] in BY_KEY]
        # Most readers choke on a leaf value, converters most of all: aim there more often.
        aim = draw(st.integers(0, 3))
        targets = typed if aim == 0 and typed else leaves if aim < 3 and leaves else paths
        path = draw(st.sampled_from(targets))
        node = _get(doc, path)
        op = draw(st.sampled_from(("replace", "replace", "delete", "rename", "add", "wrap")))
        pool = BY_KEY.get(path[-1] if path and isinstance(path[-1], str) else "")
        if op == "replace" and pool and draw(st.booleans()):
            doc = _set(doc, path, copy.deepcopy(draw(st.sampled_from(pool))))
        elif op == "replace" or (op in ("delete", "rename") and not path):
            doc = _set(doc, path, draw(odd_values))
        elif op == "delete":
            parent = _get(doc, path[:-1])
            del parent[path[-1]]
        elif op == "rename" and isinstance(path[-1], str):
            parent = _get(doc, path[:-1])
            parent[draw(st.sampled_from(KEYS))] = parent.pop(path[-1])
        elif op == "add" and isinstance(node, dict):
            node[draw(st.sampled_from(KEYS))] = draw(odd_values)
        elif op == "add" and isinstance(node, list):
            node.append(draw(odd_values))
        elif op == "wrap":  # the right value at the wrong depth: `x` -> [x] or {id: x}
            doc = _set(doc, path, draw(st.sampled_from(([node], {"id": node}, [[node]]))))
    return doc


def dump(docs: list[Any]) -> bytes:
    return yaml.safe_dump_all(docs, allow_unicode=True, sort_keys=False).encode("utf-8")


@st.composite
def byte_mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """`data` with bytes flipped, cut, duplicated or YAML syntax dropped in."""
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(("insert", "flip", "cut", "truncate", "duplicate")))
        if op == "insert":
            data = data[:at] + draw(st.sampled_from(SYNTAX) | st.binary(max_size=4)) + data[at:]
        elif op == "flip" and at < len(data):
            data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
        elif op == "cut":
            data = data[:at] + data[at + draw(st.integers(1, 40)) :]
        elif op == "truncate":
            data = data[:at]
        elif op == "duplicate":
            end = min(len(data), at + draw(st.integers(1, 200)))
            data = data[:at] + data[at:end] * 2 + data[end:]
    return data


@st.composite
def registries(draw: st.DrawFn) -> dict[str, bytes]:
    """A registry: file name -> bytes, each file a seed's documents, mutated or not."""
    files: dict[str, bytes] = {}
    chosen = draw(st.lists(st.sampled_from(range(len(SEEDS))), min_size=1, max_size=7))
    for n, index in enumerate(chosen):
        name, docs = SEEDS[index]
        docs = [draw(mutated(d)) if draw(st.booleans()) else d for d in docs]
        try:
            data = dump(docs)
        except (yaml.YAMLError, UnicodeEncodeError):  # a value the emitter cannot write
            data = repr(docs).encode("utf-8", "surrogatepass")
        if draw(st.integers(0, 3)) == 0:
            data = draw(byte_mutated(data))
        files[f"{n}/{name}"] = data
    return files


def problem_faults(problem: Problem) -> list[str]:
    """What is wrong with one reported problem, if anything."""
    where = problem.where
    faults = []
    if not isinstance(where.file, str) or not where.file:
        faults.append("no file")
    if not (isinstance(where.line, int) and where.line >= 1):
        faults.append("no line")
    if not (isinstance(where.column, int) and where.column >= 1):
        faults.append("no column")
    if not isinstance(problem.message, str) or not problem.message.strip():
        faults.append("no message")
    if problem.code == INTERNAL_CODE:
        faults.append("internal error")
    return faults


def load_files(
    files: dict[str, bytes], loader: Callable[[Path], LoadResult] = load_registry
) -> LoadResult:
    """Write `files` into a fresh directory and load it."""
    root = Path(tempfile.mkdtemp(prefix="demarc-fuzz-"))
    try:
        for name, data in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return loader(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def check_registry(files: dict[str, bytes]) -> LoadResult:
    """The property: loading raises nothing and every problem is positioned and explained."""
    result = load_files(files)
    bad = [(str(p), faults) for p in result.problems if (faults := problem_faults(p))]
    assert not bad, bad
    assert (result.registry is None) == any(p.is_error for p in result.problems)
    return result


@st.composite
def typed_value_mutations(draw: st.DrawFn) -> dict[str, bytes]:
    """The example registry whole, with one to three converted values (timezones, durations,
    times, dates, crons, numbers) replaced by odd ones of the same kind: many still load, so
    what an accepted value does after loading is tested too."""
    files: dict[str, bytes] = {}
    seeds = [(name, docs) for name, docs in SEEDS if name.startswith("registry/")]
    chosen = {draw(st.sampled_from(range(len(seeds)))) for _ in range(draw(st.integers(1, 3)))}
    for index, (name, docs) in enumerate(seeds):
        docs = copy.deepcopy(docs)
        if index in chosen:
            typed = [
                (d, p)
                for d, doc in enumerate(docs)
                for p in _paths(doc)
                if p and isinstance(p[-1], str) and p[-1] in BY_KEY
            ]
            if typed:
                d, path = draw(st.sampled_from(typed))
                value = draw(st.sampled_from(BY_KEY[path[-1]]))
                docs[d] = _set(docs[d], path, copy.deepcopy(value))
        files[name] = dump(docs)
    return files
