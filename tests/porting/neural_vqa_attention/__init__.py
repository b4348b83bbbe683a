"""abhshkdz/neural-vqa-attention (Abhishek Das, MIT licence) ported line by line onto legonn: train.lua ->
train.py, eval.lua -> eval.py, prepro_img.lua -> prepro_img.py, dataloader.lua -> dataloader.py, misc/san.lua ->
misc/san.py, misc/utils.lua -> misc/utils.py. tests/porting/test_neural_vqa_attention.py runs them. prepro.py
and data/vqa_preprocessing.py are Python already (they write the h5/json files from VQA's json; the test writes
small files of their layout itself); attention_visualization.ipynb is a notebook, not ported.

0-based: word ids (padding -1, LookupTableMaskZero's in legonn: right_align fills -1 where the Lua fills 0),
answers and their ``ix_to_ans`` keys, image positions (``img_pos``), ``test_id``, ``torch.random(n)``
(``lg.random(n)`` draws 0 .. n-1), ``SplitTable(1, 2)``, ``Replicate(196, 2)``, eval.lua's ``attention_layers``
``{{19}, {22, 35}}`` (the SoftMax modules' places among the gModule's modules: ``[[18], [21, 34]]``, the same
modules, legonn's gModule listing its modules in nngraph's order), ``xlua.progress``'s current (the batch being
started), optim.Logger's column names for list rows (``'0'``, ``'1'``, ``'2'``: docs/porting.md's row) and
``-gpuid``.

Edits beyond Lua syntax and indices:

* A script's body is ``main()`` (train, eval) or ``main(arg)`` (prepro_img), returning its globals (train.py
  also ``losses``, each batch's loss); the environment-variable parser keeps its one line, with ``tonumber`` an
  int for integral numbers (Lua uses them as integers: ``LongTensor(opt.batch_size)``).
* dataloader.lua is a table that train.lua and eval.lua ``dofile``: a dict subclass with its methods here,
  instantiated where the Lua calls ``dofile``; ``dataloader['ques']`` inside ``next_batch`` (the module table,
  which is ``self``) is ``self['ques']``.
* ``require 'cutorch'`` is ``paths.require('cutorch')``; ``os.date('*t', os.time())`` is ``time.localtime()``;
  ``collectgarbage()`` is dropped.
"""
