"""reedscot/cvpr2016's util/ directory, ported (see tests/porting/cvpr2016/__init__.py)."""
