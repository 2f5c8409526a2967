"""Benchmark suite: B1 program evaluation under mocks (B2 real engine and B3 delivery latency are hooks)."""
