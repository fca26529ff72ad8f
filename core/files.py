"""Files the product writes for people (print files): whole or not at all."""

from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


class CannotWrite(Exception):
    """One readable line saying why the file was not written (a command prints it and exits non-zero)."""


def write_whole(out: str, write: Callable[[BinaryIO], None]) -> Path:
    """Write the file at `out` through `write(handle)`, under a `.partial` name first: a killed or failed
    export never leaves a half file under the real name (the print shop would print it)."""
    path = Path(out)
    if not path.parent.is_dir():
        raise CannotWrite(f"The folder {path.parent} does not exist.")
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as handle:
            write(handle)
        partial.replace(path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise CannotWrite(f"Could not write {path}: {error.strerror}.") from None
    return path
