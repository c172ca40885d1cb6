"""Placeholder: filled in by the lists resources work."""

from ninja import Router

router = Router(tags=["lists"])
