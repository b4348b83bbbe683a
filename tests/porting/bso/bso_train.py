"""BSO's bso_train.lua: beam-search optimisation of a seq2seq-attn model. fwd_prop_enc, fwd_prop_dec,
fwd_prop_spliced_dec, merge_backprop, train (with its global train_batch), eval, unconstrained_eval and main.

Edits beyond Lua syntax and 0-based indices:
- the options come as a SimpleNamespace to main(opt) (torch.CmdLine's parse of the command line left out);
  checkpoints hold ``vars(opt)``; ``cutorch.setDevice(opt.gpuid)`` is given ``opt.gpuid - 1`` (legonn's devices
  count from 0: docs/porting.md's cutorch row).
- time steps count from 0: the clones, ``target[t]`` and the state tables' keys (the Lua's initial state at key
  0 is at key -1, reset_state's ``t == 0`` is ``t == -1``); target_w and target_l stay lengths, so the Lua's
  ``t <= target_w[n] - 1`` is ``t < target_w[n] - 1`` and its time ``penult = target_w[n]`` is ``penult - 1``.
  ``last_resets[n]`` keeps the Lua's value, the number of steps up to the reset (``t + 1`` here), so the loop
  ``for t2 = t, last_resets[n]+1, -1`` is ``range(t, last_resets[n] - 1, -1)``.
- ``generator.modules[2] = nil`` (dropping the LogSoftMax) is ``del generator.modules[1]``.
- the -con sr / -predcon sr branches (LabeledSRStateDisqualifier, the dependency-parsing constraint) are left
  out with state_disq.lua's SR half, and with them main's src_dict/targ_dict reading and dep_label_idxs.
"""
import math

import legonn as lg
from legonn import cutorch
from . import model_utils as MU
from .bleu import get_bleu, get_ngram_prec
from .data import data
from .con_margin_beam_searcher import ConMarginBatchBeamSearcher
from .margin_beam_searcher import MarginBatchBeamSearcher
from .models import make_generator, make_lstm, make_sd_lstm_dec
from .state_disq import WOStateDisqualifier

opt = None
# the Lua's globals that main, train and get_layer set
encoder = decoder = generator = criterion = layers = None
word_vecs_enc = word_vecs_dec = decoder_attn = None
params = grad_params = layer_etas = None
train_data = valid_data = None
context_proto = beam_context_proto = pred_pfx_proto = inp_proto = mask_proto = disq_idx_proto = None
encoder_clones = decoder_clones_g = decoder_clones_p = generator_clones_g = generator_clones_p = None
init_fwd_enc = init_bwd_enc = init_fwd_dec_p = init_bwd_dec_p = init_fwd_dec_g = init_bwd_dec_g = None
extra_room = None
train_batch = None


def fwd_prop_enc(source, source_l, batch_l, train):
    rnn_state_enc = MU.reset_state(init_fwd_enc, batch_l, -1)
    context = context_proto[0:batch_l, 0:source_l]
    for t in range(source_l):
        if train:
            encoder_clones[t].training()
        else:
            encoder_clones[t].evaluate()
        encoder_input = [source[t], *rnn_state_enc[t - 1]]
        out = encoder_clones[t].forward(encoder_input)
        rnn_state_enc[t] = out
        context[:, t].copy(out[-1])   # copy final layer for t'th timestep (for entire batch)
    return rnn_state_enc, context


def fwd_prop_dec(rnn_state_enc, source_l, batch_l, context, target, num_steps, pred, train):
    if pred:
        rnn_state_dec = MU.reset_state(init_fwd_dec_p, batch_l, -1)
    else:
        rnn_state_dec = MU.reset_state(init_fwd_dec_g, batch_l, -1)
    # initialize with last state of encoder
    if rnn_state_enc:
        for L in range(1, opt.num_layers + 1):   # leave last layer zeros (corresponds to prev attn)
            rnn_state_dec[-1][L * 2 - 2].copy(rnn_state_enc[source_l - 1][L * 2 - 2])
            rnn_state_dec[-1][L * 2 - 1].copy(rnn_state_enc[source_l - 1][L * 2 - 1])
    # now push thru assuming using target_n as input
    if pred:
        dclones = decoder_clones_p
        sclones = generator_clones_p
    else:
        dclones = decoder_clones_g
        sclones = generator_clones_g
    for t in range(num_steps):
        if train:
            dclones[t].training()
        else:
            dclones[t].evaluate()
        decoder_input = [target[t], context, *rnn_state_dec[t - 1]]
        rnn_state_dec[t] = dclones[t].forward(decoder_input)
        if train:
            sclones[t].training()
        else:
            sclones[t].evaluate()
        sclones[t].forward(rnn_state_dec[t][-1])
    return rnn_state_dec


def fwd_prop_spliced_dec(gold_rnn_state_dec, source_l, batch_l, context, preds, target_w, delt_vals, num_steps):
    # initialize the same as gold decoder (since everyone sees same encoder etc)
    # and also same 1st token, which is start token
    dec_state_size = len(gold_rnn_state_dec[-1])
    rnn_state_dec = MU.reset_state(init_fwd_dec_p, batch_l, -1)
    for j in range(dec_state_size):
        rnn_state_dec[-1][j].copy(gold_rnn_state_dec[-1][j])
    dclones, sclones = decoder_clones_p, generator_clones_p
    # now do remaining time-steps, splicing in when we did a reset
    for t in range(num_steps):
        dclones[t].training()
        decoder_input = [preds[t], context, *rnn_state_dec[t - 1]]
        rnn_state_dec[t] = dclones[t].forward(decoder_input)
        # replace predicted states w/ gold ones when we reset
        for n in range(batch_l):
            # we could really copy for t=1 too...
            if t > 0 and t < target_w[n] and delt_vals[t - 1][n] > 0:   # we reset @ prev step so this step is gold
                for j in range(dec_state_size):
                    rnn_state_dec[t][j][n].copy(gold_rnn_state_dec[t][j][n])
        sclones[t].training()
        sclones[t].forward(rnn_state_dec[t][-1])
    return rnn_state_dec


def merge_backprop(ctx, target, batch_l, target_l, target_w, gold_rnn_state_dec, preds, pred_rnn_state_dec,
                   step_delts, wrongs, rights, delt_vals, drnn_state_enc, encoder_grads):
    drnn_g = MU.reset_state(init_bwd_dec_g, batch_l, 0)   # gold rnn gradOuts
    drnn_p = MU.reset_state(init_bwd_dec_p, batch_l, 0)   # pred rnn gradOuts
    # step_delts is batch_l x V, and we'll update it sparsely with flat_delts
    flat_delts = step_delts.view(-1)
    # N.B. delt_vals[t] are assumed to be 0 when no mistake made at step t...
    for t in range(target_l - 2, -1, -1):
        # get gradOuts of final layer pred predictions
        flat_delts.indexCopy(0, wrongs[t], delt_vals[t])
        dl_dpredt = generator_clones_p[t].backward(pred_rnn_state_dec[t][-1], step_delts)
        drnn_p[-1].add(dl_dpredt)   # add in gradOut from prediction
        flat_delts.indexFill(0, wrongs[t], 0)   # reset to 0
        # now get gradOuts of final layer gold predictions
        delt_vals[t].mul(-1)
        flat_delts.indexCopy(0, rights[t], delt_vals[t])
        dl_dgoldt = generator_clones_g[t].backward(gold_rnn_state_dec[t][-1], step_delts)
        drnn_g[-1].add(dl_dgoldt)   # add in gradout from gold
        flat_delts.indexFill(0, rights[t], 0)   # reset
        for n in range(batch_l):
            # if we reset at previous time-step then current state is gold so add all gradOuts to gold
            # (note we can treat t=0 as a reset)
            if t == 0 or (t < target_w[n] and delt_vals[t - 1][n] > 0):   # tricky; delt_vals[t-1] still unmodified
                for j in range(len(drnn_g)):
                    drnn_g[j][n].add(drnn_p[j][n])
                    drnn_p[j][n].zero()
        gradIn_p = decoder_clones_p[t].backward([preds[t], ctx, *pred_rnn_state_dec[t - 1]], drnn_p)
        encoder_grads.add(gradIn_p[1])
        gradIn_g = decoder_clones_g[t].backward([target[t], ctx, *gold_rnn_state_dec[t - 1]], drnn_g)
        encoder_grads.add(gradIn_g[1])
        # update previous gradOuts with current gradIns
        for j in range(2, len(gradIn_p)):
            drnn_p[j - 2].copy(gradIn_p[j])
            drnn_g[j - 2].copy(gradIn_g[j])
    # now we need to add gradients wrt first decoding timestep to encoder grads
    for L in range(1, opt.num_layers + 1):
        drnn_state_enc[L * 2 - 2].add(drnn_g[L * 2 - 2])
        drnn_state_enc[L * 2 - 1].add(drnn_g[L * 2 - 1])
        # drnn_p should be all zero since we merged...


def train(train_data, valid_data):
    global params, grad_params, context_proto, beam_context_proto, extra_room, pred_pfx_proto, inp_proto
    global mask_proto, disq_idx_proto
    global decoder_clones_g, decoder_clones_p, encoder_clones, generator_clones_g, generator_clones_p
    global init_fwd_enc, init_bwd_enc, init_fwd_dec_p, init_bwd_dec_p, init_fwd_dec_g, init_bwd_dec_g
    timer = lg.Timer()
    num_params = 0
    params, grad_params = [], []
    opt.train_perf = []
    opt.val_perf = []

    for i in range(len(layers)):
        p, gp = layers[i].getParameters()
        if len(opt.train_from) == 0:
            p.uniform(-opt.param_init, opt.param_init)
        num_params = num_params + p.size(0)
        params.append(p)
        grad_params.append(gp)

    if len(opt.train_from) > 0:
        print('loading ' + opt.train_from + '...')
        checkpoint = lg.load(opt.train_from)
        model, model_opt = checkpoint[0], checkpoint[1]
        opt.num_layers = model_opt['num_layers']
        opt.rnn_size = model_opt['rnn_size']
        cpencoder = model[0]
        cpdecoder = model[1]
        cpgenerator = model[2]
        if len(cpgenerator.modules) > 1:   # remove LogSoftMax (tho not really nec)
            assert len(cpgenerator.modules) == 2
            del cpgenerator.modules[1]
        penc, genc = cpencoder.getParameters()
        params[0].copy(penc)
        pdec, gdec = cpdecoder.getParameters()
        params[1].copy(pdec)
        pgen, ggen = cpgenerator.getParameters()
        params[2].copy(pgen)

    optStates = []
    for i in range(len(params)):
        optStates.append({})

    print('Number of parameters: ' + str(num_params))

    word_vecs_enc.weight[0].zero()
    word_vecs_dec.weight[0].zero()

    # prototypes for gradients so there is no need to clone
    encoder_grad_proto = lg.zeros(opt.max_batch_l, opt.max_sent_l, opt.rnn_size)
    context_proto = lg.zeros(opt.max_batch_l, opt.max_sent_l, opt.rnn_size)
    beam_context_proto = lg.zeros(opt.max_batch_l * opt.max_beam_size, opt.max_sent_l, opt.rnn_size)

    extra_room = 5
    pred_pfx_proto = lg.LongTensor(opt.max_sent_l + extra_room, opt.max_batch_l).fill(0)
    inp_proto = lg.LongTensor(opt.max_batch_l * opt.max_beam_size).fill(0)

    wrong_proto = lg.LongTensor(opt.max_sent_l * opt.max_batch_l).fill(0)
    right_proto = lg.LongTensor(opt.max_sent_l * opt.max_batch_l).fill(0)
    delt_vals_proto = lg.Tensor(opt.max_sent_l * opt.max_batch_l)
    last_resets_proto = lg.Tensor(opt.max_batch_l)
    step_delt_proto = lg.Tensor(valid_data.target_size * opt.max_batch_l)
    batch_delts_proto = lg.zeros(opt.max_batch_l)
    batch_losses_proto = lg.zeros(opt.max_batch_l)
    dropout_proto = lg.Tensor(opt.max_batch_l * opt.max_sent_l * opt.num_layers * opt.rnn_size)
    if opt.con != '' or opt.predcon != '':
        mask_proto = lg.Tensor(opt.max_batch_l * opt.max_beam_size * valid_data.target_size)
        disq_idx_proto = lg.LongTensor(opt.max_batch_l * opt.max_sent_l)

    # clone encoder/decoder up to max source/target length
    decoder_clones_g = MU.clone_many_times(decoder, opt.max_sent_l + 1)
    decoder_clones_p = MU.clone_many_times(decoder, opt.max_sent_l)
    encoder_clones = MU.clone_many_times(encoder, opt.max_sent_l)
    for i in range(opt.max_sent_l):
        decoder_clones_p[i].apply(MU.get_layer)
        decoder_clones_g[i].apply(MU.get_layer)
        if hasattr(encoder_clones[i], 'apply'):
            encoder_clones[i].apply(lambda m: m.setReuse())
    # get last one
    decoder_clones_g[opt.max_sent_l].apply(MU.get_layer)

    generator_clones_g = MU.clone_many_times(generator, opt.max_sent_l + 1)
    generator_clones_p = MU.clone_many_times(generator, opt.max_sent_l)

    h_init_dec = lg.zeros(opt.max_batch_l, opt.rnn_size)
    h_init_enc = lg.zeros(opt.max_batch_l, opt.rnn_size)
    if opt.gpuid >= 0:
        h_init_enc = h_init_enc.cuda()
        h_init_dec = h_init_dec.cuda()
        context_proto = context_proto.cuda()
        encoder_grad_proto = encoder_grad_proto.cuda()
        pred_pfx_proto = pred_pfx_proto.cuda()
        inp_proto = inp_proto.cuda()
        wrong_proto = wrong_proto.cuda()
        right_proto = right_proto.cuda()
        delt_vals_proto = delt_vals_proto.cuda()
        last_resets_proto = last_resets_proto.cuda()
        step_delt_proto = step_delt_proto.cuda()
        batch_delts_proto = batch_delts_proto.cuda()
        batch_losses_proto = batch_losses_proto.cuda()
        beam_context_proto = beam_context_proto.cuda()
        dropout_proto = dropout_proto.cuda()
        if opt.con != '' or opt.predcon != '':
            mask_proto = mask_proto.cuda()
            disq_idx_proto = disq_idx_proto.cuda()

    init_fwd_enc = []
    init_bwd_enc = []
    init_fwd_dec_p = [h_init_dec.clone()]   # initial context
    init_bwd_dec_p = [h_init_dec.clone()]   # just need one copy of this
    init_fwd_dec_g = [h_init_dec.clone()]   # initial context
    init_bwd_dec_g = [h_init_dec.clone()]   # just need one copy of this
    for L in range(1, opt.num_layers + 1):
        init_fwd_enc.append(h_init_enc.clone())
        init_fwd_enc.append(h_init_enc.clone())
        init_bwd_enc.append(h_init_enc.clone())
        init_bwd_enc.append(h_init_enc.clone())
        init_fwd_dec_p.append(h_init_dec.clone())   # memory cell
        init_fwd_dec_p.append(h_init_dec.clone())   # hidden state
        init_fwd_dec_g.append(h_init_dec.clone())   # memory cell
        init_fwd_dec_g.append(h_init_dec.clone())   # hidden state
        init_bwd_dec_p.append(h_init_dec.clone())
        init_bwd_dec_p.append(h_init_dec.clone())
        init_bwd_dec_g.append(h_init_dec.clone())
        init_bwd_dec_g.append(h_init_dec.clone())

    # set everyone up with global dropout
    global_noise = dropout_proto.view(opt.num_layers * opt.max_sent_l, opt.max_batch_l, opt.rnn_size)
    synch_count = 0
    for ii in range(opt.max_sent_l):
        assert len(decoder_clones_p[ii].modules) == len(decoder_clones_g[ii].modules)
        for jj in range(len(decoder_clones_p[ii].modules)):
            for lay in range(1, opt.num_layers + 1):
                if getattr(decoder_clones_p[ii].modules[jj], 'name', None) == 'synched-dropout-' + str(lay):
                    assert decoder_clones_g[ii].modules[jj].name == 'synched-dropout-' + str(lay)
                    decoder_clones_p[ii].modules[jj].global_noise = global_noise
                    decoder_clones_g[ii].modules[jj].global_noise = global_noise
                    decoder_clones_p[ii].modules[jj].noise_idx = ii * opt.num_layers + lay - 1
                    decoder_clones_g[ii].modules[jj].noise_idx = ii * opt.num_layers + lay - 1
                    synch_count = synch_count + 1
    assert synch_count == opt.max_sent_l * opt.num_layers

    # set up the beam decoder to have consecutive idxs; global noise will be set elsewhere
    synch_count = 0
    for jj in range(len(decoder_clones_g[-1].modules)):
        for lay in range(1, opt.num_layers + 1):
            if getattr(decoder_clones_g[-1].modules[jj], 'name', None) == 'synched-dropout-' + str(lay):
                decoder_clones_g[-1].modules[jj].noise_idx = lay - 1
                synch_count = synch_count + 1
    assert synch_count == opt.num_layers

    def train_batch(data, epoch):
        train_nonzeros = 0
        train_loss = 0
        batch_order = lg.randperm(data.length)   # shuffle mini batch order
        start_time = timer.time()['real']
        num_words_target = 0
        num_words_source = 0
        if opt.con != '':
            mbbs = ConMarginBatchBeamSearcher(opt.rnn_size, 2 * opt.num_layers + 1, opt.gpuid >= 0)
        else:
            mbbs = MarginBatchBeamSearcher(opt.rnn_size, 2 * opt.num_layers + 1, opt.gpuid >= 0)

        # set up beam decoder to index mbbs's noise
        synch_count = 0
        for jj in range(len(decoder_clones_g[-1].modules)):
            if lg.type(decoder_clones_g[-1].modules[jj]) == 'nn.SynchedDropout':
                decoder_clones_g[-1].modules[jj].global_noise = mbbs.expanded_global_noise
                synch_count = synch_count + 1
        assert synch_count == opt.num_layers

        for i in range(data.size()):
            MU.zero_table(grad_params, opt)
            if epoch <= opt.curriculum:
                d = data[i]
            else:
                d = data[int(batch_order[i])]
            target, target_out, nonzeros, source = d[0], d[1], d[2], d[3]
            batch_l, target_l, source_l, target_w = d[4], d[5], d[6], d[7]

            if opt.ignore_eos:
                target_l = target_l - 1
                target_w.add(-1)

            # generate this mini-batch's mask
            dropout_proto.sub(0, opt.num_layers * target_l * opt.max_batch_l * opt.rnn_size - 1).bernoulli(
                1 - opt.dropout).div(1 - opt.dropout)

            encoder_grads = encoder_grad_proto[0:batch_l, 0:source_l]
            encoder_grads.zero()

            # encode entire batch
            rnn_state_enc, context = fwd_prop_enc(source, source_l, batch_l, True)   # train=true
            gold_rnn_state_dec = fwd_prop_dec(rnn_state_enc, source_l, batch_l, context, target,
                                              target_l - 1, False, True)   # pred = false, train = true

            beam_dec = decoder_clones_g[-1]
            beam_dec.training()
            # need to get this guy's dropout
            beam_scorer = generator_clones_g[-1]
            beam_scorer.training()

            mbbs.initSearch(opt.beam_size, batch_l, gold_rnn_state_dec[-1], target, target_l, opt.num_layers)
            beam_ctx = beam_context_proto[0:opt.beam_size * batch_l, 0:source_l]
            inps = inp_proto.sub(0, batch_l * opt.beam_size - 1)
            V = valid_data.target_size
            disqs = None
            if opt.con != '':
                disqs = {}
            for n in range(batch_l):
                lg.repeatTensor(beam_ctx.sub(n * opt.beam_size, (n + 1) * opt.beam_size - 1),
                                context.sub(n, n), opt.beam_size, 1, 1)
                inps[n * opt.beam_size] = target[0][n]
                if opt.con == 'wo':
                    disqs[n] = WOStateDisqualifier(
                        source.select(1, n), opt.beam_size, V,
                        mask_proto.sub(n * opt.beam_size * V, (n + 1) * opt.beam_size * V - 1),
                        disq_idx_proto.sub(n * source_l, (n + 1) * source_l - 1))

            drnn_state_enc = MU.reset_state(init_bwd_enc, batch_l, 0)   # gradients wrt enc timesteps
            step_delts = step_delt_proto.sub(0, batch_l * V - 1).view(batch_l, V)
            preds = pred_pfx_proto.sub(0, target_l - 2, 0, batch_l - 1)
            wrongs = wrong_proto.sub(0, (target_l - 1) * batch_l - 1).view(target_l - 1, batch_l)
            wrongs.fill(0)
            rights = right_proto.sub(0, (target_l - 1) * batch_l - 1).view(target_l - 1, batch_l)
            rights.fill(0)
            delt_vals = delt_vals_proto.sub(0, (target_l - 1) * batch_l - 1).view(target_l - 1, batch_l)
            delt_vals.zero()
            last_resets = last_resets_proto.sub(0, batch_l - 1)
            last_resets.zero()
            batch_losses = batch_losses_proto.sub(0, batch_l - 1)
            batch_delts = batch_delts_proto.sub(0, batch_l - 1)   # only gonna use these for penult

            loss = 0
            for t in range(target_l - 2):
                bpreds = mbbs.nextSearchStep(t, inps, beam_ctx, beam_dec, beam_scorer, generator_clones_g[t].output,
                                             target, target_w, gold_rnn_state_dec, delt_vals[t], batch_losses,
                                             global_noise, disqs)
                for n in range(batch_l):
                    if t < target_w[n] - 1:   # go up to actual_l-2
                        loss = loss + batch_losses[n]
                        if delt_vals[t][n] > 0:   # otherwise assumed to be 0
                            pred = bpreds[n]
                            last_bad_pred = pred['val']
                            wrongs[t][n] = n * V + pred['val']
                            rights[t][n] = n * V + target[t + 1][n]
                            pred = pred['prev']
                            for t2 in range(t, int(last_resets[n]) - 1, -1):
                                preds[t2][n] = pred['val']
                                pred = pred['prev']
                            if opt.mt_delt_multiple > 0:
                                # reset delt_vals[t][n]
                                tempPredTbl = preds.sub(int(last_resets[n]), t, n, n).squeeze(1).totable()
                                tempPredTbl.append(last_bad_pred)
                                delt_vals[t][n] = opt.mt_delt_multiple * (1 - get_bleu(
                                    tempPredTbl, target.sub(int(last_resets[n]), t + 1, n, n).squeeze(1)))
                            mbbs.resetBeam(n, gold_rnn_state_dec, inps, target, t)
                            last_resets[n] = t + 1

            # do final time-step
            bpreds = mbbs.finalStep(inps, beam_ctx, beam_dec, beam_scorer, generator_clones_g, target, target_w,
                                    batch_delts, batch_losses, global_noise, disqs)
            for n in range(batch_l):
                penult = int(target_w[n])
                loss = loss + batch_losses[n]
                if batch_delts[n] > 0:
                    pred = bpreds[n]
                    last_bad_pred = pred['val']
                    delt_vals[penult - 1][n] = batch_delts[n]
                    wrongs[penult - 1][n] = n * V + pred['val']
                    rights[penult - 1][n] = n * V + target[penult][n]
                    pred = pred['prev']
                    for t2 in range(penult - 1, int(last_resets[n]) - 1, -1):
                        preds[t2][n] = pred['val']
                        pred = pred['prev']
                    if opt.mt_delt_multiple > 0:
                        tempPredTbl = preds.sub(int(last_resets[n]), penult - 1, n, n).squeeze(1).totable()
                        tempPredTbl.append(last_bad_pred)
                        delt_vals[penult - 1][n] = opt.mt_delt_multiple * (1 - get_bleu(
                            tempPredTbl, target.sub(int(last_resets[n]), penult - 1, n, n).squeeze(1)))
                else:
                    delt_vals[penult - 1][n] = 0

            # recreate fprop of wrong preds
            pred_rnn_state_dec = fwd_prop_spliced_dec(gold_rnn_state_dec, source_l, batch_l, context, preds,
                                                      target_w, delt_vals, target_l - 1)

            # backprop through all wrong preds
            merge_backprop(context, target, batch_l, target_l, target_w, gold_rnn_state_dec, preds,
                           pred_rnn_state_dec, step_delts, wrongs, rights, delt_vals, drnn_state_enc, encoder_grads)

            word_vecs_dec.gradWeight[0].zero()
            grad_norm = 0
            grad_norm = grad_norm + grad_params[1].norm() ** 2 + grad_params[2].norm() ** 2

            # after accumulating all encoder grads, we backprop enc in batch
            for t in range(source_l - 1, -1, -1):
                encoder_input = [source[t], *rnn_state_enc[t - 1]]
                drnn_state_enc[-1].add(encoder_grads[:, t])
                dlst = encoder_clones[t].backward(encoder_input, drnn_state_enc)
                for j in range(len(drnn_state_enc)):
                    drnn_state_enc[j].copy(dlst[j + 1])

            word_vecs_enc.gradWeight[0].zero()
            grad_norm = (grad_norm + grad_params[0].norm() ** 2) ** 0.5

            # Shrink norm and update params
            param_norm = 0
            # a batch without a margin violation has no gradient: Lua's x/0 is inf, Python's a ZeroDivisionError
            # (docs/porting.md's `1/0` row)
            shrinkage = opt.max_grad_norm / grad_norm if grad_norm != 0 else math.inf
            for j in range(len(grad_params)):
                if shrinkage < 1:
                    grad_params[j].mul(shrinkage)
                if opt.adagrad:
                    MU.adagradStep(params[j], grad_params[j], layer_etas[j], optStates[j])
                else:
                    params[j].add(-opt.learning_rate, grad_params[j])
                param_norm = param_norm + params[j].norm() ** 2
            param_norm = param_norm ** 0.5

            # Bookkeeping
            num_words_target = num_words_target + batch_l * target_l
            num_words_source = num_words_source + batch_l * source_l
            train_nonzeros = train_nonzeros + nonzeros
            train_loss = train_loss + loss * batch_l
            time_taken = timer.time()['real'] - start_time
            if (i + 1) % opt.print_every == 0:
                stats = 'Epoch: %d, Batch: %d/%d, Batch size: %d, LR: %.4f, ' % (
                    epoch, i + 1, data.size(), batch_l, opt.learning_rate)
                stats = stats + 'Loss: %.4f, |Param|: %.2f, |GParam|: %.2f, ' % (
                    train_loss / train_nonzeros, param_norm, grad_norm)
                stats = stats + 'Training: %d/%d/%d total/source/target tokens/sec' % (
                    (num_words_target + num_words_source) / time_taken, num_words_source / time_taken,
                    num_words_target / time_taken)
                print(stats)
        return train_loss, train_nonzeros

    globals()['train_batch'] = train_batch   # the Lua's train_batch is a global function

    epTimer = lg.Timer()
    for epoch in range(opt.start_epoch, opt.epochs + 1):
        generator_clones_g[0].training()
        epStart = epTimer.time()['real']
        total_loss, total_nonzeros = train_batch(train_data, epoch)
        print('epoch time:', epTimer.time()['real'] - epStart)
        train_score = total_loss / total_nonzeros
        print('Train', train_score)
        opt.train_perf.append(train_score)
        if opt.predcon == '':
            score = unconstrained_eval(valid_data)
        else:
            score = eval(valid_data)
        opt.val_perf.append(-score)
        # clean and save models
        savefile = '%s_epoch%d_%.2f.t7' % (opt.savefile, epoch, score)
        if epoch >= opt.save_after and epoch % opt.save_every == 0:
            print('saving checkpoint to ' + savefile)
            MU.clean_layer(encoder)
            MU.clean_layer(decoder)
            MU.clean_layer(generator)
            lg.save(savefile, [[encoder, decoder, generator], vars(opt)])
        if epoch % opt.epochs_per_beam_size == 0:
            if opt.beam_size < opt.max_beam_size:
                opt.beam_size = opt.beam_size + 1
                for j in range(len(optStates)):
                    if optStates[j].get('var') is not None:
                        optStates[j]['var'].zero()
                        optStates[j]['std'].zero()
                print('beam size now', opt.beam_size)


def eval(data):
    print("eval'ing with beam size", opt.beam_size)
    START, END = 2, 3
    ngram_crct = lg.zeros(4)
    ngram_total = lg.zeros(4)
    total_gold_l, total_pred_l = 0, 0
    if opt.predcon != '':
        mbbs = ConMarginBatchBeamSearcher(opt.rnn_size, 2 * opt.num_layers + 1, opt.gpuid >= 0)
    else:
        mbbs = MarginBatchBeamSearcher(opt.rnn_size, 2 * opt.num_layers + 1, opt.gpuid >= 0)
    for i in range(data.size()):
        d = data[i]
        target, target_out, nonzeros, source = d[0], d[1], d[2], d[3]
        batch_l, target_l, source_l, target_w = d[4], d[5], d[6], d[7]
        if opt.ignore_eos:
            target_l = target_l - 1
            target_w.add(-1)
        # the Lua's `if opt.sr ~= ""`: opt has no field sr, and nil ~= "" holds
        if getattr(opt, 'sr', None) != '':
            max_len = 2 * source_l if opt.predcon == 'sr' else source_l + 1
        else:
            max_len = opt.max_sent_l + opt.extra_room
        # fwd prop encoder
        rnn_state_enc, context = fwd_prop_enc(source, source_l, batch_l, False)   # train=false
        # now beam search
        beam_dec = decoder_clones_g[-1]
        beam_dec.evaluate()
        beam_scorer = generator_clones_g[-1]
        beam_scorer.evaluate()

        mbbs.initSearch(opt.beam_size, batch_l, rnn_state_enc[source_l - 1], target, target_l, opt.num_layers)
        beam_ctx = beam_context_proto[0:opt.beam_size * batch_l, 0:source_l]
        inps = inp_proto.sub(0, opt.beam_size * batch_l - 1)
        disqs = None
        if opt.predcon != '':
            disqs = {}
        for n in range(batch_l):
            lg.repeatTensor(beam_ctx.sub(n * opt.beam_size, (n + 1) * opt.beam_size - 1), context.sub(n, n),
                            opt.beam_size, 1, 1)
            inps[n * opt.beam_size] = target[0][n]
            if opt.predcon == 'wo':
                disqs[n] = WOStateDisqualifier(
                    source.select(1, n), opt.beam_size, valid_data.target_size,
                    mask_proto.sub(n * opt.beam_size * valid_data.target_size,
                                   (n + 1) * opt.beam_size * valid_data.target_size - 1),
                    disq_idx_proto.sub(n * source_l, (n + 1) * source_l - 1))
        if opt.predcon != '':
            batch_preds = mbbs.evalFixedLengthSearch(inps, beam_ctx, beam_dec, beam_scorer, max_len - 1, disqs)
        else:
            batch_preds = mbbs.evalSearch(inps, beam_ctx, beam_dec, beam_scorer, max_len - 1, END)

        for n in range(batch_l):
            actual_len_with_end = int(target_w[n])
            pred = batch_preds[n]
            predTensor = pred_pfx_proto.sub(0, max_len - 1, 0, 0)
            ptr = max_len   # the Lua's position, from 1
            while True:
                predTensor[ptr - 1][0] = pred['val']
                ptr = ptr - 1
                pred = pred['prev']
                if pred is None:
                    break
            actualPred = predTensor.sub(ptr, max_len - 1)
            assert opt.predcon == '' or ptr == 0
            assert actualPred[0][0] == START
            # but don't subtract last thing in case we don't find and EOS
            pred_sent = actualPred.sub(1, actualPred.size(0) - 1).squeeze(1).totable()
            gold_sent = target.sub(1, actual_len_with_end, n, n).squeeze(1).totable()
            prec = get_ngram_prec(pred_sent, gold_sent, 4)
            for ii in range(4):
                ngram_crct[ii] = ngram_crct[ii] + prec[ii + 1][1]
                ngram_total[ii] = ngram_total[ii] + prec[ii + 1][0]
            # we'll ignore start but not end token in determining length
            total_gold_l = total_gold_l + actual_len_with_end
            total_pred_l = total_pred_l + actualPred.size(0) - 1
    ngram_crct.cdiv(ngram_total)
    print('Accs', ngram_crct[0], ngram_crct[1], ngram_crct[2], ngram_crct[3])
    ngram_crct.log()
    bp = math.exp(1 - max(1, total_gold_l / total_pred_l))   # brevity penalty
    print('bp', bp)
    bleu = bp * math.exp(ngram_crct.sum() / 4)
    print('bleu', bleu)
    return bleu


def unconstrained_eval(data):
    print("eval'ing with beam size", opt.beam_size)
    START, END = 2, 3
    max_len = opt.max_sent_l + opt.extra_room
    ngram_crct = lg.zeros(4)
    ngram_total = lg.zeros(4)
    total_gold_l, total_pred_l = 0, 0
    mbbs = MarginBatchBeamSearcher(opt.rnn_size, 2 * opt.num_layers + 1, opt.gpuid >= 0)
    for i in range(data.size()):
        d = data[i]
        target, target_out, nonzeros, source = d[0], d[1], d[2], d[3]
        batch_l, target_l, source_l, target_w = d[4], d[5], d[6], d[7]
        # fwd prop encoder
        rnn_state_enc, context = fwd_prop_enc(source, source_l, batch_l, False)   # train=false
        # now beam search
        beam_dec = decoder_clones_g[-1]
        beam_dec.evaluate()
        beam_scorer = generator_clones_g[-1]
        beam_scorer.evaluate()

        mbbs.initSearch(opt.beam_size, batch_l, rnn_state_enc[source_l - 1], target, target_l, opt.num_layers)
        beam_ctx = beam_context_proto[0:opt.beam_size * batch_l, 0:source_l]
        inps = inp_proto.sub(0, opt.beam_size * batch_l - 1)
        for n in range(batch_l):
            lg.repeatTensor(beam_ctx.sub(n * opt.beam_size, (n + 1) * opt.beam_size - 1), context.sub(n, n),
                            opt.beam_size, 1, 1)
            inps[n * opt.beam_size] = target[0][n]
        batch_preds = mbbs.evalSearch(inps, beam_ctx, beam_dec, beam_scorer, max_len - 1, END)

        for n in range(batch_l):
            actual_len_with_end = int(target_w[n])
            pred = batch_preds[n]
            predTensor = pred_pfx_proto.sub(0, max_len - 1, 0, 0)
            ptr = max_len   # the Lua's position, from 1
            while True:
                predTensor[ptr - 1][0] = pred['val']
                ptr = ptr - 1
                pred = pred['prev']
                if pred is None:
                    break
            actualPred = predTensor.sub(ptr, max_len - 1)
            assert actualPred[0][0] == START
            pred_sent = actualPred.sub(1, actualPred.size(0) - 1).squeeze(1).totable()
            gold_sent = target.sub(1, actual_len_with_end, n, n).squeeze(1).totable()
            prec = get_ngram_prec(pred_sent, gold_sent, 4)
            for ii in range(4):
                ngram_crct[ii] = ngram_crct[ii] + prec[ii + 1][1]
                ngram_total[ii] = ngram_total[ii] + prec[ii + 1][0]
            # we'll ignore start but not end token in determining length
            total_gold_l = total_gold_l + actual_len_with_end
            total_pred_l = total_pred_l + actualPred.size(0) - 1
    ngram_crct.cdiv(ngram_total)
    print('Accs', ngram_crct[0], ngram_crct[1], ngram_crct[2], ngram_crct[3])
    ngram_crct.log()
    bp = math.exp(1 - max(1, total_gold_l / total_pred_l))   # brevity penalty
    print('bp', bp)
    bleu = bp * math.exp(ngram_crct.sum() / 4)
    print('bleu', bleu)
    return bleu


def main(options):
    global opt, train_data, valid_data, encoder, decoder, generator, criterion, layers, layer_etas
    # parse input params
    opt = options
    lg.manualSeed(opt.seed)
    if opt.gpuid >= 0:
        print('using CUDA on GPU ' + str(opt.gpuid) + '...')
        cutorch.setDevice(opt.gpuid - 1)   # cutorch's devices count from 1, legonn's from 0
        cutorch.manualSeed(opt.seed)
    # Create the data loader class.
    print('loading data...')
    train_data = data(opt, opt.data_file)
    valid_data = data(opt, opt.val_data_file)
    print('done!')
    print('Source vocab size: %d, Target vocab size: %d' % (valid_data.source_size, valid_data.target_size))
    opt.max_sent_l = max(valid_data.source.size(1), valid_data.target.size(1))
    opt.max_batch_l = int(max(valid_data.batch_l.max(), train_data.batch_l.max()))
    print('Source max sent len: %d, Target max sent len: %d' % (valid_data.source.size(1),
                                                                 valid_data.target.size(1)))
    # Build model
    encoder = make_lstm(valid_data, opt, 'enc')
    decoder = make_sd_lstm_dec(valid_data, opt, 'dec')
    generator, criterion = make_generator(valid_data, opt)
    # get rid of softmax
    del generator.modules[1]

    layers = [encoder, decoder, generator]
    if opt.gpuid >= 0:
        for i in range(len(layers)):
            layers[i].cuda()
        criterion.cuda()

    encoder.apply(MU.get_layer)
    decoder.apply(MU.get_layer)

    layer_etas = []
    layer_eta_strs = None
    if opt.layer_etas != '':
        layer_eta_strs = opt.layer_etas.split(',')
        assert len(layer_eta_strs) == 3
    for j in range(len(layers)):
        if layer_eta_strs:
            layer_etas.append(float(layer_eta_strs[j]))
        else:
            layer_etas.append(opt.learning_rate)
    print('layer_etas', layer_etas[0], layer_etas[1], layer_etas[2])
    train(train_data, valid_data)
