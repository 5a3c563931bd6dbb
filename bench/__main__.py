"""``python -m bench [name ...]``: run the benchmarks (all of them, or the ones named).

Each benchmark is a module ``bench/<name>.py`` with a ``main()`` that prints its figures; the
figures of the run also go to ``bench/results/latest.txt``.
"""

from __future__ import annotations

import importlib
import sys
import traceback

from .common import RESULTS_DIR

BENCHMARKS = ("registration", "mail", "reminders", "memory", "export", "soak", "door")
#: Run only when named (``python -m bench cluster``): it needs RabbitMQ and nginx, and takes six minutes.
BY_NAME_ONLY = ("cluster",)


def main(argv: list[str]) -> int:
    """Run the named benchmarks in order; report the missing or failing ones and exit non-zero."""
    names = argv or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS + BY_NAME_ONLY]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS + BY_NAME_ONLY)}")
        return 2
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "latest.txt").write_text("", encoding="utf-8")
    problems = []
    for name in names:
        print(f"\n=== bench {name}")
        try:
            # Imported only now: each bench may bring its own dependencies, and one missing
            # bench must not stop the others.
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"bench.{name}":
                raise
            problems.append(f"{name}: missing (no bench/{name}.py)")
            print(problems[-1])
            continue
        try:
            module.main()
        except Exception:  # noqa: BLE001 - report and go on with the next benchmark
            traceback.print_exc()
            problems.append(f"{name}: failed (traceback above)")
    if problems:
        print("\n" + "\n".join(problems))
    print(f"\nfigures written to {RESULTS_DIR / 'latest.txt'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
