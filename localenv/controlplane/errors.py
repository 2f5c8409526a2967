"""Errors raised by the local control plane."""


class ControlPlaneError(RuntimeError):
    """A component could not be found, started, reached or stopped."""
