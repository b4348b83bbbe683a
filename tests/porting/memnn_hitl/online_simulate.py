"""HITL/online_simulate.lua: the simulated human-in-the-loop training: the bot answers batches of training questions
(epsilon-greedy, or sampled with REINFORCE), the simulator gives a reward (and with FP the teacher's response),
and the model learns from them; dev and test accuracy every ``log_freq`` updates.

The script's chunk is ``main(arg)`` (``arg``, the command line the Lua's parse.lua reads); it returns the last dev
accuracy it logged beside the model, for a caller to read. ``require "cunn"``, ``cutorch.setDevice`` and
``cutorch.manualSeed`` are left out (docs/porting.md's cunn row; the CPU tests run without CUDA, see
``cuda``); ``model = require("online_memmnet")`` also sets online_memmnet's ``model`` (the global row)."""
import math
import random

import legonn as lg
from legonn import tds
from legonn.pl import stringx  # noqa: F401  (the Lua requires it)

from . import online_memmnet as online_memmnet_file
from .parse import parse


def main(arg):
    lg.manualSeed(1111)
    params = parse(arg)
    model = online_memmnet_file.online_memmnet
    online_memmnet_file.model = model
    model.Initial(params)
    setting_string = params['dataset'] + "_" \
        + "task" + str(params['task']) \
        + '_model' + params['setting'] \
        + "_sbsz" + str(params['simulator_batch_size']) \
        + "_mbsz" + str(params['batch_size'])
    if params['REINFORCE']:
        setting_string = setting_string + '_reg' + str(params['REINFORCE_reg']) + \
            "_RFlr" + str(params['RF_lr']) + "_REINFORCE"
        # assert(params.simulator_batch_size == params.batch_size)
    elif params['setting'] == "RBI":
        setting_string = setting_string + \
            "_eps" + str(params['randomness']) + '_lf0' + \
            ('y' if params.get('learn_from_0') else 'n')
    elif params['setting'] == "FP":
        setting_string = setting_string + \
            "_eps" + str(params['randomness']) + 'balance' + \
            ('y' if params['balance'] else 'n') + "Nhop" + str(params['N_hop'])

    output_file = setting_string + ".result"

    print("setting_string")
    print(setting_string)
    print("output_file  " + output_file)

    print('Configuration')
    print(params)
    print('Saving at:')
    print(output_file)
    fw = open(output_file, "w")
    print('There are ' + str(len(model.Data.trainData)) + ' questions in the training set')
    num_updates_per_epoch = math.ceil(len(model.Data.trainData) / params['batch_size'])
    total_updates = num_updates_per_epoch * params['nepochs']

    # assert(math.floor(params.simulator_batch_size / params.batch_size) *
    #            params.batch_size == params.simulator_batch_size)
    print('Number of updates per epoch ' + str(num_updates_per_epoch))
    n_update = 0
    bsz_ratio = params['simulator_batch_size'] / params['batch_size']

    score_history = []
    response_index_string = tds.Hash()
    response_index_string['count'] = 0

    valid_acc = None
    for iter_ in range(1, math.ceil(total_updates / bsz_ratio) + 1):
        simulator_batch = []
        for i in range(int(bsz_ratio)):
            simulator_batch.append([])
            start_index = lg.random(len(model.Data.trainData))
            while start_index + params['batch_size'] > len(model.Data.trainData) - 1:
                start_index = lg.random(len(model.Data.trainData))
            for j in range(params['batch_size']):
                start_index = start_index + 1
                instance = model.Data.trainData[start_index]
                simulator_batch[i].append(instance)
            model.prepareData(simulator_batch[i])
            batch_pred, _ = model.Forward()
            for j in range(params['batch_size']):
                answer, correctness = \
                    model.Data.MakePrediction(batch_pred[j],
                                              params['randomness'], simulator_batch[i][j])
                # collect answers and whether they are correct or incorrect
                simulator_batch[i][j]['answer'] = lg.Tensor(1).fill(answer)
                if correctness:
                    if params['FP']:
                        simulator_batch[i][j]['response'] = simulator_batch[i][j]['PosResponse']
                        # using the teacher's response to correct answer
                    if params['task'] == 6:
                        # for task 6, reward is only given for 50 percent of the time
                        if random.random() < 0.5:
                            simulator_batch[i][j]['r'] = lg.Tensor([1])
                        else:
                            simulator_batch[i][j]['r'] = lg.Tensor([0])
                    else:
                        simulator_batch[i][j]['r'] = lg.Tensor([1])
                else:
                    if params['FP']:
                        simulator_batch[i][j]['response'] = simulator_batch[i][j]['NegResponse']
                        # using the teacher's response to incorrect answer
                    simulator_batch[i][j]['r'] = lg.Tensor([0])
                if params['balance']:
                    assert param.dataset == "babi"  # noqa: F821  (the Lua's undefined global `param`)
        for i in range(int(bsz_ratio)):
            if params['balance'] and params['FP']:
                current_batch = []
                for i in range(params['batch_size']):
                    response_index = lg.random(len(score_history))
                    instance = score_history[response_index][lg.random(len(score_history[response_index]))]
                    # model.Data:printInstance(instance)
                    current_batch.append(instance)
            else:
                current_batch = simulator_batch[i]
            number_correct = 0
            for j in range(params['batch_size']):
                number_correct = number_correct + current_batch[j]['r'][0]
            if not ((params['setting'] == "RBI" and not params['REINFORCE']) and number_correct == 0):
                model.batch_train(current_batch)
            n_update = n_update + 1
            if (n_update - 1) % params['log_freq'] == 0:
                valid_acc = model.test("dev")
                test_acc = model.test("test")
                if params.get('write'):
                    fw.write(str(n_update) + " " + str(valid_acc) + " " + str(test_acc) + "\n")
                print('iter %6d, valid_acc %2.5f' % (n_update, valid_acc))
            if (n_update % num_updates_per_epoch == 0):
                print('end of epoch ' + str(n_update / num_updates_per_epoch))
    fw.close()
    return model, valid_acc
