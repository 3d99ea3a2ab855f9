"""The chat's token counts (history and draft), counted off the UI thread and shown under the
composer; `prompt_tokens` is what the budget and context-window questions are asked about."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from shiboken6 import Shiboken

from workbench.core.sessions import Message
from workbench.services.tokens import TokenCounter
from workbench.ui.panels.chat.composer import Composer
from workbench.ui.tasks import BackgroundTasks

FALLBACK_MODEL = "gpt-4o"  # its encoding stands in for models tiktoken does not know
# Characters per token for a draft whose count has not come back yet (a huge paste sent at
# once): English runs near four, so this errs towards asking before a too-long send.
CHARS_PER_TOKEN = 3


class TokenTally:
    def __init__(
        self,
        composer: Composer,
        tokens: TokenCounter,
        tasks: BackgroundTasks,
        context_window: Callable[[], int | None],
    ) -> None:
        self._composer, self._tokens, self._tasks = composer, tokens, tasks
        self._context_window = context_window
        self.history = 0
        self._draft = 0
        self._draft_text = ""  # the text `_draft` was counted for

    def prompt_tokens(self, with_draft: bool = True) -> int:
        """History plus the draft; a draft still being counted is estimated from its length."""
        if not with_draft:
            return self.history
        text = self._composer.editor.toPlainText()
        draft = self._draft if text == self._draft_text else -(-len(text) // CHARS_PER_TOKEN)
        return self.history + draft

    def count_history(self, model: str, path: Sequence[Message]) -> None:
        turns = [(str(m.role), m.content) for m in path]
        work = self._count_history(model or FALLBACK_MODEL, turns)
        self._tasks.start("Counting tokens", work, quiet=True)

    async def _count_history(self, model: str, turns: list[tuple[str, str]]) -> None:
        # Through the counter's async API: it waits while the app holds it (first frame).
        self.history = await self._tokens.count_messages_async(model, turns)
        if Shiboken.isValid(self._composer):
            self.show(self._draft)

    def count_draft(self, model: str, text: str) -> None:
        work = self._count_draft(model or FALLBACK_MODEL, text)
        self._tasks.start("Counting tokens", work, quiet=True)

    async def _count_draft(self, model: str, text: str) -> None:
        self._draft = await self._tokens.count_async(model, text)
        self._draft_text = text
        if Shiboken.isValid(self._composer):
            self.show(self._draft)

    def show(self, draft: int) -> None:
        self._composer.show_tokens(draft, self.history + draft, self._context_window())
