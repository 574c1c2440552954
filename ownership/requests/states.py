"""Which step may follow which: the request's state machine."""

from __future__ import annotations

import enum

from ownership.requests.model import RequestState

S = RequestState


class Step(enum.Enum):
    ACCEPT = "accept"  # the Accountable team agrees to the request (or the requester to a counter)
    COUNTER = "counter"  # the Accountable team proposes other terms
    ANSWER = "answer"  # the requester answers a counter-proposal with new terms
    DECLINE = "decline"  # with a reason
    MERGE = "merge"  # the pull request was merged


_NEXT: dict[tuple[RequestState, Step], RequestState] = {
    (S.OPEN, Step.ACCEPT): S.ACCEPTED,
    (S.OPEN, Step.COUNTER): S.COUNTERED,
    (S.OPEN, Step.DECLINE): S.DECLINED,
    (S.COUNTERED, Step.ACCEPT): S.ACCEPTED,
    (S.COUNTERED, Step.ANSWER): S.OPEN,
    (S.COUNTERED, Step.COUNTER): S.COUNTERED,
    (S.COUNTERED, Step.DECLINE): S.DECLINED,
    (S.ACCEPTED, Step.MERGE): S.MERGED,
}


def next_state(state: RequestState, step: Step) -> RequestState | None:
    """The state after `step`, or None when `step` cannot happen now."""
    return _NEXT.get((state, step))


def who_acts(state: RequestState, step: Step) -> str:
    """Whose move `step` is from `state`: "accountable" or "requester" (or "nobody")."""
    if step is Step.ANSWER or (state is S.COUNTERED and step is Step.ACCEPT):
        return "requester"
    if step is Step.MERGE:
        return "nobody"
    return "accountable"
