"""abhshkdz/neural-vqa (Abhishek Das, MIT licence) ported line by line onto legonn: train.lua -> train.py,
evaluate.lua -> evaluate.py, predict.lua -> predict.py, extract_fc7.lua -> extract_fc7.py, lstm.lua -> lstm.py,
utils/DataLoader.lua -> utils/DataLoader.py, utils/misc.lua -> utils/misc.py (whose preprocess and deprocess are
neural-style's Lua, imported from tests/porting/test_neural_style.py, and combine_all_parameters and clone_list
char-rnn's, imported from tests/porting/char_rnn/). tests/porting/test_neural_vqa.py runs them.
utils/JSON.lua (Jeffrey Friedl's JSON decoder) is not ported: ``JSON:decode`` is legonn.cjson's ``decode``.

0-based: question word ids and answers (the sorted vocabularies numbered from 0); a question's padding is -1
where the Lua's is 0, so ``q_batch + 1`` is LookupTable row 0 for padding and rows 1 .. V for the words, as in
the Lua (docs/porting.md's LookupTable and LookupTableMaskZero index rows); ``prediction:max(2)``'s indices;
``-gpuid`` as legonn's device (``cutorch.setDevice(opt.gpuid + 1)`` is ``setDevice(opt['gpuid'])``). Time steps
stay 1-based as keys of ``rnn_state``/``drnn_state`` (key 0 the initial state), so clones and question columns
are ``[t - 1]``.

Edits beyond Lua syntax and indices (docs/porting.md rows, or marked where made):

* A script's body is ``main(arg)``, returning its globals (train.py also ``saved``, the checkpoints written);
  ``pcall(require, 'cunn')`` is a ``try`` of ``paths.require``; ``collectgarbage()`` is dropped.
* ``loader:next_batch()``'s fourth value (the image ids), which the Lua's three names drop, is unpacked into
  ``_``; ``{unpack(t, a, b)}`` is a slice.
* DataLoader.lua's ``for i = 1, top_n do ordered[#ordered + 1] = sorted_a[i] end`` reads past the end of a
  shorter answer list, where Lua appends nil (nothing): bounded here. ``get_keys_sorted_by_value``'s
  ``table.sort`` with a comparator is ``sort`` with ``functools.cmp_to_key``; ties come out in Lua in an order
  table.sort leaves unspecified, so only vocabularies of distinct counts are ordered alike.
* extract_fc7.lua's ``image_id`` table (keys 1 .. n) is a dict while it is built and saved as the list of its
  values, which ``lg.load`` and DataLoader read as Torch7 reads the table. Its ``repeat ... until idx >=
  #image_id`` stops with one image left when a batch ends on the last but one (kept as in the Lua).
"""
