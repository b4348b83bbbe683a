"""models/*.lua of the repository (lstm.lua ported)."""
