"""Benchmarks: make targets, not tests."""
