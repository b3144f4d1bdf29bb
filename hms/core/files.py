"""Making what was written to a file, or a new name in a folder, survive a crash."""

import os
from pathlib import Path


def fsync_path(path: Path) -> None:
    """Flush `path` to disk: a file's contents, or a folder's entries (a file just linked or
    renamed into it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
