"""The API's resources, one module per family of Action Network collections."""

from __future__ import annotations

from importlib import import_module

from ninja import Router

# Modules in the order their operations appear in the schema.
MODULES = (
    "people",
    "tags",
    "events",
    "petitions",
    "forms",
    "donations",
    "lists",
    "messages",
    "misc",
    "social",
)

# Every top-level collection, as the entry point links them.
COLLECTIONS = (
    "people",
    "tags",
    "events",
    "event_campaigns",
    "petitions",
    "forms",
    "fundraising_pages",
    "donations",
    "lists",
    "queries",
    "messages",
    "campaigns",
    "advocacy_campaigns",
    "wrappers",
    "metadata",
)

ROUTERS: list[Router] = [import_module(f"{__name__}.{name}").router for name in MODULES]
