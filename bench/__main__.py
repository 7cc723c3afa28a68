"""Run the benchmarks: `python -m bench` runs every one, `python -m bench NAME` runs one.

NAME is the benchmark's name as in its JSON (`dialogue-page`), whose module is the same with
underscores (`bench/dialogue_page.py`).
"""

from __future__ import annotations

import importlib
import sys
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Modules in bench/ that are helpers, not benchmarks.
NOT_BENCHMARKS = {"__init__", "__main__", "common"}


def available() -> list[str]:
    """Every benchmark's name (hyphenated), from the modules in bench/."""
    return sorted(
        path.stem.replace("_", "-")
        for path in HERE.glob("*.py")
        if path.stem not in NOT_BENCHMARKS and not path.stem.startswith("_")
    )


def run_one(name: str) -> None:
    module = importlib.import_module(f"bench.{name.replace('-', '_')}")
    print(f"== bench {name}", file=sys.stderr, flush=True)
    module.run()


def main(argv: list[str]) -> int:
    names = available()
    if len(argv) > 1:
        print("usage: python -m bench [NAME]", file=sys.stderr)
        return 2
    if argv:
        wanted = argv[0].replace("_", "-")
        if wanted not in names:
            print(
                f"unknown benchmark {argv[0]!r}; there are: {', '.join(names) or 'none'}",
                file=sys.stderr,
            )
            return 2
        names = [wanted]
    failed: list[str] = []
    for name in names:
        # One broken benchmark must not hide the others' results: report it and go on.
        try:
            run_one(name)
        except Exception:  # noqa: BLE001 — any failure of one benchmark is reported the same
            traceback.print_exc()
            failed.append(name)
    if failed:
        print(f"benchmarks failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
