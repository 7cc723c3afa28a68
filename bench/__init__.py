"""Torget's benchmarks: `make bench` runs them all, `make bench BENCH=<name>` runs one.

Each benchmark is a module `bench/<name>.py` (hyphens in a name are underscores in the file)
with a function `run() -> dict` that measures Torget and a baseline in the same run and writes
`bench/results/<name>.json` through `bench.common.write_result`.
"""
