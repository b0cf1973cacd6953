"""The errors s2sim raises. The C++ core translates its own errors into these."""

from __future__ import annotations


class Error(RuntimeError):
    """Something went wrong running a scenario (a file that cannot be read, ...)."""


class ConfigError(ValueError):
    """A bad scenario: carries the ``file``, ``line`` and ``column`` (1-based) of the
    offending value, and ``message`` without the position. ``str()`` reads
    ``file:line:col: error: message``, like the command line."""

    def __init__(self, message: str, file: str = "", line: int = 0, column: int = 0):
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        super().__init__(message, file, line, column)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: error: {self.message}"

    def __reduce__(self):
        return (type(self), (self.message, self.file, self.line, self.column))
