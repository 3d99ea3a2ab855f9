"""The schema, as an ordered list of migrations. Never edit a shipped one: append a new one.

PRAGMA user_version holds how many have been applied.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils


def _v1_core_tables(db: sqlite_utils.Database) -> None:
    db["sessions"].create(
        {
            "id": int,
            "title": str,
            "system_prompt": str,
            "endpoint": str,
            "model": str,
            "params_json": str,
            "created_at": str,
            "last_used_at": str,
            "deleted_at": str,
        },
        pk="id",
        not_null={"title", "created_at", "last_used_at"},
        defaults={"title": "New session", "system_prompt": ""},
    )
    db["sessions"].create_index(["deleted_at", "last_used_at"])
    db["messages"].create(
        {
            "id": int,
            "session_id": int,
            "parent_id": int,
            "role": str,
            "content": str,
            "parts_json": str,  # images, audio and tool calls, by asset hash
            "status": str,
            "run_id": int,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("session_id", "sessions", "id"), ("parent_id", "messages", "id")],
        not_null={"session_id", "role", "content", "status", "created_at"},
        defaults={"content": "", "status": "complete"},
    )
    db["messages"].create_index(["session_id", "parent_id"])
    db["runs"].create(
        {
            "id": int,
            "session_id": int,
            "message_id": int,
            "endpoint": str,
            "model": str,
            "request_json": str,  # never carries a key
            "response_headers_json": str,
            "status": str,
            "started_at": str,
            "first_token_at": str,
            "finished_at": str,
            "prompt_tokens": int,
            "completion_tokens": int,
            "cached_tokens": int,
            "reasoning_tokens": int,
            "cost_usd": float,
            "request_id": str,
            "error_json": str,
        },
        pk="id",
        foreign_keys=[("session_id", "sessions", "id")],
    )
    db["runs"].create_index(["session_id"])
    db["assets"].create(
        {"hash": str, "mime": str, "size": int, "data": bytes, "created_at": str},
        pk="hash",
    )


def _v2_message_search(db: sqlite_utils.Database) -> None:
    # FTS5 over message text, kept in step by triggers; rebuilt so older messages are found too.
    db["messages"].enable_fts(["content"], fts_version="FTS5", create_triggers=True)
    db["messages_fts"].rebuild_fts()


def _v3_streaming_runs(db: sqlite_utils.Database) -> None:
    # Streamed text is checkpointed as append-only chunks: each checkpoint costs the size of
    # the new text, not of the whole answer (and no FTS re-index until the answer is done).
    db["message_chunks"].create(
        {"message_id": int, "seq": int, "text": str},
        pk=("message_id", "seq"),
        not_null={"text"},
    )
    db["messages"].add_column("deleted_at", str)
    db["messages"].create_index(["session_id", "id"])
    db["sessions"].add_column("current_leaf_id", int)
    for column, kind in (
        ("finish_reason", str),
        ("ttft_ms", float),
        ("duration_ms", float),
        ("rate_limits_json", str),
        ("retries_json", str),
        ("logprobs_json", str),
    ):
        db["runs"].add_column(column, kind)


def _v4_search_prefix_index(db: sqlite_utils.Database) -> None:
    # The search box searches as the user types, so its last word is a prefix ("th*"). Without
    # prefix indexes FTS5 merges the lists of every word starting with it: 50-110 ms for "the"
    # or "t" over 100,000 messages (bench.store). Indexes for 1-3 character prefixes make those
    # a single lookup, for about 3x the index's size. The triggers on messages are kept: they
    # name the table, which is recreated under the same name.
    db.execute("DROP TABLE messages_fts")
    db.execute(
        "CREATE VIRTUAL TABLE messages_fts USING FTS5 "
        """(content, content="messages", prefix='1 2 3')"""
    )
    db.execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')")


def _v5_run_price_status(db: sqlite_utils.Database) -> None:
    # Whether cost_usd is a price, "free" (local models) or unknown: NULL alone can't say which.
    db["runs"].add_column("price_status", str)


def _v6_comparisons_and_spend(db: sqlite_utils.Database) -> None:
    # A comparison: one prompt sent to 2-6 columns (endpoint + parameters), each repeated k
    # times. Its answers are not chat messages (they would be N x k branches in the chat); each
    # one points at its run, which carries timings, usage and cost like any other run.
    db["comparisons"].create(
        {
            "id": int,
            "session_id": int,  # the session whose history was sent; NULL for a fresh prompt
            "leaf_id": int,  # the last message of that history: answers sent to the chat go here
            "title": str,
            "prompt": str,
            "history_json": str,  # the turns sent before the prompt, as sent
            "repeats": int,
            "created_at": str,
        },
        pk="id",
        not_null={"prompt", "created_at"},
        defaults={"title": "", "repeats": 1},
    )
    db["comparisons"].create_index(["created_at"])
    db["comparison_columns"].create(
        {
            "id": int,
            "comparison_id": int,
            "position": int,
            "endpoint_id": str,
            "endpoint_name": str,
            "params_json": str,
            "system_prompt": str,  # per column, so two system prompts can be compared too
        },
        pk="id",
        foreign_keys=[("comparison_id", "comparisons", "id")],
        not_null={"comparison_id", "position"},
    )
    db["comparison_columns"].create_index(["comparison_id", "position"])
    db["comparison_answers"].create(
        {
            "id": int,
            "column_id": int,
            "repeat_index": int,
            "run_id": int,
            "content": str,
            "status": str,
        },
        pk="id",
        foreign_keys=[("column_id", "comparison_columns", "id")],
        not_null={"column_id", "repeat_index", "content", "status"},
        defaults={"content": "", "status": "streaming"},
    )
    db["comparison_answers"].create_index(["column_id", "repeat_index"])
    db["comparison_answers"].create_index(["run_id"])
    # The cost meter sums runs by day and month: an index on the start time keeps that a range
    # scan however many runs there are.
    db["runs"].create_index(["started_at"])


def _v7_run_kind_and_target(db: sqlite_utils.Database) -> None:
    # A run of any kind (chat completion, transcription, image…), and where it really went: the
    # endpoint's id survives a rename, and the base URL is what "View code" must point at.
    runs = db["runs"]
    runs.add_column("kind", str)
    runs.add_column("endpoint_id", str)
    runs.add_column("endpoint_kind", str)
    runs.add_column("base_url", str)
    db.execute("UPDATE runs SET kind = 'chat.completion' WHERE kind IS NULL")


def _v8_reindex_only_changed_text(db: sqlite_utils.Database) -> None:
    # The search index is updated only when a message's text changes. Before, any update (its
    # status, hiding it, its run) re-indexed the whole text: 0.6 s for a 20 MB answer.
    db.execute("DROP TRIGGER IF EXISTS messages_au")
    db.execute(
        """CREATE TRIGGER "messages_au" AFTER UPDATE OF "content" ON "messages"
        WHEN old."content" IS NOT new."content" BEGIN
          INSERT INTO "messages_fts" ("messages_fts", rowid, "content")
            VALUES('delete', old.rowid, old."content");
          INSERT INTO "messages_fts" (rowid, "content") VALUES (new.rowid, new."content");
        END"""
    )


def _v9_tool_conversations(db: sqlite_utils.Database) -> None:
    # An answer's tool calls ([{id, name, arguments}]) and, on a tool message, the call it
    # answers; saved tool sets by name, for any session.
    db["messages"].add_column("tool_calls", str)
    db["messages"].add_column("tool_call_id", str)
    db["tool_sets"].create(
        {"name": str, "definition": str, "updated_at": str},
        pk="name",
        not_null={"definition", "updated_at"},
    )


def _v10_message_images(db: sqlite_utils.Database) -> None:
    # A message's images, in order, each stored once in assets by its content hash.
    db["message_images"].create(
        {
            "message_id": int,
            "position": int,
            "asset_hash": str,
            "detail": str,
            "width": int,
            "height": int,
        },
        pk=("message_id", "position"),
        foreign_keys=[("message_id", "messages", "id"), ("asset_hash", "assets", "hash")],
        not_null={"asset_hash", "detail", "width", "height"},
    )


def _v11_speech_cache(db: sqlite_utils.Database) -> None:
    # Everything a run used (audio seconds, speech characters, image tokens…), not only tokens.
    db["runs"].add_column("usage_json", str)
    # An answer read aloud, kept per voice, speed, format and model: played again, not re-bought.
    db["speech_cache"].create(
        {
            "message_id": int,
            "voice": str,
            "speed": float,
            "format": str,
            "model": str,
            "asset_hash": str,
            "created_at": str,
        },
        pk=("message_id", "voice", "speed", "format", "model"),
        foreign_keys=[("message_id", "messages", "id"), ("asset_hash", "assets", "hash")],
        not_null={"asset_hash", "created_at"},
    )


def _v12_gallery(db: sqlite_utils.Database) -> None:
    # Every image made, with what made it; its bytes once in assets. Searchable by prompt.
    db["gallery"].create(
        {
            "id": int,
            "asset_hash": str,
            "mime": str,
            "prompt": str,
            "revised_prompt": str,
            "model": str,
            "kind": str,
            "options_json": str,
            "width": int,
            "height": int,
            "cost_usd": float,
            "run_id": int,
            "source_id": int,
            "created_at": str,
            "deleted_at": str,
        },
        pk="id",
        foreign_keys=[("asset_hash", "assets", "hash")],
        not_null={"asset_hash", "prompt", "model", "created_at"},
    )
    db["gallery"].create_index(["deleted_at", "id"])
    db["gallery"].enable_fts(["prompt", "revised_prompt"], fts_version="FTS5", create_triggers=True)


def _v13_prompt_lab(db: sqlite_utils.Database) -> None:
    # The Prompt Lab: prompts saved by name with every version kept, datasets of variable rows,
    # matrices (versions x rows x model columns x repeats) and one row per cell, so a matrix
    # killed mid-way resumes from what finished.
    db["lab_prompts"].create({"name": str, "created_at": str}, pk="name", not_null={"created_at"})
    db["lab_versions"].create(
        {
            "id": int,
            "prompt_name": str,
            "number": int,
            "system": str,
            "user": str,
            "assertions_json": str,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("prompt_name", "lab_prompts", "name")],
        not_null={"prompt_name", "number", "created_at"},
    )
    db["lab_versions"].create_index(["prompt_name", "number"], unique=True)
    db["lab_datasets"].create(
        {"name": str, "columns_json": str, "rows_json": str, "updated_at": str},
        pk="name",
        not_null={"columns_json", "rows_json", "updated_at"},
    )
    db["lab_matrices"].create(
        {
            "id": int,
            "name": str,
            "version_ids_json": str,
            "dataset_name": str,
            "dataset_json": str,  # the rows as they were when it ran: later edits change nothing
            "columns_json": str,
            "repeats": int,
            "concurrency_json": str,
            "via_batch": int,
            "created_at": str,
        },
        pk="id",
        not_null={"version_ids_json", "dataset_name", "columns_json", "created_at"},
    )
    db["lab_cells"].create(
        {
            "matrix_id": int,
            "version_id": int,
            "row": int,
            "col": int,
            "repeat": int,
            "status": str,
            "output": str,
            "latency_ms": float,
            "queue_ms": float,
            "prompt_tokens": int,
            "completion_tokens": int,
            "cost_usd": float,
            "price_status": str,
            "run_id": int,
            "error": str,
            "checks_json": str,
            "batch_discount": int,
            "updated_at": str,
        },
        pk=("matrix_id", "version_id", "row", "col", "repeat"),
        foreign_keys=[("matrix_id", "lab_matrices", "id")],
        not_null={"status"},
    )
    db["lab_cells"].create_index(["matrix_id", "status"])
    db["lab_batches"].create(
        {
            "id": str,  # the Batch API's id
            "matrix_id": int,
            "endpoint_id": str,
            "status": str,
            "input_file_id": str,
            "output_file_id": str,
            "error_file_id": str,
            "counts_json": str,
            "created_at": str,
            "updated_at": str,
            "ended": int,
        },
        pk="id",
        foreign_keys=[("matrix_id", "lab_matrices", "id")],
    )
    db["lab_batches"].create_index(["ended", "matrix_id"])


def _v14_message_sizes(db: sqlite_utils.Database) -> None:
    # How long each message is, kept beside it by triggers: the chat reads a session holding a
    # huge answer off the UI thread, and must know that before reading it. Not a column of
    # messages: one stored after a 20 MB text is found only by walking the text's pages.
    db.execute("CREATE TABLE message_sizes (message_id INTEGER PRIMARY KEY, chars INTEGER)")
    db.execute("INSERT INTO message_sizes SELECT id, length(content) FROM messages")
    for when in ("INSERT", "UPDATE OF content"):
        name = "messages_size_" + when.split()[0].lower()
        db.execute(
            f"""CREATE TRIGGER {name} AFTER {when} ON messages BEGIN
              INSERT OR REPLACE INTO message_sizes VALUES (new.id, length(new.content));
            END"""
        )
    db.execute(
        """CREATE TRIGGER messages_size_delete AFTER DELETE ON messages BEGIN
          DELETE FROM message_sizes WHERE message_id = old.id;
        END"""
    )


MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    _v1_core_tables,
    _v2_message_search,
    _v3_streaming_runs,
    _v4_search_prefix_index,
    _v5_run_price_status,
    _v6_comparisons_and_spend,
    _v7_run_kind_and_target,
    _v8_reindex_only_changed_text,
    _v9_tool_conversations,
    _v10_message_images,
    _v11_speech_cache,
    _v12_gallery,
    _v13_prompt_lab,
    _v14_message_sizes,
)
LATEST_VERSION = len(MIGRATIONS)


def schema_version(db: sqlite_utils.Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite_utils.Database, upto: int = LATEST_VERSION) -> int:
    """Apply the missing migrations, each in its own transaction; returns the new version."""
    version = schema_version(db)
    for number in range(version + 1, upto + 1):
        with db.conn:
            MIGRATIONS[number - 1](db)
            db.execute(f"PRAGMA user_version = {number}")
    return schema_version(db)
