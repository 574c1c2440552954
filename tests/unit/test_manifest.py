"""app.yaml is a valid Slack manifest, and it, bot.blocks.ids and the registered listeners agree."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no types-jsonschema in dev deps
import pytest
import yaml
from slack_bolt import App

from bot.blocks import ids
from bot.blocks.answers import render_answer
from bot.registry.holder import RegistryHolder
from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.listeners import Route, routes_of
from bot.slack.web import EVENTS_PATH
from ownership.answers import AssetAnswer, NotFound
from ownership.model import Asset, Registry
from tests.conftest import REPO_ROOT

SCHEMA = Path(__file__).resolve().parent.parent / "fixtures" / "slack" / "manifest.schema.json"
# The smallest set that works: /whoowns, receiving @mentions, posting answers.
EXPECTED_BOT_SCOPES = {
    "commands",
    "app_mentions:read",
    "chat:write",
    # read-only, to find a message a crashed replica may have posted before posting it again
    "channels:read",
    "groups:read",
    "channels:history",
    "groups:history",
    # on-call: the user group of a rotation holds whoever is on call (usergroups.users.update)
    "usergroups:write",
    # the weekly SLA digest uploads its chart with the message (files.completeUploadExternal)
    "files:write",
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return dict(yaml.safe_load((REPO_ROOT / "app.yaml").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.fixture(scope="module")
def app() -> App:
    # Port 9 (discard) on loopback: building the app must not call Slack at all.
    settings = Settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret="secret",
        slack_api_url="http://127.0.0.1:9/api/",
    )
    return create_app(settings, RegistryHolder(Registry()))


def routes(app: App, kind: str) -> set[str]:
    return {r.id for r in routes_of(app) if r.kind == kind}


def test_manifest_is_valid_against_slacks_schema(
    manifest: dict[str, Any], validator: jsonschema.Draft7Validator
) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(manifest)]
    assert errors == []


def test_schema_check_catches_a_broken_manifest(
    manifest: dict[str, Any], validator: jsonschema.Draft7Validator
) -> None:
    broken = copy.deepcopy(manifest)
    broken["features"]["slash_commands"][0]["command"] = "whoowns"  # no leading slash
    broken["settings"]["interactivity"].pop("is_enabled")
    assert len(list(validator.iter_errors(broken))) == 2


def test_every_slash_command_has_a_listener_and_back(manifest: dict[str, Any], app: App) -> None:
    declared = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert declared == routes(app, "command") == ids.COMMANDS


def test_every_subscribed_event_has_a_listener_and_back(manifest: dict[str, Any], app: App) -> None:
    subscribed = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert subscribed == routes(app, "event") == ids.EVENTS


def test_every_action_id_has_a_listener_and_back(manifest: dict[str, Any], app: App) -> None:
    assert routes(app, "action") == ids.ACTIONS
    rendered = _action_ids(render_answer(_sample_answer(), query="x", shareable=True))
    rendered |= _action_ids(render_answer(NotFound("x"), query="x", shareable=True))
    assert rendered <= routes(app, "action")
    assert manifest["settings"]["interactivity"]["is_enabled"] is bool(routes(app, "action"))


def test_every_action_constant_is_routed_or_pending(app: App) -> None:
    constants = {v for k, v in vars(ids).items() if k.endswith("_ACTION")}
    assert constants == ids.ACTIONS | ids.PENDING_ACTIONS
    assert not ids.PENDING_ACTIONS & routes(app, "action")


def test_bolt_has_exactly_the_recorded_listeners(app: App) -> None:
    assert len(app._listeners) == len(routes_of(app)) > 0
    assert Route("command", ids.WHOOWNS_COMMAND) in routes_of(app)


def test_request_urls_point_at_the_events_endpoint(manifest: dict[str, Any]) -> None:
    urls = [c["url"] for c in manifest["features"]["slash_commands"]]
    urls += [manifest["settings"]["event_subscriptions"]["request_url"]]
    urls += [manifest["settings"]["interactivity"]["request_url"]]
    assert urls
    assert all(u == "https://demarc.example.com" + EVENTS_PATH for u in urls)


def test_scopes_are_the_smallest_set(manifest: dict[str, Any]) -> None:
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == EXPECTED_BOT_SCOPES
    assert "user" not in manifest["oauth_config"]["scopes"]
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert manifest["features"]["bot_user"]["display_name"] == "demarc"


def _sample_answer() -> AssetAnswer:
    return AssetAnswer(Asset("a", "table"), "id", (), None, (), (), None)


def _action_ids(blocks: list[dict[str, Any]]) -> set[str]:
    return {
        element["action_id"]
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    }


def test_every_shortcut_has_a_listener_and_back(manifest: dict[str, Any], app: App) -> None:
    declared = {s["callback_id"] for s in manifest["features"].get("shortcuts", [])}
    assert declared == routes(app, "shortcut") == ids.SHORTCUTS
    assert all(s["type"] == "message" for s in manifest["features"]["shortcuts"])


def test_the_home_tab_is_on_exactly_when_app_home_opened_is_handled(
    manifest: dict[str, Any], app: App
) -> None:
    home_on = manifest["features"]["app_home"]["home_tab_enabled"]
    assert home_on is (ids.APP_HOME_OPENED_EVENT in routes(app, "event"))
    assert routes(app, "view") == ids.VIEWS


# Each Slack Web API method the code calls, and the bot scopes it needs (empty: none).
METHOD_SCOPES: dict[str, set[str]] = {
    "auth_test": set(),
    "chat_postMessage": {"chat:write"},  # also DMs: posted to the user id, the Messages tab
    "chat_postEphemeral": {"chat:write"},
    "chat_update": {"chat:write"},
    "chat_getPermalink": set(),
    "conversations_list": {"channels:read", "groups:read"},  # public and private channels
    "conversations_history": {"channels:history", "groups:history"},
    "conversations_replies": {"channels:history", "groups:history"},
    "usergroups_users_update": {"usergroups:write"},
    "views_open": set(),
    "views_publish": set(),  # the Home tab
    "files_upload_v2": {"files:write"},  # the weekly digest's chart
}
# What receiving needs: slash commands and the message shortcut; the app_mention event.
RECEIVING_SCOPES = {"commands", "app_mentions:read"}
SLACK_PREFIXES = ("auth", "chat", "conversations", "views", "usergroups", "users", "reactions",
                  "files", "pins", "team", "bookmarks", "dnd", "search", "reminders", "im")


def _called_methods() -> set[str]:
    call = re.compile(r"\.((?:" + "|".join(SLACK_PREFIXES) + r")_[a-zA-Z0-9_]+)\(")
    found: set[str] = set()
    for path in (REPO_ROOT / "bot").rglob("*.py"):
        found |= set(call.findall(path.read_text(encoding="utf-8")))
    return found


def test_declared_scopes_are_exactly_what_the_called_methods_need(
    manifest: dict[str, Any],
) -> None:
    called = _called_methods()
    assert {"chat_postMessage", "usergroups_users_update", "views_publish"} <= called
    unknown = called - METHOD_SCOPES.keys()
    assert unknown == set(), f"add the scopes these need to METHOD_SCOPES: {sorted(unknown)}"
    needed = set().union(*(METHOD_SCOPES[m] for m in called)) | RECEIVING_SCOPES
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == needed
