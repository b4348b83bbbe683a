"""satoshiiizuka/siggraph2017_inpainting (Creative Commons Attribution-NonCommercial-ShareAlike 4.0, Copyright (C)
2017 Satoshi Iizuka, Edgar Simo-Serra, Hiroshi Ishikawa) ported line by line onto legonn, one Python file per Lua
file under the Lua file's name; tests/porting/test_siggraph2017_inpainting.py runs it.

Ported: utils.lua (load_image_gray, tensor2cvimg, cvimg2tensor) and inpaint.lua (its body as ``main(arg)``, ``arg``
the command-line arguments): the option parsing, the mask from a file or the random holes, the scaling to
``maxdim`` and to multiples of 4, the completion network's forward and the mask compositing, the saved images.
Not ported: the OpenCV calls of ``--postproc`` (torch-opencv's ``cv.inpaint`` and ``cv.seamlessClone``, bindings
of the C++ library, which legonn does not have): the block is ported and imports ``cv`` as the Lua requires it, so
it runs where a module of that name provides the two functions, and stops with ModuleNotFoundError elsewhere, as the
Lua stops without torch-opencv; download_model.sh (the trained completionnet_places2_freeform.t7: the test saves a
stand-in network with ``lg.save_lua``).
"""
