"""Listen on an answer: its words spoken by the session's endpoint (`/v1/audio/speech`; the
built-in server speaks offline with eSpeak NG) and played here, Listen again (or Esc) to stop.
The voice and speed are chosen from the button's menu; audio is kept per answer and voice."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QTimer
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices
from PySide6.QtWidgets import QMenu, QToolButton
from shiboken6 import Shiboken

from workbench.core.sessions import Role
from workbench.core.speech import SPEEDS, VOICES
from workbench.services.speaker import Pcm, Speaker, SpeechFailed, Spoken, Voice, wav_pcm
from workbench.services.store import StoreError
from workbench.ui.panels.chat.message_card import MessageCard

if TYPE_CHECKING:
    from workbench.ui.panels.chat.panel import ChatPanel


class ReadAloud(QObject):
    def __init__(self, panel: ChatPanel) -> None:
        super().__init__(panel)
        self.panel = panel
        self.speaker = Speaker(panel.deps.store, panel.deps.chat.runs)
        self.voice = Voice()
        self.playing: int | None = None  # the answer being read
        self.last: Spoken | None = None
        self._waiting: int | None = None  # the answer whose audio is on its way
        self._sink: QAudioSink | None = None
        self._buffer: QBuffer | None = None
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self._finished)
        self.menu = self._voice_menu()
        panel.view.card_created.connect(self._wire)

    # --- cards ---------------------------------------------------------------------------------
    def _wire(self, card: MessageCard) -> None:
        if card.message.role is not Role.ASSISTANT:
            return
        card.listen_button.setMenu(self.menu)
        card.listen_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        card.listen_requested.connect(self.toggle)
        if card.message.id == self.playing:
            card.set_listening(True)

    def _card(self, message_id: int | None) -> MessageCard | None:
        card = self.panel.view.cards.get(message_id) if message_id is not None else None
        return card if card is not None and Shiboken.isValid(card) else None

    # --- listening -----------------------------------------------------------------------------
    def toggle(self, message_id: int) -> None:
        if message_id in (self.playing, self._waiting):
            self.stop()
            return
        self.stop()
        message = self.panel.tree.by_id.get(message_id)
        if message is None:
            return
        self._waiting = message_id
        card = self._card(message_id)
        if card is not None:
            card.set_listening(True)
        self.panel.status_message.emit("Making the speech…")
        self.panel.deps.tasks.start("Reading aloud", self._speak(message_id, message.content))

    async def _speak(self, message_id: int, text: str) -> None:
        try:
            spoken = await self.speaker.speak(
                self.panel.session_id, message_id, text, self.panel.endpoint_id, self.voice
            )
            pcm = await asyncio.to_thread(wav_pcm, spoken.audio)
        except (SpeechFailed, StoreError, ValueError) as problem:
            if Shiboken.isValid(self) and self._waiting == message_id:
                self._waiting = None
                self._done(message_id)
                self.panel.status_message.emit(f"Not read aloud: {problem}")
            return
        if not Shiboken.isValid(self) or self._waiting != message_id:
            return  # stopped (or another answer asked for) while the audio was being made
        self._waiting = None
        self.last = spoken
        self._play(message_id, spoken, pcm)

    def _play(self, message_id: int, spoken: Spoken, pcm: Pcm) -> None:
        """PCM straight to the sound card (QAudioSink never blocks, unlike a media player
        opening a file); the answer counts as being read for the audio's length, speaker or
        not, so Listen and Stop behave the same everywhere."""
        fmt = QAudioFormat()
        fmt.setSampleRate(pcm.rate)
        fmt.setChannelCount(pcm.channels)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        self._buffer = QBuffer(self)
        self._buffer.setData(QByteArray(pcm.frames))
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        device = QMediaDevices.defaultAudioOutput()
        speaker = not device.isNull()
        if speaker:
            self._sink = QAudioSink(device, fmt, self)
            self._sink.start(self._buffer)
        self.playing = message_id
        self._timer.start(max(1, round(pcm.seconds * 1000)))
        said = "Reading aloud" + (" (from before)" if spoken.cached else "")
        if spoken.cut:
            said += ": the answer is long, so its first 4,096 characters"
        if not speaker:
            said += " — no speaker found, so nothing can be heard"
        self.panel.status_message.emit(f"{said}. Listen again or Esc stops.")

    def stop(self) -> None:
        was = self.playing if self.playing is not None else self._waiting
        self._waiting = None
        self._timer.stop()
        if self._sink is not None:
            self._sink.stop()
            self._sink = None
        self.playing = None
        self._done(was)

    def _finished(self) -> None:
        """The audio's length has passed: the answer is read."""
        if self.playing is not None:
            self.stop()

    def _done(self, message_id: int | None) -> None:
        card = self._card(message_id)
        if card is not None:
            card.set_listening(False)

    # --- voice ---------------------------------------------------------------------------------
    def _voice_menu(self) -> QMenu:
        menu = QMenu(self.panel)
        menu.setObjectName("listen_menu")
        voices = QActionGroup(menu)
        menu.addSection("Voice")
        for name in VOICES:
            action = QAction(name.capitalize(), menu, checkable=True)
            action.setChecked(name == self.voice.voice)
            action.triggered.connect(lambda _c=False, n=name: self._choose(voice=n))
            voices.addAction(action)
            menu.addAction(action)
        speeds = QActionGroup(menu)
        menu.addSection("Speed")
        for speed in SPEEDS:
            action = QAction(f"{speed:g}×", menu, checkable=True)
            action.setChecked(speed == self.voice.speed)
            action.triggered.connect(lambda _c=False, s=speed: self._choose(speed=s))
            speeds.addAction(action)
            menu.addAction(action)
        return menu

    def _choose(self, voice: str | None = None, speed: float | None = None) -> None:
        self.voice = Voice(voice or self.voice.voice, speed or self.voice.speed, self.voice.format)
