"""Placeholder: filled in by the messages resources work."""

from ninja import Router

router = Router(tags=["messages"])
