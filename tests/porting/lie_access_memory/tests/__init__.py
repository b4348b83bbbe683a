"""tests/*.lua of the repository."""
