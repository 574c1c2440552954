"""Data requests in the domain: reading the form, the state machine, who answers (RACI)."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from ownership.loader import load_registry_or_raise
from ownership.model import Registry
from ownership.requests.amend import amend_contract, amend_text
from ownership.requests.existing import OnTime, describe_existing, existing_contract
from ownership.requests.form import check_form
from ownership.requests.model import DataRequestForm, RequestState, form_from_dict, form_to_dict
from ownership.requests.routing import route_request, team_of_user
from ownership.requests.states import Pressed, Step, next_state, step_for
from tests.conftest import EXAMPLE_REGISTRY

TODAY = date(2026, 3, 10)
FIELDS = {"what": "demographics", "source": "customer_master_db", "frequency": "daily",
          "at": "02:00", "timezone": "Europe/Berlin", "max_delay": "30 minutes",
          "columns": "customer_id: string\nage integer optional\n\nplan", "purpose": "churn",
          "consumer_team": "mlops_churn", "by_when": "2026-04-01"}


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry_or_raise(EXAMPLE_REGISTRY)


def test_a_good_form_reads_and_round_trips(registry: Registry) -> None:
    form = check_form(registry, FIELDS, TODAY)
    assert isinstance(form, DataRequestForm)
    assert [(c.name, c.type, c.required) for c in form.columns] == [
        ("customer_id", "string", True), ("age", "integer", False), ("plan", "string", True)]
    assert form.by_when == date(2026, 4, 1)
    assert form_from_dict(form_to_dict(form)) == form


def test_every_bad_field_is_named(registry: Registry) -> None:
    bad = {**FIELDS, "what": " ", "source": "nope", "at": "25:00", "max_delay": "soon",
           "columns": "a: string\na: integer", "by_when": "2026-03-01", "consumer_team": "x"}
    errors = check_form(registry, bad, TODAY)
    assert isinstance(errors, dict)
    assert set(errors) == {"what", "source", "at", "max_delay", "columns", "by_when",
                           "consumer_team"}


def test_the_state_machine() -> None:
    s = RequestState
    assert next_state(s.OPEN, Step.COUNTER) is s.COUNTERED
    assert next_state(s.COUNTERED, Step.ACCEPT) is s.ACCEPTED
    assert next_state(s.COUNTERED, Step.ANSWER) is s.OPEN
    assert next_state(s.ACCEPTED, Step.MERGE) is s.MERGED
    assert next_state(s.DECLINED, Step.ACCEPT) is None
    assert next_state(s.ACCEPTED, Step.DECLINE) is None
    assert [x for x in s if x.is_open] == [s.OPEN, s.COUNTERED]


def test_whose_move_it_is() -> None:
    s, p = RequestState, Pressed
    assert step_for(p.ACCEPT, s.OPEN, accountable=True, requester=False) is Step.ACCEPT
    assert isinstance(step_for(p.ACCEPT, s.OPEN, accountable=False, requester=True), str)
    assert step_for(p.COUNTER, s.COUNTERED, accountable=False, requester=True) is Step.ANSWER
    assert step_for(p.ACCEPT, s.COUNTERED, accountable=False, requester=True) is Step.ACCEPT
    # Data Eng cannot accept its own counter-proposal; it may counter again or decline
    assert isinstance(step_for(p.ACCEPT, s.COUNTERED, accountable=True, requester=False), str)
    assert step_for(p.COUNTER, s.COUNTERED, accountable=True, requester=False) is Step.COUNTER
    assert isinstance(step_for(p.DECLINE, s.OPEN, accountable=False, requester=True), str)
    assert step_for(p.DECLINE, s.ACCEPTED, accountable=True, requester=False) == (
        "This request is accepted already: nothing to answer.")


def test_the_contracts_row_routes_a_request(registry: Registry) -> None:
    route = route_request(registry, "customer_master_db", "mlops_churn")
    assert [t.id for t in route.accountable] == ["data_engineering"]
    assert [t.id for t in route.responsible] == ["mlops_churn"]
    assert [t.id for t in route.consulted] == ["product"]
    assert route.channel == "#data-eng-oncall"
    assert team_of_user(registry, "U0DANAKOW") == "mlops_churn"


def test_what_exists_is_said_in_words(registry: Registry) -> None:
    contract = existing_contract(registry, "customer_master_db")
    assert describe_existing(contract, OnTime(29, 30)) == (
        "customer_master_db is daily, due 02:00 UTC, late after 02:30 UTC; on time 29 of 30 days.")
    assert describe_existing(None, None).startswith("No contract covers this source yet")


def test_a_change_request_amends_only_what_was_agreed(registry: Registry) -> None:
    form = check_form(registry, {**FIELDS, "consumer_team": "product"}, TODAY)
    assert isinstance(form, DataRequestForm)
    data = {"data_source": "x", "consumer_teams": ["mlops_churn"], "probe": {"sql": {}},
            "freshness": {"warn_after": "1 hour"}, "schema": {"age": {"type": "string",
                                                                      "description": "d"}}}
    out = amend_contract(data, form)
    assert out["consumer_teams"] == ["mlops_churn", "product"]
    assert out["sla"] == {"update_frequency": "daily", "update_time": "02:00 Europe/Berlin",
                          "max_delay": "30 minutes"}
    assert "freshness" not in out
    assert out["probe"] == {"sql": {}}
    assert out["schema"]["age"] == {"type": "integer", "required": False, "description": "d"}
    assert data["consumer_teams"] == ["mlops_churn"]  # the input is left alone


def test_the_amended_text_keeps_everything_else_byte_for_byte(registry: Registry) -> None:
    original = (EXAMPLE_REGISTRY / "contracts" / "customer_master_db.contract.yaml").read_text()
    form = check_form(registry, {**FIELDS, "timezone": "UTC",
                                 "columns": "segment: string optional"}, TODAY)
    assert isinstance(form, DataRequestForm)
    text = amend_text(original, yaml.safe_load(original), form)
    assert text.startswith("# Example Data Contract\n")
    assert "  oncall: #data-eng-oncall\n" in text  # the user's unquoted channel, untouched
    assert "  segment: {type: string, required: false}\n" in text
    assert "  customer_id: {type: string, required: true}\n" in text
    kept = [line for line in original.splitlines() if not line.startswith("  ")
            and line not in ("schema:",)]
    assert all(line in text.splitlines() for line in kept)
