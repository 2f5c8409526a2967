"""A real single-node Kubernetes for the local environment."""
