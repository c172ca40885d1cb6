"""The filter language: a versioned JSON definition of a universe, compiled to one SQL query.

A definition is what a saved segment stores, what a ladder rung's criteria are, what the API's
``queries`` return, and what the segment builder edits. It is plain JSON so that it can be
stored, diffed, sent over the API and described in words.

Shape (version 1)::

    {"version": 1,
     "match": <condition>,
     "sample": {"size": 500, "seed": 7}}      # optional: a deterministic N of the matches

A condition is an object with a ``kind``:

Logic
  ``{"kind": "all", "of": [c, ...]}``        every condition holds (an empty list: everyone)
  ``{"kind": "any", "of": [c, ...]}``        at least one holds (an empty list: no one)
  ``{"kind": "not", "of": c}``               the condition does not hold

Person
  ``{"kind": "field", "field": F, "op": OP, "value": V}``
      F is one of first_name, middle_name, last_name, source, languages, employer, occupation
      (text) or birthdate, created_at (dates). Text ops: eq, ne, in (V is a list), contains,
      starts_with (all case-insensitive), blank, present (no V). Date ops: before, after
      (V an ISO date; before is strictly earlier than that day, after is that day or later),
      within_days, not_within_days (V a whole number of days back from now), blank, present.
  ``{"kind": "custom", "key": K, "op": OP, "value": V}``
      A custom field (``Person.custom_fields[K]``). Ops: eq, ne, in, contains (text,
      case-insensitive), gt, gte, lt, lte (numbers), blank (missing or empty), present.
      ne holds for people who have no value too.
  ``{"kind": "tags", "match": "any" | "all" | "none", "tags": [tag ids]}``
  ``{"kind": "groups", "match": "any" | "all" | "none", "groups": [group ids]}``
      membership (``Membership``), not the home group.
  ``{"kind": "point_person", "users": [user ids]}``   an empty list: people with no point person.
  ``{"kind": "known_by", "groups": [group ids]}``
      someone with a login (a volunteer, a leader, staff) knows them (`Relationship`); with
      groups, someone who is a member of one of them. An empty list: known by any volunteer.

Geography (any of the person's active addresses)
  ``{"kind": "postal_code", "codes": ["50309", ...], "prefixes": ["503", ...]}``
      either list may be empty (not both). An address matches a code when its postal code
      equals it or is it followed by "-" (ZIP+4), and a prefix when it starts with it.
  ``{"kind": "address", "field": F, "values": [...]}``   F is region, locality, county,
      country, congressional_district, state_upper_district, state_lower_district or precinct;
      values compare case-insensitively, ignoring surrounding spaces.
  ``{"kind": "near", "lat": 41.59, "lon": -93.62, "km": 10}``
      within km of a point, on the equirectangular approximation (exact enough for a city):
      ``x = radians(lon - lon0) * cos(radians(lat0))``, ``y = radians(lat - lat0)``, and the
      address matches when ``x*x + y*y <= (km / 6371.0088) ** 2``. Addresses without
      coordinates never match.

Reachability and consent
  ``{"kind": "reachable", "channel": "email" | "sms" | "phone"}``
      email: an active address whose subscription is "subscribed" and that is not on the
      suppression list; sms: an active mobile with sms_subscription "subscribed", not
      suppressed for sms; phone: an active number that is not do-not-call and not suppressed
      for phone.
  ``{"kind": "unsubscribed", "channel": "email" | "sms"}``
      has at least one address (number) whose subscription is "unsubscribed".

Activity
  ``{"kind": "activity", "types": [...], "days": 90 | "from": "2026-01-01", "to": "2026-03-31",
     "object": {"type": "event", "id": 3}, "results": ["talked"],
     "measure": "count" | "sum" | "min" | "max", "op": "gte" | "gt" | "lte" | "lt" | "eq",
     "value": 2}``
      Over the person's activities of those types (an empty list: any type), in the window
      (``days``: occurred in the last N days; ``from``/``to``: local calendar dates,
      inclusive; neither: ever), optionally tied to one object and to result codes. The
      measure is the number of them (count) or the sum / smallest / largest ``amount``.
      sum, min and max read ``amount`` and ignore activities without one.
      count and sum of no activities are 0, so "opened no email in 90 days" is
      ``{"kind": "activity", "types": ["email_opened"], "days": 90, "op": "eq", "value": 0}``;
      min and max of no activities have no value and never match. measure defaults to
      count, op to gte and value to 1.

Rollups and ladders
  ``{"kind": "stat", "field": F, "op": OP, "value": V}``
      F is a `PersonStats` field. Numbers (given_total, given_365d, given_largest,
      gifts_count, touches_30d, touches_90d, actions_total, events_attended, shifts_done,
      calls_made, doors_knocked, recruits, engagement_score): gte, gt, lte, lt, eq; people
      without a stats row count as 0. Times (last_open_at, last_click_at, last_action_at,
      last_contact_at, last_gift_at, first_activity_at): within_days (V days back from now),
      not_within_days (earlier, or never), never.
      engagement_score is the decayed score as of now (see `ladder.ladders.scoring`): it is
      compared as ``PersonStats.engagement_raw OP scoring.raw_bound(V, now)`` (the raw,
      undecayed sum against the value scaled up to now), so an index can serve it; eq means
      ``raw_bound(V - 0.5) <= raw < raw_bound(V + 0.5)``.
  ``{"kind": "rung", "ladder": L, "rungs": [rung ids]}``    on one of these rungs of ladder L
  ``{"kind": "rung", "ladder": L, "at_least": R}``          on rung R of ladder L or higher

Other universes
  ``{"kind": "segment", "id": S}``    a member of saved segment S as it is now
  ``{"kind": "list", "id": L}``       a member of static list L
  ``{"kind": "sample", "percent": 10, "seed": 7}``
      a deterministic pseudo-random share of people: the same seed picks the same people.
      A person is in it when ``hash(id, seed) < floor(percent * 2**32 / 100)``, where
      ``hash(id, seed) = (id * 2654435761 + seed * 40503) % 2**32`` (seed: 0 ≤ seed < 2**20).
      The top-level ``sample`` keeps the ``size`` matches with the smallest hash (ties by id).

Merged-away people (``merged_into`` set) never match. Scoping is not part of the language: the
selectors apply `ladder.people.selectors.visible_people` around every compiled query.
"""

from ladder.segments.filters.compiler import compile_definition
from ladder.segments.filters.describe import describe
from ladder.segments.filters.schema import EVERYONE, VERSION, FilterError, parse

__all__ = ["EVERYONE", "VERSION", "FilterError", "compile_definition", "describe", "parse"]
