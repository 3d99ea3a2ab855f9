"""Token confidence: the selected answer's tokens tinted by how sure the model was, a plot along
the answer, the least-sure JSON fields, and forking from an alternative token."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from workbench.core.logprobs import (
    FieldConfidence,
    Metric,
    TokenInfo,
    fork_prefix,
    metric_value,
    summarize,
)
from workbench.core.sessions import MessageStatus, Role
from workbench.services import token_confidence
from workbench.services.store import Store
from workbench.services.token_confidence import Prepared
from workbench.ui.bus import Bus
from workbench.ui.panel_contract import Panel
from workbench.ui.tasks import BackgroundTasks
from workbench.ui.theme import PALETTE_EVENTS, accent, style_plot
from workbench.ui.widgets.token_heat import ColourLegend, TokenHeatView

if TYPE_CHECKING:
    import pyqtgraph as pg

NO_ANSWER = (
    "Click an answer in the chat or in a compare column to see how sure the model was of each "
    "token."
)
NOT_IN_CHAT = "This answer is in a comparison: send it to the chat to fork it there."
READING = "Reading this long answer's token confidence…"
BEING_WRITTEN = "This answer is being written; its token confidence shows when it ends."
NO_LOGPROBS = (
    "This answer has no logprobs: they were not asked for, or the endpoint does not return "
    "them. Answers made while this panel is open ask for them; Regenerate to get them here."
)
ENTROPY_COLOUR = "#d9822b"  # orange: apart from the blue, on light and dark alike
METRIC_LABELS = {
    Metric.PROBABILITY: "Probability",
    Metric.LOGPROB: "Log probability",
    Metric.ENTROPY: "Entropy of the top-k",
    Metric.MARGIN: "Margin to the runner-up",
}


class HeatmapPanel(Panel):
    def __init__(
        self,
        store: Store,
        bus: Bus,
        fork_problem: Callable[[], str | None],
        tasks: BackgroundTasks | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("panel.heatmap")
        self._store, self._bus, self._fork_problem = store, bus, fork_problem
        self._tasks = tasks  # a large answer's logprobs are read there; None: read in place
        self._shown = 0  # what was asked to be shown, counted: a late read of an older is dropped
        self.message_id: int | None = None
        self.infos: list[TokenInfo] = []
        self._more = False  # the answer has more tokens than are shown

        self.metric_box = QComboBox(self, objectName="heatmap.metric")
        for metric, label in METRIC_LABELS.items():
            self.metric_box.addItem(label, metric)
        self.threshold = QDoubleSpinBox(self, objectName="heatmap.threshold")
        self.threshold.setRange(0.0, 1.0)
        self.threshold.setSingleStep(0.05)
        self.threshold.setValue(0.5)
        self.threshold.setPrefix("p < ")
        self.threshold.setToolTip("Tokens the model gave less than this probability are outlined")
        self.summary = QLabel(self, objectName="heatmap.summary")
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.legend = ColourLegend(self)
        controls = QWidget(self)
        bar = QHBoxLayout(controls)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(QLabel("Colour by", self))
        bar.addWidget(self.metric_box)
        bar.addWidget(self.threshold)
        bar.addWidget(self.legend)
        bar.addStretch(1)

        self.hint = QLabel(NO_ANSWER, self, objectName="heatmap.hint")
        self.hint.setWordWrap(True)
        self.view = TokenHeatView(self)
        self.view.setObjectName("heatmap.tokens")
        # Made with the first answer that has logprobs: until then pyqtgraph (and numpy) stay
        # unloaded, which is most of what this panel would add to the app's start.
        self.plot: pg.PlotWidget | None = None
        self.fields = QTreeWidget(self, objectName="heatmap.fields")
        self.fields.setHeaderLabels(["JSON field", "min p", "mean p", "value"])
        self.fields.setRootIsDecorated(False)
        self.fields.itemClicked.connect(self._field_clicked)

        split = QSplitter(Qt.Orientation.Vertical, self)
        top = QSplitter(Qt.Orientation.Horizontal, split)
        top.addWidget(self.view)
        top.addWidget(self.fields)
        top.setStretchFactor(0, 3)
        split.addWidget(top)
        self._split = split
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(controls)
        layout.addWidget(self.summary)
        layout.addWidget(self.hint)
        layout.addWidget(split, 1)
        # With no answer shown the panel says what it is for, without controls floating in it.
        self._content = [controls, split, self.summary]

        self.metric_box.currentIndexChanged.connect(self._metric_changed)
        self.threshold.valueChanged.connect(self._threshold_changed)
        self.view.token_hovered.connect(self._hovered)
        self.view.selection_changed.connect(self._text_selected)
        self.view.popup.alternative_chosen.connect(self._fork)
        bus.answer_selected.connect(self.show_answer)  # the chat also sends it when an answer ends
        bus.run_selected.connect(self.show_run)
        self._show_content(False)
        if bus.state.answer_id is not None:  # selected before this panel was built
            self.show_answer(bus.state.answer_id)
        elif bus.state.run_id is not None:
            self.show_run(bus.state.run_id)

    def _make_plot(self) -> pg.PlotWidget:
        import pyqtgraph as pg

        plot = pg.PlotWidget(self, axisItems={"bottom": _token_axis()})
        plot.setObjectName("heatmap.plot")
        plot.setMinimumHeight(60)
        plot.setMaximumHeight(160)
        plot.setLabel("bottom", "token")
        plot.setToolTip("How sure the model was of each token, along the answer")
        plot.showGrid(y=True, alpha=0.3)
        plot.setYRange(0, 1)
        plot.setMouseEnabled(x=True, y=False)
        self.prob_curve = plot.plot(name="probability")
        self.entropy_curve = plot.plot(pen=pg.mkPen(ENTROPY_COLOUR, width=1), name="entropy")
        self.region = pg.LinearRegionItem(movable=False)
        self.region.hide()
        plot.addItem(self.region)
        self.cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen("#888", style=Qt.PenStyle.DashLine))
        plot.addItem(self.cursor)
        plot.scene().sigMouseClicked.connect(self._plot_clicked)
        self._split.addWidget(plot)
        self._style_plot(plot)
        self._arrange(plot)
        return plot

    def _style_plot(self, plot: pg.PlotWidget) -> None:
        import pyqtgraph as pg

        palette = self.palette()
        style_plot(plot, palette)
        self.prob_curve.setPen(pg.mkPen(accent(palette), width=1))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # The app's light/dark switch: pyqtgraph does not follow the palette by itself.
        if event.type() in PALETTE_EVENTS and self.plot is not None:
            self._style_plot(self.plot)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.plot is not None:
            self._arrange(self.plot)

    def _arrange(self, plot: pg.PlotWidget) -> None:
        """Short and wide (the default, a strip under the chat): the chart beside the tokens, as
        stacked under them it was squeezed to a sliver; tall: stacked. Some slack between the
        two, so a resize the switch itself causes cannot flip it back."""
        width, height = self.width(), self.height()
        split = self._split
        if split.orientation() == Qt.Orientation.Vertical and width > 3 * height:
            split.setOrientation(Qt.Orientation.Horizontal)
            split.setSizes([width * 2 // 3, width // 3])
        elif split.orientation() == Qt.Orientation.Horizontal and width < 2 * height:
            split.setOrientation(Qt.Orientation.Vertical)
            split.setSizes([height * 2 // 3, height // 3])
        # Beside the tokens the strip has no height to spare for the x axis' title.
        plot.getAxis("bottom").showLabel(split.orientation() == Qt.Orientation.Vertical)

    # --- following the chat ----------------------------------------------------------------
    def showEvent(self, event) -> None:
        self._bus.logprobs_wanted.emit(True)
        super().showEvent(event)

    def hideEvent(self, event) -> None:
        self._bus.logprobs_wanted.emit(False)
        super().hideEvent(event)

    def show_answer(self, message_id: int | None) -> None:
        self._shown += 1
        message = self._store.conversation.get(message_id) if message_id is not None else None
        if message is None:  # the chat shows no answer now: nothing stale stays
            self.message_id, self.infos = None, []
            self.hint.setText(NO_ANSWER)
            self._show_content(False)
            return
        if message.status is MessageStatus.STREAMING:  # shown when it ends (the chat says)
            self.message_id, self.infos = message_id, []
            self.hint.setText(BEING_WRITTEN)
            self._show_content(False)
        elif message.role is Role.ASSISTANT:
            self._show_logprobs(message.run_id, message_id)

    def show_run(self, run_id: int) -> None:
        """An answer that is not in the chat (a compare column): shown, but it can't be forked."""
        self._shown += 1
        self._show_logprobs(run_id, None)

    def _show_logprobs(self, run_id: int | None, message_id: int | None) -> None:
        self.message_id = message_id
        if run_id and self._tasks is not None and token_confidence.is_large(self._store, run_id):
            self.infos = []
            self.hint.setText(READING)
            self._show_content(False)
            work = self._read_in_worker(run_id, message_id, self._shown)
            self._tasks.start("Reading token confidence", work, quiet=True)
            return
        prepared = token_confidence.prepare(self._store, run_id) if run_id else None
        self._show_prepared(prepared, message_id)

    async def _read_in_worker(self, run_id: int, message_id: int | None, asked: int) -> None:
        loop = asyncio.get_running_loop()
        prepared = await loop.run_in_executor(None, token_confidence.prepare, self._store, run_id)
        if Shiboken.isValid(self) and asked == self._shown:  # still what the user looks at
            self._show_prepared(prepared, message_id)

    def _show_prepared(self, prepared: Prepared | None, message_id: int | None) -> None:
        if prepared is None:
            self.infos = []
            self.hint.setText(NO_LOGPROBS)
            self._show_content(False)
            return
        self.infos = prepared.infos
        if self.plot is None:
            self.plot = self._make_plot()
        self.view.set_tokens(self.infos)
        self._more = prepared.more
        self._apply_metric()
        self._fill_fields(prepared.fields)
        problem = self._fork_problem() if message_id is not None else NOT_IN_CHAT
        self.view.popup.set_fork_enabled(problem is None, problem or "")
        self._show_content(True)

    def _show_content(self, shown: bool) -> None:
        self.hint.setVisible(not shown)
        for widget in self._content:
            widget.setVisible(shown)

    # --- metric, threshold, summary ------------------------------------------------------------
    @property
    def current_metric(self) -> Metric:
        return Metric(self.metric_box.currentData())

    def _metric_changed(self) -> None:
        self.view.set_metric(self.current_metric)
        self._apply_metric()

    def _threshold_changed(self, value: float) -> None:
        self.view.set_threshold(value)
        self._show_summary()

    def _apply_metric(self) -> None:
        metric = self.current_metric
        self.legend.set_metric_name(METRIC_LABELS[metric])
        self.view.set_metric(metric)
        self.view.set_threshold(self.threshold.value())
        if self.plot is not None:
            xs = list(range(len(self.infos)))
            self.prob_curve.setData(xs, [i.prob for i in self.infos])
            if metric is Metric.ENTROPY:
                self.entropy_curve.setData(xs, [metric_value(i, metric) for i in self.infos])
                self.entropy_curve.show()
            else:
                self.entropy_curve.hide()
            self.plot.setXRange(0, max(1, len(self.infos)), padding=0.01)
        self._show_summary()

    def _show_summary(self) -> None:
        if not self.infos:
            self.summary.clear()
            return
        s = summarize(self.infos, self.threshold.value())
        weakest = self.infos[s.min_index].token
        tokens = (
            f"First {s.tokens:,} tokens of a longer answer" if self._more else f"{s.tokens} tokens"
        )
        self.summary.setText(
            f"{tokens} · perplexity {s.perplexity:.2f} · mean p {s.mean_prob:.2f} · "
            f"min p {s.min_prob:.3f} ({weakest!r}) · "
            f"{s.below_threshold} under {self.threshold.value():.2f}"
        )

    # --- linking text, plot and fields --------------------------------------------------------
    def _hovered(self, index: int) -> None:
        if index >= 0 and self.plot is not None:
            self.cursor.setValue(index)

    def _plot_clicked(self, event) -> None:
        if not self.infos or self.plot is None:
            return
        point = self.plot.getPlotItem().vb.mapSceneToView(event.scenePos())
        index = min(max(0, round(point.x())), len(self.infos) - 1)
        self.cursor.setValue(index)
        self.view.scroll_to_token(index)
        self.view.select_range(index, index)

    def _text_selected(self, first: int, last: int) -> None:
        if self.plot is None:
            return
        if first < 0:
            self.region.hide()
            return
        self.region.setRegion((first - 0.5, last + 0.5))
        self.region.show()

    def _fill_fields(self, fields: list[FieldConfidence]) -> None:
        self.fields.clear()
        self.fields.setVisible(bool(fields))
        for field in fields or ():
            item = QTreeWidgetItem(
                [field.path, f"{field.min_prob:.3f}", f"{field.mean_prob:.3f}", field.value_preview]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, field.token_indexes)
            self.fields.addTopLevelItem(item)
        for column in range(3):
            self.fields.resizeColumnToContents(column)

    def _field_clicked(self, item: QTreeWidgetItem) -> None:
        indexes = item.data(0, Qt.ItemDataRole.UserRole) or ()
        if indexes:
            self.view.scroll_to_token(indexes[0])
            self.view.select_range(indexes[0], indexes[-1])
            self._text_selected(indexes[0], indexes[-1])

    # --- forking -------------------------------------------------------------------------------
    def _fork(self, index: int, token: str) -> None:
        if self.message_id is None or not self.infos:
            return
        problem = self._fork_problem()
        if problem:
            self.status_message.emit(problem)
            return
        # The chat says what became of the fork (refused, being written, written).
        self._bus.fork_requested.emit(self.message_id, fork_prefix(self.infos, index, token))


@cache
def _token_axis_class() -> type[pg.AxisItem]:
    import pyqtgraph as pg

    class TokenAxis(pg.AxisItem):
        """An axis of token positions: whole numbers only, however far it is zoomed in."""

        def tickSpacing(self, minVal: float, maxVal: float, size: float):
            levels = [
                (float(round(spacing)), 0.0)
                for spacing, _offset in super().tickSpacing(minVal, maxVal, size)
                if spacing >= 1 and abs(spacing - round(spacing)) < 1e-9
            ]
            return levels or [(1.0, 0.0)]

    return TokenAxis


def _token_axis() -> pg.AxisItem:
    return _token_axis_class()(orientation="bottom")
