"""reedscot/cvpr2016's modules/ directory, ported (see tests/porting/cvpr2016/__init__.py)."""
