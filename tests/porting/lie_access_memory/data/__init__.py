"""data/ of the repository: load.lua (generate.py, Python 2, writes the files it reads)."""
