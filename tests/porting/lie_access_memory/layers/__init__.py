"""layers/*.lua: the repository's nn modules, one file each."""
