"""eladhoffer/seq2seq.torch ported line by line on top of the recurrent.torch port (tests/porting/recurrent_torch/):
vocabulary.lua, seqProvider.lua, Seq2Seq.lua, opt.lua, main.lua, thoughtVectors.lua; eladhoffer/eladtools'
EarlyStop.lua, which main.lua constructs, is in tests/porting/eladtools/. tests/porting/test_seq2seq_torch.py runs them; each file's
docstring lists its edits beyond Lua syntax and 0-based indices.

Not ported, and why:

* learnWords.lua, learnWordsCNN.lua: their encoder is opt.lua's buildBiDiRNN, whose ``nn.Bidirectional`` neither
  recurrent.torch nor nnx (the package opt.lua requires before it) defines.
* getCorpus.lua (downloads WMT and BookCorpus with wget), test.lua (requires 'MaskPadding', a file the repository
  does not have), test_seq.lua (requires 'seqProvider_new', likewise missing), utils/trainEncDec.lua (an older
  training script reading globals nothing sets: ``model``, ``Weights``, ``Gradients``, ``ForwardSeq``),
  utils/MaskTarget.lua (``self.maskedValue = 0 or maskedValue`` and a ``self.outputSize`` nothing sets: its
  updateOutput cannot run), utils/OneHot.lua and utils/textDataProvider.lua (copies of recurrent.torch's example
  utilities, ported there).
"""
