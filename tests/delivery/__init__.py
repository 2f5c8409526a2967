"""Delivery: the real controllers hand each app the right secret and keep it fresh (local control plane)."""
