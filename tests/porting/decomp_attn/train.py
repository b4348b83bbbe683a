"""decomp-attn's train.lua: trains the decomposable attention model (models.py) on preprocess.py's sentence pairs:
random normal init, pre-trained word vectors, parameters tied between the two sentences' layers (proj, F, G) by
summing their gradients into the first and copying the first's weights back after each step, adagrad (utils.py),
accuracy and NLL on the validation and test sets, checkpoints.

Edits beyond syntax and 0-based indexing:
- the script's body is ``main(arg)``: the chunk's ``opt = cmd:parse(arg)`` and ``torch.manualSeed(opt.seed)`` run
  at its start (main() parses again, as the Lua's does); ``opt`` is CmdLine's dict (``opt.x`` is ``opt['x']``);
  the layers, prototypes and optimiser states are this module's globals, and main sets data.py's and
  models.py's ``opt``/``all_layers`` (Python's globals are a module's own).
- ``train_batch``, the global function train() defines, is defined in train() and assigned to this module's
  global.
- ``zero_table(grad_params, 'zero')`` drops the argument zero_table never reads (docs/porting.md's row on extra
  arguments); ``for k = 2, 5, 3`` (k = 2 and 5, the Sequentials' Linears) is ``range(1, 5, 3)``.
- ``cutorch.setDevice(opt.gpuid)`` is given ``opt.gpuid - 1`` (devices are 0-based: docs/porting.md's cutorch
  row); ``collectgarbage()`` is left out."""
import legonn as lg
from legonn import cutorch, hdf5, nn

from . import models
from .data import data, data_entail
from .models import get_layer, make_sent_encoder, set_size_encoder
from .utils import adadelta_step, adagrad_step, adam_step

cmd = lg.CmdLine()

# data files
cmd.text("")
cmd.text("**Data options**")
cmd.text("")
cmd.option('-data_file', 'data/entail-train.hdf5', """Path to the training *.hdf5 file""")
cmd.option('-val_data_file', 'data/entail-val.hdf5', """Path to validation *.hdf5 file""")
cmd.option('-test_data_file', 'data/entail-test.hdf5', """Path to test *.hdf5 file""")

cmd.option('-savefile', 'model', """Savefile name""")

# model specs
cmd.option('-hidden_size', 200, """MLP hidden layer size""")
cmd.option('-word_vec_size', 300, """Word embedding size""")
cmd.option('-share_params', 1, """Share parameters between the two sentence encoders""")
cmd.option('-dropout', 0.2, """Dropout probability.""")

# optimization
cmd.option('-epochs', 100, """Number of training epochs""")
cmd.option('-param_init', 0.01, """Parameters are initialized over uniform distribution with support
                               (-param_init, param_init)""")
cmd.option('-optim', 'adagrad', """Optimization method. Possible options are:
                              sgd (vanilla SGD), adagrad, adadelta, adam""")
cmd.option('-learning_rate', 0.05, """Starting learning rate. If adagrad/adadelta/adam is used,
                                then this is the global learning rate.""")
cmd.option('-pre_word_vecs', 'glove.hdf5', """If a valid path is specified, then this will load
                                      pretrained word embeddings (hdf5 file)""")
cmd.option('-fix_word_vecs', 1, """If = 1, fix word embeddings""")
cmd.option('-max_batch_l', '', """If blank, then it will infer the max batch size from the
                   data.""")
cmd.option('-gpuid', -1, """Which gpu to use. -1 = use CPU""")
cmd.option('-print_every', 1000, """Print stats after this many batches""")
cmd.option('-seed', 3435, """Seed for random initialization""")

opt = None
train_data = valid_data = test_data = None
word_vecs_enc1 = word_vecs_enc2 = sent_encoder = disc_criterion = layers = None
params = grad_params = layer_etas = optStates = all_layers = None
word_vecs1_grad_proto = word_vecs2_grad_proto = None
train_batch = None


def zero_table(t):
    for i in range(len(t)):
        t[i].zero()


def train(train_data, valid_data):
    global params, grad_params, word_vecs1_grad_proto, word_vecs2_grad_proto, train_batch
    timer = lg.Timer()
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
    if opt['share_params'] == 1:
        all_layers['proj2'].weight.copy(all_layers['proj1'].weight)
        for k in range(1, 5, 3):
            all_layers['f2'].modules[k].weight.copy(all_layers['f1'].modules[k].weight)
            all_layers['f2'].modules[k].bias.copy(all_layers['f1'].modules[k].bias)
            all_layers['g2'].modules[k].weight.copy(all_layers['g1'].modules[k].weight)
            all_layers['g2'].modules[k].bias.copy(all_layers['g1'].modules[k].bias)

    # prototypes for gradients so there is no need to clone
    word_vecs1_grad_proto = lg.zeros(opt['max_batch_l'], opt['max_sent_l_src'], opt['word_vec_size'])
    word_vecs2_grad_proto = lg.zeros(opt['max_batch_l'], opt['max_sent_l_targ'], opt['word_vec_size'])

    if opt['gpuid'] >= 0:
        cutorch.setDevice(opt['gpuid'] - 1)
        word_vecs1_grad_proto = word_vecs1_grad_proto.cuda()
        word_vecs2_grad_proto = word_vecs2_grad_proto.cuda()

    def train_batch(data, epoch):
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
            word_vecs1_grads = word_vecs1_grad_proto[0:batch_l, 0:source_l].zero()   # noqa: F841
            word_vecs2_grads = word_vecs2_grad_proto[0:batch_l, 0:target_l].zero()   # noqa: F841
            word_vecs1 = word_vecs_enc1.forward(source)
            word_vecs2 = word_vecs_enc2.forward(target)
            set_size_encoder(batch_l, source_l, target_l,
                             opt['word_vec_size'], opt['hidden_size'], all_layers)
            pred_input = [word_vecs1, word_vecs2]
            pred_label = sent_encoder.forward(pred_input)
            _, pred_argmax = pred_label.max(1)
            train_num_correct = train_num_correct + pred_argmax.double().view(batch_l).eq(label.double()).sum()
            loss = disc_criterion.forward(pred_label, label)
            dl_dp = disc_criterion.backward(pred_label, label)
            dl_dp.div(batch_l)
            dl_dinput1, dl_dinput2 = sent_encoder.backward(pred_input, dl_dp)
            word_vecs_enc1.backward(source, dl_dinput1)
            word_vecs_enc2.backward(target, dl_dinput2)

            if opt['fix_word_vecs'] == 1:
                word_vecs_enc1.gradWeight.zero()
                word_vecs_enc2.gradWeight.zero()

            grad_params[0].add(grad_params[1])
            grad_params[1].zero()

            if opt['share_params'] == 1:
                all_layers['proj1'].gradWeight.add(all_layers['proj2'].gradWeight)
                all_layers['proj2'].gradWeight.zero()
                for k in range(1, 5, 3):
                    all_layers['f1'].modules[k].gradWeight.add(all_layers['f2'].modules[k].gradWeight)
                    all_layers['f1'].modules[k].gradBias.add(all_layers['f2'].modules[k].gradBias)
                    all_layers['g1'].modules[k].gradWeight.add(all_layers['g2'].modules[k].gradWeight)
                    all_layers['g1'].modules[k].gradBias.add(all_layers['g2'].modules[k].gradBias)
                    all_layers['f2'].modules[k].gradWeight.zero()
                    all_layers['f2'].modules[k].gradBias.zero()
                    all_layers['g2'].modules[k].gradWeight.zero()
                    all_layers['g2'].modules[k].gradBias.zero()

            # Update params
            for j in range(len(grad_params)):
                if opt['optim'] == 'adagrad':
                    adagrad_step(params[j], grad_params[j], layer_etas[j], optStates[j])
                elif opt['optim'] == 'adadelta':
                    adadelta_step(params[j], grad_params[j], layer_etas[j], optStates[j])
                elif opt['optim'] == 'adam':
                    adam_step(params[j], grad_params[j], layer_etas[j], optStates[j])
                else:
                    params[j].add(grad_params[j].mul(-opt['learning_rate']))

            params[1].copy(params[0])
            if opt['share_params'] == 1:
                all_layers['proj2'].weight.copy(all_layers['proj1'].weight)
                for k in range(1, 5, 3):
                    all_layers['f2'].modules[k].weight.copy(all_layers['f1'].modules[k].weight)
                    all_layers['f2'].modules[k].bias.copy(all_layers['f1'].modules[k].bias)
                    all_layers['g2'].modules[k].weight.copy(all_layers['g1'].modules[k].weight)
                    all_layers['g2'].modules[k].bias.copy(all_layers['g1'].modules[k].bias)

            # Bookkeeping
            num_words_target = num_words_target + batch_l*target_l
            num_words_source = num_words_source + batch_l*source_l
            train_loss = train_loss + loss
            train_sents = train_sents + batch_l
            time_taken = timer.time()['real'] - start_time
            if (i + 1) % opt['print_every'] == 0:
                stats = 'Epoch: %d, Batch: %d/%d, Batch size: %d, LR: %.4f, ' % (
                    epoch, i + 1, data.size(), batch_l, opt['learning_rate'])
                stats = stats + 'NLL: %.4f, Acc: %.4f, ' % (train_loss/train_sents, train_num_correct/train_sents)
                stats = stats + 'Training: %d total tokens/sec' % ((num_words_target+num_words_source) / time_taken)
                print(stats)
        return train_loss, train_sents, train_num_correct

    globals()['train_batch'] = train_batch   # the Lua's train_batch is a global function
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
            lg.save(savefile, [layers, opt])
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
    lg.save(savefile, [layers, opt])


def eval(data):
    sent_encoder.evaluate()
    nll = 0
    num_sents = 0
    num_correct = 0
    for i in range(data.size()):
        d = data[i]
        target, source, batch_l, target_l, source_l, label = d
        word_vecs1 = word_vecs_enc1.forward(source)
        word_vecs2 = word_vecs_enc2.forward(target)
        set_size_encoder(batch_l, source_l, target_l,
                         opt['word_vec_size'], opt['hidden_size'], all_layers)
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


def main(arg):
    global opt, train_data, valid_data, test_data, word_vecs_enc1, word_vecs_enc2, sent_encoder, disc_criterion
    global layers, layer_etas, optStates, all_layers
    opt = cmd.parse(arg)   # the chunk's own parse and seed, before main()
    lg.manualSeed(opt['seed'])

    # parse input params
    opt = cmd.parse(arg)
    data_entail.opt = opt
    if opt['gpuid'] >= 0:
        print('using CUDA on GPU ' + str(opt['gpuid']) + '...')
        cutorch.setDevice(opt['gpuid'] - 1)
        cutorch.manualSeed(opt['seed'])

    # Create the data loader class.
    print('loading data...')

    train_data = data(opt, opt['data_file'])
    valid_data = data(opt, opt['val_data_file'])
    test_data = data(opt, opt['test_data_file'])
    print('done!')
    print('Source vocab size: %d, Target vocab size: %d' % (train_data.source_size, train_data.target_size))
    opt['max_sent_l_src'] = train_data.source.size(1)
    opt['max_sent_l_targ'] = train_data.target.size(1)
    if opt['max_batch_l'] == '':
        opt['max_batch_l'] = int(train_data.batch_l.max())

    print('Source max sent len: %d, Target max sent len: %d' % (train_data.source.size(1),
                                                                 train_data.target.size(1)))

    # Build model
    word_vecs_enc1 = nn.LookupTable(train_data.source_size, opt['word_vec_size'])
    word_vecs_enc2 = nn.LookupTable(train_data.target_size, opt['word_vec_size'])
    sent_encoder = make_sent_encoder(opt['word_vec_size'], opt['hidden_size'],
                                     train_data.label_size, opt['dropout'])

    disc_criterion = nn.ClassNLLCriterion()
    disc_criterion.sizeAverage = False
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
    all_layers = models.all_layers = {}
    sent_encoder.apply(get_layer)
    train(train_data, valid_data)
