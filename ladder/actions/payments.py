"""The payment-processor interface of donation pages. A processor either takes the gift on
Ladder's own page and records it (the offline processor: a pledge, collected by the
organization) or sends the donor to its own checkout, and reports the gift back later (ActBlue:
its webhook and CSV, `ladder.actions.actblue`). Card data never reaches Ladder either way."""

from __future__ import annotations

from typing import Protocol
from urllib.parse import urlencode

from ladder.actions.models import ActionPage, FundraisingPage


class Processor(Protocol):
    name: str
    label: str

    def checkout_url(
        self, page: ActionPage, *, fundraiser: FundraisingPage | None, refcode: str
    ) -> str | None:
        """Where the donor goes to give; None when the gift is taken on Ladder's page."""


class OfflineProcessor:
    name = "offline"
    label = "Offline: record pledges here"

    def checkout_url(
        self, page: ActionPage, *, fundraiser: FundraisingPage | None, refcode: str
    ) -> str | None:
        return None


class ActBlueProcessor:
    name = "actblue"
    label = "ActBlue"

    def checkout_url(
        self, page: ActionPage, *, fundraiser: FundraisingPage | None, refcode: str
    ) -> str | None:
        # ActBlue carries the refcode into its webhook and CSV: a fundraising page's refcode
        # credits that page when the gift comes back (`actblue.FUNDRAISER_REFCODE`).
        code = f"fundraiser-{fundraiser.slug}" if fundraiser else (refcode or "page")
        return f"{page.processor_url}?{urlencode({'refcode': code[:120]})}"


PROCESSORS: dict[str, Processor] = {p.name: p for p in (OfflineProcessor(), ActBlueProcessor())}


def processor_for(page: ActionPage) -> Processor:
    return PROCESSORS.get(page.processor, PROCESSORS["offline"])


__all__ = ["PROCESSORS", "ActBlueProcessor", "OfflineProcessor", "Processor", "processor_for"]
