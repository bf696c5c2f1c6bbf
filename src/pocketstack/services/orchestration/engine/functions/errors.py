"""TemplateError and the Heat message texts that several function modules share."""

from __future__ import annotations

from collections.abc import Sequence

PathItem = str | int


def render_path(path: Sequence[PathItem]) -> str:
    """Heat's HeatExceptionWithPath rendering: dotted keys, list indexes as [i]."""
    out = ""
    for item in path:
        # quirk: Heat also renders digit-only string keys as indexes.
        if isinstance(item, int) or item.isdigit():
            out += f"[{item}]"
        elif out:
            out += f".{item}"
        else:
            out = item
    return out


class TemplateError(Exception):
    """A template problem. str(exc) is Heat's message; `path` leads to the bad part.

    `error_type` is the name of the Heat exception class (or Python exception) Heat would raise,
    for the API layer's fault body ("StackValidationFailed", "InvalidTemplateReference", ...).
    """

    def __init__(self, message: str, path: Sequence[PathItem] | None = None, *,
                 error_type: str = "StackValidationFailed") -> None:
        super().__init__(message)
        self.message = message
        self.path: list[PathItem] = list(path or [])
        self.error_type = error_type

    def __str__(self) -> str:
        return self.message

    def with_path(self) -> str:
        """The message prefixed with the path as Heat's StackValidationFailed prints it."""
        rendered = render_path(self.path)
        return f"{rendered}: {self.message}" if rendered else self.message


def bad_reference(name: object, key: str, path: Sequence[PathItem]) -> TemplateError:
    return TemplateError(f'The specified reference "{name}" (in {key}) is incorrect.', path,
                         error_type="InvalidTemplateReference")


def missing_parameter(name: object, path: Sequence[PathItem]) -> TemplateError:
    return TemplateError(f"The Parameter ({name}) was not provided.", path, error_type="UserParameterMissing")


def invalid_version(explanation: str, path: Sequence[PathItem] = ()) -> TemplateError:
    return TemplateError(f"The template version is invalid: {explanation}", path,
                         error_type="InvalidTemplateVersion")


def from_exception(exc: Exception, path: Sequence[PathItem]) -> TemplateError:
    # quirk: Heat reports str(exc); for KeyError that is the repr of the text, quotes and all.
    return TemplateError(str(exc), path, error_type=type(exc).__name__)
