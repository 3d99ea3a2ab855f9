"""Prompt templates: Jinja2, sandboxed, where a missing variable is an error that names it.

StrictUndefined makes `{{ name }}` with no value fail instead of rendering as nothing, which
would send a prompt with a hole in it and make every answer after it look like the model's fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import jinja2
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

from workbench.core.prompt_lab.model import PromptVersion

_ENV = SandboxedEnvironment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


class TemplateProblem(ValueError):
    """A template that can't be rendered, said so the user can fix it."""

    def __init__(self, message: str, variable: str = "", line: int | None = None) -> None:
        super().__init__(message)
        self.variable = variable  # the missing variable, when that is the problem
        self.line = line


def template_variables(text: str) -> tuple[str, ...]:
    """The variables a template reads from outside (sorted), for the variables form."""
    try:
        return tuple(sorted(meta.find_undeclared_variables(_ENV.parse(text))))
    except jinja2.TemplateSyntaxError as exc:
        raise _syntax_problem(exc) from exc


def version_variables(version: PromptVersion) -> tuple[str, ...]:
    return tuple(sorted({*template_variables(version.system), *template_variables(version.user)}))


def render(text: str, values: Mapping[str, str], where: str = "template") -> str:
    """`where` names the template in errors ("system", "user")."""
    template = _compiled(text)
    try:
        return template.render(dict(values))
    except jinja2.UndefinedError as exc:
        missing = [v for v in template_variables(text) if v not in values]
        if missing:
            names = ", ".join(f"“{m}”" for m in missing)
            what = "variables" if len(missing) > 1 else "variable"
            verb = "have" if len(missing) > 1 else "has"
            raise TemplateProblem(
                f"The {where} needs the {what} {names}, which {verb} no value.", missing[0]
            ) from exc
        raise TemplateProblem(f"The {where} reads something that has no value: {exc}") from exc
    except jinja2.exceptions.SecurityError as exc:
        raise TemplateProblem(f"The {where} does something templates may not: {exc}") from exc
    except jinja2.TemplateError as exc:
        raise TemplateProblem(f"The {where} could not be rendered: {exc}") from exc


def render_version(version: PromptVersion, values: Mapping[str, str]) -> tuple[str, str]:
    """The version's (system, user) text for one dataset row."""
    return render(version.system, values, "system prompt"), render(
        version.user, values, "user prompt"
    )


@lru_cache(maxsize=256)
def _compiled(text: str) -> jinja2.Template:
    # A matrix renders the same few templates for thousands of cells: compile each once.
    try:
        return _ENV.from_string(text)
    except jinja2.TemplateSyntaxError as exc:
        raise _syntax_problem(exc) from exc


def _syntax_problem(exc: jinja2.TemplateSyntaxError) -> TemplateProblem:
    return TemplateProblem(f"Template error on line {exc.lineno}: {exc.message}", line=exc.lineno)
