"""Errors that reach the user as one line: file, line, field path, what was expected."""

from __future__ import annotations

from collections.abc import Iterable


class ForecastInputError(ValueError):
    """Bad user input (plan, scenario, actuals or argument).

    The string form is one line: ``file:line: field.path: message``. The CLI prints it on
    stderr and exits with status 2; nothing else is printed or written.

    Parameters
    ----------
    message : str
        What is wrong and what was expected.
    file : str, optional
        The file the input came from.
    line : int, optional
        1-based line number in that file.
    field : str, optional
        Field path such as ``tasks[3].effort.high``.
    """

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None, field: str | None = None):
        self.message = " ".join(str(message).split())
        self.file = file
        self.line = line
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest choice, or ``""``."""
    import difflib  # only on an error: every command imports this module at start-up

    match = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""
