"""An accepted request becomes a contract file and one pull request (or a local branch).

Idempotent: a request with its pull request recorded is left alone; the Git host side finds
the pull request of the request's branch before making one. A failure is said in the thread
and retried by the reminders job (`RequestSteps.remind_due`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from bot.blocks.escape import escape, link, truncate
from bot.db.models import DataRequest, SlackRoot
from bot.outbox.enqueue import utc
from bot.requests.github import Change, GitHostError, GitHub, PullRequest
from bot.requests.judge import NotAmendable, amended_draft, judge_request
from bot.requests.local_git import write_branch
from bot.requests.service import RequestService, add_event, root_key
from bot.requests.validate import draft_problems
from bot.settings import Settings
from ownership.model import Registry
from ownership.requests.draft import Draft, draft_contract
from ownership.requests.existing import describe_existing, existing_contract
from ownership.requests.model import DataRequestForm, RequestState, form_from_dict

RETRY_AFTER = timedelta(minutes=10)


def thread_url(session: Session, request_id: int) -> str | None:
    root = session.get(SlackRoot, root_key(request_id))
    if root is None or not root.ts:
        return None
    return f"https://slack.com/archives/{root.channel}/p{root.ts.replace('.', '')}"


class ContractPublisher:
    def __init__(self, service: RequestService, *, registry_root: Path, contracts_dir: str,
                 github: GitHub | None) -> None:
        self.service, self.root, self.github = service, registry_root, github
        self.contracts_dir = contracts_dir

    def publish(self, request_id: int) -> str | None:
        """The pull request's URL (or the local branch and patch); None when not published."""
        service, registry = self.service, self.service.registry()
        with Session(service.engine) as session:
            row = session.get(DataRequest, request_id)
            if row is None or row.state != RequestState.ACCEPTED.value:
                return row.pull_request if row is not None else None
            if row.pull_request:
                return row.pull_request
            form = form_from_dict(json.loads(row.terms))
            url = thread_url(session, request_id)
            accountable = row.accountable_team
            contract = existing_contract(registry, form.source)
            try:
                draft = (amended_draft(self.root, contract, form) if contract is not None
                         else self.draft(registry, row, form, url))
            except (NotAmendable, OSError, yaml.YAMLError) as exc:
                self._failed(request_id, f"Could not change the contract's file: {exc}")
                return None
        problems = draft_problems(self.root, draft)
        policy = ""
        if contract is not None:
            policy, _ = judge_request(registry, self.root, contract, form, service.clock().date())
        if problems:
            self._failed(request_id, "The drafted contract does not validate: "
                         + "; ".join(problems[:3]))
            return None
        change = Change(
            branch=f"demarc/request-{request_id}", path=draft.path, text=draft.text,
            title=f"Data contract for {form.source} (data request #{request_id})",
            body=_body(request_id, form, accountable, url, policy), message=
            f"Data contract for {form.source} from data request #{request_id}",
        )
        try:
            pull = (self.github.open_pull_request(change) if self.github is not None
                    else write_branch(self.root, change))
        except GitHostError as exc:
            self._failed(request_id, f"Could not open the pull request: {exc}")
            return None
        return self._record(request_id, pull)

    def draft(self, registry: Registry, row: DataRequest, form: DataRequestForm,
              url: str | None) -> Draft:
        team = registry.teams.get(row.accountable_team)
        return draft_contract(
            form, request_id=row.id, owner_team=row.accountable_team, consumer_teams=(),
            oncall=team.oncall_channel if team else None, thread_url=url,
            contracts_dir=self.contracts_dir,
        )

    def _record(self, request_id: int, pull: PullRequest) -> str:
        service, registry, now = self.service, self.service.registry(), self.service.clock()
        with Session(service.engine) as session, session.begin():
            row = session.get(DataRequest, request_id, with_for_update=True)
            assert row is not None
            if row.pull_request:  # another replica recorded it meanwhile
                return row.pull_request
            row.pull_request = pull.url
            row.next_reminder_at = None
            shown = (link(pull.url, f"pull request #{pull.number}") if pull.number
                     else escape(pull.url))
            service.reply(session, row.id, row.channel,
                          f":twisted_rightwards_arrows: The contract is up for review: {shown}. "
                          "Merging it makes the contract live.", now)
            add_event(session, row.id, "pull_request", now, detail=pull.url)
            contract = existing_contract(registry, row.source)
            service.edit_root(session, row, describe_existing(contract, None), now)
            return pull.url

    def _failed(self, request_id: int, why: str) -> None:
        service, now = self.service, self.service.clock()
        with Session(service.engine) as session, session.begin():
            row = session.get(DataRequest, request_id, with_for_update=True)
            if row is None:
                return
            row.next_reminder_at = utc(now + RETRY_AFTER)
            service.reply(session, row.id, row.channel,
                          f":warning: {escape(truncate(why, 600))}. demarc tries again in "
                          f"{int(RETRY_AFTER.total_seconds() // 60)} minutes.", now)
            add_event(session, row.id, "pull_request_failed", now, detail=truncate(why, 2000))


def _body(request_id: int, form: DataRequestForm, accountable: str, url: str | None,
          policy: str = "") -> str:
    lines = [
        f"Data contract for `{form.source}`, agreed in data request #{request_id}.",
        "",
        f"- What: {form.what}",
        f"- For: {form.consumer_team}; purpose: {form.purpose}",
        f"- Accountable (per the RACI row for data contracts): {accountable}",
    ]
    if policy:  # Slack mrkdwn as posted in the thread; readable as Markdown too
        lines += ["", "Change policy:", policy.replace("&lt;", "<").replace("&gt;", ">")
                  .replace("&amp;", "&")]
    if url:
        lines += ["", f"Slack thread: {url}"]
    return "\n".join(lines)


def publisher(
    settings: Settings, service: RequestService, environ: Mapping[str, str]
) -> ContractPublisher:
    """A GitHub repository when DEMARC_GIT_REPOSITORY names one (its token read from the
    variable DEMARC_GIT_TOKEN_ENV names), else the registry's own git checkout."""
    github = None
    if settings.git_repository:
        token = environ.get(settings.git_token_env)
        github = GitHub(settings.git_api_url, settings.git_repository, token,
                        settings.git_base_branch)
    return ContractPublisher(service, registry_root=settings.registry_path,
                             contracts_dir=settings.git_contracts_dir, github=github)
