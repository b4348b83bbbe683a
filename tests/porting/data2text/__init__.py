"""harvardnlp/data2text (Wiseman, Shieber, Rush 2017, "Challenges in Data-to-Document Generation"; no licence
file in the repository, its onmt/ tree is a fork of an early OpenNMT, MIT licence) ported line by line onto legonn,
one Python file per Lua file under the Lua file's name (``onmt/modules/X.lua`` is ``X.py``);
tests/porting/test_data2text.py runs it.

Ported: box_train.lua (its initParams, buildCriterion, eval, trainEpoch, with the default configuration's model:
onmt/Models.lua's buildDecoder for neither -copy_generate nor -switch), onmt/modules/BoxTableEncoder.lua,
onmt/modules/Decoder.lua, onmt/modules/GlobalAttention.lua, onmt/modules/LSTM.lua (these three differ from
OpenNMT's: tanh query, attention scores, a forget-gate bias of 2, no h2h bias), onmt/data/BoxDataset2.lua,
onmt/data/BoxBatch3.lua and onmt/train/Optim.lua (its ``mom`` method and updateLearningRate2). The files that are
OpenNMT's own are imported from the OpenNMT port (tests/porting/test_opennmt_modules.py, test_opennmt.py):
Sequencer.lua, WordEmbedding.lua, Generator.lua, Dict.lua, the preallocation helpers of Tensor.lua.

Lua globals the scripts share (box_train.lua's ``g_nRegRows``, ``g_nCols``, ``g_specPadding``, ``g_nFeatures``,
read by BoxBatch3.lua) live in ``G`` below, Lua's ``_G``.

Word ids are 0-based (onmt.Constants' PAD, UNK, BOS, EOS = 0, 1, 2, 3); doubles throughout
(``torch.setdefaulttensortype('torch.DoubleTensor')``, as the Lua runs)."""
import types

G = types.SimpleNamespace()   # Lua's global table, for the g_* globals box_train.lua sets and BoxBatch3.lua reads
