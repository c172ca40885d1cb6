"""The order a canvasser walks: by postal code, then street, then one side of the street (odd
numbers, then even), then up the house numbers — so a walk list reads like a walk."""

from __future__ import annotations

import re

_NUMBER = re.compile(r"^\s*(\d+)\s*([A-Za-z]?)\b[\s,-]*(.*)$")


def walk_key(line1: str, postal_code: str) -> tuple[str, str, int, int, str]:
    """(postal code, street, side, number, the rest) for "1208 Maple St Apt 2"."""
    text = " ".join(line1.lower().split())
    match = _NUMBER.match(text)
    if match is None:  # "PO Box 9", "Rural Route": after the numbered houses of its postal code
        return (postal_code, text, 2, 0, "")
    number, suffix, street = int(match.group(1)), match.group(2), match.group(3)
    street, _, unit = street.partition(" apt ")
    return (postal_code, street.strip(), number % 2 == 0, number, f"{suffix}{unit}")  # type: ignore[return-value]


def household_of(line1: str, postal_code: str) -> str:
    """The door people share: the address without its unit noise, case or spacing."""
    return f"{postal_code}|{' '.join(line1.lower().split())}"[:200]
