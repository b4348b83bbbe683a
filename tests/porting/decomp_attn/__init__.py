"""harvardnlp/decomp-attn (MIT licence, Yoon Kim; the decomposable attention model of Parikh et al., EMNLP 2016)
ported line by line onto legonn, one Python file per Lua file; tests/porting/test_decomp_attn.py runs it on a
synthetic entailment set in the hdf5 form preprocess.py writes.

Ported: data.lua (the same lines as harvardnlp/struct-attn's data-entail.lua: imported from
tests/porting/struct_attn/data_entail.py), utils.lua (adagrad_step, adam_step, adadelta_step: the same lines as
struct-attn's model_utils.lua, imported from its port), models.lua (make_sent_encoder, get_layer,
set_size_encoder), train.lua and predict.lua (each script's body is ``main(arg)``, its ``cmd`` a CmdLine).

Not ported: preprocess.py, process-snli.py and get_pretrain_vecs.py (Python already; the tests write the hdf5
files and dictionaries they would write, with random "GloVe" vectors).

Word ids, labels and batch_idx in the hdf5 file are the Lua's, from 1 (PAD 1, UNK 2, START 3, END 4): the data
class adds -1 as it reads them, so predict.lua's ``PAD = 1; UNK = 2; START = 3; END = 4`` are 0 .. 3 here and
the dictionaries' ids (from 1 in the .dict files) get -1 in idx2key.
"""
