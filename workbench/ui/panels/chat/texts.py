"""What the chat says in its empty and read-only states."""

EMPTY_TEXT = (
    "Ask anything. Your messages are saved as you send them; "
    "answers are saved while they stream, so nothing is lost if the app closes."
)
READ_ONLY_TEXT = (
    "Read-only: another Workbench is using this data folder and did not answer. Close it (or "
    "end it, if it is frozen) and start Workbench again to write here."
)
