"""who_owns over the example registry: the lecture's customer_age story end to end."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ownership.answers import ActivityAnswer, AssetAnswer, NotFound, normalise, who_owns
from ownership.loader import load_registry_or_raise
from ownership.model import Registry, Role

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "registry"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry_or_raise(EXAMPLE)


def roles(answer: AssetAnswer | ActivityAnswer) -> dict[str, str]:
    return {t.team.id: t.label for t in answer.teams}


def test_customer_age_spans_the_boundary(registry: Registry) -> None:
    answer = who_owns(registry, "customer_age", NOW)
    assert isinstance(answer, AssetAnswer)
    assert roles(answer) == {"mlops_churn": "R/A", "data_engineering": "C", "product": "C"}
    [owner] = answer.with_role(Role.ACCOUNTABLE)
    assert owner.oncall is not None
    assert owner.oncall.slack_id in ("U0DANAKOW", "U0EMEKA01")
    [up] = answer.upstream
    assert up.asset.id == "customer_master_db"
    assert [(o.team.id, o.label) for o in up.owners] == [("data_engineering", "R/A")]
    assert up.contract is not None
    assert up.contract.sla_words == "daily, due 02:00 UTC, late after 02:30 UTC"
    assert [d.asset.id for d in answer.downstream][:2] == ["churn_features", "churn_model"]
    assert answer.runbook == "https://wiki.company.com/runbooks/churn-features"


def test_source_has_contract_and_consumers_informed(registry: Registry) -> None:
    answer = who_owns(registry, "customer_master_db", NOW)
    assert isinstance(answer, AssetAnswer)
    assert roles(answer) == {
        "data_engineering": "R/A",
        "mlops_churn": "I",
        "mlops_recommender": "I",
        "product": "I",
    }
    assert answer.contract is not None
    assert answer.contract.sla_words == "daily, due 02:00 UTC, late after 02:30 UTC"
    # Only R and A teams get an on-call looked up; the informed are not paged.
    assert [t.oncall is not None for t in answer.teams] == [True, False, False, False]


@pytest.mark.parametrize(
    "query", ["customers", "Customer Master", "`customers`?", "who owns customers?"]
)
def test_aliases_and_spellings(registry: Registry, query: str) -> None:
    answer = who_owns(registry, query, NOW)
    assert isinstance(answer, AssetAnswer)
    assert answer.asset.id == "customer_master_db"


def test_activity_question(registry: Registry) -> None:
    answer = who_owns(registry, "feature engineering", NOW)
    assert isinstance(answer, ActivityAnswer)
    assert roles(answer) == {
        "mlops_churn": "R/A",
        "mlops_recommender": "R/A",
        "data_engineering": "C",
        "product": "C",
    }
    incident = who_owns(registry, "production incident", NOW)
    assert isinstance(incident, ActivityAnswer)
    assert roles(incident)["data_engineering"] == roles(incident)["mlops_churn"] == "R"


def test_unknown_gets_at_most_three_suggestions(registry: Registry) -> None:
    answer = who_owns(registry, "custmer_age", NOW)
    assert isinstance(answer, NotFound)
    assert answer.suggestions[0] == "customer_age"
    assert len(answer.suggestions) <= 3
    assert who_owns(registry, "zzzzqqq", NOW) == NotFound("zzzzqqq", ())


@pytest.mark.parametrize("query", ["", "   ", "?", "<!channel>", "x" * 10_000, "\x00\n\t"])
def test_hostile_or_empty_queries_never_raise(registry: Registry, query: str) -> None:
    answer = who_owns(registry, query, NOW)
    assert isinstance(answer, NotFound)
    assert len(answer.query) <= 200


def test_normalise() -> None:
    assert normalise("  Who owns `Customer-Age`? ") == "customer_age"
    assert normalise("the feature store") == "feature_store"
