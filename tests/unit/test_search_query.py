from workbench.core.search import fts_query


def test_words_all_required_and_last_is_a_prefix() -> None:
    assert fts_query("quick bro") == '"quick" "bro"*'


def test_finished_word_with_trailing_space_is_not_a_prefix() -> None:
    assert fts_query("quick ") == '"quick"'


def test_fts_operators_and_quotes_are_plain_text() -> None:
    assert fts_query('NEAR(a AND "b") OR c:') == '"NEAR" "a" "AND" "b" "OR" "c"'


def test_nothing_to_search() -> None:
    assert fts_query("  ?! ") is None
    assert fts_query("") is None


def test_unicode_words() -> None:
    assert fts_query("café crème") == '"café" "crème"*'
