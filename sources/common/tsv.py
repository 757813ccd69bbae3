"""Tab-separated report files as Amazon's legacy services wrote them: a charset to detect,
CRLF or LF lines, and the `Feed Processing Summary:` preamble of error logs."""

from __future__ import annotations

import re
from dataclasses import dataclass

_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def decode(data: bytes, charset: str | None = None) -> str:
    """`data` in its declared charset, else UTF-8, else Windows-31J when that yields Japanese
    text, else Windows-1252 (the charsets MWS and AIM files were written in)."""
    if charset:
        return data.decode(charset)
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp932")
        if _JAPANESE.search(text):
            return text
    except UnicodeDecodeError:
        pass
    return data.decode("cp1252", errors="replace")


def rows(text: str) -> list[dict[str, str | None]]:
    """Records keyed by the header line; blank cells are None; blank lines are skipped."""
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    if not lines:
        return []
    header = lines[0].split("\t")
    records = []
    for line in lines[1:]:
        cells = line.split("\t")
        cells += [""] * (len(header) - len(cells))
        records.append({name: (cell or None) for name, cell in zip(header, cells, strict=False)})
    return records


@dataclass(frozen=True)
class ProcessingSummary:
    records_processed: int | None
    records_successful: int | None
    errors: list[dict[str, str | None]]


def processing_summary(text: str) -> ProcessingSummary:
    """AIM error logs and MWS feed results: `Number of records ...` lines, then a TSV."""
    counts: dict[str, int] = {}
    lines = text.replace("\r\n", "\n").split("\n")
    start = 0
    for number, line in enumerate(lines):
        cells = [cell for cell in line.split("\t") if cell.strip()]
        if len(cells) == 2 and cells[0].strip().startswith("Number of records"):
            counts[cells[0].strip().rsplit(" ", 1)[-1]] = int(cells[1])
        elif "\t" in line and not line.startswith("\t"):
            start = number
            break
    else:
        start = len(lines)
    return ProcessingSummary(
        counts.get("processed"), counts.get("successful"), rows("\n".join(lines[start:]))
    )
