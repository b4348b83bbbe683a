"""The exp/ folder of charades-algorithms' torch/ code: one experiment a file (see ../__init__.py)."""
