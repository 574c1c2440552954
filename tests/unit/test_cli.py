"""`demarc validate`, `demarc whoowns` and `demarc demo` through `bot.cli.main.main`: exit codes,
the lines a person reads, and the JSON a script parses."""

from __future__ import annotations

import io
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.conftest import EXAMPLE_REGISTRY, REPO_ROOT

PROBLEM_LINE = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (error|warning): .+ \[[a-z-]+\]$"
)
EXAMPLE_CODES = {"unquoted-channel", "several-accountable", "no-accountable"}


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the repository root so `examples/registry` resolves as in the README."""
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.delenv("DEMARC_REGISTRY", raising=False)


@pytest.fixture
def registry_copy(tmp_path: Path) -> Path:
    """A private copy of the example registry to break or change."""
    return Path(shutil.copytree(EXAMPLE_REGISTRY, tmp_path / "registry"))


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


# ---------------------------------------------------------------------- validate
@pytest.mark.usefixtures("in_repo")
def test_validate_the_example_registry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "examples/registry"]) == 0
    out, err = capsys.readouterr()
    assert err.strip() == "examples/registry: valid: 0 error(s), 3 warning(s)"
    problems = lines(out)
    assert len(problems) == 3
    for line in problems:
        match = PROBLEM_LINE.match(line)
        assert match, line
        assert match["file"].startswith("examples/registry/")
        assert ": warning: " in line
    assert {line.rsplit("[", 1)[1].rstrip("]") for line in problems} == EXAMPLE_CODES


@pytest.mark.usefixtures("in_repo")
def test_validate_strict_fails_on_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--strict", "examples/registry"]) == 1
    _, err = capsys.readouterr()
    assert "0 error(s), 3 warning(s)" in err


@pytest.mark.usefixtures("in_repo")
def test_validate_json_lists_every_problem_with_its_position(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["validate", "--json", "examples/registry"]) == 0
    out, err = capsys.readouterr()
    problems = json.loads(out)
    assert isinstance(problems, list)
    assert len(problems) == 3
    for problem in problems:
        assert set(problem) == {
            "file", "line", "column", "severity", "code", "message", "kind", "cause"
        }
        assert problem["kind"] == "root"
        assert problem["cause"] is None
        assert problem["file"].startswith("examples/registry/")
        assert isinstance(problem["line"], int)
        assert problem["line"] >= 1
        assert isinstance(problem["column"], int)
        assert problem["column"] >= 1
        assert problem["severity"] == "warning"
        assert problem["message"]
    assert {p["code"] for p in problems} == EXAMPLE_CODES
    channel = next(p for p in problems if p["code"] == "unquoted-channel")
    assert channel["file"] == "examples/registry/contracts/customer_master_db.contract.yaml"
    assert (channel["line"], channel["column"]) == (22, 3)
    assert err == ""  # the JSON is the whole answer: no summary line to strip


def test_validate_a_broken_registry_names_every_problem_by_position(
    registry_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = registry_copy / "contracts" / "usage_logs.contract.yaml"
    broken.write_text(
        "data_source: usage_logs\n"
        "owner_team: data_platform\n"
        "consumer_teams: [mlops_churn]\n"
        "sla:\n"
        "  update_frequency: hourly\n"
        '  update_time: ":15 UTC"\n'
        '  max_delay: "20 parsecs"\n'
    )
    assert main(["validate", str(registry_copy)]) == 1
    out, err = capsys.readouterr()
    problems = lines(out)
    for line in problems:
        assert PROBLEM_LINE.match(line), line
    errors = [line for line in problems if ": error: " in line]
    assert len(errors) == 2
    assert any(
        re.match(
            rf"{re.escape(str(broken))}:\d+:\d+: error: contract 'usage_logs' owner_team "
            r"'data_platform' is not a team.*\[unknown-team\]$",
            line,
        )
        for line in errors
    ), errors
    [duration] = [line for line in errors if "parsecs" in line]
    assert duration.startswith(f"{broken}:7:14: error: ")  # the value "20 parsecs" itself
    assert duration.endswith("[bad-value]")
    assert err.strip().startswith(f"{registry_copy}: invalid: 2 error(s), ")


def test_validate_a_missing_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere"
    assert main(["validate", str(missing)]) == 3  # a usage error, not "invalid" (1)
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"demarc validate: error: {missing}: no such file or directory (give the registry "
        "directory, or set DEMARC_REGISTRY)\n"
    )


# ---------------------------------------------------------------------- whoowns
@pytest.mark.usefixtures("in_repo")
def test_whoowns_customer_age(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["whoowns", "customer_age", "--registry", "examples/registry", "--at", "2026-01-06T18:00"]
    )
    assert code == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == "customer_age (feature)"
    assert "  R/A  MLOps Churn @mlops-churn - on call: Dana Kowalski (@U0DANAKOW)" in out
    assert "  C    Data Engineering @data-eng" in out
    assert "customer_master_db (source) - R/A Data Engineering" in out
    assert "contract: daily, due 02:00 UTC, late after 02:30 UTC" in out
    assert err == ""


@pytest.mark.usefixtures("in_repo")
def test_whoowns_names_consumer_teams_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["whoowns", "customer_master_db", "--registry", "examples/registry"]) == 0
    out = capsys.readouterr().out
    assert "  consumers: MLOps Churn, MLOps Recommender" in out
    assert "mlops_churn" not in out


def test_whoowns_json_has_each_team_with_its_roles(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["whoowns", "customer_age", "--registry", "examples/registry", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["found"] is True
    assert data["asset"] == "customer_age"
    assert {t["team"]: t["roles"] for t in data["teams"]} == {
        "mlops_churn": "R/A",
        "data_engineering": "C",
        "product": "C",
    }
    [upstream] = [u for u in data["upstream"] if u["asset"] == "customer_master_db"]
    assert [o["team"] for o in upstream["owners"]] == ["data_engineering"]


def on_call_line(out: str) -> str:
    [line] = [line for line in out.splitlines() if line.startswith("  R/A  Data Engineering")]
    return line


@pytest.mark.usefixtures("in_repo")
@pytest.mark.parametrize(
    ("at", "person"),
    [
        ("2026-12-16T12:00:00+00:00", "Bogdan Ilic (@U0BOGDAN1)"),  # the week before
        ("2026-12-23T12:00:00+00:00", "Chen Wei (@U0CHENWEI)"),  # Chen's week
        ("2026-12-25T12:00:00+00:00", "Alice Moreau (@U0ALICE01)"),  # Alice covers Dec 24-28
    ],
)
def test_whoowns_at_answers_for_that_instant(
    at: str, person: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["whoowns", "customer_master_db", "--registry", "examples/registry", "--at", at]) == 0
    )
    assert on_call_line(capsys.readouterr().out).endswith(f"on call: {person}")


@pytest.mark.parametrize(
    ("at", "person"),
    [
        ("2026-12-23T12:00:00+00:00", "Chen Wei (@U0CHENWEI)"),  # the rotation: Chen's week
        ("2026-12-24T07:59:00+00:00", "Chen Wei (@U0CHENWEI)"),  # before 09:00 Berlin
        ("2026-12-24T08:00:00+00:00", "Bogdan Ilic (@U0BOGDAN1)"),  # the override wins
        ("2026-12-25T12:00:00+00:00", "Bogdan Ilic (@U0BOGDAN1)"),
        ("2026-12-28T07:59:00+00:00", "Bogdan Ilic (@U0BOGDAN1)"),
        ("2026-12-28T08:00:00+00:00", "Alice Moreau (@U0ALICE01)"),  # over; the next week's
    ],
)
def test_whoowns_at_picks_the_on_call_override(
    registry_copy: Path, at: str, person: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The override's edges, with the example's override naming Bogdan instead of Alice."""
    teams = registry_copy / "teams.yaml"
    text = teams.read_text()
    alice = "member: alice@company.com, from:"
    assert text.count(alice) == 1
    teams.write_text(text.replace(alice, "member: bogdan@company.com, from:"))
    args = ["whoowns", "customer_master_db", "--registry", str(registry_copy), "--at", at]
    assert main(args) == 0
    assert on_call_line(capsys.readouterr().out).endswith(f"on call: {person}")


@pytest.mark.usefixtures("in_repo")
def test_whoowns_an_unknown_name_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["whoowns", "custmer", "--registry", "examples/registry"]) == 1
    out, _ = capsys.readouterr()
    assert "No asset or activity called 'custmer'." in out
    assert "Did you mean: " in out
    assert "customer_master_db" in out


def test_whoowns_reads_the_registry_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./registry here
    monkeypatch.setenv("DEMARC_REGISTRY", str(EXAMPLE_REGISTRY))
    assert main(["whoowns", "customer", "age"]) == 0
    assert capsys.readouterr().out.startswith("customer_age (feature)")


def test_whoowns_on_an_invalid_registry_explains_on_stderr(
    registry_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    contract = registry_copy / "contracts" / "churn_features.contract.yaml"
    contract.write_text(contract.read_text().replace("owner_team: mlops_churn", "owner_team: ml"))
    assert main(["whoowns", "customer_age", "--registry", str(registry_copy)]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert re.search(
        rf"^{re.escape(str(contract))}:\d+:\d+: error: contract 'churn_features' owner_team 'ml'"
        r" is not a team.*\[unknown-team\]$",
        err,
        re.MULTILINE,
    ), err
    assert err.rstrip().endswith(
        f"demarc whoowns: error: {registry_copy}: the registry has 1 error(s); "
        f"run `demarc validate {registry_copy}`"
    )


# ---------------------------------------------------------------------- demo
PROMPT = "demarc> "


@pytest.fixture
def demo_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Keep whatever the demo writes (its database, its warehouse) inside tmp_path."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def replies(out: str) -> dict[str, str]:
    """What the demo printed after each echoed input line, by that line."""
    answers: dict[str, str] = {}
    for chunk in out.split(f"\n{PROMPT}")[1:]:
        typed, _, reply = chunk.partition("\n")
        answers[typed] = reply
    return answers


@pytest.mark.usefixtures("demo_dir")
def test_demo_answers_typed_commands(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        sys,
        "stdin",
        io.StringIO("/whoowns customer_age\n/help\n/foo bar\n\n/quit\n/whoowns churn_model\n"),
    )
    assert main(["demo", "--registry", str(EXAMPLE_REGISTRY)]) == 0
    out = capsys.readouterr().out
    answers = replies(out)
    assert answers["/whoowns customer_age"].startswith("customer_age (feature)\n")
    assert "  R/A  MLOps Churn @mlops-churn" in answers["/whoowns customer_age"]
    assert (
        "contract: daily, due 02:00 UTC, late after 02:30 UTC" in answers["/whoowns customer_age"]
    )
    assert answers["/help"].startswith("Commands:\n")
    assert "/whoowns <asset or activity>" in answers["/help"]
    assert "/quit" in answers["/help"]
    assert answers["/foo bar"].strip() == "Unknown command /foo. Type /help."
    assert f"{PROMPT}/whoowns churn_model" not in out  # nothing is read after /quit


@pytest.mark.usefixtures("demo_dir")
def test_demo_ends_at_end_of_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("who owns customer_age?\n"))
    assert main(["demo", "--registry", str(EXAMPLE_REGISTRY)]) == 0
    answers = replies(capsys.readouterr().out)
    assert answers["who owns customer_age?"].startswith("customer_age (feature)\n")


@pytest.mark.usefixtures("demo_dir")
def test_demo_pages_the_team_of_a_downstream_that_was_late_before_its_upstream_broke(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """churn_features has been late since yesterday; customer_master_db broke 17 min ago."""
    monkeypatch.setattr(sys, "stdin", io.StringIO("/quit\n"))
    assert main(["demo", "--registry", str(EXAMPLE_REGISTRY)]) == 0
    out = capsys.readouterr().out
    mlops = out.split("#mlops-churn-oncall · message", 1)
    assert len(mlops) == 2, out
    assert "`churn_features` *is late*" in mlops[1].split("└─", 1)[0]
    assert "most likely because of" not in out
    assert "Data last arrived" in out


# ---------------------------------------------------------------------- root causes, last resort
def test_validate_lists_a_parse_error_first_and_summarises_its_knock_ons(
    registry_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    teams = registry_copy / "teams.yaml"
    lines = teams.read_text().splitlines()
    lines[44] += " ["
    teams.write_text("\n".join(lines) + "\n")
    assert main(["validate", str(registry_copy)]) == 1
    out, err = capsys.readouterr()
    printed = [line for line in out.splitlines() if line.strip()]
    assert printed[0].startswith(f"{teams}:46:7: error: invalid YAML")
    assert not any("is not a team" in line for line in printed)
    assert printed[-1].startswith("note: ")
    assert printed[-1].endswith(
        f"references to teams from {teams}, which failed to parse, not listed"
    )
    assert "invalid: 49 error(s)" in err  # the count stays honest


def test_validate_survives_a_loader_bug(
    registry_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise OSError(36, "File name too long")

    monkeypatch.setattr("ownership.loader.load_registry", broken)
    assert main(["validate", str(registry_copy)]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert (
        f"internal error while loading {registry_copy}: OSError: [Errno 36] File name too long"
        in out
    )
