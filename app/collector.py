"""The garbage collector's settings for long-lived processes: servers and run processes."""

import gc

# Measured under bench_load (20 and 50 users, 2 server processes): with Python's default
# threshold of 700 the collector took 17-20% of each server process's time, mostly in
# ~45 full collections in 3 minutes, each rescanning the ~100,000 objects the per-run
# caches hold. With 10,000 it took ~7% and ran no full collection in that time.
YOUNG_GENERATION_THRESHOLD = 10_000


def settle_long_lived_objects() -> None:
    """Freeze what is alive now and collect young objects less often.

    Everything alive after start-up (modules, templates, mappers) lives as long as the
    process: moved out of the collector's generations, it is never rescanned (that was
    half of a 200-line page). Requests then allocate tens of thousands of short-lived
    objects; a larger first threshold collects them in fewer, larger passes. Cyclic
    garbage is still collected: the older generations keep their default ratios.
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
