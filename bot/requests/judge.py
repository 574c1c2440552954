"""A change request judged by the change policy exactly as `demarc diff` judges it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from bot.blocks.escape import escape
from bot.blocks.requests import render_judgement
from bot.requests.validate import load_with
from ownership.changes import gate
from ownership.diff import diff_contract
from ownership.model import Contract, Registry
from ownership.requests.amend import amend_text
from ownership.requests.draft import Draft
from ownership.requests.judgement import Judgement
from ownership.requests.model import DataRequestForm


class NotAmendable(Exception):
    """The contract's file is not one demarc can amend (another format, not found)."""


def contract_path(registry_root: Path, contract: Contract) -> str:
    """The contract's file, relative to the registry root."""
    root = registry_root.resolve()
    file = Path(contract.source.file)
    full = (file if file.is_absolute() else Path.cwd() / file).resolve()
    try:
        return full.relative_to(root).as_posix()
    except ValueError:
        found = next((p for p in root.rglob(file.name) if p.is_file()), None)
        if found is None:
            raise NotAmendable(f"{contract.source.file} is not under {root}") from None
        return found.relative_to(root).as_posix()


def amended_draft(registry_root: Path, contract: Contract, form: DataRequestForm) -> Draft:
    if contract.format != "demarc":
        raise NotAmendable(f"{contract.id} is a {contract.format} contract: amend it by hand")
    path = contract_path(registry_root, contract)
    original = (registry_root / path).read_text(encoding="utf-8")
    data = yaml.safe_load(original)
    if not isinstance(data, dict):
        raise NotAmendable(f"{path} does not hold one contract")
    return Draft(path, amend_text(original, data, form))


def judge(old: Registry, registry_root: Path, draft: Draft, contract_id: str,
          today: date) -> Judgement:
    problems, new = load_with(registry_root, draft)
    if new is None or problems:
        return Judgement((), (), tuple(problems))
    changes = diff_contract(old.contracts.get(contract_id), new.contracts.get(contract_id))
    return Judgement(tuple(changes), tuple(gate(changes, old, new, today)))


def judge_request(old: Registry, registry_root: Path, contract: Contract,
                  form: DataRequestForm, today: date) -> tuple[str, Judgement | None]:
    """The thread's words on a change request, and the judgement (None: not amendable)."""
    try:
        draft = amended_draft(registry_root, contract, form)
    except (NotAmendable, OSError, yaml.YAMLError) as exc:
        return f":warning: {escape(str(exc)[:300])}", None
    judgement = judge(old, registry_root, draft, contract.id, today)
    others = tuple(t for t in contract.consumer_teams if t != form.consumer_team)
    return render_judgement(judgement, contract.id, others), judgement
