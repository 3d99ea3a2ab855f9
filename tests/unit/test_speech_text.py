"""What is read aloud of an answer: its words, not its markdown."""

from __future__ import annotations

from workbench.core.speech import MAX_CHARACTERS, speakable, speech_model


def test_marks_links_and_code_are_not_read() -> None:
    answer = (
        "# Result\n\nThe **answer** is _here_, see [the docs](https://x.y).\n\n"
        "```python\nprint('hi')\n```\n\n- one\n- two\n\n---\n`inline` stays as a word."
    )
    text, cut = speakable(answer)
    assert not cut
    assert " ".join(text.split()) == (
        "Result The answer is here, see the docs. (code) one two inline stays as a word."
    )


def test_a_refusal_is_read_without_its_mark_and_a_long_answer_is_cut_at_a_sentence() -> None:
    assert speakable("**Refused:** I can't help with that.")[0] == "I can't help with that."
    long = "A short sentence here. " * 400
    text, cut = speakable(long)
    assert cut and len(text) <= MAX_CHARACTERS and text.endswith(".")


def test_the_built_in_server_speaks_with_espeak() -> None:
    assert speech_model("local") == "espeak-ng"
    assert speech_model("openai") == "gpt-4o-mini-tts"
