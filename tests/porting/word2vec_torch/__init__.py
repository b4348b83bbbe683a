"""rotmanmi/word2vec.torch (Michael Rotman; the repository carries no licence file) ported line by line onto
legonn: bintot7.lua -> bintot7.py, w2vutils.lua -> w2vutils.py. tests/porting/test_word2vec_torch.py runs them on
a small word2vec binary file.

0-based: the rows of ``M`` and the keys of ``w2vvocab``/``v2wvocab`` (word ``i`` is row ``i``, from 0).

Edits beyond Lua syntax and indices:

* Both files read the global ``opt`` when they are required (w2vutils.lua sets it, with its author's paths, and
  bintot7.lua reads it): bintot7.py is ``main(opt)`` and w2vutils.py ``require(opt)``, each returning what the
  Lua file returns.
* The word2vec table is a dict (what ``lg.load`` gives for a Lua table); ``w2vutils:distance(vec, k)`` is
  ``w2vutils['distance'](w2vutils, vec, k)``, the call Lua's colon stands for.
* ``str:string()`` of the word's bytes is a Python str (legonn's ``string()`` decodes UTF-8, as the vectors'
  words are written), so a word is looked up by its text as in Lua by its bytes.
"""
