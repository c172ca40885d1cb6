"""The demo's knowledge base: the answers volunteers ask for most, and one question waiting."""

from __future__ import annotations

from django.utils import timezone

from ladder.insights.knowledge import article_save
from ladder.insights.models import Article, Question

ARTICLES = (
    (
        "Knocking doors: the first five minutes",
        "canvass, walk list",
        """
Start at the first door on your walk list: the list is in street order, odd and even sides
together, so you never cross the road twice.

1. Smile, say your first name and **Prairie Forward**, and ask one question from the script.
2. Record the result before you walk away: *talked*, *not home*, *refused*, *moved*.
3. No signal? Keep going. Your answers wait on your phone and arrive when the signal returns —
   exactly once.

If someone is worried about school funding, ask whether they would take a yard sign.""",
    ),
    (
        "Phone bank basics",
        "phone bank, calls, script",
        """
Open your call list and press **Next**: Ladder gives you one person at a time and nobody else
gets the same person.

- Read the script, but make it yours.
- Record a result code for every dial, even *no answer*, so nobody calls them twice today.
- If they ask to stop, mark **do not call**: Ladder will never hand them out again.""",
    ),
    (
        "Hosting a house party",
        "hosting, events, leaders",
        """
Propose your event from your own page; staff approve it (trusted hosts publish straight away).
Invite ten people you know personally — a house party works because people come for *you*.
The host view shows who RSVPed, and lets you check people in on the day.""",
    ),
    (
        "Using Ladder on your phone",
        "phone, volunteers",
        """
Every page you need as a volunteer works on a phone: your walk and call lists, your events, your
fundraising page. Add the page to your home screen for one-tap access.""",
    ),
)


def demo_help() -> int:
    if Article.objects.exists():
        return 0
    for title, topics, body in ARTICLES:
        article_save(actor=None, title=title, body=body.strip(), topics=topics)
    Question.objects.create(
        text="Can I take my walk list with me if I don't have data on my phone?",
        asked_at=timezone.now(),
    )
    return len(ARTICLES)


__all__ = ["demo_help"]
