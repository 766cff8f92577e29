import pytest

from monitoring.store import Store

EXAMPLE_CSV = "data/examples/predictions.csv"


@pytest.fixture
def store():
    return Store(":memory:")


@pytest.fixture(scope="session")
def demo_store():
    """An in-memory store seeded with the demo; shared, so tests must not change it."""
    from monitoring.demo import seed_demo

    seeded = Store(":memory:")
    seed_demo(seeded)
    return seeded
