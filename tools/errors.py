"""The content pipeline's errors: each names the file and says what to do."""

from __future__ import annotations

from dataclasses import dataclass

from protocol.errors import RedhallError


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a document, located for an editor."""

    file: str
    line: int
    column: int
    path: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        at = f" at {self.path}" if self.path else ""
        hint = f"\n    hint: {self.hint}" if self.hint else ""
        return f"{where}: {self.message}{at}{hint}"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
            "hint": self.hint,
        }


class PipelineError(RedhallError):
    """A content build failed; nothing was written."""


class ValidationFailed(PipelineError):
    """Documents did not validate; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) found:\n" + "\n".join(map(str, problems)))


class AssetError(PipelineError):
    """An asset is missing, unreadable, unsupported, broken or over a limit."""

    def __init__(self, file: str, message: str, hint: str = "") -> None:
        self.file = file
        text = f"{file}: {message}"
        super().__init__(text + (f"\n    hint: {hint}" if hint else ""))


class KeyFileError(PipelineError):
    """A publisher or trust key file is missing or not an Ed25519 key."""
