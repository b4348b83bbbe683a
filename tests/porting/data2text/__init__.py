"""harvardnlp/data2text (Wiseman, Shieber, Rush 2017, "Challenges in Data-to-Document Generation"; no licence
file in the repository, its onmt/ tree is a fork of an early OpenNMT, MIT licence) ported line by line onto legonn,
one Python file per Lua file under the Lua file's name (``onmt/modules/X.lua`` is ``X.py``);
tests/porting/test_data2text.py runs it.

Ported: box_train.lua (options, initParams, buildCriterion, eval, beamGen, trainEpoch, main) with the models of
its default configuration and of -copy_generate (the joint copy model): onmt/Models.lua's buildDecoder,
onmt/modules/BoxTableEncoder.lua, Decoder.lua, Decoder2.lua, CopyGenerator2.lua, CIndexAddTo.lua,
GlobalAttention.lua and LSTM.lua (these two differ from OpenNMT's: tanh query, attention scores, a forget-gate bias
of 2, no h2h bias), MarginalNLLCriterion.lua; onmt/data/BoxDataset2.lua, BoxBatch3.lua; onmt/train/Optim.lua (its
``mom`` method and updateLearningRate2), EpochState.lua, Checkpoint.lua; onmt/translate/Beam.lua, BeamSearcher.lua,
Decoder2Advancer.lua (with Advancer.lua); onmt/utils/Cuda.lua, Opt.lua, Memory.lua's boxOptimize2 (without
MemoryOptimizer.lua's buffer sharing, an optimisation of memory); extractor.lua (the information-extraction model of
the evaluation). The files that are OpenNMT's own are imported from the OpenNMT port
(tests/porting/test_opennmt_modules.py, test_opennmt.py): Sequencer.lua, WordEmbedding.lua, Generator.lua,
Dict.lua, the helpers of Tensor.lua.

Not ported: box_preprocess.lua and the Python scripts (data_utils.py, non_rg_metrics.py: Python already; the tests
write box_preprocess.lua's ``-train.t7`` and data_utils.py's ``roto-ie.h5`` directly); -switch (SwitchingDecoder.lua,
BoxSwitchBatch.lua, SwitchingDecoderAdvancer.lua), -discrec/-recdist (ConvRecDecoder.lua, KMinXent.lua,
KMinDist.lua, PairwiseDistDist.lua), the other variants no box_train.lua option reaches (BoxBatch.lua,
BoxBatch4margnllcrit.lua, BoxDataset.old.lua, CopyGenerator.lua, CopyPOEGenerator.lua, PointerGenerator.lua,
MarginalNLLCriterion2.lua, Aggregator.lua, BoxConvEncoder.lua, MaxMask.lua, CIndexAddToSlow.lua, Greedy.lua,
DecoderAdvancer.lua, Translator.lua, PhraseTable.lua), onmt's Encoder.lua, BiEncoder.lua and the word features
(FeaturesEmbedding.lua, FeaturesGenerator.lua, Features.lua), which box_train.lua never builds, and Parallel.lua,
Log.lua, Logger.lua, MemoryOptimizer.lua.

Lua globals the scripts share (box_train.lua's ``g_nRegRows``, ``g_nCols``, ``g_specPadding``, ``g_nFeatures``,
read by BoxBatch3.lua) live in ``G`` below, Lua's ``_G``.

Word ids are 0-based (onmt.Constants' PAD, UNK, BOS, EOS = 0, 1, 2, 3); doubles throughout
(``torch.setdefaulttensortype('torch.DoubleTensor')``, as the Lua runs)."""
import types

G = types.SimpleNamespace()   # Lua's global table, for the g_* globals box_train.lua sets and BoxBatch3.lua reads
