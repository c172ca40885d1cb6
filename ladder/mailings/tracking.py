"""Opens and clicks as the web process sees them: checked, flagged, buffered, written in bulk.

An open or a click must cost the web server almost nothing, because a mailing to a million
people brings them in bursts. So a hit is a token check (microseconds, no query), a guess at
whether a machine made it, and an append to an in-process buffer. The buffer is written as
`TrackingHit` rows in one bulk insert when it holds `BATCH` hits or its oldest hit is about
`FLUSH_SECONDS` old (a daemon thread), and once more when the process exits. The worker folds
the rows into deliveries and the activity log (`ladder.mailings.fold`).

A click also needs the link it stands for: one small query for the delivery's variant, and
the variant's links are kept in process (they never change once a mailing is sent).

Machines. Apple Mail Privacy Protection, Gmail's and Yahoo's image proxies and security
gateways open mail nobody reads; link scanners (Safe Links, Mimecast, Proofpoint, Barracuda…)
follow every link, often with HEAD. Such hits are kept but flagged ``machine``: an open by a
machine does not make a delivery "opened by a person", a click by one counts for nothing. The
fold adds one more rule the web process cannot check without a query: a hit within
`fold.MACHINE_SECONDS` of sending is a machine's.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import re
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from django.conf import settings
from django.db import connections

from ladder.mailings import tokens
from ladder.mailings.models import Delivery, TrackingHit, Variant

log = logging.getLogger(__name__)

BATCH = 500
FLUSH_SECONDS = 1.0
# Past this many unwritten hits (the database is down) the oldest are dropped and logged:
# the web process must not grow without bound.
MAX_PENDING = 200_000

# The 1×1 transparent GIF.
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)

# Image proxies and prefetchers that open mail on the reader's behalf (or nobody's).
_OPEN_MACHINES = re.compile(
    r"GoogleImageProxy|ggpht\.com|YahooMailProxy|Yahoo! ?Slurp|AOL ?Mail ?Proxy|"
    r"Mimecast|Barracuda|Proofpoint|Symantec|MessageLabs|Trend ?Micro|Forcepoint|"
    r"bot\b|spider|crawler|preview|python-|curl/|wget/|Go-http-client|okhttp|Java/|libwww",
    re.IGNORECASE,
)
# Link scanners (besides anything sending HEAD).
_CLICK_MACHINES = re.compile(
    r"Mimecast|Barracuda|Proofpoint|urldefense|SafeLinks|Symantec|MessageLabs|Trend ?Micro|"
    r"Forcepoint|Sophos|FireEye|Cisco|IronPort|ZScaler|"
    r"bot\b|spider|crawler|scanner|python-|curl/|wget/|Go-http-client|okhttp|Java/|libwww|"
    r"HeadlessChrome|PhantomJS",
    re.IGNORECASE,
)


def machine_open(user_agent: str) -> bool:
    """Does this user agent belong to a proxy or a prefetcher rather than a reader?"""
    agent = user_agent.strip()
    # Apple Mail Privacy Protection fetches with a bare "Mozilla/5.0" and nothing else.
    if agent in ("", "Mozilla/5.0"):
        return True
    return _OPEN_MACHINES.search(agent) is not None


def machine_click(user_agent: str, method: str) -> bool:
    """Is this click a link scanner's (HEAD, no user agent, or a known scanner)?"""
    if method == "HEAD":
        return True
    agent = user_agent.strip()
    return not agent or _CLICK_MACHINES.search(agent) is not None


@dataclass(frozen=True)
class Hit:
    kind: str
    delivery_id: int
    link: int | None
    machine: bool
    at: float  # time.time()


class HitBuffer:
    """A thread-safe list of hits, written in bulk by a daemon thread.

    ``manual`` (tests) writes only on `flush` or when the buffer is full, in the caller's
    thread, and never starts the thread.
    """

    def __init__(self, batch: int = BATCH, seconds: float = FLUSH_SECONDS) -> None:
        self.batch, self.seconds = batch, seconds
        self.manual = False
        self._hits: list[Hit] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()  # one bulk insert at a time
        self._full = threading.Event()
        self._thread: threading.Thread | None = None
        self.written = 0
        self.dropped = 0

    def add(self, hit: Hit) -> None:
        with self._lock:
            self._hits.append(hit)
            size = len(self._hits)
            if not self.manual and self._thread is None:
                self._start()
        if size >= self.batch:
            if self.manual:
                self.flush()
            else:
                self._full.set()

    def pending(self) -> int:
        with self._lock:
            return len(self._hits)

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="mail-tracking", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            self._full.wait(self.seconds)
            self._full.clear()
            with self._lock:
                oldest = self._hits[0].at if self._hits else None
                size = len(self._hits)
            if oldest is None:
                continue
            if size >= self.batch or time.time() - oldest >= self.seconds * 0.9:
                try:
                    self.flush()
                except Exception:  # the database is away: keep the hits, try again
                    log.exception("tracking: could not write %s hits; will retry", size)
                finally:
                    # This thread writes about once a second: a connection held open between
                    # writes would only be one more for the database to keep (and to wait for).
                    connections.close_all()

    def flush(self) -> int:
        """Write every buffered hit now; return how many. On failure the hits stay."""
        with self._write_lock:
            with self._lock:
                hits, self._hits = self._hits, []
            if not hits:
                return 0
            try:
                TrackingHit.objects.bulk_create(
                    [
                        TrackingHit(
                            kind=h.kind,
                            delivery_id=h.delivery_id,
                            link=h.link,
                            machine=h.machine,
                            occurred_at=dt.datetime.fromtimestamp(h.at, tz=dt.UTC),
                        )
                        for h in hits
                    ],
                    batch_size=1000,
                )
            except Exception:
                with self._lock:
                    self._hits[:0] = hits
                    overflow = len(self._hits) - MAX_PENDING
                    if overflow > 0:
                        del self._hits[:overflow]
                        self.dropped += overflow
                raise
            self.written += len(hits)
            return len(hits)


BUFFER = HitBuffer()


def _flush_at_exit() -> None:
    try:
        BUFFER.flush()
    except Exception:
        log.exception("tracking: hits lost at exit")


atexit.register(_flush_at_exit)


def flush() -> int:
    return BUFFER.flush()


# ---------------------------------------------------------------------------------------------
# Opens and clicks.


def open_record(token: str, *, user_agent: str) -> bool:
    """Buffer an open for a valid open token; False (nothing recorded) for any other."""
    try:
        delivery_id = tokens.read("open", token).delivery_id
    except tokens.BadToken:
        return False
    BUFFER.add(Hit("open", delivery_id, None, machine_open(user_agent), time.time()))
    return True


class UnknownLink(LookupError):
    """The token is not a click token, or names no link we sent."""


@lru_cache(maxsize=4096)
def _variant_links(variant_id: int) -> tuple[str, ...]:
    links = Variant.objects.filter(pk=variant_id).values_list("links", flat=True).first()
    return tuple(str(u) for u in links or ())


def _variant_of(delivery_id: int) -> int | None:
    """Only for a click token without its variant (messages built before tokens carried it)."""
    return Delivery.objects.filter(pk=delivery_id).values_list("variant_id", flat=True).first()


def _public_host() -> str:
    return urlsplit(settings.LADDER_PUBLIC_URL).netloc.lower()


def attributed(url: str, delivery_id: int) -> str:
    """The address to send a click to: relative links made absolute on our public site, and
    links to our own site carrying ``mt`` (the attribution token) in their query."""
    base = settings.LADDER_PUBLIC_URL.rstrip("/") + "/"
    absolute = urljoin(base, url) if url.startswith("/") else url
    parts = urlsplit(absolute)
    if parts.netloc.lower() != _public_host():
        return absolute
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "mt"]
    query.append(("mt", tokens.make("attr", delivery_id)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def click_record(token: str, *, user_agent: str, method: str) -> str:
    """Buffer a click and return where it goes; `UnknownLink` for a bad token or link."""
    try:
        found = tokens.read("click", token)
    except tokens.BadToken:
        raise UnknownLink("bad token") from None
    variant_id = found.variant or _variant_of(found.delivery_id)
    if variant_id is None:
        raise UnknownLink("no such delivery")
    links = _variant_links(variant_id)
    if found.link >= len(links):
        raise UnknownLink("no such link")
    machine = machine_click(user_agent, method)
    BUFFER.add(Hit("click", found.delivery_id, found.link, machine, time.time()))
    return attributed(links[found.link], found.delivery_id)
