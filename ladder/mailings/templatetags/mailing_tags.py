"""Filters for the mailing reports: shares of one as readable percentages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def pct(value: float | int | None) -> str:
    """0.0234 → "2.3%", 0.5 → "50%", None → "—"."""
    if value is None:
        return "—"
    share = float(value) * 100
    if share and abs(share) < 10:
        return f"{share:.1f}%"
    return f"{share:.0f}%"


@register.filter
def share_of(part: int | None, whole: int | None) -> str:
    """A count as a percentage of another count ("—" when the whole is zero)."""
    if not whole:
        return "—"
    return pct((part or 0) / whole)


@register.filter
def css_pct(value: float | int | None) -> str:
    """A share of one as a CSS percentage, clamped to 0–100 ("12.50%")."""
    share = min(100.0, max(0.0, float(value or 0) * 100))
    return f"{share:.2f}%"
