"""Prompt templates: rendered with a row's values; a missing variable is named, never empty."""

from __future__ import annotations

import pytest

from workbench.core.prompt_lab.model import PromptVersion
from workbench.core.prompt_lab.templates import (
    TemplateProblem,
    render,
    render_version,
    template_variables,
    version_variables,
)


def test_a_row_fills_the_variables() -> None:
    text = "Translate {{ text }} into {{ language | upper }}."
    assert render(text, {"text": "bonjour", "language": "english"}) == (
        "Translate bonjour into ENGLISH."
    )


def test_a_missing_variable_is_named_not_rendered_empty() -> None:
    with pytest.raises(TemplateProblem) as problem:
        render("Hello {{ name }}, you are {{ age }}.", {"age": "40"}, "user prompt")
    assert problem.value.variable == "name"
    assert str(problem.value) == "The user prompt needs the variable “name”, which has no value."


def test_several_missing_variables_are_all_named() -> None:
    with pytest.raises(TemplateProblem) as problem:
        render("{{ b }} and {{ a }}", {})
    assert "“a”, “b”" in str(problem.value) and "have no value" in str(problem.value)


def test_a_missing_variable_inside_a_loop_is_still_an_error() -> None:
    with pytest.raises(TemplateProblem, match="“items”"):
        render("{% for i in items %}{{ i }}{% endfor %}", {})


def test_variables_are_listed_without_loop_variables() -> None:
    text = "{{ topic }} {% for x in points %}{{ x }}{% endfor %} {% set y = 1 %}{{ y }}"
    assert template_variables(text) == ("points", "topic")
    version = PromptVersion(1, "p", 1, "You know {{ topic }}.", "{{ question }}")
    assert version_variables(version) == ("question", "topic")


def test_a_syntax_error_says_its_line() -> None:
    with pytest.raises(TemplateProblem) as problem:
        template_variables("line one\n{{ broken")
    assert problem.value.line == 2 and "line 2" in str(problem.value)


def test_the_sandbox_refuses_python_internals() -> None:
    with pytest.raises(TemplateProblem, match="may not"):
        render("{{ name.__class__.__mro__ }}", {"name": "x"})


def test_a_version_renders_system_and_user_apart() -> None:
    version = PromptVersion(1, "p", 1, "Be {{ tone }}.", "Q: {{ q }}")
    assert render_version(version, {"tone": "brief", "q": "why?"}) == ("Be brief.", "Q: why?")
    with pytest.raises(TemplateProblem, match="system prompt needs the variable “tone”"):
        render_version(version, {"q": "why?"})
