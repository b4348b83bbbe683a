"""BSO's pretrain.lua: the seq2seq (word-level cross-entropy) pretraining whose checkpoint bso_train.lua's
-train_from starts from: make_lstm's encoder, make_lstm2's decoder, make_generator with its LogSoftMax and
ClassNLLCriterion (PAD weighted 0), the clones over time, gradient renorm, adagrad or sgd, pteval's validation
perplexity with one clone reused over time.

Edits beyond Lua syntax and 0-based indices (bso_train.py's, likewise):
- the options come as a SimpleNamespace to main(opt); checkpoints hold ``vars(opt)``.
- time steps count from 0 and the initial state is key -1 (reset_state's ``t == -1``).
- model_utils.lua's functions read and set globals (opt, word_vecs_enc, word_vecs_dec): one Lua global table,
  bso_train.py's module here, so main sets ``bso_train.opt`` and reads the word LookupTables get_layer finds
  there; the rest of pretrain.lua's globals are this module's.
- ``pretrain_batch``, the global function train() defines, is assigned to this module's global.
- ``cutorch.setDevice(opt.gpuid)`` is given ``opt.gpuid - 1`` (legonn's devices count from 0).
- the word vectors of -pre_word_vecs_enc/-dec, read from hdf5 rows 5.. (the Lua skips the four special
  symbols), are rows 4.. here."""
import math

import legonn as lg
from legonn import cutorch, hdf5
from . import bso_train as G
from . import model_utils as MU
from .data import data
from .models import make_generator, make_lstm, make_lstm2

opt = None
encoder = decoder = generator = criterion = layers = None
params = grad_params = layer_etas = None
train_data = valid_data = None
context_proto = None
encoder_clones = decoder_clones_g = None
init_fwd_enc = init_bwd_enc = init_fwd_dec_g = init_bwd_dec_g = None
pretrain_batch = None


def train(train_data, valid_data):
    global params, grad_params, context_proto, decoder_clones_g, encoder_clones
    global init_fwd_enc, init_bwd_enc, init_fwd_dec_g, init_bwd_dec_g
    timer = lg.Timer()
    num_params = 0
    params, grad_params = [], []
    opt.train_perf = []
    opt.val_perf = []

    for i in range(len(layers)):
        p, gp = layers[i].getParameters()
        p.uniform(-opt.param_init, opt.param_init)
        num_params = num_params + p.size(0)
        params.append(p)
        grad_params.append(gp)

    optStates = []
    for i in range(len(params)):
        optStates.append({})

    if len(opt.pre_word_vecs_enc) > 0:
        print('loading enc vecs...')
        f = hdf5.open(opt.pre_word_vecs_enc)
        pre_word_vecs = f.read('w2vLT').all()
        for i in range(4, pre_word_vecs.size(0)):   # skip special symbol embeddings
            G.word_vecs_enc.weight[i].copy(pre_word_vecs[i])

    if len(opt.pre_word_vecs_dec) > 0:
        print('loading dec vecs...')
        f = hdf5.open(opt.pre_word_vecs_dec)
        pre_word_vecs = f.read('w2vLT').all()
        for i in range(4, pre_word_vecs.size(0)):
            G.word_vecs_dec.weight[i].copy(pre_word_vecs[i])

    print('Number of parameters: ' + str(num_params))

    G.word_vecs_enc.weight[0].zero()
    G.word_vecs_dec.weight[0].zero()

    # prototypes for gradients so there is no need to clone
    encoder_grad_proto = lg.zeros(opt.max_batch_l, opt.max_sent_l, opt.rnn_size)
    context_proto = lg.zeros(opt.max_batch_l, opt.max_sent_l, opt.rnn_size)

    # clone encoder/decoder up to max source/target length
    decoder_clones_g = MU.clone_many_times(decoder, opt.max_sent_l)
    encoder_clones = MU.clone_many_times(encoder, opt.max_sent_l)
    for i in range(opt.max_sent_l):
        decoder_clones_g[i].apply(MU.get_layer)
        if hasattr(encoder_clones[i], 'apply'):
            encoder_clones[i].apply(lambda m: m.setReuse())

    h_init_dec = lg.zeros(opt.max_batch_l, opt.rnn_size)
    h_init_enc = lg.zeros(opt.max_batch_l, opt.rnn_size)
    if opt.gpuid >= 0:
        h_init_enc = h_init_enc.cuda()
        h_init_dec = h_init_dec.cuda()
        context_proto = context_proto.cuda()
        encoder_grad_proto = encoder_grad_proto.cuda()

    init_fwd_enc = []
    init_bwd_enc = []
    init_fwd_dec_g = [h_init_dec.clone()]   # initial context
    init_bwd_dec_g = [h_init_dec.clone()]   # just need one copy of this
    for L in range(1, opt.num_layers + 1):
        init_fwd_enc.append(h_init_enc.clone())
        init_fwd_enc.append(h_init_enc.clone())
        init_bwd_enc.append(h_init_enc.clone())
        init_bwd_enc.append(h_init_enc.clone())
        init_fwd_dec_g.append(h_init_dec.clone())   # memory cell
        init_fwd_dec_g.append(h_init_dec.clone())   # hidden state
        init_bwd_dec_g.append(h_init_dec.clone())
        init_bwd_dec_g.append(h_init_dec.clone())

    def pretrain_batch(data, epoch):
        train_nonzeros = 0
        train_loss = 0
        batch_order = lg.randperm(data.length)   # shuffle mini batch order
        start_time = timer.time()['real']
        num_words_target = 0
        num_words_source = 0
        init_fwd_dec = init_fwd_dec_g
        init_bwd_dec = init_bwd_dec_g
        ptgen = generator
        decoder_clones = decoder_clones_g

        for i in range(data.size()):
            MU.zero_table(grad_params, opt)
            if epoch <= opt.curriculum:
                d = data[i]
            else:
                d = data[int(batch_order[i])]
            target, target_out, nonzeros, source = d[0], d[1], d[2], d[3]
            batch_l, target_l, source_l = d[4], d[5], d[6]

            encoder_grads = encoder_grad_proto[0:batch_l, 0:source_l]

            rnn_state_enc = MU.reset_state(init_fwd_enc, batch_l, -1)
            context = context_proto[0:batch_l, 0:source_l]
            if opt.gpuid >= 0:
                cutorch.setDevice(opt.gpuid - 1)

            # forward prop encoder
            for t in range(source_l):
                encoder_clones[t].training()
                encoder_input = [source[t], *rnn_state_enc[t - 1]]
                out = encoder_clones[t].forward(encoder_input)
                rnn_state_enc[t] = out
                context[:, t].copy(out[-1])

            # forward prop decoder
            rnn_state_dec = MU.reset_state(init_fwd_dec, batch_l, -1)
            if opt.init_dec == 1:
                for L in range(1, opt.num_layers + 1):
                    rnn_state_dec[-1][L * 2 - 2].copy(rnn_state_enc[source_l - 1][L * 2 - 2])
                    rnn_state_dec[-1][L * 2 - 1].copy(rnn_state_enc[source_l - 1][L * 2 - 1])

            for t in range(target_l):
                decoder_clones[t].training()
                decoder_input = [target[t], context, *rnn_state_dec[t - 1]]
                rnn_state_dec[t] = decoder_clones[t].forward(decoder_input)

            # backward prop decoder
            encoder_grads.zero()
            drnn_state_dec = MU.reset_state(init_bwd_dec, batch_l, 0)
            loss = 0
            for t in range(target_l - 1, -1, -1):
                pred = ptgen.forward(rnn_state_dec[t][-1])
                loss = loss + criterion.forward(pred, target_out[t]) / batch_l
                dl_dpred = criterion.backward(pred, target_out[t])
                dl_dpred.div(batch_l)
                dl_dtarget = ptgen.backward(rnn_state_dec[t][-1], dl_dpred)
                drnn_state_dec[-1].add(dl_dtarget)
                decoder_input = [target[t], context, *rnn_state_dec[t - 1]]
                dlst = decoder_clones[t].backward(decoder_input, drnn_state_dec)
                # accumulate encoder/decoder grads
                encoder_grads.add(dlst[1])
                for j in range(2, len(dlst)):
                    drnn_state_dec[j - 2].copy(dlst[j])
            G.word_vecs_dec.gradWeight[0].zero()
            if opt.fix_word_vecs_dec == 1:
                G.word_vecs_dec.gradWeight.zero()

            grad_norm = 0
            grad_norm = grad_norm + grad_params[1].norm() ** 2 + grad_params[2].norm() ** 2

            # backward prop encoder
            drnn_state_enc = MU.reset_state(init_bwd_enc, batch_l, 0)
            if opt.init_dec == 1:
                for L in range(1, opt.num_layers + 1):
                    drnn_state_enc[L * 2 - 2].copy(drnn_state_dec[L * 2 - 2])
                    drnn_state_enc[L * 2 - 1].copy(drnn_state_dec[L * 2 - 1])

            for t in range(source_l - 1, -1, -1):
                encoder_input = [source[t], *rnn_state_enc[t - 1]]
                drnn_state_enc[-1].add(encoder_grads[:, t])
                dlst = encoder_clones[t].backward(encoder_input, drnn_state_enc)
                for j in range(len(drnn_state_enc)):
                    drnn_state_enc[j].copy(dlst[j + 1])

            G.word_vecs_enc.gradWeight[0].zero()
            if opt.fix_word_vecs_enc == 1:
                G.word_vecs_enc.gradWeight.zero()

            grad_norm = (grad_norm + grad_params[0].norm() ** 2) ** 0.5

            # Shrink norm and update params
            param_norm = 0
            shrinkage = opt.max_grad_norm / grad_norm
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

    globals()['pretrain_batch'] = pretrain_batch   # the Lua's pretrain_batch is a global function

    epTimer = lg.Timer()
    for epoch in range(opt.start_epoch, opt.epochs + 1):
        generator.training()
        epStart = epTimer.time()['real']
        total_loss, total_nonzeros = pretrain_batch(train_data, epoch)
        print('epoch time:', epTimer.time()['real'] - epStart)
        train_score = total_loss / total_nonzeros
        print('Train', math.exp(train_score))
        opt.train_perf.append(train_score)
        score = pteval(valid_data)
        opt.val_perf.append(score)
        # clean and save models
        savefile = '%s_epoch%d_%.2f.t7' % (opt.savefile, epoch, score)
        if epoch >= opt.save_after and epoch % opt.save_every == 0:
            print('saving checkpoint to ' + savefile)
            MU.clean_layer(encoder)
            MU.clean_layer(decoder)
            MU.clean_layer(generator)
            lg.save(savefile, [[encoder, decoder, generator], vars(opt)])


def pteval(data):
    init_fwd_dec = init_fwd_dec_g
    ptgen = generator
    decoder_clones = decoder_clones_g
    encoder_clones[0].evaluate()
    decoder_clones[0].evaluate()   # just need one clone
    ptgen.evaluate()
    nll = 0
    total = 0
    for i in range(data.size()):
        d = data[i]
        target, target_out, nonzeros, source = d[0], d[1], d[2], d[3]
        batch_l, target_l, source_l = d[4], d[5], d[6]
        rnn_state_enc = MU.reset_state(init_fwd_enc, batch_l, 0)
        context = context_proto[0:batch_l, 0:source_l]
        # forward prop encoder
        for t in range(source_l):
            encoder_input = [source[t], *rnn_state_enc]
            out = encoder_clones[0].forward(encoder_input)
            rnn_state_enc = out
            context[:, t].copy(out[-1])

        rnn_state_dec = MU.reset_state(init_fwd_dec, batch_l, 0)
        if opt.init_dec == 1:
            for L in range(1, opt.num_layers + 1):
                rnn_state_dec[L * 2 - 2].copy(rnn_state_enc[L * 2 - 2])
                rnn_state_dec[L * 2 - 1].copy(rnn_state_enc[L * 2 - 1])

        loss = 0
        for t in range(target_l):
            decoder_input = [target[t], context, *rnn_state_dec]
            out = decoder_clones[0].forward(decoder_input)
            rnn_state_dec = out
            pred = ptgen.forward(out[-1])
            loss = loss + criterion.forward(pred, target_out[t])
        nll = nll + loss
        total = total + nonzeros
    validppl = math.exp(nll / total)
    print('Valid Perp', validppl)
    return validppl


def main(options):
    global opt, train_data, valid_data, encoder, decoder, generator, criterion, layers, layer_etas
    # parse input params
    opt = options
    G.opt = opt   # model_utils.lua's functions read the one global opt
    lg.manualSeed(opt.seed)
    if opt.gpuid >= 0:
        print('using CUDA on GPU ' + str(opt.gpuid) + '...')
        cutorch.setDevice(opt.gpuid - 1)
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
    decoder = make_lstm2(valid_data, opt, 'dec')
    generator, criterion = make_generator(valid_data, opt)

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
