"""harvardnlp/sent-conv-torch (Kim 2014's CNN sentence classifier) ported line by line: model/convNN.lua
(``make_net``, lines 5-132, every branch: rand, static, nonstatic and multichannel embeddings, the
TemporalConvolution and the cudnn path, the skip kernel, the highway MLP and highway convolution),
model/highway_conv.lua (3-39), model/highway_mlp.lua (Yoon Kim's char-lstm HighwayMLP, the same file as
lstm-char-cnn's: imported from tests/porting/test_lstm_char_cnn.py), util.lua's ``get_layer`` (1-11),
trainer.lua (``Trainer:train`` 10-125 with its padding reset and L2 renorm of the last layer, ``Trainer:test``
127-221 with the feature-map dump and the predictions file) and main.lua (options 10-59, ``save_progress``
61-78, ``build_model`` 81-114, ``train_loop`` 116-235 with the cross-validation folds and the dev split,
``load_data`` 237-269, ``main`` 271-353). preprocess.py is not ported: the tests write the HDF5 file it
writes (1-based word ids, padding id 1, labels from 1, a w2v table whose first row is zero) for a tiny
generated corpus.

Edits beyond the mechanical ones, each a rule of docs/porting.md: the file's 1-based ids and labels are
shifted down after load_data has read ``opt.num_classes`` from them (main.lua's ``-zero_indexing 1`` adds 1
to a 0-based file; here a file made for Torch7, ``-zero_indexing 0``, has 1 taken off);
``loadstring('opt.kernels = ' .. opt.kernels)()`` is ``pretty.read``; ``layer.name``
of an unnamed module reads ``getattr(layer, 'name', None)``; ``opt.highway_layers`` (never set: the Lua's typo
for ``highway_mlp``) is ``opt.get('highway_layers')``; one module called on several graph nodes (the
multichannel model's ``conv`` on both channels, highway_conv's ``conv``, ``reshape1``, ``pad``, ``reshape2`` and
``f``) becomes a clone per node sharing the parameters. The fold numbers stay 1 .. folds (they name the
checkpoint files and enter the split arithmetic, which is kept as the Lua's, overlap of the train and test rows
included); rows and columns handed to ``narrow``/``select`` are 0-based; ``cutorch.setDevice(opt.gpuid)`` is
``opt['gpuid'] - 1``; ``-test_only``'s ``os.exit()`` returns the score from ``main``."""
import math
import os
import time

import numpy as np
import pytest

import legonn as lg
from legonn import cudnn, hdf5, lfs, nn, optim
from legonn.pl import path, pretty
from tests.checks import assert_jacobian
from tests.porting.test_lstm_char_cnn import HighwayMLP

opt = None     # main.lua's global opt, which build_model and train_loop read


# --- util.lua -----------------------------------------------------------------------------------------------

def get_layer(model, name):
    named_layer = None

    def get(layer):
        nonlocal named_layer
        if getattr(layer, 'name', None) == name or lg.typename(layer) == name:
            named_layer = layer

    model.apply(get)
    return named_layer


# --- model/highway_conv.lua ---------------------------------------------------------------------------------

class HighwayConv:

    @staticmethod
    def conv(vec_size, max_sent, kernel_size, num_layers=None, bias=None, f=None):
        # size = dimensionality of inputs
        # num_layers = number of conv layers (default = 1)
        # bias = bias for transform gate (default = -2)
        # f = non-linearity (default = ReLU)
        num_layers = num_layers if num_layers is not None else 1
        bias = bias if bias is not None else -2
        f = f if f is not None else cudnn.ReLU()
        input = nn.Identity()()
        inputs = [input]

        for i in range(num_layers):
            # Reshape for spatial convolution
            reshape1 = nn.Reshape(1, max_sent, vec_size, True)
            conv = cudnn.SpatialConvolution(1, vec_size, vec_size, kernel_size)
            pad = nn.Padding(2, kernel_size - 1)
            reshape2 = nn.Reshape(max_sent, vec_size, True)
            conv.weight.uniform(-0.01, 0.01)
            conv.bias.zero()

            # each module twice in the graph: a clone per node, the convolution's parameters shared
            # (docs/porting.md; the Lua's nodes share one output buffer)
            output = f.clone()(conv(reshape1(inputs[i])))
            output = reshape2(pad(output))
            transform_gate = cudnn.Sigmoid()(nn.AddConstant(bias)(
                conv.clone('weight', 'bias', 'gradWeight', 'gradBias')(reshape1.clone()(inputs[i]))))
            transform_gate = reshape2.clone()(pad.clone()(transform_gate))
            carry_gate = nn.AddConstant(1)(nn.MulConstant(-1)(transform_gate))

            output = nn.CAddTable()([
                nn.CMulTable()([transform_gate, output]),
                nn.CMulTable()([carry_gate, inputs[i]])])
            inputs.append(output)

        return nn.gModule([input], [output])


# --- model/convNN.lua ---------------------------------------------------------------------------------------

def make_net(w2v, opt):
    input = nn.Identity()()

    if opt['model_type'] == 'multichannel':
        channels = []
        for i in range(2):
            chan = nn.LookupTable(opt['vocab_size'], opt['vec_size'])
            chan.weight.copy(w2v)
            chan.weight[0].zero()
            chan.name = 'channel' + str(i + 1)
            channels.append(chan(input))
        lookup = channels
    else:
        lookup = nn.LookupTable(opt['vocab_size'], opt['vec_size'])
        if opt['model_type'] == 'static' or opt['model_type'] == 'nonstatic':
            lookup.weight.copy(w2v)
        else:
            # rand
            lookup.weight.uniform(-0.25, 0.25)
        # padding should always be 0
        lookup.weight[0].zero()

        lookup = lookup(input)

    # kernels is an array of kernel sizes
    kernels = opt['kernels']
    layer1 = []
    for i in range(len(kernels)):
        if opt['cudnn'] == 1:
            conv = cudnn.SpatialConvolution(1, opt['num_feat_maps'], opt['vec_size'], kernels[i])
            if opt['model_type'] == 'multichannel':
                lookup_conv = []
                for chan in range(2):
                    # the one conv on both channels: a clone per node sharing its parameters (docs/porting.md)
                    chan_conv = conv if chan == 0 else conv.clone('weight', 'bias', 'gradWeight', 'gradBias')
                    lookup_conv.append(nn.Reshape(opt['num_feat_maps'], opt['max_sent'] - kernels[i] + 1, True)(
                        chan_conv(
                            nn.Reshape(1, opt['max_sent'], opt['vec_size'], True)(
                                lookup[chan]))))
                conv_layer = nn.CAddTable()(lookup_conv)
                max_time = nn.Max(2)(cudnn.ReLU()(conv_layer))
            else:
                if opt['highway_conv_layers'] > 0:
                    # Highway conv layers
                    highway_conv = HighwayConv.conv(opt['vec_size'], opt['max_sent'], kernels[i],
                                                    opt['highway_conv_layers'])
                    conv_layer = nn.Reshape(opt['num_feat_maps'], opt['max_sent'] - kernels[i] + 1, True)(
                        conv(nn.Reshape(1, opt['max_sent'], opt['vec_size'], True)(
                            highway_conv(lookup))))
                    max_time = nn.Max(2)(cudnn.ReLU()(conv_layer))
                else:
                    conv_layer = nn.Reshape(opt['num_feat_maps'], opt['max_sent'] - kernels[i] + 1, True)(
                        conv(
                            nn.Reshape(1, opt['max_sent'], opt['vec_size'], True)(
                                lookup)))
                    max_time = nn.Max(2)(cudnn.ReLU()(conv_layer))
        else:
            conv = nn.TemporalConvolution(opt['vec_size'], opt['num_feat_maps'], kernels[i])
            if opt['model_type'] == 'multichannel':
                lookup_conv = []
                for chan in range(2):
                    chan_conv = conv if chan == 0 else conv.clone('weight', 'bias', 'gradWeight', 'gradBias')
                    lookup_conv.append(chan_conv(lookup[chan]))
                conv_layer = nn.CAddTable()(lookup_conv)
                max_time = nn.Max(1)(nn.ReLU()(conv_layer))  # max over time
            else:
                conv = nn.TemporalConvolution(opt['vec_size'], opt['num_feat_maps'], kernels[i])
                conv_layer = conv(lookup)
                max_time = nn.Max(1)(nn.ReLU()(conv_layer))  # max over time

        conv.weight.uniform(-0.01, 0.01)
        conv.bias.zero()
        conv.name = 'convolution'
        layer1.append(max_time)

    if opt['skip_kernel'] > 0:
        # skip kernel
        kern_size = 5  # fix for now
        skip_conv = cudnn.SpatialConvolution(1, opt['num_feat_maps'], opt['vec_size'], kern_size)
        skip_conv.name = 'skip_conv'
        skip_conv.weight.uniform(-0.01, 0.01)
        # skip center for now
        skip_conv.weight.select(2, 2).zero()
        skip_conv.bias.zero()
        skip_conv_layer = nn.Reshape(opt['num_feat_maps'], opt['max_sent'] - kern_size + 1, True)(
            skip_conv(nn.Reshape(1, opt['max_sent'], opt['vec_size'], True)(lookup)))
        layer1.append(nn.Max(2)(cudnn.ReLU()(skip_conv_layer)))

    if len(layer1) > 1:
        conv_layer_concat = nn.JoinTable(1)(layer1)
    else:
        conv_layer_concat = layer1[0]

    last_layer = conv_layer_concat
    if opt['highway_mlp'] > 0:
        # use highway layers
        highway = HighwayMLP.mlp(len(layer1) * opt['num_feat_maps'], opt.get('highway_layers'))
        last_layer = highway(conv_layer_concat)

    # simple MLP layer
    linear = nn.Linear(len(layer1) * opt['num_feat_maps'], opt['num_classes'])
    linear.weight.normal().mul(0.01)
    linear.bias.zero()

    output = nn.LogSoftMax()(linear(nn.Dropout(opt['dropout_p'])(last_layer)))
    model = nn.gModule([input], [output])
    return model


# --- trainer.lua --------------------------------------------------------------------------------------------

class Trainer:
    typename = 'Trainer'

    # Perform one epoch of training.
    def train(self, train_data, train_labels, model, criterion, optim_method, layers, state, params, grads, opt):
        model.training()

        train_size = train_data.size(0)

        timer = lg.Timer()
        time_ = timer.time()['real']
        total_err = 0

        classes = []
        for i in range(opt['num_classes']):
            classes.append(i)
        confusion = optim.ConfusionMatrix(classes)
        confusion.zero()

        config = None  # for optim
        if opt['optim_method'] == 'adadelta':
            config = {'rho': 0.95, 'eps': 1e-6}
        elif opt['optim_method'] == 'adam':
            config = {}

        # shuffle batches
        num_batches = math.floor(train_size / opt['batch_size'])
        shuffle = lg.randperm(num_batches)
        for i in range(shuffle.size(0)):
            t = shuffle[i] * opt['batch_size']
            batch_size = min(opt['batch_size'], train_size - t)

            # data samples and labels, in mini batches.
            inputs = train_data.narrow(0, t, batch_size)
            targets = train_labels.narrow(0, t, batch_size)
            if opt['cudnn'] == 1:
                inputs = inputs.cuda()
                targets = targets.cuda()
            else:
                inputs = inputs.double()
                targets = targets.double()

            # closure to return err, df/dx
            def func(x):
                nonlocal total_err
                # get new parameters
                if x is not params:
                    params.copy(x)
                # reset gradients
                grads.zero()

                # forward pass
                outputs = model.forward(inputs)
                err = criterion.forward(outputs, targets)

                # track errors and confusion
                total_err = total_err + err * batch_size
                for j in range(batch_size):
                    confusion.add(outputs[j], targets[j])

                # compute gradients
                df_do = criterion.backward(outputs, targets)
                model.backward(inputs, df_do)

                if opt['model_type'] == 'static':
                    # don't update embeddings for static model
                    layers['w2v'].gradWeight.zero()
                elif opt['model_type'] == 'multichannel':
                    # keep one embedding channel static
                    layers['chan1'].gradWeight.zero()

                return err, grads

            # gradient descent
            optim_method(func, params, config, state)
            # reset padding embedding to zero
            layers['w2v'].weight[0].zero()
            if opt['model_type'] == 'multichannel':
                layers['chan1'].weight[0].zero()
            if opt['skip_kernel'] > 0:
                # keep skip kernel at zero
                layers['skip_conv'].weight.select(2, 2).zero()

            # Renorm (Euclidean projection to L2 ball)
            def renorm(row):
                n = row.norm()
                row.mul(opt['L2s']).div(1e-7 + n)

            # renormalize linear row weights
            w = layers['linear'].weight
            for j in range(w.size(0)):
                renorm(w[j])

        if opt['debug'] == 1:
            print('Total err: ' + str(total_err / train_size))
            print(confusion)

        # time taken
        time_ = timer.time()['real'] - time_
        time_ = opt['batch_size'] * time_ / train_size
        if opt['debug'] == 1:
            print("==> time to learn 1 batch = " + str(time_ * 1000) + 'ms')

        # return error percent
        confusion.updateValids()
        return confusion.totalValid

    def test(self, test_data, test_labels, model, criterion, layers, dump_features, opt):
        model.evaluate()

        classes = []
        for i in range(opt['num_classes']):
            classes.append(i)
        confusion = optim.ConfusionMatrix(classes)
        confusion.zero()

        preds_file = None
        if opt['test_only'] == 1 and opt['preds_file'] != '':
            print('Writing predictions to ' + opt['preds_file'])
            preds_file = open(opt['preds_file'], 'w')

        # dump feature maps
        feature_maps = None
        conv_layer = get_layer(model, 'convolution')

        test_size = test_data.size(0)
        total_err = 0
        for t in range(0, test_size, opt['batch_size']):
            # data samples and labels, in mini batches.
            batch_size = min(opt['batch_size'], test_size - t)
            inputs = test_data.narrow(0, t, batch_size)
            targets = test_labels.narrow(0, t, batch_size)
            if opt['cudnn'] == 1:
                inputs = inputs.cuda()
                targets = targets.cuda()
            else:
                inputs = inputs.double()
                targets = targets.double()

            outputs = model.forward(inputs)
            # dump feature maps from model forward
            if dump_features:
                if opt['cudnn'] == 1:
                    cur_feature_maps = conv_layer.output.squeeze(3)
                else:
                    cur_feature_maps = conv_layer.output
                if feature_maps is None:
                    feature_maps = cur_feature_maps
                else:
                    feature_maps = lg.cat(feature_maps, cur_feature_maps, 0)

            if opt['test_only'] == 1 and opt['preds_file'] != '':
                # write predictions to file
                _, preds = lg.max(outputs, 1)
                for j in range(preds.size(0)):
                    # zero index
                    preds_file.write(str(int(preds[j][0])) + '\n')

            err = criterion.forward(outputs, targets)
            total_err = total_err + err * batch_size

            for i in range(batch_size):
                confusion.add(outputs[i], targets[i])

        if opt['debug'] == 1:
            print(confusion)
            print('Total err: ' + str(total_err / test_size))

        if dump_features:
            assert len(opt['kernels']) == 1, 'multiple kernels not yet supported'
            kernel = opt['kernels'][0]
            word_idxs = test_data.narrow(1, kernel - 1, test_data.size(1) - kernel + 1)
            assert feature_maps.size(0) == word_idxs.size(0), 'length mismatch'

            filename = opt['dump_feature_maps_file'] + '.hdf5'
            print('dumping features to ' + filename)
            f = hdf5.open(filename, 'w')
            f.write('feature_maps', feature_maps.double())
            f.write('word_idxs', word_idxs.long())
            f.close()

        if opt['test_only'] == 1 and opt['preds_file'] != '':
            preds_file.close()

        # return error percent
        confusion.updateValids()
        return confusion.totalValid


# --- main.lua -----------------------------------------------------------------------------------------------

cmd = lg.CmdLine()

cmd.text()
cmd.text()
cmd.text('Convolutional net for sentence classification')
cmd.text()
cmd.text('Options')
cmd.option('-model_type', 'nonstatic', 'Model type. Options: rand, static, nonstatic, multichannel')
cmd.option('-data', '', 'Training data and word2vec data')
cmd.option('-cudnn', 0, 'Use cudnn and GPUs if set to 1, otherwise set to 0')
cmd.option('-seed', 3435, 'random seed, set -1 for actual random')
cmd.option('-folds', 10, 'number of folds to use. If test set provided, folds=1. max 10')
cmd.option('-debug', 0, 'print debugging info including timing, confusions')
cmd.option('-gpuid', 0, 'GPU device id to use.')
cmd.option('-savefile', '', 'Name of output file, which will hold the trained model, model parameters, and '
           'training scores. Default filename is TIMESTAMP_results')
cmd.option('-zero_indexing', 0, 'If data is zero indexed')
cmd.option('-dump_feature_maps_file', '', 'Set file to dump feature maps of convolution')
cmd.text()

# Preset by preprocessed data
cmd.option('-has_test', 1, 'If data has test, we use it. Otherwise, we use CV on folds')
cmd.option('-has_dev', 1, 'If data has dev, we use it, otherwise we split from train')
cmd.option('-num_classes', 2, 'Number of output classes')
cmd.option('-max_sent', 59, 'maximum sentence length')
cmd.option('-vec_size', 300, 'word2vec vector size')
cmd.option('-vocab_size', 18766, 'Vocab size')
cmd.text()

# Training own dataset
cmd.option('-train_only', 0, 'Set to 1 to only train on data. Default is cross-validation')
cmd.option('-test_only', 0, 'Set to 1 to only do testing. Must have a -warm_start_model')
cmd.option('-preds_file', '', 'On test data, write predictions to an output file. Set test_only to 1 to use')
cmd.option('-warm_start_model', '', "Path to .t7 file with pre-trained model. Should contain a table with key "
           "'model'")
cmd.text()

# Training hyperparameters
cmd.option('-num_epochs', 25, 'Number of training epochs')
cmd.option('-optim_method', 'adadelta', 'Gradient descent method. Options: adadelta, adam')
cmd.option('-L2s', 3, 'L2 normalize weights')
cmd.option('-batch_size', 50, 'Batch size for training')
cmd.text()

# Model hyperparameters
cmd.option('-num_feat_maps', 100, 'Number of feature maps after 1st convolution')
cmd.option('-kernels', '{3,4,5}', 'Kernel sizes of convolutions, table format.')
cmd.option('-skip_kernel', 0, 'Use skip kernel')
cmd.option('-dropout_p', 0.5, 'p for dropout')
cmd.option('-highway_mlp', 0, 'Number of highway MLP layers')
cmd.option('-highway_conv_layers', 0, 'Number of highway MLP layers')
cmd.text()


def save_progress(fold_dev_scores, fold_test_scores, best_model, fold, opt):
    if opt['savefile'] != '':
        savefile = 'results/%s_%d.t7' % (opt['savefile'], fold)
    else:
        savefile = 'results/%s_model_%d.t7' % (time.strftime('%Y%m%d_%H%M'), fold)
    print('saving checkpoint to ', savefile)
    save = {}
    save['dev_scores'] = fold_dev_scores
    if opt['train_only'] == 0:
        save['test_scores'] = fold_test_scores
    save['opt'] = opt
    save['model'] = best_model
    save['embeddings'] = get_layer(best_model, 'nn.LookupTable').weight
    lg.save(savefile, save)


# build model for training
def build_model(w2v):
    if opt['warm_start_model'] == '':
        model = make_net(w2v, opt)
    else:
        model = lg.load(opt['warm_start_model'])['model']

    criterion = nn.ClassNLLCriterion()

    # move to GPU
    if opt['cudnn'] == 1:
        model = model.cuda()
        criterion = criterion.cuda()

    # get layers
    layers = {}
    layers['linear'] = get_layer(model, 'nn.Linear')
    layers['w2v'] = get_layer(model, 'nn.LookupTable')
    if opt['skip_kernel'] > 0:
        layers['skip_conv'] = get_layer(model, 'skip_conv')
    if opt['model_type'] == 'multichannel':
        layers['chan1'] = get_layer(model, 'channel1')

    return model, criterion, layers


def train_loop(all_train, all_train_label, test, test_label, dev, dev_label, w2v):
    # Initialize objects
    trainer = Trainer()

    optim_method = None
    if opt['optim_method'] == 'adadelta':
        optim_method = optim.adadelta
    elif opt['optim_method'] == 'adam':
        optim_method = optim.adam

    best_model = None  # save best model
    fold_dev_scores = []
    fold_test_scores = []

    train = train_label = None  # training set for each fold
    if opt['has_test'] == 1:
        train = all_train
        train_label = all_train_label

    # Training folds.
    for fold in range(1, opt['folds'] + 1):
        timer = lg.Timer()
        fold_time = timer.time()['real']

        print()
        print('==> fold ', fold)

        if opt['has_test'] == 0 and opt['train_only'] == 0:
            # make train/test data (90/10 split for train/test)
            N = all_train.size(0)
            i_start = math.floor((fold - 1) * (N / opt['folds']) + 1)
            i_end = math.floor(fold * (N / opt['folds']))
            test = all_train.narrow(0, i_start - 1, i_end - i_start + 1)
            test_label = all_train_label.narrow(0, i_start - 1, i_end - i_start + 1)
            train = lg.cat(all_train.narrow(0, 0, i_start), all_train.narrow(0, i_end - 1, N - i_end + 1), 0)
            train_label = lg.cat(all_train_label.narrow(0, 0, i_start),
                                 all_train_label.narrow(0, i_end - 1, N - i_end + 1), 0)

        if opt['has_dev'] == 0:
            # shuffle train to get dev/train split (10% to dev)
            # We organize our data in batches at this split before epoch training.
            J = train.size(0)
            shuffle = lg.randperm(J).long()
            train = train.index(0, shuffle)
            train_label = train_label.index(0, shuffle)

            num_batches = math.floor(J / opt['batch_size'])
            num_train_batches = lg.round(num_batches * 0.9)

            train_size = num_train_batches * opt['batch_size']
            dev_size = J - train_size
            dev = train.narrow(0, train_size, dev_size)
            dev_label = train_label.narrow(0, train_size, dev_size)
            train = train.narrow(0, 0, train_size)
            train_label = train_label.narrow(0, 0, train_size)

        # build model
        model, criterion, layers = build_model(w2v)

        # Call getParameters once
        params, grads = model.getParameters()

        # Training loop.
        best_model = model.clone()
        best_epoch = 1
        best_err = 0.0

        # Training.
        # Gradient descent state should persist over epochs
        state = {}
        for epoch in range(1, opt['num_epochs'] + 1):
            epoch_time = timer.time()['real']

            # Train
            train_err = trainer.train(train, train_label, model, criterion, optim_method,
                                      layers, state, params, grads, opt)
            # Dev
            dev_err = trainer.test(dev, dev_label, model, criterion, layers, False, opt)
            if dev_err > best_err:
                best_model = model.clone()
                best_epoch = epoch
                best_err = dev_err

            if opt['debug'] == 1:
                print()
                print('time for one epoch: ', (timer.time()['real'] - epoch_time) * 1000, 'ms')
                print('\n')

            print('epoch:', epoch, 'train perf:', 100 * train_err, '%, val perf ', 100 * dev_err, '%')

        print('best dev err:', 100 * best_err, '%, epoch ', best_epoch)
        fold_dev_scores.append(best_err)

        # Testing.
        if opt['train_only'] == 0:
            dump_features = ((opt['dump_feature_maps_file'] != '') and (fold == 1))
            test_err = trainer.test(test, test_label, best_model, criterion, layers, dump_features, opt)
            print('test perf ', 100 * test_err, '%')
            fold_test_scores.append(test_err)

        if opt['debug'] == 1:
            print()
            print('time for one fold: ', (timer.time()['real'] - fold_time * 1000), 'ms')
            print('\n')

        # save model progress
        save_progress(fold_dev_scores, fold_test_scores, best_model, fold, opt)

    return fold_dev_scores, fold_test_scores, best_model


def load_data():
    dev = dev_label = None
    test = test_label = None

    print('loading data...')
    assert opt['data'] != '', 'must provide hdf5 datafile'
    f = hdf5.open(opt['data'], 'r')
    w2v = f.read('w2v').all()
    train = f.read('train').all()
    train_label = f.read('train_label').all()
    opt['num_classes'] = int(lg.max(train_label))

    if f.read('dev').dataspaceSize()[0] == 0:
        opt['has_dev'] = 0
    else:
        opt['has_dev'] = 1
        dev = f.read('dev').all()
        dev_label = f.read('dev_label').all()
        assert lg.max(dev_label) <= opt['num_classes'], 'more valid classes than train'
    if f.read('test').dataspaceSize()[0] == 0:
        opt['has_test'] = 0
    else:
        opt['has_test'] = 1
        test = f.read('test').all()
        test_label = f.read('test_label').all()
        assert lg.max(test_label) <= opt['num_classes'], 'more test classes than train'
    print('data loaded!')

    return train, train_label, test, test_label, dev, dev_label, w2v


def main(arg):
    global opt
    # parse arguments
    opt = cmd.parse(arg)

    if opt['seed'] != -1:
        lg.manualSeed(opt['seed'])
    if opt['cudnn'] == 1:
        from legonn import cutorch
        if opt['seed'] != -1:
            cutorch.manualSeedAll(opt['seed'])
        cutorch.setDevice(opt['gpuid'] - 1)

    # Read HDF5 training data
    train, train_label, test, test_label, dev, dev_label, w2v = load_data()

    opt['vocab_size'] = w2v.size(0)
    opt['vec_size'] = w2v.size(1)
    opt['max_sent'] = train.size(1)
    print('vocab size: ', opt['vocab_size'])
    print('vec size: ', opt['vec_size'])

    # Retrieve kernels
    opt['kernels'] = pretty.read(opt['kernels'])

    # the file's ids and labels are Torch7's (from 1) unless -zero_indexing 1: legonn's are from 0, so the
    # Lua's add(1) to a 0-based file becomes add(-1) to a 1-based one (docs/porting.md's data-file row)
    # (opt.num_classes, the largest label load_data read, is the class count of a 1-based file as in the Lua)
    if opt['zero_indexing'] == 0:
        train.add(-1)
        train_label.add(-1)
        if dev is not None:
            dev.add(-1)
            dev_label.add(-1)
        if test is not None:
            test.add(-1)
            test_label.add(-1)

    if opt['test_only'] == 1:
        assert opt['warm_start_model'] != '', 'must have -warm_start_model for testing'
        if opt['has_test'] != 1:
            print('dataset has no test file: using train instead')
            test = train
            test_label = train_label

        trainer = Trainer()
        print('Testing...')
        model, criterion, layers = build_model(w2v)
        dump_features = (opt['dump_feature_maps_file'] != '')
        test_err = trainer.test(test, test_label, model, criterion, layers, dump_features, opt)
        print('Test score:', test_err)
        return test_err           # the Lua's os.exit()

    if opt['has_test'] == 1 or opt['train_only'] == 1:
        # don't do CV if we have a test set, or are training only
        opt['folds'] = 1

    # make sure output directory exists - results are saved within train_loop
    if not path.exists('results'):
        lfs.mkdir('results')

    # training loop
    fold_dev_scores, fold_test_scores, best_model = train_loop(train, train_label, test, test_label, dev,
                                                               dev_label, w2v)

    print('dev scores:')
    print(fold_dev_scores)
    print('average dev score: ', lg.Tensor(fold_dev_scores).mean())

    if opt['train_only'] == 0:
        print('test scores:')
        print(fold_test_scores)
        print('average test score: ', lg.Tensor(fold_test_scores).mean())
    return fold_dev_scores, fold_test_scores, best_model


# --- tests --------------------------------------------------------------------------------------------------

GOOD, BAD, NEUTRAL = ['great', 'fine', 'superb'], ['awful', 'dull', 'poor'], ['the', 'film', 'was', 'plot', 'a',
                                                                             'and', 'it', 'is']


def write_dataset(filename, n_train=120, n_dev=30, n_test=30, vec_size=6, padding=2, seed=0):
    """The HDF5 file preprocess.py writes, for sentences of 3 to 6 words whose class (1 bad, 2 good) is the kind
    of their one sentiment word: ids from 2 (1 pads, at both ends), labels from 1, w2v's row 1 (id 1) zero.
    An empty dev or test is written as preprocess.py writes a missing split. Returns the sizes."""
    rng = np.random.RandomState(seed)
    words = GOOD + BAD + NEUTRAL
    word_to_idx = {w: i + 2 for i, w in enumerate(words)}
    max_len = 6

    def split(n):
        sents, labels = [], []
        for _ in range(n):
            y = rng.randint(2)
            sent = list(rng.choice(NEUTRAL, rng.randint(2, max_len)))
            sent.insert(rng.randint(len(sent) + 1), rng.choice(GOOD if y else BAD))
            ids = [word_to_idx[w] for w in sent]
            ids = [1] * padding + ids + [1] * (max_len + padding - len(ids))
            sents.append(ids)
            labels.append(y + 1)
        return np.array(sents, dtype=np.int32).reshape(n, max_len + 2 * padding), np.array(labels, dtype=np.int32)

    V = len(word_to_idx) + 1
    embed = rng.uniform(-0.25, 0.25, (V, vec_size))
    embed[0] = 0
    f = hdf5.open(filename, 'w')
    f.write('w2v', lg.DoubleTensor(embed))
    for name, n in (('train', n_train), ('dev', n_dev), ('test', n_test)):
        x, y = split(n)
        f.write(name, lg.IntTensor(x))
        f.write(name + '_label', lg.IntTensor(y))
    f.close()
    return V, max_len + 2 * padding


def small_args(data, *extra):
    return ['-data', str(data), '-num_feat_maps', '4', '-kernels', '{2,3}', '-batch_size', '10', '-num_epochs',
            '3', '-seed', '1', '-savefile', 'run', *extra]


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def np_log_softmax(z):
    z = z - z.max(1, keepdims=True)
    return z - np.log(np.exp(z).sum(1, keepdims=True))


def np_temporal_max(emb, convs):
    """Each TemporalConvolution (weight F x (k * vec)) over the embedded sentences (B x T x vec), ReLU, the max
    over time; the feature maps of all widths side by side."""
    feats = []
    for conv in convs:
        W, b = conv.weight.numpy(), conv.bias.numpy()
        k = W.shape[1] // emb.shape[2]
        windows = np.stack([emb[:, t:t + k].reshape(emb.shape[0], -1) for t in range(emb.shape[1] - k + 1)], 1)
        feats.append(np.maximum(windows @ W.T + b, 0).max(1))
    return np.concatenate(feats, 1)


def np_highway_conv(x, conv, bias=-2):
    """highway_conv.lua's layer as its graph computes it: the same SpatialConvolution(1, vec, vec, k) gives the
    ReLU branch and the gate's input; each is padded with k - 1 zero steps at the end of time and *reshaped*
    (not transposed) from vec x T to T x vec before y = t * h + (1 - t) * x."""
    B, T, D = x.shape
    W, b = conv.weight.numpy(), conv.bias.numpy()
    k = W.shape[2]
    windows = np.stack([x[:, t:t + k].reshape(B, -1) for t in range(T - k + 1)], 2)    # B x (k D) x T'
    z = np.einsum('cj,bjt->bct', W.reshape(D, -1), windows) + b[:, None]

    def pad_reshape(v):
        return np.concatenate([v, np.zeros((B, D, k - 1))], 2).reshape(B, T, D)
    h, t = pad_reshape(np.maximum(z, 0)), pad_reshape(_sigmoid(z + bias))
    return t * h + (1 - t) * x


def modules_of(net, typename):
    found = []
    net.apply(lambda m: found.append(m) if lg.typename(m) == typename else None)
    return found


def net_opt(**kw):
    o = {'model_type': 'nonstatic', 'cudnn': 0, 'vocab_size': 15, 'vec_size': 6, 'max_sent': 10, 'kernels': [2, 3],
         'num_feat_maps': 4, 'skip_kernel': 0, 'highway_mlp': 0, 'highway_conv_layers': 0, 'num_classes': 2,
         'dropout_p': 0.5}
    o.update(kw)
    return o


def sentences(n=5, vocab=15, max_sent=10):
    return lg.LongTensor(n, max_sent).random(vocab).double()


def assert_parameter_gradients(model, x, y, tol=1e-6):
    """The flat gradient getParameters gives after backward against central differences of the NLL."""
    params, grads = model.getParameters()
    crit = nn.ClassNLLCriterion()

    def loss():
        return crit.forward(model.forward(x), y)
    grads.zero()
    model.backward(x, crit.backward(model.forward(x), y))
    from tests.checks import numeric_gradient
    np.testing.assert_allclose(grads.numpy(), numeric_gradient(loss, params.numpy()), atol=tol)


@pytest.fixture
def double():
    lg.setdefaulttensortype('legonn.DoubleTensor')
    yield
    lg.setdefaulttensortype('legonn.FloatTensor')


def test_make_net_against_numpy_and_its_cudnn_branch(double):
    """convNN.lua's nonstatic CPU model (LookupTable copied from w2v with its padding row zeroed, a
    TemporalConvolution per width, ReLU, Max over time, JoinTable, Dropout, Linear, LogSoftMax) against the
    formula in evaluation; the cudnn branch (one-plane SpatialConvolution over the sentence image, Reshape, Max
    over its dimension 2) computes the same with the same weights, forward and backward."""
    lg.manualSeed(1)
    w2v = lg.rand(15, 6)
    o = net_opt()
    net = make_net(w2v, o)
    lookup = modules_of(net, 'nn.LookupTable')[0]
    assert lookup.weight[0].abs().sum() == 0 and np.array_equal(lookup.weight[1:].numpy(), w2v[1:].numpy())
    convs = modules_of(net, 'nn.TemporalConvolution')
    assert len(convs) == 2 and all(c.name == 'convolution' and c.bias.abs().sum() == 0 for c in convs)
    assert float(convs[0].weight.abs().max()) <= 0.01
    x = sentences()
    net.evaluate()
    linear = get_layer(net, 'nn.Linear')
    emb = lookup.weight.numpy()[x.long().numpy()]
    feats = np_temporal_max(emb, convs)
    expected = np_log_softmax(feats @ linear.weight.numpy().T + linear.bias.numpy())
    np.testing.assert_allclose(net.forward(x).numpy(), expected, rtol=1e-12)

    fast = make_net(w2v, net_opt(cudnn=1))
    for conv, temporal in zip(modules_of(fast, 'cudnn.SpatialConvolution'), convs):
        conv.weight.copy(temporal.weight.view(conv.weight.size()))
    get_layer(fast, 'nn.Linear').weight.copy(linear.weight)
    fast.evaluate()
    np.testing.assert_allclose(fast.forward(x).numpy(), expected, rtol=1e-12)
    g = lg.randn(5, 2)
    net.backward(x, g)
    fast.backward(x, g)
    for a, b in zip(modules_of(fast, 'cudnn.SpatialConvolution'), convs):
        np.testing.assert_allclose(a.gradWeight.view(b.gradWeight.size()).numpy(), b.gradWeight.numpy(),
                                   rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize('cudnn_', [0, 1])
def test_multichannel_sums_one_convolution_over_both_channels(double, cudnn_):
    """The multichannel model calls one convolution on the two LookupTables' nodes: the port's clone shares its
    weight, so the output is the formula's conv(chan1) + conv(chan2), and the gradients match finite
    differences. The literal graph (the one module in two nodes) is refused: in nngraph both CAddTable inputs
    are that module's one output buffer, so the Lua adds the last channel's map to itself."""
    lg.manualSeed(2)
    w2v = lg.rand(15, 6)
    net = make_net(w2v, net_opt(model_type='multichannel', cudnn=cudnn_))
    chans = [get_layer(net, 'channel1'), get_layer(net, 'channel2')]
    chans[1].weight.add(0.1)         # the channels differ once the nonstatic one has trained
    net.evaluate()
    x = sentences()
    if cudnn_:
        convs = modules_of(net, 'cudnn.SpatialConvolution')
        assert len(convs) == 4 and convs[0].weight.storage() is convs[1].weight.storage()
    else:
        convs = modules_of(net, 'nn.TemporalConvolution')
        assert len(convs) == 4 and convs[0].weight.storage() is convs[1].weight.storage()
    linear = get_layer(net, 'nn.Linear')
    per_width = []
    for conv in convs[::2]:
        W = conv.weight.view(conv.weight.size(0), -1).numpy()
        k = W.shape[1] // 6
        z = 0
        for chan in chans:
            emb = chan.weight.numpy()[x.long().numpy()]
            z = z + np.stack([emb[:, t:t + k].reshape(5, -1) for t in range(10 - k + 1)], 1) @ W.T
        per_width.append(np.maximum(z + conv.bias.numpy(), 0).max(1))
    expected = np_log_softmax(np.concatenate(per_width, 1) @ linear.weight.numpy().T + linear.bias.numpy())
    np.testing.assert_allclose(net.forward(x).numpy(), expected, rtol=1e-12)
    assert_parameter_gradients(net, x, lg.Tensor([0, 1, 1, 0, 1]))

    a = nn.Identity()()
    conv = nn.TemporalConvolution(6, 4, 2)
    l1, l2 = nn.LookupTable(15, 6)(a), nn.LookupTable(15, 6)(a)
    with pytest.raises(ValueError, match='use the same module object'):
        nn.gModule([a], [nn.CAddTable()([conv(l1), conv(l2)])])


def test_highway_conv_against_numpy_and_gradients(double):
    """highway_conv.lua with two layers on a B x T x vec input against the formula (its pad-and-reshape
    included); input and parameter gradients against finite differences."""
    lg.manualSeed(3)
    net = HighwayConv.conv(4, 6, 3, 2)
    convs = modules_of(net, 'cudnn.SpatialConvolution')
    assert len(convs) == 4 and convs[0].weight.storage() is convs[1].weight.storage()
    for c in convs[::2]:
        c.weight.normal(0, 0.3)
        c.bias.normal(0, 0.3)
    x = lg.randn(2, 6, 4)
    expected = np_highway_conv(np_highway_conv(x.numpy(), convs[0]), convs[2])
    np.testing.assert_allclose(net.forward(x).numpy(), expected, rtol=1e-12)
    assert_jacobian(net, x)


def test_highway_mlp_takes_a_gate_bias_of_zero(double):
    """highway_mlp.lua's ``local bias = bias or -2`` keeps a 0 (Lua's ``or`` only replaces nil): the gate is
    sigmoid(W_T x + b_T), where Python's ``or`` would have put the -2 back."""
    from tests.porting.test_lstm_char_cnn import highway_linears, np_highway
    lg.manualSeed(4)
    net = HighwayMLP.mlp(5, 1, 0)
    x = lg.randn(3, 5)
    np.testing.assert_allclose(net.forward(x).numpy(), np_highway(x.numpy(), highway_linears(net), bias=0),
                               rtol=1e-12)


@pytest.mark.parametrize('kw', [{}, {'skip_kernel': 1}, {'highway_mlp': 1}, {'cudnn': 1, 'highway_conv_layers': 1}],
                         ids=['plain', 'skip_kernel', 'highway_mlp', 'highway_conv'])
def test_make_net_parameter_gradients(double, kw):
    """Every branch of make_net in evaluation (Dropout off): the flat parameter gradient against central
    differences of the NLL; the skip kernel's centre row starts at zero."""
    lg.manualSeed(5)
    net = make_net(lg.rand(15, 6), net_opt(**kw))
    if kw.get('skip_kernel'):
        skip = get_layer(net, 'skip_conv')
        assert skip.weight.size() == (4, 1, 5, 6) and skip.weight.select(2, 2).abs().sum() == 0
        assert skip.weight.select(2, 1).abs().sum() > 0
    net.evaluate()
    assert_parameter_gradients(net, sentences(3), lg.Tensor([1, 0, 1]))


@pytest.fixture
def data(tmp_path, monkeypatch, double):
    monkeypatch.chdir(tmp_path)
    return tmp_path / 'tiny.hdf5'


def test_main_trains_renorms_saves_and_tests_a_warm_start(data):
    """main.lua with a dev and a test set (one fold) learns the generated task; after training each row of the
    Linear has norm L2s (trainer.lua's renorm) and the padding embedding is zero; the checkpoint save_progress
    writes holds the best model, its embeddings and the scores; ``-test_only`` with ``-warm_start_model``
    scores that model on the test set and writes its 0-based predictions, which are the model's argmax."""
    V, max_sent = write_dataset(data)
    dev, test, best = main(small_args(data, '-num_epochs', '4'))
    assert dev[0] >= 0.9 and test[0] >= 0.9
    assert opt['num_classes'] == 2 and opt['max_sent'] == max_sent and opt['kernels'] == [2, 3]
    w = get_layer(best, 'nn.Linear').weight
    np.testing.assert_allclose(w.norm(2, 1).numpy().ravel(), 3.0, rtol=1e-6)
    lookup = get_layer(best, 'nn.LookupTable')
    assert lookup.weight[0].abs().sum() == 0
    saved = lg.load('results/run_1.t7')
    assert saved['dev_scores'] == dev and saved['test_scores'] == test and saved['opt']['L2s'] == 3
    np.testing.assert_array_equal(saved['embeddings'].numpy(), lookup.weight.numpy())

    score = main(small_args(data, '-test_only', '1', '-warm_start_model', 'results/run_1.t7', '-preds_file',
                            'preds.txt'))
    assert score == test[0]
    f = hdf5.open(str(data), 'r')
    x = f.read('test').all() - 1
    f.close()
    preds = [int(line) for line in open('preds.txt')]
    saved['model'].evaluate()
    assert preds == saved['model'].forward(x.double()).max(1)[1].view(-1).tolist()
    f = hdf5.open(str(data), 'r')
    labels = (f.read('test_label').all() - 1).tolist()
    f.close()
    # the score is ConfusionMatrix's totalValid: the share of argmax predictions equal to the label
    assert score == np.mean(np.array(preds) == np.array(labels))


@pytest.mark.parametrize('model_type', ['static', 'multichannel'])
def test_static_embeddings_stay_fixed(data, model_type):
    """trainer.lua zeroes the static LookupTable's gradWeight before each step: with adadelta its weights stay
    w2v's exactly, while multichannel's second channel trains."""
    write_dataset(data)
    dev, test, best = main(small_args(data, '-model_type', model_type, '-num_epochs', '5'))
    f = hdf5.open(str(data), 'r')
    w2v = f.read('w2v').all()
    f.close()
    name = 'nn.LookupTable' if model_type == 'static' else 'channel1'
    np.testing.assert_array_equal(get_layer(best, name).weight.numpy(), w2v.numpy())
    if model_type == 'multichannel':
        assert not np.array_equal(get_layer(best, 'channel2').weight.numpy(), w2v.numpy())
    assert test[0] >= 0.75


def test_cross_validation_folds_and_dev_split(data):
    """Without dev and test sets main.lua runs ``-folds`` folds: each tests on its tenth of the rows (the Lua's
    split, which also keeps the fold's first and last rows in training) and trains on 90% (rounded, as
    torch.round) of the rest's whole batches, the remaining rows being dev; a checkpoint per fold. The first
    fold's feature maps are dumped with the word ids under them."""
    write_dataset(data, n_train=60, n_dev=0, n_test=0)
    sizes = []
    original = Trainer.train

    def spy(self, train_data, *rest):
        sizes.append(train_data.size(0))
        return original(self, train_data, *rest)
    Trainer.train = spy
    try:
        dev, test, best = main(small_args(data, '-folds', '2', '-num_epochs', '1', '-kernels', '{3}',
                                          '-dump_feature_maps_file', 'maps'))
    finally:
        Trainer.train = original
    assert len(dev) == len(test) == 2 and opt['has_dev'] == 0 and opt['has_test'] == 0
    # fold 1: test rows 1..30, train rows 1..1 and 30..60 (32 rows): 3 whole batches, round(2.7) = 3 -> 30
    assert sizes == [30, 30]
    assert os.path.exists('results/run_1.t7') and os.path.exists('results/run_2.t7')
    f = hdf5.open('maps.hdf5', 'r')
    maps, idxs = f.read('feature_maps').all(), f.read('word_idxs').all()
    f.close()
    assert maps.size() == (30, 8, 4) and idxs.size() == (30, 8)


@pytest.mark.gpu
def test_main_cudnn_gpu(data):
    """main.lua with ``-cudnn 1 -gpuid 1``: cutorch seeded and set to GPU 1 (device 0), the cudnn model and the
    criterion moved to CUDA, batches sent with :cuda(); the multichannel and highway-conv models train too,
    and the CUDA checkpoint loads back on the GPU, as torch.load gives it, or for the CPU with device='cpu'."""
    write_dataset(data)
    for extra in (['-model_type', 'multichannel'], ['-highway_conv_layers', '1', '-skip_kernel', '1']):
        dev, test, best = main(small_args(data, '-cudnn', '1', '-gpuid', '1', *extra))
        assert best.getParameters()[0].type() == 'torch.CudaTensor'
        assert test[0] >= 0.8, extra
    assert get_layer(lg.load('results/run_1.t7')['model'], 'nn.Linear').weight.type() == 'torch.CudaTensor'
    saved = lg.load('results/run_1.t7', device='cpu')
    assert get_layer(saved['model'], 'nn.Linear').weight.type() == 'torch.FloatTensor'
    assert get_layer(saved['model'], 'skip_conv').weight.select(2, 2).abs().sum() == 0
