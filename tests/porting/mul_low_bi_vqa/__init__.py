"""jnhwkim/MulLowBiVQA (Multimodal Low-rank Bilinear attention networks for VQA; Copyright (c) 2016 Naver Corp.
and Seoul National University R&DB Foundation, BSD-style licence) ported line by line; the test file is
tests/porting/test_mul_low_bi_vqa.py.

Ported: netdef/MLB.lua and netdef/MCB.lua (netdef/), misc/mhdf5.lua (misc/mhdf5.py), myutils.lua, train.lua and
eval.lua (train.py and eval.py: the scripts as ``main(arg)``). misc/RNNUtils.lua is VQA_LSTM_CNN's file (its header
says so), whose port tests/porting/vqa_lstm_cnn/misc/RNNUtils.py's ``load_rnn_utils`` is imported. MCB.lua requires
jnhwkim/cbp, whose port is tests/porting/cbp/.

Not ported: prepro_res.lua and visualgenome/*.lua (ResNet-152 features of COCO / Visual Genome images through
fb.resnet.torch's checkpoint: the image pipeline is the fast_neural_style/objdet ports' and no weights are at hand),
prepro_seconds.lua (reads the VQA annotation files), make_lookuptable.lua (converts the skip-thoughts numpy
dump), misc/dashboard.js (node), misc/LSTM.lua (no script requires it); eval.lua's ``-priming`` branch reads
neuraltalk2 captions from a fixed path (/opt/data/coco): ported, not run.
"""
