"""harvardnlp/BSO (MIT licence, Sam Wiseman; "Sequence-to-Sequence Learning as Beam-Search Optimization", Wiseman
and Rush 2016) ported line by line onto legonn, one Python file per Lua file under the Lua file's name;
tests/porting/test_bso.py runs it on a synthetic word-ordering task.

Ported: data.lua, util.lua (LinearNoBias: imported from tests/porting/im2markup.py, the same Lua lines),
model_utils.lua (clone_many_times imported from the im2markup port, the same function from learning_to_execute),
models.lua (make_lstm, make_lstm2, make_sd_lstm_dec, make_decoder_attn, make_generator; reuseMem/setReuse are
im2markup's port of the same two methods), SynchedDropout.lua, bleu.lua, margin_beam_searcher.lua,
con_margin_beam_searcher.lua, state_disq.lua's WOStateDisqualifier, bso_train.lua (its functions, train with
train_batch, eval, unconstrained_eval and main), pretrain.lua and predict.lua (each script's main takes its options as a
SimpleNamespace instead of torch.CmdLine's parse).

Not ported: state_disq.lua's LabeledSRStateDisqualifier, dep_labels and get_dep_label_idxs (the shift-reduce
constraint of the dependency-parsing experiments, over a parser's Stanford labels), with bso_train.lua's
-con sr branches; data_prep/ (Python and shell already, or Moses tokenisation): the tests write the hdf5 file
data_prep/preproc_pp.py would write.

Word ids: the hdf5 file holds the Lua's ids from 1 (PAD 1, UNK 2, BOS 3, EOS 4); data.py subtracts 1 when it
reads them (docs/porting.md's row on a Lua's own data files of word ids), so ``START, END = 3, 4`` is
``START, END = 2, 3`` and flat indices ``(n-1)*V + w`` are ``n*V + w``.
"""
