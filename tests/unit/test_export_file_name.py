from workbench.ui.panels.chat.exporting import file_stem


def test_a_shortened_title_gives_a_file_name_without_the_ellipsis() -> None:
    assert file_stem("Tell me about the dragons of…") == "Tell me about the dragons of"


def test_separators_and_trailing_dots_are_dropped() -> None:
    assert file_stem('a/b: "c"?.. ') == "a b c"
    assert file_stem("…") == "session"
    assert file_stem("") == "session"
