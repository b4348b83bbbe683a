"""utils/*.lua of the repository (the parts of common.lua and nested.lua that fb.lua and models/lstm.lua use)."""
