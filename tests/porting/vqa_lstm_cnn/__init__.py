"""GT-Vision-Lab/VQA_LSTM_CNN (the "deeper LSTM Q + norm I" VQA baseline of Antol et al., ICCV 2015; mostly by Jiasen
Lu; BSD licence) ported line by line; the test file is tests/porting/test_vqa_lstm_cnn.py.

Ported: misc/LSTM.lua, misc/netdef.lua, misc/RNNUtils.lua (misc/), train.lua, eval.lua and prepro_img.lua (the
scripts as ``main(arg)``); each file's docstring lists its edits beyond syntax and 0-based indices.
Not ported: prepro.py, data/vqa_preprocessing.py, evaluate.py and create_spacy_paraphraser.py are Python already
(the tests write prepro.py's data_prepro.h5 / .json in its format instead); spacy_data/ is data.
"""
