"""reedscot/icml2016's data/ directory, ported (see tests/porting/icml2016/__init__.py)."""
