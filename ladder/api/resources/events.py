"""Placeholder: filled in by the events resources work."""

from ninja import Router

router = Router(tags=["events"])
