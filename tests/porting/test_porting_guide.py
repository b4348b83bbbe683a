"""docs/porting.md's legonn code runs as written (the worked LSTM example trains)."""
import os
import re

import legonn as lg

GUIDE = os.path.join(os.path.dirname(__file__), '..', '..', 'docs', 'porting.md')


def test_worked_example_runs_and_trains():
    """The legonn half of the guide's worked example: an LSTM cell from nn.Identity()() nodes with split
    (as karpathy/char-rnn's model/LSTM.lua) and an optim.adam closure; it asserts its loss fell tenfold."""
    with open(GUIDE) as f:
        blocks = re.findall(r'```python\n(.*?)```', f.read(), re.S)
    assert len(blocks) == 1
    try:
        exec(compile(blocks[0], GUIDE, 'exec'), {})
    finally:
        lg.setdefaulttensortype('legonn.FloatTensor')


def test_readme_links_the_guide():
    with open(os.path.join(os.path.dirname(GUIDE), '..', 'README.md')) as f:
        assert '(docs/porting.md)' in f.read()
