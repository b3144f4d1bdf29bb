"""Benchmarks: standalone scripts, run as `.venv/bin/python bench/<name>.py` from the repo root."""
