"""karpathy/char-rnn's util/ directory, ported (see tests/porting/char_rnn/__init__.py)."""
