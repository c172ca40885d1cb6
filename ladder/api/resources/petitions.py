"""Placeholder: filled in by the petitions resources work."""

from ninja import Router

router = Router(tags=["petitions"])
