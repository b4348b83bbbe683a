"""facebookarchive/torch-rnnlib ported line by line (BSD licence, Copyright (c) 2016-present, Facebook, Inc.; the
examples under LICENSE-examples): this package is rnnlib/init.lua, which loads the rest and returns the
``rnnlib`` table. tests/porting/test_rnnlib.py runs it.

Files: env.py, cell.py, make.py, recurrentnetwork.py, bidirectional.py, mutils.py, cudnnutils.py, nn/
(SequenceTable, RecurrentTable, WrappedCudnnRnn, LSTM, GRU, RNN, ReverseTable, ZipTable), test/ (test_sequence.lua,
test_cudnn.lua), examples/word_language_model/ (word_lm.lua, get_data.lua, generate.lua), examples/utils/data.py
(examples/utils/data.lua) and examples/sentence_classification/ (sentiment.lua, models.lua, get_data.lua). Each
file's docstring lists its edits beyond Lua syntax and 0-based indices; the directories with a dash in the Lua
(word-language-model, sentence-classification) are Python packages with an underscore.

init.lua's ``pcall(require, 'cutorch')`` etc. and ``if cudnn then require 'rnnlib.nn.WrappedCudnnRnn' end`` are
imports (legonn's cudnn always loads); the classes rnnlib puts into Lua's ``nn`` table stay in ``.nn`` (its
``__init__`` says why). ``require 'rnnlib.nn.ZipTable'`` only ``if not nn.ZipTable``: legonn's nn has one, so the
port's ZipTable is not used.

Not ported: the shell script examples/sentence-classification/scripts/data.sh (it downloads SST-1; get_data.py
calls it as the Lua does, and the tests write its output files instead), the PTB text files, doc/, rocks/ and
CMakeLists.txt (packaging).
"""
from .env import rnnlib  # noqa: F401  (init.lua returns the table)
from . import cell  # noqa: F401
from . import make  # noqa: F401
from . import recurrentnetwork  # noqa: F401
from . import bidirectional  # noqa: F401
from .nn.GRU import GRU  # noqa: F401
from .nn.LSTM import LSTM  # noqa: F401
from .nn.RNN import RNN  # noqa: F401
from .nn.RecurrentTable import RecurrentTable  # noqa: F401
from .nn.ReverseTable import ReverseTable  # noqa: F401
from .nn.SequenceTable import SequenceTable  # noqa: F401
from .nn.WrappedCudnnRnn import WrappedCudnnRnn  # noqa: F401
