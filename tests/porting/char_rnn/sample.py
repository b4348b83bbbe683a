"""sample.lua: samples characters from a trained model (based on oxford-cs-ml-2015/practical6). The script's
body is ``main(arg)``; ``io.write`` is ``sys.stdout.write``."""
import sys

import legonn as lg
from legonn import lfs, paths

from .util import OneHot  # noqa: F401  (require 'util.OneHot': registers the class lg.load rebuilds)


def main(arg):
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('Sample from a character-level language model')
    cmd.text()
    cmd.text('Options')
    # required:
    cmd.argument('-model', 'model checkpoint to use for sampling')
    # optional parameters
    cmd.option('-seed', 123, 'random number generator\'s seed')
    cmd.option('-sample', 1, ' 0 to use max at each timestep, 1 to sample at each timestep')
    cmd.option('-primetext', "", 'used as a prompt to "seed" the state of the LSTM using a given sequence, '
               'before we sample.')
    cmd.option('-length', 2000, 'number of characters to sample')
    cmd.option('-temperature', 1, 'temperature of sampling')
    cmd.option('-gpuid', 0, 'which gpu to use. -1 = use CPU')
    cmd.option('-opencl', 0, 'use OpenCL (instead of CUDA)')
    cmd.option('-verbose', 1, 'set to 0 to ONLY print the sampled text, no diagnostics')
    cmd.text()

    # parse input params
    opt = cmd.parse(arg)

    # gated print: simple utility function wrapping a print
    def gprint(str):
        if opt['verbose'] == 1:
            print(str)

    # check that cunn/cutorch are installed if user wants to use the GPU
    if opt['gpuid'] >= 0 and opt['opencl'] == 0:
        try:                                          # local ok, cunn = pcall(require, 'cunn')
            cunn, ok = paths.require('cunn'), True    # noqa: F841
        except ImportError:
            ok = False
        try:
            cutorch, ok2 = paths.require('cutorch'), True
        except ImportError:
            ok2 = False
        if not ok:
            gprint('package cunn not found!')
        if not ok2:
            gprint('package cutorch not found!')
        if ok and ok2:
            gprint('using CUDA on GPU ' + str(opt['gpuid']) + '...')
            gprint('Make sure that your saved checkpoint was also trained with GPU. If it was trained with CPU use '
                   '-gpuid -1 for sampling as well')
            cutorch.setDevice(opt['gpuid'])  # 0-based, as legonn's devices
            cutorch.manualSeed(opt['seed'])
        else:
            gprint('Falling back on CPU mode')
            opt['gpuid'] = -1  # overwrite user setting

    # check that clnn/cltorch are installed if user wants to use OpenCL
    if opt['gpuid'] >= 0 and opt['opencl'] == 1:
        try:
            cunn, ok = paths.require('clnn'), True    # noqa: F841
        except ImportError:
            ok = False
        try:
            cltorch, ok2 = paths.require('cltorch'), True
        except ImportError:
            ok2 = False
        if not ok:
            print('package clnn not found!')
        if not ok2:
            print('package cltorch not found!')
        if ok and ok2:
            gprint('using OpenCL on GPU ' + str(opt['gpuid']) + '...')
            gprint('Make sure that your saved checkpoint was also trained with GPU. If it was trained with CPU use '
                   '-gpuid -1 for sampling as well')
            cltorch.setDevice(opt['gpuid'])
            lg.manualSeed(opt['seed'])
        else:
            gprint('Falling back on CPU mode')
            opt['gpuid'] = -1  # overwrite user setting

    lg.manualSeed(opt['seed'])

    # load the model checkpoint
    if not lfs.attributes(opt['model'], 'mode'):
        gprint('Error: File ' + opt['model'] + ' does not exist. Are you sure you didn\'t forget to prepend cv/ ?')
    checkpoint = lg.load(opt['model'])
    protos = checkpoint['protos']
    protos['rnn'].evaluate()  # put in eval mode so that dropout works properly

    # initialize the vocabulary (and its inverted version)
    vocab = checkpoint['vocab']
    ivocab = {}
    for c, i in vocab.items():
        ivocab[i] = c

    # initialize the rnn state to all zeros
    gprint('creating an ' + checkpoint['opt']['model'] + '...')
    current_state = []
    for L in range(checkpoint['opt']['num_layers']):
        # c and h for all layers
        h_init = lg.zeros(1, checkpoint['opt']['rnn_size']).double()
        if opt['gpuid'] >= 0 and opt['opencl'] == 0:
            h_init = h_init.cuda()
        if opt['gpuid'] >= 0 and opt['opencl'] == 1:
            h_init = h_init.cl()
        current_state.append(h_init.clone())
        if checkpoint['opt']['model'] == 'lstm':
            current_state.append(h_init.clone())
    state_size = len(current_state)

    # do a few seeded timesteps
    seed_text = opt['primetext']
    if len(seed_text) > 0:
        gprint('seeding with ' + seed_text)
        gprint('--------------------------')
        for c in seed_text:
            prev_char = lg.Tensor([vocab[c]])
            sys.stdout.write(ivocab[prev_char[0]])
            if opt['gpuid'] >= 0 and opt['opencl'] == 0:
                prev_char = prev_char.cuda()
            if opt['gpuid'] >= 0 and opt['opencl'] == 1:
                prev_char = prev_char.cl()
            lst = protos['rnn'].forward([prev_char, *current_state])
            # lst is a list of [state1,state2,..stateN,output]. We want everything but last piece
            current_state = []
            for i in range(state_size):
                current_state.append(lst[i])
            prediction = lst[-1]  # last element holds the log probabilities
    else:
        # fill with uniform probabilities over characters (? hmm)
        gprint('missing seed text, using uniform probability over first character')
        gprint('--------------------------')
        prediction = lg.Tensor(1, len(ivocab)).fill(1) / (len(ivocab))
        if opt['gpuid'] >= 0 and opt['opencl'] == 0:
            prediction = prediction.cuda()
        if opt['gpuid'] >= 0 and opt['opencl'] == 1:
            prediction = prediction.cl()

    # start sampling/argmaxing
    for i in range(opt['length']):

        # log probabilities from the previous timestep
        if opt['sample'] == 0:
            # use argmax
            _, prev_char_ = prediction.max(1)
            prev_char = prev_char_.resize(1)
        else:
            # use sampling
            prediction.div(opt['temperature'])  # scale by temperature
            probs = lg.exp(prediction).squeeze()
            probs.div(lg.sum(probs))  # renormalize so probs sum to one
            prev_char = lg.multinomial(probs.float(), 1).resize(1).float()

        # forward the rnn for next character
        lst = protos['rnn'].forward([prev_char, *current_state])
        current_state = []
        for i_ in range(state_size):
            current_state.append(lst[i_])
        prediction = lst[-1]  # last element holds the log probabilities

        sys.stdout.write(ivocab[prev_char[0]])
    sys.stdout.write('\n')
    sys.stdout.flush()
