"""Entry point: arguments, logging, the QApplication on a qasync loop, the main window.

`workbench --local-server [server args...]` runs the embedded model server instead, without
importing Qt: a frozen build has no `python -m workbench.local_server`, so the app re-invokes
its own executable this way.
"""

from __future__ import annotations

import argparse
import io
import logging
import logging.handlers
import sys
from pathlib import Path

from workbench import __version__
from workbench.services.paths import DataPaths, data_paths, private_dir, private_file

log = logging.getLogger("workbench")

LOCAL_SERVER_FLAG = "--local-server"
SCHEMA_LINT_COMMAND = "schema-lint"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="A desktop workbench for the OpenAI API, with an embedded local model.",
        epilog=f"workbench {LOCAL_SERVER_FLAG} --help: run only the built-in model server",
    )
    parser.add_argument("--version", action="version", version=f"Workbench {__version__}")
    parser.add_argument("--data-dir", metavar="DIR", help="keep the store and settings in DIR")
    parser.add_argument(
        "--screenshot", metavar="FILE", help="start, lay out the window, save it as PNG, quit"
    )
    parser.add_argument(
        "--prompt",
        metavar="TEXT",
        help="start a new session and send TEXT (with --screenshot: shoot once it is answered)",
    )
    return parser.parse_args(argv)


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Log files (and each one a rollover starts) readable by their owner only: a log line may
    quote a prompt, a file name or a server's error."""

    def _open(self) -> io.TextIOWrapper:
        private_file(Path(self.baseFilename))
        return super()._open()


def configure_logging(paths: DataPaths) -> None:
    private_dir(paths.logs)
    handler = PrivateRotatingFileHandler(
        paths.logs / "workbench.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [LOCAL_SERVER_FLAG]:
        from workbench.local_server.cli import main as serve

        return serve(argv[1:])
    if argv[:1] == [SCHEMA_LINT_COMMAND]:
        from workbench.app.schema_lint_cli import main as schema_lint

        return schema_lint(argv[1:])
    args = parse_args(argv)
    paths = data_paths(args.data_dir)
    configure_logging(paths)
    # Qt is imported only now so --version and --help work without a display.
    from workbench.app.qt_app import run

    return run(paths, Path(args.screenshot) if args.screenshot else None, args.prompt)


if __name__ == "__main__":
    sys.exit(main())
