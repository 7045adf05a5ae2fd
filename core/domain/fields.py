"""The rows of the connection dialog as core describes them: `core.connections.fields` lists
them for the current choices, the desktop builds one editor per row."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FieldKind(StrEnum):
    TEXT = "text"
    SECRET = "secret"
    CHOICE = "choice"
    PATH = "path"
    DATE = "date"
    BOOL = "bool"
    INT = "int"
    SCHEDULE = "schedule"  # a Schedule: kind (choices) + every_hours + daily_at


@dataclass(frozen=True)
class FieldSpec:
    """One row of the dialog. `name` is the ConnectionDraft attribute (secrets: the
    ConnectionSecrets attribute); `choices` are (value, label) pairs."""

    name: str
    label: str
    kind: FieldKind
    required: bool = False
    secret: bool = False
    auto_value: str | None = None  # what auto-population puts there (None: nothing)
    help: str = ""
    placeholder: str = ""
    choices: tuple[tuple[str, str], ...] = ()
