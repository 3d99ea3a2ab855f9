"""Opening a gallery of 1,000 images in the image grid, and scrolling it, against an eager grid.

Untimed set-up: `--images` distinct PNGs (`--side` px square: rotated colour gradients, a noise
channel and random discs, about 340 KB each at 512 px) are generated with Pillow in worker
processes into a temporary SQLite file (`--db PATH` keeps it and reuses it on the next run). The
loader reads one image's bytes from that file, as the app's store would, with a connection per
thread. Both grids are 900x700, shown on the offscreen platform, thumbnails 160 px.

- open (a): from constructing `ImageGrid` through `set_items` of every image and `show()`, with
  Qt's event loop driven pass by pass (processEvents; a 0.5 ms sleep after an idle pass so the
  decoding threads get the GIL, as an idle app loop would wait), until every row on screen has its
  thumbnail and the viewport has finished a paint after the last of them arrived. Also the time
  to the first paint at all (captions and placeholders). Round 0 warms up and is dropped; median.
- baseline (b): a QListWidget in icon mode whose 1,000 icons are all decoded on the UI thread
  (the same QImageReader decode to 160 px) before it is shown, to the end of its first paint.
- scroll (c): in a freshly opened grid, from the top to the bottom in `--steps` equal steps (about
  a page each), running the event loop for `--step-ms` between steps, then until the last
  screenful is painted. Every event-loop pass is timed (the scroll itself counts in the pass that
  follows it): the longest is the worst frame a user would see. The same scroll on the baseline.
Run: .venv/bin/python -m bench.gallery_open [--images 1000] [--rounds 5] [--baseline-rounds 1]
     [--steps 60] [--step-ms 16] [--side 512] [--db PATH]
"""

from __future__ import annotations

import argparse
import io
import math
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from multiprocessing import Pool
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image, ImageChops, ImageDraw
from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon, QPaintEvent, QPixmap
from PySide6.QtWidgets import QApplication, QListView, QListWidget, QListWidgetItem

from bench import event_loop
from bench.event_loop import close, run_for, scroll_rows
from bench.render import pin_singletons_if_bindings_leak_them
from workbench.ui.widgets.image_grid import GridItem, ImageGrid
from workbench.ui.widgets.image_grid_model import decode_thumbnail

OPEN_GOAL_MS = 200.0
FRAME_GOAL_MS = 50.0
WINDOW = (900, 700)
THUMBNAIL = 160
_PROMPTS = (
    "a watercolour of a lighthouse at dusk, soft fog, muted teal and amber, wide angle; "
    "an isometric pixel-art city block with neon signs and rain; a studio photo of a ceramic "
    "teapot shaped like a snail, rim light, 85 mm; a botanical plate of an imaginary fern"
)
_WORDS = tuple(_PROMPTS.split())
run_until = partial(event_loop.run_until, failure="the grid never showed its first screenful")


# --- the images (untimed) ------------------------------------------------------------------------
def make_png(args: tuple[int, int]) -> bytes:
    """One distinct image: two rotated gradients, a noise channel and a few coloured discs."""
    number, side = args
    rnd = random.Random(number)
    gradient = Image.linear_gradient("L").resize((side, side))
    red = gradient.rotate(rnd.randrange(360))
    scale = rnd.random()
    green = gradient.rotate(rnd.randrange(360)).point(lambda v: int(v * scale))
    noise = Image.effect_noise((side, side), rnd.uniform(10, 40))
    blue = ImageChops.add(noise, gradient.transpose(Image.Transpose.FLIP_TOP_BOTTOM), scale=2)
    image = Image.merge("RGB", (red, green, blue))
    draw = ImageDraw.Draw(image)
    for _ in range(rnd.randint(3, 9)):
        x, y, r = rnd.randrange(side), rnd.randrange(side), rnd.randint(side // 20, side // 6)
        colour = (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


def prompt_of(number: int) -> str:
    rnd = random.Random(number * 7919)
    return " ".join(rnd.choices(_WORDS, k=rnd.randint(4, 40)))


def ensure_images(path: Path, count: int, side: int) -> int:
    """The images in an SQLite file (made now unless `path` already holds them); total bytes."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE IF NOT EXISTS images (id INTEGER PRIMARY KEY, prompt TEXT, png BLOB)")
    have = db.execute("SELECT count(*), max(length(png)) FROM images").fetchone()
    if have[0] != count:
        db.execute("DELETE FROM images")
        started = time.perf_counter()
        with Pool(os.cpu_count() or 2) as pool:
            pngs = pool.imap(make_png, [(n, side) for n in range(1, count + 1)], chunksize=8)
            rows = ((n, prompt_of(n), png) for n, png in enumerate(pngs, start=1))
            db.executemany("INSERT INTO images VALUES (?, ?, ?)", rows)
        db.commit()
        print(f"generated {count} images in {time.perf_counter() - started:.1f} s (untimed)")
    total = db.execute("SELECT sum(length(png)) FROM images").fetchone()[0]
    db.close()
    return int(total)


class Images:
    """The loader: one image's bytes from the file, a connection per thread (as a store would)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        self.calls = 0

    def load(self, item_id: int) -> bytes | None:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite3.connect(self.path)
        with self._lock:
            self.calls += 1
        row = db.execute("SELECT png FROM images WHERE id = ?", (item_id,)).fetchone()
        return row[0] if row else None

    def items(self) -> list[GridItem]:
        db = sqlite3.connect(self.path)
        rows = db.execute("SELECT id, prompt FROM images ORDER BY id DESC").fetchall()
        db.close()
        return [GridItem(item_id, prompt, prompt) for item_id, prompt in rows]


# --- the two grids -------------------------------------------------------------------------------
class TimedGrid(ImageGrid):
    """The real grid, noting when its viewport last finished a paint and a thumbnail arrived."""

    def __init__(self, load: Callable[[int], bytes | None]) -> None:
        self.painted_at = 0.0
        self.arrived_at = 0.0
        super().__init__(load)
        self.model().dataChanged.connect(self._arrived)

    def _arrived(self, *_: object) -> None:
        self.arrived_at = time.perf_counter()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        self.painted_at = time.perf_counter()

    def screen_done(self) -> bool:
        """Every row on screen has its thumbnail, painted."""
        rows, items = self.visible_rows(), self.items()
        if not rows or not all(self.has_thumbnail(items[row].id) for row in rows):
            return False
        return self.painted_at > self.arrived_at


class EagerGrid(QListWidget):
    """The baseline: every thumbnail decoded on the UI thread before the list is shown."""

    painted_at = 0.0

    def __init__(self, images: Images, items: list[GridItem], cell: QSize) -> None:
        super().__init__()
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
        self.setGridSize(cell)
        self.setWordWrap(True)
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        for item in items:
            data = images.load(item.id) or b""
            icon = QIcon(QPixmap.fromImage(decode_thumbnail(data, THUMBNAIL)))
            entry = QListWidgetItem(icon, item.caption)
            entry.setToolTip(item.tooltip)
            self.addItem(entry)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        self.painted_at = time.perf_counter()


def open_ms(app: QApplication, images: Images, items: list[GridItem]) -> float:
    """Construct, set_items, show, to the first screenful of thumbnails painted (a)."""
    started = time.perf_counter()
    grid = TimedGrid(images.load)
    grid.resize(*WINDOW)
    grid.set_items(items)
    grid.show()
    run_until(app, grid.screen_done, [])
    took = (time.perf_counter() - started) * 1000
    close(app, grid)
    return took


def first_paint_ms(app: QApplication, images: Images, items: list[GridItem]) -> float:
    """Construct, set_items, show, to the end of the first paint (placeholders and captions)."""
    started = time.perf_counter()
    grid = TimedGrid(images.load)
    grid.resize(*WINDOW)
    grid.set_items(items)
    grid.show()
    run_until(app, lambda: grid.painted_at > 0, [])
    took = (grid.painted_at - started) * 1000
    run_until(app, grid.screen_done, [])  # let its decodes finish before the next round
    close(app, grid)
    return took


def open_eager(app: QApplication, images: Images, items: list[GridItem]) -> EagerGrid:
    cell = ImageGrid(images.load).gridSize()
    grid = EagerGrid(images, items, cell)
    grid.resize(*WINDOW)
    grid.show()
    return grid


def eager_open_ms(app: QApplication, images: Images, items: list[GridItem]) -> float:
    started = time.perf_counter()
    grid = open_eager(app, images, items)
    run_until(app, lambda: grid.painted_at > 0, [])
    took = (grid.painted_at - started) * 1000
    close(app, grid)
    return took


def scroll(app: QApplication, view: QListView, steps: int, step_s: float, done) -> dict:
    """Top to bottom in `steps` equal steps; every pass timed, then until `done()`."""
    run_until(app, done, [])
    bar = view.verticalScrollBar()
    step = math.ceil(bar.maximum() / steps)
    passes: list[float] = []
    cpu_started = time.thread_time()
    for number in range(1, steps + 1):
        started = time.perf_counter()
        bar.setValue(min(bar.maximum(), number * step))
        run_for(app, step_s, passes, first=time.perf_counter() - started)
    last_step = time.perf_counter()
    run_until(app, done, passes)
    return {
        "passes": passes,
        "settle_ms": (time.perf_counter() - last_step) * 1000,
        "step_px": step,
        "page_px": bar.pageStep(),
        "cpu_s": time.thread_time() - cpu_started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--side", type=int, default=512, help="generated image side, px")
    parser.add_argument("--rounds", type=int, default=5, help="grid opens, after one warm-up")
    parser.add_argument("--baseline-rounds", type=int, default=1)
    parser.add_argument("--steps", type=int, default=60, help="scroll steps, top to bottom")
    parser.add_argument("--step-ms", type=float, default=16.0, help="event loop between steps")
    parser.add_argument("--db", type=Path, help="keep the generated images in this file")
    args = parser.parse_args()

    app = QApplication.instance() or QApplication(sys.argv[:1])
    pin_singletons_if_bindings_leak_them()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "gallery.sqlite"
        total = ensure_images(path, args.images, args.side)
        images = Images(path)
        items = images.items()
        report(app, images, items, total, args)


def report(app: QApplication, images: Images, items: list[GridItem], total: int, args) -> None:
    opens, firsts = [], []
    for _ in range(args.rounds + 1):
        firsts.append(first_paint_ms(app, images, items))
        images.calls = 0
        opens.append(open_ms(app, images, items))
    loads_on_open = images.calls
    eager = [eager_open_ms(app, images, items) for _ in range(args.baseline_rounds)]

    images.calls = 0
    grid = TimedGrid(images.load)
    grid.resize(*WINDOW)
    grid.set_items(items)
    grid.show()
    lazy_scroll = scroll(app, grid, args.steps, args.step_ms / 1000, grid.screen_done)
    lazy_scroll["loads"] = images.calls
    close(app, grid)
    base = open_eager(app, images, items)
    base_scroll = scroll(app, base, args.steps, args.step_ms / 1000, lambda: base.painted_at > 0)
    close(app, base)

    grid_ms, eager_ms = statistics.median(opens[1:]), statistics.median(eager)
    print(
        f"{len(items)} PNG images of {args.side}x{args.side} ({total / len(items) / 1024:.0f} KB "
        f"each on average, in SQLite), {WINDOW[0]}x{WINDOW[1]} grid, {THUMBNAIL} px thumbnails, "
        f"{args.rounds} opens (+1 warm-up), {args.baseline_rounds} baseline open(s), "
        f"{os.cpu_count()} CPUs"
    )
    print()
    print("| measure | image grid | eager QListWidget (baseline) | grid / baseline | goal |")
    print("|---|---:|---:|---:|---|")
    verdict = "PASS" if grid_ms <= OPEN_GOAL_MS else "FAIL"
    print(
        f"| open to first screenful of thumbnails painted, median | {grid_ms:.1f} ms | "
        f"{eager_ms:.0f} ms | {grid_ms / eager_ms:.4f} ({eager_ms / grid_ms:.0f}x faster) | "
        f"<= {OPEN_GOAL_MS:.0f} ms: {verdict} |"
    )
    print(f"| open, worst round | {max(opens[1:]):.1f} ms | {max(eager):.0f} ms | | |")
    first_paint = statistics.median(firsts[1:])
    print(f"| open to first paint (placeholders), median | {first_paint:.1f} ms | | | |")
    print(f"| images loaded by an open (the last) | {loads_on_open} | {len(items)} | | |")
    rows = scroll_rows(
        lazy_scroll["passes"], base_scroll["passes"], FRAME_GOAL_MS, lambda x, y: f"{x} | {y} |"
    )
    print("\n".join(rows))
    print(
        f"| scroll: last step to its screenful painted | {lazy_scroll['settle_ms']:.0f} ms | "
        f"{base_scroll['settle_ms']:.0f} ms | | |"
    )
    print(f"| scroll: images loaded | {lazy_scroll['loads']} | (all, at open) | | |")
    print(
        f"| scroll: UI-thread CPU | {lazy_scroll['cpu_s'] * 1000:.0f} ms | "
        f"{base_scroll['cpu_s'] * 1000:.0f} ms | | |"
    )
    print()
    print(
        f"Scroll: {args.steps} steps of {lazy_scroll['step_px']} px (a page is "
        f"{lazy_scroll['page_px']} px), {args.step_ms:.0f} ms of event loop after each."
    )


if __name__ == "__main__":
    main()
