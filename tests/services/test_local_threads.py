"""How many CPU threads the built-in model gets: the automatic choice, and the user's own."""

from __future__ import annotations

import asyncio
import sys

import pytest

from workbench.local_server.cli import parse_args
from workbench.local_server.threads import ThreadChoice, choose_threads, shorten_spin_waits
from workbench.services.local import LocalServer, server_environment

# Prints its arguments in the READY line's URL, so the test sees the command line it was given.
ECHO_ARGS = (
    "import sys, time; print('READY http://127.0.0.1:9/' + ' '.join(sys.argv[1:]), flush=True); "
    "time.sleep(60)"
)


@pytest.mark.parametrize(
    ("cores", "expected"),
    [
        (1, ThreadChoice(generation=1, batch=1)),
        (2, ThreadChoice(generation=1, batch=2)),  # one core left for the app's own window
        (4, ThreadChoice(generation=2, batch=4)),
        (8, ThreadChoice(generation=4, batch=8)),
        (64, ThreadChoice(generation=4, batch=8)),
    ],
)
def test_the_automatic_choice_leaves_room_beside_the_model(
    cores: int, expected: ThreadChoice
) -> None:
    assert choose_threads(cores=cores) == expected


def test_a_chosen_count_is_used_for_the_prompt_too_unless_that_is_chosen() -> None:
    assert choose_threads(2, cores=2) == ThreadChoice(2, 2)
    assert choose_threads(1, cores=8) == ThreadChoice(1, 1)
    assert choose_threads(1, 3, cores=2) == ThreadChoice(1, 3)
    assert choose_threads(None, 1, cores=8) == ThreadChoice(4, 1)


def test_the_server_command_line_takes_a_count_or_auto() -> None:
    assert parse_args([]).threads is None
    assert parse_args(["--threads", "auto"]).threads is None
    assert parse_args(["--threads", "3", "--batch-threads", "2"]).threads == 3
    with pytest.raises(SystemExit):
        parse_args(["--threads", "0"])


def test_spin_waits_are_shortened_for_one_generation_thread_unless_the_user_set_them() -> None:
    one, two = ThreadChoice(1, 2), ThreadChoice(2, 2)
    environ: dict[str, str] = {}
    shorten_spin_waits(environ, one)
    assert environ == {"GOMP_SPINCOUNT": "300"}
    environ = {}
    shorten_spin_waits(environ, two)  # more generation threads: the idle speed wins
    assert environ == {}
    mine = {"GOMP_SPINCOUNT": "300000"}
    shorten_spin_waits(mine, one)
    assert mine == {"GOMP_SPINCOUNT": "300000"}
    policy = {"OMP_WAIT_POLICY": "active"}
    shorten_spin_waits(policy, one)
    assert policy == {"OMP_WAIT_POLICY": "active"}
    # A user's own setting reaches the server process.
    assert server_environment({"GOMP_SPINCOUNT": "1"}, "t" * 20)["GOMP_SPINCOUNT"] == "1"


def _arguments(url: str) -> list[str]:
    return url.removeprefix("http://127.0.0.1:9/").split()


def test_the_users_thread_count_reaches_the_server_and_a_change_restarts_it() -> None:
    async def scenario() -> None:
        server = LocalServer(command=[sys.executable, "-c", ECHO_ARGS], threads=3)
        try:
            arguments = _arguments(await server.ensure_ready())
            assert arguments[arguments.index("--threads") + 1] == "3"
            first = server.pid
            await server.set_threads(None)  # back to the automatic choice
            assert server.pid != first and server.base_url is not None
            assert "--threads" not in _arguments(server.base_url)
            again = server.pid
            await server.set_threads(None)  # no change, no restart
            assert server.pid == again
        finally:
            await server.stop()
        await server.set_threads(2)  # stopped: used at the next start, none now
        assert server.pid is None and server.threads == 2
        with pytest.raises(ValueError):
            await server.set_threads(0)

    asyncio.run(scenario())
