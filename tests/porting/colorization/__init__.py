"""satoshiiizuka/siggraph2016_colorization (Creative Commons Attribution-NonCommercial-ShareAlike 4.0, Copyright (C)
2016 Satoshi Iizuka, Edgar Simo-Serra, Hiroshi Ishikawa) ported line by line onto legonn, one Python file per Lua
file under the Lua file's name; tests/porting/test_siggraph2016_colorization.py runs it.

Ported: colorize.lua (its body as ``main(arg)``, ``arg`` the script's command-line arguments, 0-based).
Not ported: download_model.sh and download_model_imagenet.sh (downloads of the trained colornet.t7; the test builds
a stand-in network of the same structure and saves it with ``lg.save_lua``). The repository holds no training code.
"""
