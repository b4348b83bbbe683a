"""train-nmt.lua: trains the NMT model (models-nmt.lua) with softmax, sigmoid or CRF attention: encoder and
decoder clones over time, the generator at each target step, gradient renormalisation, sgd (or the model_utils
steps), validation perplexity and learning-rate decay, checkpoints.

Edits beyond syntax and 0-based indexing:
- the script's body is ``main(arg)`` (``arg`` the command line); ``opt``, the layers, the clones and the
  initial states are this module's globals, as the Lua's are globals (``global`` where a function assigns
  them); data_nmt reads ``opt`` too, so main sets ``data_nmt.opt`` (Python's globals are a module's own).
- ``decay_lr`` and ``train_batch``, globals the Lua defines when train() runs, are this
  module's functions (train() sets the global ``timer`` train_batch reads, a local of train() in the Lua that
  its closures see).
- ``require 'cutorch'`` / ``'cunn'`` are legonn's cutorch (``-gpuid`` is kept 1-based as the option says;
  ``cutorch.setDevice(opt.gpuid)`` is given ``opt.gpuid - 1``).
- ``zero_table`` and ``reset_state`` are seq2seq-attn's train.lua functions, the same Lua: imported from its port
  (tests/porting/seq2seq_attn.py); ``zero_table(grad_params, 'zero')`` drops the argument zero_table never
  reads (docs/porting.md's row on extra arguments).
- ``collectgarbage()`` is left out (Python frees the tensors)."""
import math

import legonn as lg
from legonn import cutorch, nn

from tests.porting import im2markup as memory
from tests.porting.seq2seq_attn import reset_state, zero_table

from . import data_nmt
from .data_nmt import data
from .model_utils import adadelta_step, adagrad_step, adam_step, clone_many_times
from .models_nmt import make_generator, make_lstm

opt = None

cmd = lg.CmdLine()

# data files
cmd.text("")
cmd.text("**Data options**")
cmd.text("")
cmd.option('-data_file', 'data/nmt-train.hdf5', """Path to the training *.hdf5 file from preprocess.py""")
cmd.option('-val_data_file', 'data/nmt-val.hdf5', """Path to validation *.hdf5 file from preprocess.py""")
cmd.option('-savefile', 'nmt', """Savefile name (model will be saved as
                                             savefile_epochX_PPL.t7 where X is the X-th epoch and PPL is
                                             the validation perplexity""")
cmd.option('-train_from', '', """If training from a checkpoint then this is the path to the pretrained model.""")

# rnn model specs
cmd.text("")
cmd.text("**Model options**")
cmd.text("")

cmd.option('-num_layers', 2, """Number of layers in the LSTM encoder/decoder""")
cmd.option('-rnn_size', 500, """Size of LSTM hidden states""")
cmd.option('-word_vec_size', 500, """Word embedding sizes""")
cmd.option('-attn', 'softmax', """Attention type: one of {softmax, sigmoid, crf}""")
cmd.option('-lambda', 2, '[[Normalization lambda for marginals if using structured (i.e. crf) attention]]')
cmd.option('-lambda2', 0.005, '[[L2 penalty for CRF bias terms for structured attention]]')

cmd.text("")
cmd.text("**Optimization options**")
cmd.text("")
# optimization
cmd.option('-epochs', 30, """Number of training epochs""")
cmd.option('-param_init', 0.1, """Parameters are initialized over uniform distribution with support (-param_init, param_init)""")
cmd.option('-optim', 'sgd', """Optimization method. Possible options are: sgd (vanilla SGD), adagrad, adadelta, adam""")
cmd.option('-learning_rate', 1, """Starting learning rate. If adagrad/adadelta/adam is used,
                                then this is the global learning rate. Recommended settings: sgd =1,
                                adagrad = 0.1, adadelta = 1, adam = 0.1""")
cmd.option('-max_grad_norm', 1, """If the norm of the gradient vector exceeds this renormalize it to have the norm equal to max_grad_norm""")
cmd.option('-dropout', 0.3, """Dropout probability. Dropout is applied between vertical LSTM stacks.""")
cmd.option('-start_decay', 0, """Dropout probability. Dropout is applied between vertical LSTM stacks.""")

cmd.option('-lr_decay', 0.5, """Decay learning rate by this much if (i) perplexity does not decrease
                             on the validation set or (ii) epoch has gone past the start_decay_at_limit""")
cmd.option('-max_batch_l', 128, """If blank, then it will infer the max batch size from validation
                               data. You should only use this if your validation set uses a different
                               batch size in the preprocessing step""")

cmd.text("")
cmd.text("**Other options**")
cmd.text("")
cmd.option('-start_symbol', 0, """Use special start-of-sentence and end-of-sentence tokens
                               on the source side. We've found this to make minimal difference""")
# GPU
cmd.option('-gpuid', 1, """Which gpu to use. -1 = use CPU""")
# bookkeeping
cmd.option('-print_every', 100, """Print stats after this many batches""")
cmd.option('-seed', 3435, """Seed for random initialization""")
cmd.option('-prealloc', 1, """Use memory preallocation and sharing between cloned encoder/decoders""")



def train(train_data, valid_data):
    global params, grad_params, context_proto, context_grad_proto, decoder_clones, encoder_clones
    global init_layer_enc, init_layer_dec, init_layer_enc_bwd, init_layer_dec_bwd, timer

    timer = lg.Timer()
    num_params = 0
    start_decay = 0
    params, grad_params = [], []
    if len(opt['train_from']) == 0:
        opt['train_perf'] = []
        opt['val_perf'] = []
    for i in range(len(layers)):
        p, gp = layers[i].getParameters()
        if len(opt['train_from']) == 0:
            p.uniform(-opt['param_init'], opt['param_init'])
        num_params = num_params + p.size(0)
        params.append(p)
        grad_params.append(gp)
    print("Number of parameters: " + str(num_params))
    word_vec_layers[0].weight[0].zero()
    word_vec_layers[1].weight[0].zero()

    # prototypes for gradients so there is no need to clone
    context_proto = lg.zeros(opt['max_batch_l'], opt['max_sent_l'], opt['rnn_size'])
    context_grad_proto = lg.zeros(opt['max_batch_l'], opt['max_sent_l'], opt['rnn_size'])
    # clone encoder/decoder up to max source/target length
    decoder_clones = clone_many_times(decoder, opt['max_sent_l_targ'])
    encoder_clones = clone_many_times(encoder, opt['max_sent_l_src'])
    for i in range(opt['max_sent_l_src']):
        if encoder_clones[i].apply is not None:
            encoder_clones[i].apply(lambda m: m.setReuse())
            if opt['prealloc'] == 1:
                encoder_clones[i].apply(lambda m: m.setPrealloc())
    for i in range(opt['max_sent_l_targ']):
        if decoder_clones[i].apply is not None:
            decoder_clones[i].apply(lambda m: m.setReuse())
            if opt['prealloc'] == 1:
                decoder_clones[i].apply(lambda m: m.setPrealloc())

    h_init = lg.zeros(opt['max_batch_l'], opt['rnn_size'])
    if opt['gpuid'] >= 0:
        h_init = h_init.cuda()
        cutorch.setDevice(opt['gpuid'] - 1)
        context_proto = context_proto.cuda()
        context_grad_proto = context_grad_proto.cuda()

    # these are initial states of encoder/decoder for fwd/bwd steps
    init_layer_enc = []
    init_layer_dec = []
    init_layer_enc_bwd = []
    init_layer_dec_bwd = []

    for L in range(opt['num_layers']):
        init_layer_enc.append(h_init.clone())
        init_layer_enc.append(h_init.clone())
        init_layer_dec.append(h_init.clone())
        init_layer_dec.append(h_init.clone())
        init_layer_enc_bwd.append(h_init.clone())
        init_layer_enc_bwd.append(h_init.clone())
        init_layer_dec_bwd.append(h_init.clone())
        init_layer_dec_bwd.append(h_init.clone())

    for epoch in range(1, opt['epochs'] + 1):
        generator.training()
        total_loss, total_nonzeros = train_batch(train_data, epoch)
        train_score = math.exp(total_loss/total_nonzeros)
        print('Train', train_score)
        opt['train_perf'].append(train_score)
        score = eval(valid_data)
        opt['val_perf'].append(score)
        if opt['optim'] == 'sgd':   # only decay with SGD
            decay_lr(epoch)
    # save final model
    savefile = '%s_final.t7' % opt['savefile']
    print('saving final model to ' + savefile)
    lg.save(savefile, [[encoder.double(), decoder.double(), generator.double()], opt])


def decay_lr(epoch):
    print(opt['val_perf'])
    if len(opt['val_perf']) >= 2:   # val_perf[#val_perf] ~= nil and val_perf[#val_perf-1] ~= nil
        curr_ppl = opt['val_perf'][-1]
        prev_ppl = opt['val_perf'][-2]
        if curr_ppl > prev_ppl:
            opt['start_decay'] = 1
        else:
            savefile = '%s.t7' % opt['savefile']
            print('saving ' + savefile)
            lg.save(savefile, [layers, opt])
    else:
        savefile = '%s.t7' % opt['savefile']
        print('saving ' + savefile)
        lg.save(savefile, [layers, opt])
    if opt['start_decay'] == 1:
        opt['learning_rate'] = opt['learning_rate'] * opt['lr_decay']

def train_batch(data, epoch):
    train_nonzeros = 0
    train_loss = 0
    batch_order = lg.randperm(data.length)   # shuffle mini batch order
    start_time = timer.time()['real']
    num_words_target = 0
    num_words_source = 0
    for i in range(data.size()):
        zero_table(grad_params)
        d = data[int(batch_order[i])]
        target, target_out, nonzeros, source = d[0], d[1], d[2], d[3]
        batch_l, target_l, source_l = d[4], d[5], d[6]
        context = context_proto[0:batch_l, 0:source_l]
        context_grads = context_grad_proto[0:batch_l, 0:source_l].zero()
        rnn_state_enc = reset_state(init_layer_enc, batch_l, -1)
        encoder_inputs = {}
        # forward prop encoder
        for t in range(source_l):
            encoder_clones[t].training()
            encoder_inputs[t] = [source[t], *rnn_state_enc[t-1]]
            rnn_state_enc[t] = encoder_clones[t].forward(encoder_inputs[t])
            context[:, t].copy(rnn_state_enc[t][len(rnn_state_enc[t]) - 1])

        # copy encoder last hidden state to decoder initial state
        rnn_state_dec = reset_state(init_layer_dec, batch_l, -1)
        # forward prop decoder
        decoder_inputs = {}
        for t in range(target_l):
            decoder_clones[t].training()
            decoder_inputs[t] = [target[t], *rnn_state_dec[t-1]]
            rnn_state_dec[t] = decoder_clones[t].forward(decoder_inputs[t])
        if opt['attn'] == 'crf':
            all_layers['crf'].gradWeight.add(all_layers['crf'].weight).mul(opt['lambda2'])
        # backward prop decoder
        drnn_state_dec = reset_state(init_layer_dec_bwd, batch_l)
        loss = 0
        for t in range(target_l - 1, -1, -1):
            generator_input = [context, rnn_state_dec[t][len(rnn_state_dec[t]) - 1]]
            pred = generator.forward(generator_input)
            loss = loss + criterion.forward(pred, target_out[t])/batch_l
            dl_dpred = criterion.backward(pred, target_out[t])
            dl_dpred.div(batch_l)
            dl_dtarget = generator.backward(generator_input, dl_dpred)
            drnn_state_dec[len(drnn_state_dec) - 1].add(dl_dtarget[1])
            context_grads.add(dl_dtarget[0])
            dlst = decoder_clones[t].backward(decoder_inputs[t], drnn_state_dec)
            for j in range(len(drnn_state_dec)):
                drnn_state_dec[j].copy(dlst[j+1])
        word_vec_layers[1].gradWeight[0].zero()
        # backward prop encoder
        drnn_state_enc = reset_state(init_layer_enc_bwd, batch_l)
        for t in range(source_l - 1, -1, -1):
            drnn_state_enc[len(drnn_state_enc) - 1].add(context_grads[:, t])
            dlst = encoder_clones[t].backward(encoder_inputs[t], drnn_state_enc)
            for j in range(len(drnn_state_enc)):
                drnn_state_enc[j].copy(dlst[j+1])
        word_vec_layers[0].gradWeight[0].zero()
        grad_norm = 0
        for j in range(len(grad_params)):
            grad_norm = grad_norm + grad_params[j].norm()**2
        grad_norm = grad_norm**0.5
        # Shrink norm and update params
        param_norm = 0
        shrinkage = opt['max_grad_norm'] / grad_norm
        for j in range(len(grad_params)):
            if shrinkage < 1:
                grad_params[j].mul(shrinkage)
            if opt['optim'] == 'adagrad':
                adagrad_step(params[j], grad_params[j], layer_etas[j], optStates[j])
            elif opt['optim'] == 'adadelta':
                adadelta_step(params[j], grad_params[j], layer_etas[j], optStates[j])
            elif opt['optim'] == 'adam':
                adam_step(params[j], grad_params[j], layer_etas[j], optStates[j])
            else:
                params[j].add(grad_params[j].mul(-opt['learning_rate']))
            param_norm = param_norm + params[j].norm()**2
        param_norm = param_norm**0.5
        # Bookkeeping
        num_words_target = num_words_target + batch_l*target_l
        num_words_source = num_words_source + batch_l*source_l
        train_nonzeros = train_nonzeros + nonzeros
        train_loss = train_loss + loss*batch_l
        time_taken = timer.time()['real'] - start_time
        if (i + 1) % opt['print_every'] == 0:
            stats = 'Epoch: %d, Batch: %d/%d, Batch size: %d, LR: %.4f, ' % (
                epoch, i + 1, data.size(), batch_l, opt['learning_rate'])
            stats = stats + 'PPL: %.2f, |Param|: %.2f, |GParam|: %.2f, ' % (
                math.exp(train_loss/train_nonzeros), param_norm, grad_norm)
            stats = stats + 'Training: %d/%d/%d total/source/target tokens/sec' % (
                (num_words_target+num_words_source) / time_taken,
                num_words_source / time_taken,
                num_words_target / time_taken)
            print(stats)
    return train_loss, train_nonzeros


def eval(data):
    generator.evaluate()
    nll = 0
    total = 0
    for i in range(data.size()):
        d = data[i]
        target, target_out, nonzeros, source = d[0], d[1], d[2], d[3]
        batch_l, target_l, source_l = d[4], d[5], d[6]
        context = context_proto[0:batch_l, 0:source_l]
        rnn_state_enc = reset_state(init_layer_enc, batch_l, -1)
        encoder_inputs = {}
        # forward prop encoder
        for t in range(source_l):
            encoder_clones[t].evaluate()
            encoder_inputs[t] = [source[t], *rnn_state_enc[t-1]]
            rnn_state_enc[t] = encoder_clones[t].forward(encoder_inputs[t])
            context[:, t].copy(rnn_state_enc[t][len(rnn_state_enc[t]) - 1])

        rnn_state_dec = reset_state(init_layer_dec, batch_l, -1)
        decoder_inputs = {}
        # forward prop decoder
        for t in range(target_l):
            decoder_clones[t].evaluate()
            decoder_inputs[t] = [target[t], *rnn_state_dec[t-1]]
            rnn_state_dec[t] = decoder_clones[t].forward(decoder_inputs[t])
            generator_input = [context, rnn_state_dec[t][len(rnn_state_dec[t]) - 1]]
            pred = generator.forward(generator_input)
            nll = nll + criterion.forward(pred, target_out[t])
        total = total + nonzeros
    valid = math.exp(nll / total)
    print("Valid", valid)
    return valid


def get_layer(layer):
    if getattr(layer, 'name', None) is not None:
        if layer.name == 'word_vecs_dec':
            word_vec_layers.append(layer)
        elif layer.name == 'word_vecs_enc':
            word_vec_layers.append(layer)
        else:
            all_layers[layer.name] = layer


def main(arg):
    global opt, encoder, decoder, generator, criterion, layers, layer_etas, optStates
    global word_vec_layers, all_layers
    # parse input params
    opt = cmd.parse(arg)
    data_nmt.opt = opt

    lg.manualSeed(opt['seed'])

    if opt['gpuid'] >= 0:
        print('using CUDA on GPU ' + str(opt['gpuid']) + '...')
        cutorch.setDevice(opt['gpuid'] - 1)
        cutorch.manualSeed(opt['seed'])

    # Create the data loader class.
    print('loading data...')
    train_data = data(opt, opt['data_file'])
    valid_data = data(opt, opt['val_data_file'])
    print('done!')
    print('Source vocab size: %d, Target vocab size: %d' % (
        valid_data.source_size, valid_data.target_size))
    opt['max_sent_l_src'] = valid_data.source.size(1)
    opt['max_sent_l_targ'] = valid_data.target.size(1)
    opt['max_sent_l'] = max(opt['max_sent_l_src'], opt['max_sent_l_targ'])
    if opt['max_batch_l'] == '':
        opt['max_batch_l'] = int(valid_data.batch_l.max())

    print('Source max sent len: %d, Target max sent len: %d' % (
        valid_data.source.size(1), valid_data.target.size(1)))

    # Enable memory preallocation - see memory.lua
    memory.preallocateMemory(opt['prealloc'])
    opt['context_size'] = opt['rnn_size']
    # Build model
    if len(opt['train_from']) == 0:
        encoder = make_lstm(valid_data, opt, 'enc')
        decoder = make_lstm(valid_data, opt, 'dec')
        generator = make_generator(valid_data, opt)
    else:
        assert lg.paths.filep(opt['train_from']), 'checkpoint path invalid'
        print('loading ' + opt['train_from'] + '...')
        checkpoint = lg.load(opt['train_from'])
        model, model_opt = checkpoint[0], checkpoint[1]
        print(model_opt)
        opt['val_perf'] = model_opt['val_perf']
        opt['train_perf'] = model_opt['train_perf']
        opt['num_layers'] = model_opt['num_layers']
        opt['rnn_size'] = model_opt['rnn_size']
        encoder = model[0].double()
        decoder = model[1].double()
        generator = model[2].double()
    w = lg.ones(valid_data.target_size)
    w[0] = 0
    criterion = nn.ClassNLLCriterion(w)
    criterion.sizeAverage = False
    layers = [encoder, decoder, generator]
    if opt['optim'] != 'sgd':
        layer_etas = []
        optStates = []
        for i in range(len(layers)):
            layer_etas.append(opt['learning_rate'])   # can have layer-specific lr, if desired
            optStates.append({})

    if opt['gpuid'] >= 0:
        for i in range(len(layers)):
            layers[i].cuda()
        criterion.cuda()

    # these layers will be manipulated during training
    word_vec_layers = []
    all_layers = {}
    encoder.apply(get_layer)
    decoder.apply(get_layer)
    generator.apply(get_layer)
    all_layers['attn_layer'].apply(get_layer)
    train(train_data, valid_data)
