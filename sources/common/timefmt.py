"""Legacy time formats to UTC ISO 8601: zone abbreviations are mapped here, explicitly.

pendulum knows IANA names, not "PDT"; AIM and old report files write abbreviations, and
Amazon's own doc samples carry URL-escaped ISO times (`2017-02-05T00%3A06%3A07.000Z`).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import pendulum

# UTC offsets in hours of the abbreviations Amazon's legacy files use (US, UK, EU, JP)
ZONE_OFFSETS: dict[str, float] = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "PST": -8,
    "PDT": -7,
    "MST": -7,
    "MDT": -6,
    "CST": -6,
    "CDT": -5,
    "EST": -5,
    "EDT": -4,
    "BST": 1,
    "CET": 1,
    "CEST": 2,
    "MET": 1,
    "MEST": 2,
    "JST": 9,
}
_ABBREVIATED = re.compile(r"^(?P<stamp>.+?)\s+(?P<zone>[A-Z]{1,5})$")
_FORMATS = (
    ("MM/DD/YYYY HH:mm:ss", re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}$")),  # AIM batches
    ("MM-DD-YYYY:HH-mm-ss", re.compile(r"^\d{2}-\d{2}-\d{4}:\d{2}-\d{2}-\d{2}$")),  # AIM reports
    ("YYYY-MM-DD HH:mm:ss", re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")),  # report rows
)


class TimeFormatError(ValueError):
    """A time in none of the legacy formats, or with an unknown zone abbreviation."""


def to_utc(value: str, default_zone: str = "UTC") -> pendulum.DateTime:
    """`value` in any legacy format; a time without a zone is read in `default_zone`."""
    text = unquote(value.strip()) if "%" in value else value.strip()
    zone = default_zone
    match = _ABBREVIATED.match(text)
    if match:
        if match.group("zone") not in ZONE_OFFSETS:
            raise TimeFormatError(f"unknown time zone abbreviation in {value!r}")
        text, zone = match.group("stamp"), match.group("zone")
    offset = ZONE_OFFSETS.get(zone)
    for pattern, shape in _FORMATS:
        if shape.match(text):
            moment = pendulum.from_format(text, pattern, tz="UTC" if offset is not None else zone)
            return moment.subtract(seconds=int((offset or 0) * 3600)).in_timezone("UTC")
    try:
        parsed = pendulum.parse(text, tz=zone if offset is None else "UTC")
    except (ValueError, pendulum.parsing.exceptions.ParserError) as error:
        raise TimeFormatError(f"unreadable time {value!r}") from error
    if not isinstance(parsed, pendulum.DateTime):
        raise TimeFormatError(f"not a date-time: {value!r}")
    if offset is not None and not _has_zone(text):
        parsed = parsed.subtract(seconds=int(offset * 3600))
    return parsed.in_timezone("UTC")


def _has_zone(text: str) -> bool:
    return text.endswith("Z") or bool(re.search(r"[+-]\d{2}:?\d{2}$", text))


_ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def utc_iso(value: str | None, default_zone: str = "UTC") -> str | None:
    """`value` as `YYYY-MM-DDTHH:mm:ssZ` (None stays None; blank is None)."""
    if value is None or not value.strip():
        return None
    if _ISO_UTC.match(value):  # already UTC ISO 8601, as most API answers are: no parsing
        return value[:19] + "Z"
    return to_utc(value, default_zone).strftime("%Y-%m-%dT%H:%M:%SZ")
