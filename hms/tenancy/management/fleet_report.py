"""The outcome table fleet commands print: one line per hospital, so scripts can read it with split().

Every column but the last is padded to its widest cell (numbers aligned right, floats
to two places, None as "-"); the last is free text (an error's message, say), folded
onto the same line.
"""

from collections.abc import Iterable, Sequence

Cell = str | int | float | None


def one_line(text: str) -> str:
    """`text` with every run of whitespace, newlines included, as one space (PostgreSQL errors span lines)."""
    return " ".join(text.split())


def failure_detail(error: BaseException) -> str:
    """An error as one line an operator can act on: its type, then its message."""
    message = one_line(str(error))
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def outcome_table(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> list[str]:
    """The lines of the table: `header` first, then each row, every row as long as the header."""
    body = [tuple(row) for row in rows]
    for row in body:
        if len(row) != len(header):
            raise ValueError(f"A row has {len(row)} cells for {len(header)} columns: {row!r}")
    widths = [max([len(title), *(len(_text(row[i])) for row in body)]) for i, title in enumerate(header)]
    lines = ["  ".join(title.ljust(width) for title, width in zip(header, widths, strict=True)).rstrip()]
    for row in body:
        *padded, last = row
        cells = [
            _text(cell).ljust(width) if isinstance(cell, str) else _text(cell).rjust(width)
            for cell, width in zip(padded, widths, strict=False)
        ]
        lines.append("  ".join([*cells, _text(last)]).rstrip())
    return lines


def _text(cell: Cell) -> str:
    if cell is None:
        return "-"
    if isinstance(cell, float):
        return f"{cell:.2f}"
    return one_line(cell) if isinstance(cell, str) else str(cell)
