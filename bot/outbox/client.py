"""The Slack Web API as the outbox uses it: slack_sdk's WebClient fits, so does a stand-in.

The arguments are passed through from the stored outbox row (Slack's own keyword arguments),
so each method takes them as they come; the answers are read with `.get`, as a SlackResponse
or a plain dict allows.
"""

from __future__ import annotations

from typing import Any, Protocol


class SlackReply(Protocol):
    """A Web API answer: slack_sdk's SlackResponse, or a dict from a stand-in."""

    def get(self, key: str, /) -> Any: ...


class SlackClient(Protocol):
    """The Web API methods the outbox calls (posting, editing, finding what was posted)."""

    def chat_postMessage(self, *args: Any, **kwargs: Any) -> SlackReply: ...

    def chat_update(self, *args: Any, **kwargs: Any) -> SlackReply: ...

    def conversations_list(self, *args: Any, **kwargs: Any) -> SlackReply: ...

    def conversations_history(self, *args: Any, **kwargs: Any) -> SlackReply: ...

    def conversations_replies(self, *args: Any, **kwargs: Any) -> SlackReply: ...

    def views_publish(self, *args: Any, **kwargs: Any) -> SlackReply: ...

    def auth_test(self, *args: Any, **kwargs: Any) -> SlackReply: ...


class FileUploader(Protocol):
    """The upload the outbox's `files.uploadV2` rows make (slack_sdk's WebClient has it)."""

    def files_upload_v2(self, *args: Any, **kwargs: Any) -> SlackReply: ...
