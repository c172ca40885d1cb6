"""The fault test at CI size: the real sender process, SIGKILLed mid-send and restarted, with
the count taken from what the SMTP sink received (bench/mail_fault.py; `make bench-mail` runs
it at 10,000 messages and 20 kills)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def test_killed_senders_never_duplicate_or_lose_mail(tmp_path):
    out = tmp_path / "fault.json"
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench.mail_fault", "--people", "600", "--kills", "6",
         "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    result = json.loads(out.read_text())
    assert done.returncode == 0, done.stderr[-3000:]
    assert result["kills"] >= 6 and result["batches_recovered"] >= 1
    assert result["duplicates"] == 0 and result["silent_losses"] == 0
    assert result["delivered_although_skipped_or_failed"] == 0
    assert result["unsubscribed_mid_send"] == 50 and result["unsubscribed_who_got_it"] == 0
    # Every planned message is accounted for: received once, skipped, failed, or in doubt.
    assert result["in_doubt"] <= result["kills"]
    unaccounted = result["messages_planned"] - result["received"] - result["skipped"]
    assert unaccounted - result["failed"] == result["in_doubt"] - result["in_doubt_received"]
