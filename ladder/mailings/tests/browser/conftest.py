"""The mailings' browser tests use the shared Chromium fixture (system Chromium, never a
download); see `ladder/web/tests/browser/conftest.py`."""

from ladder.web.tests.browser.conftest import browser

__all__ = ["browser"]
