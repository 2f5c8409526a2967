"""Pure functions that turn validated stack config into resource inputs."""
