"""Long-lived processes freeze their start-up objects and collect young objects less often."""

import gc

from app.collector import YOUNG_GENERATION_THRESHOLD, settle_long_lived_objects


def test_settling_freezes_what_is_alive_and_raises_only_the_young_threshold() -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        settle_long_lived_objects()
        assert gc.get_threshold() == (YOUNG_GENERATION_THRESHOLD, 10, 10)
        assert gc.get_freeze_count() > 0
    finally:
        gc.set_threshold(*before)
