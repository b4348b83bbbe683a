"""karpathy/char-rnn (Andrej Karpathy, MIT licence) ported line by line onto legonn: train.lua -> train.py,
sample.lua -> sample.py, inspect_checkpoint.lua -> inspect_checkpoint.py, convert_gpu_cpu_checkpoint.lua ->
convert_gpu_cpu_checkpoint.py, model/{LSTM,GRU,RNN}.lua -> model/*.py, util/{OneHot,misc,model_utils,
CharSplitLMMinibatchLoader}.lua -> util/*.py. tests/porting/test_char_rnn.py runs the scripts end to end.

0-based: character codes (the vocabulary numbers the sorted bytes from 0), split indices (0 train, 1 validation,
2 test), batch pointers (-1 before the first batch, Lua's 0), the LSTM's layer names (``i2h_0``), GPU ids
(``cutorch.setDevice(opt['gpuid'])`` where the Lua adds 1). Time steps stay 1-based as the keys of
``rnn_state``/``drnn_state``, whose key 0 is the initial state, so the clones and batch columns are ``[t - 1]``.

Edits beyond Lua syntax and indices, each a docs/porting.md row or marked where it is made:

* A script's body is ``main(arg)`` (Lua's global ``arg``); its globals are the function's locals, and train.py
  returns them (with the list of checkpoints written, ``saved``, not in the Lua) for the tests to read.
  ``io.write`` is ``sys.stdout.write``, ``os.exit()`` ``raise SystemExit()``.
* ``pcall(require, 'cunn')`` is a ``try`` of ``paths.require('cunn')``. legonn has no OpenCL: ``clnn`` and
  ``cltorch`` are ImportErrors, so ``-opencl 1`` falls back to the CPU as in Torch7 without them.
* ``require 'util.OneHot'`` imports the class, which ``lg.register(OneHot)`` lets lg.load rebuild (the
  ``torch.class`` row); a checkpoint Torch7 wrote needs load_lua's converters (the char-rnn checkpoint row).
* The input text is read as bytes (latin-1, no newline translation), as Lua's ``f:read`` gives them (the ``#s``
  of ``ffi.string`` row).
* Lua's nil tests: model_utils' ``if not storageInSet(...)`` is ``is None`` (an offset 0 is true in Lua), and
  ``node.data.annotations.name`` is ``.get('name')`` (nil for the nodes without one).
* ``clone_many_times(proto, opt.seq_length, not proto.parameters)``: the third argument, which the function
  never names, is dropped; ``collectgarbage()`` is dropped.
* ``rnn_state[#rnn_state]`` is ``rnn_state[len(rnn_state) - 1]`` (``#`` skips key 0); ``drnn_state[t-1][k-1] =
  v`` over ``k`` in order is an append to a list; the inner ``for i`` loops over the state inside ``for i`` over
  batches (eval_split, sample.lua) use ``i_`` (a loop's variable is a block local in Lua).
"""
