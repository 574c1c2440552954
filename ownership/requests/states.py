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


class Pressed(enum.Enum):
    """The buttons on a request: what each means depends on the state and on who presses."""

    ACCEPT = "accept"
    COUNTER = "counter"
    DECLINE = "decline"


def step_for(
    pressed: Pressed, state: RequestState, *, accountable: bool, requester: bool
) -> Step | str:
    """The step a press stands for, or why this person cannot take it now."""
    if not state.is_open:
        return f"This request is {state.value} already: nothing to answer."
    if pressed is Pressed.DECLINE:
        return Step.DECLINE if accountable else "Only the Accountable team can decline it."
    if state is RequestState.COUNTERED and requester:
        return Step.ACCEPT if pressed is Pressed.ACCEPT else Step.ANSWER
    if state is RequestState.COUNTERED and pressed is Pressed.ACCEPT:
        return "The counter-proposal waits for the requester: they accept it or answer."
    if accountable:
        return Step.ACCEPT if pressed is Pressed.ACCEPT else Step.COUNTER
    if state is RequestState.COUNTERED:
        return "Only the requester's team answers a counter-proposal."
    return "Only the Accountable team accepts or counter-proposes; the requester answers after."
