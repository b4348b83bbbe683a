"""misc/: san.lua and utils.lua."""
