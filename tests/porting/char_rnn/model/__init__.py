"""karpathy/char-rnn's model/ directory, ported (see tests/porting/char_rnn/__init__.py)."""
