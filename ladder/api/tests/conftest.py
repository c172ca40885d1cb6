import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit windows and cached totals live in the cache; each test starts without any."""
    cache.clear()
    yield
    cache.clear()
