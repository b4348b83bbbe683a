"""train-entail.lua: trains the decomposable-attention entailment model (models-entail.lua) with no
intra-sentence attention ('none'), a softmax over heads ('simple') or the structured attention of nn.EisnerCRF
('struct') over a bidirectional LSTM's word states: the parser's forward and backward LSTM clones, the graph
parsers (their Views resized in place for each batch by set_size_parser/set_size_encoder), tied parameters
between the two sentences, gradient renormalisation, adagrad (model_utils.lua), validation accuracy and
checkpoints.

Edits beyond syntax and 0-based indexing:
- the script's body is ``main(arg)``: the chunk's first ``opt = cmd:parse(arg)`` and ``torch.manualSeed(opt.seed)``
  run at its start (main() parses again, as the Lua's does); ``opt``, the layers, clones and prototypes are this
  module's globals (``global`` where a function assigns them); data_entail and models_entail read ``opt`` and the
  layer tables too, so main sets theirs (Python's globals are a module's own).
- ``train_batch``, a global the Lua defines when train() runs, is this module's function
  (train() sets the global ``timer`` train_batch reads).
- the ``[0]`` initial state of the forward parser is key -1 and the backward parser's ``[source_l+1]`` key
  ``source_l`` (the clones run t = 0 .. l - 1).
- ``opt.cuda_mod`` and ``opt.cudnn``, which no option sets (nil in the Lua), are ``opt.get('cuda_mod')``; the
  cuda-mod branch (``require 'cuda-mod'``) is not ported.
- train_batch's ``for i = 1, #grad_params do`` inside its ``for i = 1, data:size() do`` counts with ``i_``
  (docs/porting.md's row on a loop variable's scope: the Lua's inner ``i`` is a local of that loop).
- ``zero_table`` and ``reset_state`` are seq2seq-attn's train.lua functions, the same Lua: imported from its port
  (tests/porting/seq2seq_attn.py); ``zero_table(grad_params, 'zero')`` drops the argument zero_table never
  reads (docs/porting.md's row on extra arguments).
- ``cutorch.setDevice(opt.gpuid)`` is given ``opt.gpuid - 1`` (devices are 0-based: docs/porting.md's cutorch row).
- ``collectgarbage()`` is left out."""
import legonn as lg
from legonn import cutorch, hdf5, nn

from tests.porting.seq2seq_attn import reset_state, zero_table

from . import data_entail, models_entail
from .data_entail import data
from .model_utils import adadelta_step, adagrad_step, adam_step, clone_many_times
from .models_entail import (get_parser_layer1, get_parser_layer2, get_entail_layer, make_lstm, make_parser,
                            make_sent_encoder, set_size_encoder, set_size_parser)

opt = None

cmd = lg.CmdLine()

# data files
cmd.text("")
cmd.text("**Data options**")
cmd.text("")
cmd.option('-data_file', 'data/entail-train.hdf5', """Path to the training *.hdf5 file""")
cmd.option('-val_data_file', 'data/entail-val.hdf5', """Path to validation *.hdf5 file""")
cmd.option('-test_data_file', 'data/entail-test.hdf5', """Path to test *.hdf5 file""")

cmd.option('-savefile', 'entail', """Savefile name""")

# model specs
cmd.option('-hidden_size', 300, """MLP hidden layer size""")
cmd.option('-word_vec_size', 300, """Word embedding size""")
cmd.option('-attn', 'none', """one of {none, simple, struct}.
                              none = no intra-sentence attention (baseline model)
                              simple = simple attention model
                              struct = structured attention (syntactic attention)""")
cmd.option('-num_layers_parser', 1, """Number of layers for the RNN parsing layer""")
cmd.option('-rnn_size_parser', 100, """size of the RNN for the parsing layer""")
cmd.option('-use_parent', 1, """Use soft parents""")
cmd.option('-use_children', 0, """Use soft children""")
cmd.option('-share_params', 1, """Share parameters between the two sentence encoders""")
cmd.option('-proj', 1, """Have a projection layer from the Glove embeddings""")
cmd.option('-dropout', 0.2, """Dropout probability.""")

# optimization
cmd.option('-epochs', 100, """Number of training epochs""")
cmd.option('-param_init', 0.01, """Parameters are initialized over uniform distribution with support
                               (-param_init, param_init)""")
cmd.option('-optim', 'adagrad', """Optimization method. Possible options are:
                              sgd (vanilla SGD), adagrad, adadelta, adam""")
cmd.option('-learning_rate', 0.05, """Starting learning rate. If adagrad/adadelta/adam is used,
                                then this is the global learning rate.""")
cmd.option('-max_grad_norm', 5, """If the norm of the gradient vector exceeds this renormalize it
                               to have the norm equal to max_grad_norm""")
cmd.option('-pre_word_vecs', 'data/glove.hdf5', """If a valid path is specified, then this will load
                                      pretrained word embeddings (hdf5 file)""")
cmd.option('-fix_word_vecs', 1, """If = 1, fix word embeddings""")
cmd.option('-max_batch_l', 32, """If blank, then it will infer the max batch size from validation
				   data. You should only use this if your validation set uses a different
				   batch size in the preprocessing step""")
cmd.option('-gpuid', -1, """Which gpu to use. -1 = use CPU""")
cmd.option('-print_every', 1000, """Print stats after this many batches""")
cmd.option('-seed', 3435, """Seed for random initialization""")



def train(train_data, valid_data):
    global timer, params, grad_params, word_vecs1_grad_proto, word_vecs2_grad_proto, sent1_context_proto
    global sent2_context_proto, parser_context1_proto, parser_graph1_grad_proto, parser_context2_proto
    global parser_graph2_grad_proto, parser_fwd_clones, parser_bwd_clones, init_parser

    timer = lg.Timer()
    start_decay = 0
    params, grad_params = [], []
    opt['train_perf'] = []
    opt['val_perf'] = []

    for i in range(len(layers)):
        p, gp = layers[i].getParameters()
        rand_vec = lg.randn(p.size(0)).mul(opt['param_init'])
        if opt['gpuid'] >= 0:
            rand_vec = rand_vec.cuda()
        p.copy(rand_vec)
        params.append(p)
        grad_params.append(gp)
    if len(opt['pre_word_vecs']) > 0:
        print("loading pre-trained word vectors")
        f = hdf5.open(opt['pre_word_vecs'])
        pre_word_vecs = f.read('word_vecs').all()
        for i in range(pre_word_vecs.size(0)):
            word_vecs_enc1.weight[i].copy(pre_word_vecs[i])
            word_vecs_enc2.weight[i].copy(pre_word_vecs[i])

    # copy shared params
    params[1].copy(params[0])
    if opt['attn'] != 'none':
        params[6].copy(params[5])

    if opt['share_params'] == 1:
        if opt['proj'] == 1:
            entail_layers['proj2'].weight.copy(entail_layers['proj1'].weight)
        for k in range(1, 5, 3):
            entail_layers['f2'].modules[k].weight.copy(entail_layers['f1'].modules[k].weight)
            entail_layers['f2'].modules[k].bias.copy(entail_layers['f1'].modules[k].bias)
            entail_layers['g2'].modules[k].weight.copy(entail_layers['g1'].modules[k].weight)
            entail_layers['g2'].modules[k].bias.copy(entail_layers['g1'].modules[k].bias)

    # prototypes for gradients so there is no need to clone
    word_vecs1_grad_proto = lg.zeros(opt['max_batch_l'], opt['max_sent_l'], opt['word_vec_size'])
    word_vecs2_grad_proto = lg.zeros(opt['max_batch_l'], opt['max_sent_l'], opt['word_vec_size'])
    sent1_context_proto = lg.zeros(opt['max_batch_l'], opt['rnn_size_parser'] * 2)
    sent2_context_proto = lg.zeros(opt['max_batch_l'], opt['rnn_size_parser'] * 2)
    parser_context1_proto = lg.zeros(opt['max_batch_l'], opt['max_sent_l'], opt['rnn_size_parser'] * 2)
    parser_graph1_grad_proto = lg.zeros(opt['max_batch_l'], opt['max_sent_l'], opt['word_vec_size']*2)
    parser_context2_proto = lg.zeros(opt['max_batch_l'], opt['max_sent_l'], opt['rnn_size_parser'] * 2)
    parser_graph2_grad_proto = lg.zeros(opt['max_batch_l'], opt['max_sent_l'], opt['word_vec_size']*2)

    # clone encoder/decoder up to max source/target length
    if opt['attn'] != 'none':
        parser_fwd_clones = clone_many_times(parser_fwd, opt['max_sent_l_src'] + opt['max_sent_l_targ'])
        parser_bwd_clones = clone_many_times(parser_bwd, opt['max_sent_l_src'] + opt['max_sent_l_targ'])
        for i in range(opt['max_sent_l_src'] + opt['max_sent_l_targ']):
            if parser_fwd_clones[i].apply is not None:
                parser_fwd_clones[i].apply(lambda m: m.setReuse())
            if parser_bwd_clones[i].apply is not None:
                parser_bwd_clones[i].apply(lambda m: m.setReuse())

    h_init_parser = lg.zeros(opt['max_batch_l'], opt['rnn_size_parser'])
    if opt['gpuid'] >= 0:
        h_init_parser = h_init_parser.cuda()
        cutorch.setDevice(opt['gpuid'] - 1)
        word_vecs1_grad_proto = word_vecs1_grad_proto.cuda()
        word_vecs2_grad_proto = word_vecs2_grad_proto.cuda()
        parser_context1_proto = parser_context1_proto.cuda()
        parser_context2_proto = parser_context2_proto.cuda()
        parser_graph1_grad_proto = parser_graph1_grad_proto.cuda()
        parser_graph2_grad_proto = parser_graph1_grad_proto.cuda()
        sent1_context_proto = sent1_context_proto.cuda()
        sent2_context_proto = sent2_context_proto.cuda()

    # these are initial states of parser/encoder/decoder for fwd/bwd steps
    init_parser = []
    for L in range(opt['num_layers_parser']):
        init_parser.append(h_init_parser.clone())
        init_parser.append(h_init_parser.clone())

    # eval(valid_data)
    # eval(test_data)
    best_val_perf = 0
    test_perf = 0
    for epoch in range(1, opt['epochs'] + 1):
        total_loss, total_sents, total_correct = train_batch(train_data, epoch)
        train_score = total_correct/total_sents
        print('Train', train_score)
        opt['train_perf'].append(train_score)
        score = eval(valid_data)
        savefile = '%s.t7' % opt['savefile']
        if score > best_val_perf:
            best_val_perf = score
            test_perf = eval(test_data)
            print('saving checkpoint to ' + savefile)
            lg.save(savefile, [layers, opt, layer_etas, optStates])
        opt['val_perf'].append(score)
        print(opt['train_perf'])
        print(opt['val_perf'])
    print("Best Val", best_val_perf)
    print("Test", test_perf)
    # save final model
    savefile = '%s_final.t7' % opt['savefile']
    print('saving final model to ' + savefile)
    for i in range(len(layers)):
        layers[i].double()
    lg.save(savefile, [layers, opt, layer_etas, optStates])


def train_batch(data, epoch):
    global parser_fwd_inputs1, parser_bwd_inputs1, parser_fwd_inputs2, parser_bwd_inputs2
    global parsed_context1, parsed_context2, pred_input, parser_grads1, parser_grads2
    train_loss = 0
    train_sents = 0
    batch_order = lg.randperm(data.length)   # shuffle mini batch order
    start_time = timer.time()['real']
    num_words_target = 0
    num_words_source = 0
    train_num_correct = 0
    sent_encoder.training()
    for i in range(data.size()):
        zero_table(grad_params)
        d = data[int(batch_order[i])]
        target, source, batch_l, target_l, source_l, label = d

        # resize the various temporary tensors that are going to hold contexts/grads
        word_vecs1_grads = word_vecs1_grad_proto[0:batch_l, 0:source_l].zero()
        word_vecs2_grads = word_vecs2_grad_proto[0:batch_l, 0:target_l].zero()
        parser_context1 = parser_context1_proto[0:batch_l, 0:source_l]
        parser_context2 = parser_context2_proto[0:batch_l, 0:target_l]
        sent1_context = sent1_context_proto[0:batch_l]
        sent2_context = sent2_context_proto[0:batch_l]
        word_vecs1 = word_vecs_enc1.forward(source)
        word_vecs2 = word_vecs_enc2.forward(target)

        if opt['attn'] != 'none':
            set_size_encoder(batch_l, source_l, target_l, opt['word_vec_size'],
                             opt['hidden_size'], entail_layers)
            set_size_parser(batch_l, source_l, opt['rnn_size_parser']*2, parser_layers1)
            set_size_parser(batch_l, target_l, opt['rnn_size_parser']*2, parser_layers2)
            # ---- fwd prop for parser brnn for sent 1----
            # fwd direction
            rnn_state_parser_fwd1 = reset_state(init_parser, batch_l, -1)
            parser_fwd_inputs1 = {}
            for t in range(source_l):
                parser_fwd_clones[t].training()
                parser_fwd_inputs1[t] = [word_vecs1[:, t],
                                         *rnn_state_parser_fwd1[t-1]]
                out = parser_fwd_clones[t].forward(parser_fwd_inputs1[t])
                rnn_state_parser_fwd1[t] = out
                parser_context1[:, t, 0:opt['rnn_size_parser']].copy(out[len(out) - 1])
            # bwd direction
            rnn_state_parser_bwd1 = reset_state(init_parser, batch_l, source_l)
            parser_bwd_inputs1 = {}
            for t in range(source_l - 1, -1, -1):
                parser_bwd_clones[t].training()
                parser_bwd_inputs1[t] = [word_vecs1[:, t],
                                         *rnn_state_parser_bwd1[t+1]]
                out = parser_bwd_clones[t].forward(parser_bwd_inputs1[t])
                rnn_state_parser_bwd1[t] = out
                parser_context1[:, t,
                                opt['rnn_size_parser']:opt['rnn_size_parser']*2].copy(out[len(out) - 1])
            # ---- fwd prop for parser brnn for sent 2----
            # fwd direction
            rnn_state_parser_fwd2 = reset_state(init_parser, batch_l, -1)
            parser_fwd_inputs2 = {}
            for t in range(target_l):
                parser_fwd_clones[t+source_l].training()
                parser_fwd_inputs2[t] = [word_vecs2[:, t],
                                         *rnn_state_parser_fwd2[t-1]]
                out = parser_fwd_clones[t+source_l].forward(parser_fwd_inputs2[t])
                rnn_state_parser_fwd2[t] = out
                parser_context2[:, t, 0:opt['rnn_size_parser']].copy(out[len(out) - 1])
            # bwd direction
            rnn_state_parser_bwd2 = reset_state(init_parser, batch_l, target_l)
            parser_bwd_inputs2 = {}
            for t in range(target_l - 1, -1, -1):
                parser_bwd_clones[t+source_l].training()
                parser_bwd_inputs2[t] = [word_vecs2[:, t],
                                         *rnn_state_parser_bwd2[t+1]]
                out = parser_bwd_clones[t+source_l].forward(parser_bwd_inputs2[t])
                rnn_state_parser_bwd2[t] = out
                parser_context2[:, t, opt['rnn_size_parser']:
                                opt['rnn_size_parser']*2].copy(out[len(out) - 1])
            parser_context1 = parser_context1.contiguous()
            parser_context2 = parser_context2.contiguous()
            parsed_context1 = parser_graph1.forward(parser_context1)
            parsed_context2 = parser_graph2.forward(parser_context2)
            pred_input = [word_vecs1, word_vecs2, parsed_context1, parsed_context2]
        else:
            set_size_encoder(batch_l, source_l, target_l,
                             opt['word_vec_size'], opt['hidden_size'], entail_layers)
            pred_input = [word_vecs1, word_vecs2]
        pred_label = sent_encoder.forward(pred_input)
        _, pred_argmax = pred_label.max(1)
        train_num_correct = train_num_correct + pred_argmax.double().view(batch_l).eq(label.double()).sum()
        loss = disc_criterion.forward(pred_label, label)
        dl_dp = disc_criterion.backward(pred_label, label)
        dl_dp.div(batch_l)

        if opt['attn'] != 'none':
            dl_dinput1, dl_dinput2, dl_dparser1, dl_dparser2 = sent_encoder.backward(pred_input, dl_dp)
            # ---- backprop for graph-based parser ----
            parser_grads1 = parser_graph1.backward(parser_context1, dl_dparser1)
            parser_grads2 = parser_graph2.backward(parser_context2, dl_dparser2)
            word_vecs1_grads.add(dl_dinput1)
            word_vecs2_grads.add(dl_dinput2)

            # ---- backprop for parser brnn ----
            # backprop through fwd parser rnn
            drnn_state = reset_state(init_parser, batch_l)
            for t in range(source_l - 1, -1, -1):
                drnn_state[len(drnn_state) - 1].add(
                    parser_grads1[:, t, 0:opt['rnn_size_parser']])
                dlst = parser_fwd_clones[t].backward(parser_fwd_inputs1[t], drnn_state)
                for j in range(len(drnn_state)):
                    drnn_state[j].copy(dlst[j+1])
                word_vecs1_grads[:, t].add(dlst[0])
            # backprop through bwd parser rnn
            drnn_state = reset_state(init_parser, batch_l)
            for t in range(source_l):
                drnn_state[len(drnn_state) - 1].add(
                    parser_grads1[:, t, opt['rnn_size_parser']:2*opt['rnn_size_parser']])
                dlst = parser_bwd_clones[t].backward(parser_bwd_inputs1[t], drnn_state)
                for j in range(len(drnn_state)):
                    drnn_state[j].copy(dlst[j+1])
                word_vecs1_grads[:, t].add(dlst[0])
            # ---- backprop through source word vectors ----
            if opt['proj'] == 0:
                word_vecs_enc1.backward(source, word_vecs1_grads.contiguous())

            # ---- backprop for parser brnn ----
            # backprop through fwd parser rnn
            drnn_state = reset_state(init_parser, batch_l)
            for t in range(target_l - 1, -1, -1):
                drnn_state[len(drnn_state) - 1].add(
                    parser_grads2[:, t, 0:opt['rnn_size_parser']])
                dlst = parser_fwd_clones[t+source_l].backward(parser_fwd_inputs2[t], drnn_state)
                for j in range(len(drnn_state)):
                    drnn_state[j].copy(dlst[j+1])
                word_vecs2_grads[:, t].add(dlst[0])
            # backprop through bwd parser rnn
            drnn_state = reset_state(init_parser, batch_l)
            for t in range(target_l):
                drnn_state[len(drnn_state) - 1].add(
                    parser_grads2[:, t, opt['rnn_size_parser']:2*opt['rnn_size_parser']])
                dlst = parser_bwd_clones[t+source_l].backward(parser_bwd_inputs2[t], drnn_state)
                for j in range(len(drnn_state)):
                    drnn_state[j].copy(dlst[j+1])
                word_vecs2_grads[:, t].add(dlst[0])
            # ---- backprop through source word vectors ----
            if opt['proj'] == 0:
                word_vecs_enc2.backward(target, word_vecs2_grads)

        else:
            dl_dinput1, dl_dinput2 = sent_encoder.backward(pred_input, dl_dp)
            word_vecs_enc1.backward(source, dl_dinput1)
            word_vecs_enc2.backward(target, dl_dinput2)

        if opt['fix_word_vecs'] == 1:
            word_vecs_enc1.gradWeight.zero()
            word_vecs_enc2.gradWeight.zero()

        # word vec layer and parser_graph layers are shared
        grad_params[0].add(grad_params[1])
        grad_params[1].zero()
        if opt['attn'] != 'none':
            grad_params[5].add(grad_params[6])
            grad_params[6].zero()

        if opt['share_params'] == 1:
            if opt['proj'] == 1:
                entail_layers['proj1'].gradWeight.add(entail_layers['proj2'].gradWeight)
                entail_layers['proj2'].gradWeight.zero()
            for k in range(1, 5, 3):
                entail_layers['f1'].modules[k].gradWeight.add(entail_layers['f2'].modules[k].gradWeight)
                entail_layers['f1'].modules[k].gradBias.add(entail_layers['f2'].modules[k].gradBias)
                entail_layers['g1'].modules[k].gradWeight.add(entail_layers['g2'].modules[k].gradWeight)
                entail_layers['g1'].modules[k].gradBias.add(entail_layers['g2'].modules[k].gradBias)
                entail_layers['f2'].modules[k].gradWeight.zero()
                entail_layers['f2'].modules[k].gradBias.zero()
                entail_layers['g2'].modules[k].gradWeight.zero()
                entail_layers['g2'].modules[k].gradBias.zero()

        grad_norm = 0
        for i_ in range(len(grad_params)):
            grad_norm = grad_norm + grad_params[i_].norm()**2
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
            if j != 1 and j != 5:
                param_norm = param_norm + params[j].norm()**2
        param_norm = param_norm**0.5

        params[1].copy(params[0])
        if opt['attn'] != 'none':
            params[6].copy(params[5])

        if opt['share_params'] == 1:
            if opt['proj'] == 1:
                entail_layers['proj2'].weight.copy(entail_layers['proj1'].weight)
            for k in range(1, 5, 3):
                entail_layers['f2'].modules[k].weight.copy(entail_layers['f1'].modules[k].weight)
                entail_layers['f2'].modules[k].bias.copy(entail_layers['f1'].modules[k].bias)
                entail_layers['g2'].modules[k].weight.copy(entail_layers['g1'].modules[k].weight)
                entail_layers['g2'].modules[k].bias.copy(entail_layers['g1'].modules[k].bias)

        # Bookkeeping
        num_words_target = num_words_target + batch_l*target_l
        num_words_source = num_words_source + batch_l*source_l
        train_loss = train_loss + loss
        train_sents = train_sents + batch_l
        time_taken = timer.time()['real'] - start_time
        if (i + 1) % opt['print_every'] == 0:
            stats = 'Epoch: %d, Batch: %d/%d, Batch size: %d, LR: %.4f, ' % (
                epoch, i + 1, data.size(), batch_l, opt['learning_rate'])
            stats = stats + 'NLL: %.4f, Acc: %.4f, |Param|: %.2f, |GParam|: %.2f, ' % (
                train_loss/train_sents, train_num_correct/train_sents,
                param_norm, grad_norm)
            stats = stats + 'Training: %d/%d/%d total/source/target tokens/sec' % (
                (num_words_target+num_words_source) / time_taken,
                num_words_source / time_taken,
                num_words_target / time_taken)
            print(stats)
    return train_loss, train_sents, train_num_correct


def eval(data):
    global parsed_context1, parsed_context2, pred_input
    sent_encoder.evaluate()
    nll = 0
    num_sents = 0
    num_correct = 0
    for i in range(data.size()):
        d = data[i]
        target, source, batch_l, target_l, source_l, label = d
        sent1_context = sent1_context_proto[0:batch_l]
        sent2_context = sent2_context_proto[0:batch_l]
        word_vecs1 = word_vecs_enc1.forward(source)
        word_vecs2 = word_vecs_enc2.forward(target)
        if opt['attn'] != 'none':
            set_size_encoder(batch_l, source_l, target_l,
                             opt['word_vec_size'], opt['hidden_size'], entail_layers)
            set_size_parser(batch_l, source_l, opt['rnn_size_parser']*2, parser_layers1)
            set_size_parser(batch_l, target_l, opt['rnn_size_parser']*2, parser_layers2)

            # resize the various temporary tensors that are going to hold contexts/grads
            parser_context1 = parser_context1_proto[0:batch_l, 0:source_l]
            parser_context2 = parser_context2_proto[0:batch_l, 0:target_l]

            # ---- fwd prop for parser brnn for sent 1----
            # fwd direction
            rnn_state_parser_fwd1 = reset_state(init_parser, batch_l, -1)
            parser_fwd_inputs1 = {}
            for t in range(source_l):
                parser_fwd_clones[t].evaluate()
                parser_fwd_inputs1[t] = [word_vecs1[:, t], *rnn_state_parser_fwd1[t-1]]
                out = parser_fwd_clones[t].forward(parser_fwd_inputs1[t])
                rnn_state_parser_fwd1[t] = out
                parser_context1[:, t, 0:opt['rnn_size_parser']].copy(out[len(out) - 1])
            # bwd direction
            rnn_state_parser_bwd1 = reset_state(init_parser, batch_l, source_l)
            parser_bwd_inputs1 = {}
            for t in range(source_l - 1, -1, -1):
                parser_bwd_clones[t].evaluate()
                parser_bwd_inputs1[t] = [word_vecs1[:, t], *rnn_state_parser_bwd1[t+1]]
                out = parser_bwd_clones[t].forward(parser_bwd_inputs1[t])
                rnn_state_parser_bwd1[t] = out
                parser_context1[:, t, opt['rnn_size_parser']:opt['rnn_size_parser']*2].copy(out[len(out) - 1])

            # ---- fwd prop for parser brnn for sent 2----
            # fwd direction
            rnn_state_parser_fwd2 = reset_state(init_parser, batch_l, -1)
            parser_fwd_inputs2 = {}
            for t in range(target_l):
                parser_fwd_clones[t+source_l].training()
                parser_fwd_inputs2[t] = [word_vecs2[:, t], *rnn_state_parser_fwd2[t-1]]
                out = parser_fwd_clones[t+source_l].forward(parser_fwd_inputs2[t])
                rnn_state_parser_fwd2[t] = out
                parser_context2[:, t, 0:opt['rnn_size_parser']].copy(out[len(out) - 1])
            # bwd direction
            rnn_state_parser_bwd2 = reset_state(init_parser, batch_l, target_l)
            parser_bwd_inputs2 = {}
            for t in range(target_l - 1, -1, -1):
                parser_bwd_clones[t+source_l].training()
                parser_bwd_inputs2[t] = [word_vecs2[:, t], *rnn_state_parser_bwd2[t+1]]
                out = parser_bwd_clones[t+source_l].forward(parser_bwd_inputs2[t])
                rnn_state_parser_bwd2[t] = out
                parser_context2[:, t, opt['rnn_size_parser']:opt['rnn_size_parser']*2].copy(out[len(out) - 1])
            parsed_context1 = parser_graph1.forward(parser_context1.contiguous())
            parsed_context2 = parser_graph2.forward(parser_context2.contiguous())
            pred_input = [word_vecs1, word_vecs2, parsed_context1, parsed_context2]
        else:
            set_size_encoder(batch_l, source_l, target_l,
                             opt['word_vec_size'], opt['hidden_size'], entail_layers)
            pred_input = [word_vecs1, word_vecs2]
        pred_label = sent_encoder.forward(pred_input)
        loss = disc_criterion.forward(pred_label, label)
        _, pred_argmax = pred_label.max(1)
        num_correct = num_correct + pred_argmax.double().view(batch_l).eq(label.double()).sum()
        num_sents = num_sents + batch_l
        nll = nll + loss
    acc = num_correct/num_sents
    print("Acc", acc)
    print("NLL", nll / num_sents)
    return acc


def get_layer(layer):
    global word_vecs_dec, parser
    if getattr(layer, 'name', None) is not None:
        if layer.name == 'word_vecs_enc2':
            word_vecs_dec = layer
        elif layer.name == 'parser':
            parser = layer


def main(arg):
    global opt, train_data, valid_data, test_data, word_vecs_enc1, word_vecs_enc2, parser_fwd, parser_bwd
    global parser_graph1, parser_graph2, sent_encoder, disc_criterion, layers, layer_etas, optStates
    global parser_layers1, parser_layers2, entail_layers
    opt = cmd.parse(arg)   # the chunk's own parse and seed, before main()
    lg.manualSeed(opt['seed'])

    # parse input params
    opt = cmd.parse(arg)
    data_entail.opt = opt
    models_entail.opt = opt
    if opt['gpuid'] >= 0:
        print('using CUDA on GPU ' + str(opt['gpuid']) + '...')
        if opt.get('cudnn') == 1:
            print('loading cudnn...')
        cutorch.setDevice(opt['gpuid'] - 1)
        cutorch.manualSeed(opt['seed'])

    # Create the data loader class.
    print('loading data...')

    train_data = data(opt, opt['data_file'])
    valid_data = data(opt, opt['val_data_file'])
    test_data = data(opt, opt['test_data_file'])
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

    # Build model
    word_vecs_enc1 = nn.LookupTable(valid_data.source_size, opt['word_vec_size'])
    word_vecs_enc2 = nn.LookupTable(valid_data.target_size, opt['word_vec_size'])
    if opt['attn'] != 'none':
        parser_fwd = make_lstm(valid_data, opt['rnn_size_parser'], opt['word_vec_size'],
                               opt['num_layers_parser'], opt, 'enc')
        parser_bwd = make_lstm(valid_data, opt['rnn_size_parser'], opt['word_vec_size'],
                               opt['num_layers_parser'], opt, 'enc')
        parser_graph1 = make_parser(opt['rnn_size_parser']*2)
        parser_graph2 = make_parser(opt['rnn_size_parser']*2)
        sent_encoder = make_sent_encoder(opt['word_vec_size'], opt['hidden_size'],
                                         valid_data.label_size, opt['dropout'])
    else:
        sent_encoder = make_sent_encoder(opt['word_vec_size'], opt['hidden_size'],
                                         valid_data.label_size, opt['dropout'])

    disc_criterion = nn.ClassNLLCriterion()
    disc_criterion.sizeAverage = False

    if opt['attn'] != 'none':
        layers = [word_vecs_enc1, word_vecs_enc2, sent_encoder,
                  parser_fwd, parser_bwd,
                  parser_graph1, parser_graph2]
    else:
        layers = [word_vecs_enc1, word_vecs_enc2, sent_encoder]

    layer_etas = []
    optStates = []
    for i in range(len(layers)):
        layer_etas.append(opt['learning_rate'])   # can have layer-specific lr, if desired
        optStates.append({})

    if opt['gpuid'] >= 0:
        for i in range(len(layers)):
            layers[i].cuda()
        disc_criterion.cuda()

    # these layers will be manipulated during training
    if opt['attn'] != 'none':
        parser_layers1 = models_entail.parser_layers1 = {}
        parser_layers2 = models_entail.parser_layers2 = {}
        parser_graph1.apply(get_parser_layer1)
        parser_graph2.apply(get_parser_layer2)
    entail_layers = models_entail.entail_layers = {}
    sent_encoder.apply(get_entail_layer)
    if opt['attn'] != 'none':
        if opt.get('cuda_mod') == 1:
            parser_layers1['dep_parser'].cuda_mod = 1
            parser_layers2['dep_parser'].cuda_mod = 1
        else:
            if opt['attn'] == 'struct':
                parser_layers1['dep_parser'].double()
                parser_layers2['dep_parser'].double()
    train(train_data, valid_data)
