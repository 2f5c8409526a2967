"""Pulumi component resources: thin wiring over the pure functions in `derive`."""
