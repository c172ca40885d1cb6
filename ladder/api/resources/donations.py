"""Placeholder: filled in by the donations resources work."""

from ninja import Router

router = Router(tags=["donations"])
