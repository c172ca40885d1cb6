"""Placeholder: filled in by the misc resources work."""

from ninja import Router

router = Router(tags=["misc"])
