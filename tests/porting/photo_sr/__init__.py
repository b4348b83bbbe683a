"""leehomyc/Photo-Realistic-Super-Resoluton (SRGAN in Torch7; MIT licence, Copyright (c) 2016 harryyang.hk, kept for
this translation) ported line by line onto legonn, one Python file per Lua file under the Lua file's name
(``weight-init.lua`` is weight_init.py); tests/porting/test_photo_sr.py runs it.

Ported: adversarial_G.lua, adversarial_D.lua, weight-init.lua, util.lua (MGANs' util.lua, imported), data/data.lua
(reedscot/icml2016's port of dcgan.torch's data.lua, subclassed: this one knows a single donkey file and takes no
dataset name), data/dataset.lua (soumith/imagenet-multiGPU.torch's dataLoader, imported from its port and subclassed:
this repo's ``sample`` returns the high- and low-resolution batches, its ``tableToOutput`` builds both),
data/donkey_folder_supres.lua, run_sr.lua, run_resume.lua and run_test.lua (each a module whose ``main(opt)`` is the
script's chunk after its ``opt`` table, which the caller hands in; ``environment`` applies the Lua's environment
overrides to it).

The edits beyond Lua syntax and 0-based indices: run_resume.lua's option table lacks the comma after ``D_path=''`` (a
Lua syntax error, so the script never ran as committed): the port has it. A donkey's globals live in ``threads.local``.
``real_uncropped, input = data:getBatch()`` keeps the first two of the three values (``[:2]``). The ``print`` lines and
Timers of the training loop are kept; run_sr's ``main`` also returns the per-step losses it prints.
"""
