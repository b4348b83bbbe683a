"""utils/: DataLoader.lua and misc.lua."""
