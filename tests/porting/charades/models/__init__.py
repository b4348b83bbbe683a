"""The models/ folder of charades-algorithms' torch/ code (see tests/porting/charades/__init__.py)."""
