"""CSV/XLSX import of partners and contacts (being written; see the contract below)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO


class ImportValidationError(Exception):
    """The file has errors; nothing was written. errors: [{row, column, message}]."""

    def __init__(self, errors: list[dict]):
        super().__init__(f"{len(errors)} error(s) in the import file")
        self.errors = errors


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def partners_import(*, file: IO[bytes], filename: str) -> ImportResult:
    raise NotImplementedError


def contacts_import(*, file: IO[bytes], filename: str) -> ImportResult:
    raise NotImplementedError
