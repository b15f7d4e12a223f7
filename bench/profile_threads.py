"""cProfile a script with every thread profiled, the stats merged into one file.

    python -m bench.profile_threads OUT.prof SCRIPT [ARG ...]

``python -m cProfile`` profiles the main thread only; octoDNS plans zones in a thread
pool (``max_workers``), so a plain profile shows the main thread waiting on a lock.
Here each thread started while the script runs gets its own profiler, and at exit the
main thread's stats and every thread's are merged (times summed over threads).
"""

from __future__ import annotations

import atexit
import contextlib
import cProfile
import pstats
import runpy
import sys
import threading

_profiles: list[cProfile.Profile] = []
_lock = threading.Lock()


def _profiled_run(original):
    def run(self) -> None:
        profiler = cProfile.Profile()
        with _lock:
            _profiles.append(profiler)
        profiler.enable()
        try:
            original(self)
        finally:
            profiler.disable()

    return run


def main() -> None:
    if len(sys.argv) < 3:
        raise SystemExit(__doc__.split("\n\n")[1])
    out, script, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    threading.Thread.run = _profiled_run(threading.Thread.run)  # type: ignore[method-assign]
    main_profile = cProfile.Profile()

    def dump() -> None:
        main_profile.disable()
        stats = pstats.Stats(main_profile)
        with _lock:
            for profiler in _profiles:
                with contextlib.suppress(TypeError):  # a thread that never ran anything
                    stats.add(profiler)
        stats.dump_stats(out)

    atexit.register(dump)
    sys.argv = [script, *args]
    main_profile.enable()
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
