from datetime import UTC, datetime, timedelta

from workbench.core.clock import ago

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_ago_reads_like_a_person_would_say_it() -> None:
    def said(delta: timedelta) -> str:
        return ago((NOW - delta).isoformat(), NOW)

    assert said(timedelta(seconds=20)) == "just now"
    assert said(timedelta(minutes=5)) == "5 min ago"
    assert said(timedelta(hours=3)) == "3 h ago"
    assert said(timedelta(hours=30)) == "yesterday"
    assert said(timedelta(days=30)) == "25 Oct"
    assert ago("2024-03-12T08:00:00.000+00:00", NOW) == "12 Mar 2024"
