"""Placeholder: filled in by the forms resources work."""

from ninja import Router

router = Router(tags=["forms"])
