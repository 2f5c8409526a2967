"""The plan: what the program builds, fully derived from the validated config before any resource exists."""
