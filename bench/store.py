"""The store at the size of a long-time user's: 1,000 sessions, 100,000 messages.

Builds the database through the app's own migrations (so the FTS triggers index every message),
fills it in one transaction, then times the queries the UI runs on every keystroke or click:
- `sessions.list()`: the sessions panel, goal <= 50 ms;
- `sessions.search(text)`: the search box, for queries of different selectivity, goal <= 30 ms;
- `conversation.visible(id)`: opening a 400-message session, goal <= 30 ms.
Each is the median of --runs calls after a warm-up, printed next to a baseline measured in the
same run on the same file: the same rows without the extra work (no per-session message count,
no ranking or snippets, no Message objects).
Run: .venv/bin/python -m bench.store [--sessions 1000] [--messages 100000] [--runs 21]
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from workbench.core.search import fts_query
from workbench.services.store import Store

SEED = 7
BIG_SESSION = 400  # messages in the session `visible` is timed on
LIST_GOAL_MS = 50.0
SEARCH_GOAL_MS = 30.0
VISIBLE_GOAL_MS = 30.0
WARM_UP = 3
RARE_WORD = "zeppelin"  # planted in a few messages, so one query is very selective
RARE_COUNT = 25

# Roughly by frequency: the first words get most of the Zipf weight.
_COMMON = """the of and to a in is it you that for on with as this are be can or not have by
from at your but if an will we they so which one all there more when what use would about
how their each other than then them these some like just into only also any way could after
make new first where most over such here should because very well through many much those
does before same right while still same need without between both under both again every own
might since never change again keep find give take work start value return call run line
file list code data time first number order error test result case point name type example
step back last long state different true false small large following above below
"""
_TECH = """python function class method string object module package import variable loop
query table index column database sqlite schema migration transaction request response
server client endpoint model token stream prompt answer message session search cache thread
process memory buffer parser config setting option argument parameter dictionary array
integer float boolean exception traceback debug logging network socket http json yaml
markdown template compile build deploy docker container version branch commit merge rebase
review latency throughput benchmark profile optimize refactor interface widget layout window
dialog signal slot event render paint scroll cursor keyboard shortcut theme color font icon
image audio video upload download encode decode encrypt hash key secret keyring password
user account permission role admin api sdk library framework plugin extension async await
future promise callback handler middleware router route path url header body status retry
timeout backoff rate limit quota usage cost price billing invoice report chart graph metric
dashboard alert monitor trace span log record field value default null empty invalid valid
check verify validate assert mock fixture coverage lint format style type hint annotation
generic protocol abstract concrete instance inherit override decorator generator iterator
lambda closure scope global local recursion stack heap queue tree node edge vertex matrix
vector tensor gradient embedding vocabulary sentence paragraph document chapter summary
translate language english german french spanish grammar spelling punctuation
"""
# Fewer words of everyday prose, for the user's side and explanations.
_PROSE = """people think know want look good great little world year day thing man woman child
life hand part place case week company system program question government night point home
water room mother area money story fact month lot study book eye job word business issue side
kind head house service friend father power hour game line end member law car city community
name president team minute idea kid body information school face others level office door
health person art war history party result morning reason research girl guy moment air teacher
force education foot boy age policy process music market sense nation plan college interest
death experience effect class control care field development role effort rate heart drug show
leader light voice wife police mind price report decision son view relationship town road arm
difference value building action model season society tax director position player record paper
space ground form event official matter center couple site project activity star table need
court oil situation cost industry figure street image phone data picture practice piece land
product doctor wall patient worker news test movie north love support technology step baby
computer type attention film tree source organization hair window evidence population site
"""
_VOCABULARY = list(dict.fromkeys((_COMMON + _TECH + _PROSE).split()))
_CUM_WEIGHTS = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(len(_VOCABULARY))))

_CODE = (
    "\n\n```python\ndef load(path: Path) -> Settings:\n"
    "    data = tomllib.loads(path.read_text(encoding='utf-8'))\n"
    "    return Settings(**data)\n```\n\n"
)

SEARCHES = (
    ("t", "the first keystroke: a one-letter prefix"),
    ("the", "very common, typed as a prefix"),
    ("the ", "very common, whole word"),
    ("python", "common"),
    ("sqlite migr", "two words, the last a prefix"),
    (RARE_WORD, f"rare ({RARE_COUNT} messages)"),
    ("qwertyuiop", "no match"),
)


@dataclass(frozen=True)
class Timing:
    label: str
    measured_ms: float
    baseline_ms: float
    goal_ms: float
    note: str = ""

    @property
    def passed(self) -> bool:
        return self.measured_ms <= self.goal_ms


# --- building ------------------------------------------------------------------------------------
def _sentence(rng: random.Random) -> str:
    words = rng.choices(_VOCABULARY, cum_weights=_CUM_WEIGHTS, k=rng.randint(5, 24))
    return " ".join(words).capitalize() + rng.choice(".....?!:")


def _text(rng: random.Random, pool: list[str], role: str) -> str:
    # Lengths vary like real chats: short questions, answers from a line to several screens.
    mean_sentences = 2 if role == "user" else 9
    count = max(1, min(120, round(rng.lognormvariate(math.log(mean_sentences), 0.8))))
    paragraphs: list[str] = []
    remaining = count
    while remaining > 0:
        take = min(remaining, rng.randint(1, 5))
        paragraphs.append(" ".join(rng.choice(pool) for _ in range(take)))
        remaining -= take
    text = "\n\n".join(paragraphs)
    if role == "assistant" and rng.random() < 0.15:
        text += _CODE + rng.choice(pool)
    return text


def _session_sizes(rng: random.Random, sessions: int, messages: int) -> list[int]:
    """Lognormal sizes (most chats short, a few very long) summing to `messages`; session 0
    has BIG_SESSION."""
    others = messages - BIG_SESSION
    raw = [rng.lognormvariate(0, 1.0) for _ in range(sessions - 1)]
    scale = others / sum(raw)
    sizes = [max(2, round(r * scale)) for r in raw]
    diff = others - sum(sizes)
    i = 0
    while diff != 0:  # spread the rounding error, never going below 2
        j = i % len(sizes)
        if diff > 0:
            sizes[j] += 1
            diff -= 1
        elif sizes[j] > 2:
            sizes[j] -= 1
            diff += 1
        i += 1
    return [BIG_SESSION, *sizes]


def build(path: Path, sessions: int, messages: int) -> tuple[int, float]:
    """Fill a new store at `path`; returns the id of the 400-message session and build seconds."""
    rng = random.Random(SEED)
    started = time.perf_counter()
    store = Store.open(path)  # the app's schema: migrations, FTS table and its triggers
    pool = [_sentence(rng) for _ in range(20_000)]
    sizes = _session_sizes(rng, sessions, messages)
    epoch = datetime(2024, 1, 1, tzinfo=UTC)

    # Every message gets a time; ids follow time across sessions, as they do when a person
    # moves between chats, so one session's rows are spread over the file.
    timeline: list[tuple[datetime, int, int]] = []  # (time, session index, position)
    for s, size in enumerate(sizes):
        t = epoch + timedelta(minutes=rng.uniform(0, 700 * 24 * 60))
        for position in range(size):
            timeline.append((t, s, position))
            t += timedelta(seconds=rng.expovariate(1 / 600))
    timeline.sort()

    rare_at = set(rng.sample(range(messages), RARE_COUNT))
    last_id: dict[int, int] = {}  # session index -> id of its latest message
    last_user_parent: dict[int, int | None] = {}
    session_times: dict[int, list[str]] = {}
    first_question: dict[int, str] = {}
    rows = []
    for message_id, (t, s, position) in enumerate(timeline, start=1):
        role = "user" if position % 2 == 0 else "assistant"
        parent = last_id.get(s)
        if role == "user":
            last_user_parent[s] = parent
            if position >= 2 and rng.random() < 0.03:  # an edited question: a new branch
                parent = last_user_parent.get(s)
        text = _text(rng, pool, role)
        if message_id - 1 in rare_at:
            text += f" The {RARE_WORD} came up again."
        stamp = t.isoformat(timespec="seconds")
        deleted = stamp if rng.random() < 0.005 else None
        rows.append((message_id, s + 1, parent, role, text, "complete", stamp, deleted))
        last_id[s] = message_id
        session_times.setdefault(s, []).append(stamp)
        first_question.setdefault(s, text)

    session_rows = []
    for s in range(len(sizes)):
        times = session_times[s]
        title = " ".join(first_question[s].split()[:6])
        session_rows.append((s + 1, title, times[0], times[-1], last_id[s]))

    conn = store.db.conn
    with conn:  # one transaction: the FTS triggers index each row as it goes in
        conn.executemany(
            "INSERT INTO sessions (id, title, created_at, last_used_at, current_leaf_id) "
            "VALUES (?, ?, ?, ?, ?)",
            session_rows,
        )
        conn.executemany(
            "INSERT INTO messages (id, session_id, parent_id, role, content, status, "
            "created_at, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    conn.execute("PRAGMA optimize")
    store.close()
    return 1, time.perf_counter() - started


# --- timing --------------------------------------------------------------------------------------
def median_ms(call: Callable[[], object], runs: int) -> float:
    for _ in range(WARM_UP):
        call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def check_consistency(store: Store) -> tuple[int, int]:
    messages = store.db.execute("SELECT count(*) FROM messages").fetchone()[0]
    indexed = store.db.execute("SELECT count(*) FROM messages_fts").fetchone()[0]
    problems = store.db.execute(
        "INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)"
    ).fetchall()
    assert messages == indexed and not problems, "the FTS index does not match the messages"
    rare = len(store.sessions.search(RARE_WORD, limit=1000))
    assert rare == RARE_COUNT, f"search found {rare} of the {RARE_COUNT} planted words"
    return messages, indexed


_FTS_ONLY = "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? LIMIT 50"


def measure(store: Store, big_session: int, runs: int) -> list[Timing]:
    db = store.db
    timings = []
    sessions_plain = (
        "SELECT id, title, created_at, last_used_at FROM sessions "
        "WHERE deleted_at IS NULL ORDER BY last_used_at DESC, id DESC"
    )
    listed = len(store.sessions.list())
    timings.append(
        Timing(
            "sessions.list()",
            median_ms(store.sessions.list, runs),
            median_ms(lambda: db.execute(sessions_plain).fetchall(), runs),
            LIST_GOAL_MS,
            f"{listed} sessions with message counts",
        )
    )
    for text, what in SEARCHES:
        query = fts_query(text)
        matches = db.execute(
            "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?", [query]
        ).fetchone()[0]
        timings.append(
            Timing(
                f"sessions.search({text!r})",
                median_ms(lambda t=text: store.sessions.search(t), runs),
                median_ms(lambda q=query: db.execute(_FTS_ONLY, [q]).fetchall(), runs),
                SEARCH_GOAL_MS,
                f"{what}: {matches} matching messages",
            )
        )
    shown = len(store.conversation.visible(big_session))
    ids_only = "SELECT id FROM messages WHERE session_id = ? AND deleted_at IS NULL ORDER BY id"
    timings.append(
        Timing(
            f"conversation.visible({big_session})",
            median_ms(lambda: store.conversation.visible(big_session), runs),
            median_ms(lambda: db.execute(ids_only, [big_session]).fetchall(), runs),
            VISIBLE_GOAL_MS,
            f"{shown} messages",
        )
    )
    return timings


def print_table(timings: list[Timing]) -> None:
    print(f"{'query':<36} {'median':>9} {'baseline':>9} {'ratio':>7} {'goal':>8}  result")
    for t in timings:
        ratio = t.measured_ms / t.baseline_ms if t.baseline_ms > 0 else math.inf
        verdict = "PASS" if t.passed else "FAIL"
        print(
            f"{t.label:<36} {t.measured_ms:>7.2f}ms {t.baseline_ms:>7.2f}ms {ratio:>6.1f}x "
            f"{'<=' + format(t.goal_ms, '.0f') + 'ms':>8}  {verdict}   {t.note}"
        )


def print_plans(store: Store, big_session: int) -> None:
    """How SQLite runs each statement the timed calls execute, captured as they run."""
    calls: list[tuple[str, Callable[[], object]]] = [
        ("sessions.list()", store.sessions.list),
        ("sessions.search('the')", lambda: store.sessions.search("the")),
        (f"conversation.visible({big_session})", lambda: store.conversation.visible(big_session)),
    ]
    conn = store.db.conn
    for label, call in calls:
        statements: list[str] = []  # FTS5's own statements show up too; only SELECTs are ours
        conn.set_trace_callback(statements.append)  # the SQL with its values filled in
        try:
            call()
        finally:
            conn.set_trace_callback(None)
        for sql in (s for s in statements if s.lstrip().upper().startswith("SELECT")):
            print(f"\nEXPLAIN QUERY PLAN, {label}: {' '.join(sql.split())[:90]}...")
            for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"):
                print("   ", row[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=21, help="timed calls per query")
    parser.add_argument("--db", type=Path, help="build here and keep it (default: a temp dir)")
    parser.add_argument("--plans", action="store_true", help="print EXPLAIN QUERY PLAN too")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "workbench.db"
        if path.exists():
            raise SystemExit(f"{path} exists; give a new path")
        big_session, build_s = build(path, args.sessions, args.messages)
        store = Store.open(path)  # as the app opens it: integrity check, migrations, recovery
        try:
            messages, indexed = check_consistency(store)
            size_mb = path.stat().st_size / 1e6
            print(
                f"store: {args.sessions} sessions, {messages} messages ({indexed} in the FTS "
                f"index), {size_mb:.0f} MB, built in {build_s:.1f} s; median of {args.runs} runs"
            )
            timings = measure(store, big_session, args.runs)
            print_table(timings)
            if args.plans:
                print_plans(store, big_session)
        finally:
            store.close()
    failed = [t.label for t in timings if not t.passed]
    print("all goals met" if not failed else f"goals missed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
