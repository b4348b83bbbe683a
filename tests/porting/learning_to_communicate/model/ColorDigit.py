"""code/model/ColorDigit.lua: the agents' network for the MNIST games: the image through an MLP (or a small
convnet, ``game_vision_net cnn``; a LookupTable of the digit with ``game_use_digits``), summed with the agent id,
the message (all agents' bits) and the last action embeddings, a GRU or LSTM, an MLP to the q values and message.

Edits beyond Lua syntax and 0-based indices: as model/Switch.py's (whose ``shared_functions`` and ``unroll``
hold the closures this file repeats word for word, and ``agent_graph`` the graph after the vision network);
``model_mnist:forward(torch.zeros(1, colors, 28, 28))`` sizes the convnet's output as in Lua.
"""
import os
import types

import legonn as lg
from legonn import csvigo, nn, paths

from ..include import log, util
from ..module import LinearO, Binarize, Print, GaussianNoise     # noqa: F401  (required by the Lua, unused)
from .Switch import agent_graph, shared_functions, unroll


def ColorDigit(opt):
    exp = types.SimpleNamespace()

    def save(opt, stats, model):
        if stats['e'] % opt['step'] == 0:
            if opt['filename'] == '':
                exp.save_path = getattr(exp, 'save_path', None) or paths.concat(
                    'results', opt['game'] + '_' + str(opt['game_nagents']) +
                    ('_dial' if opt['model_dial'] == 1 else '') + '_' + ('%x' % opt['seed']).upper())
            else:
                exp.save_path = getattr(exp, 'save_path', None) or paths.concat(
                    'results', opt['game'] + '_' + str(opt['game_nagents']) +
                    ('_dial' if opt['model_dial'] == 1 else '') + '_' + opt['filename'] + '_' +
                    ('%x' % opt['seed']).upper())

            # Save opt
            if stats['e'] == opt['step']:
                os.makedirs(exp.save_path, exist_ok=True)
                opt_csv = []
                for k, v in util.spairs(opt):
                    opt_csv.append([k, v])

                csvigo.save({'path': paths.concat(exp.save_path, 'opt.csv'), 'data': opt_csv, 'verbose': False})

            # keep stats
            stats['history'] = stats.get('history') or [['e', 'td_err', 'td_comm', 'train_r', 'test_r', 'steps',
                                                         'comm_per', 'te']]
            stats['history'].append([
                stats['e'],
                stats['td_err'].mean(),
                stats['td_comm'].mean(),
                stats['train_r'].mean(),
                stats['test_r'].mean(),
                stats['steps'].mean(),
                stats['comm_per'].mean(),
                stats['te'].mean()
            ])

            # Save stats csv
            csvigo.save({'path': paths.concat(exp.save_path, 'stats.csv'), 'data': stats['history'],
                         'verbose': False})

            # (hist_action / hist_comm: options comm.lua never sets, nil in Lua)
            # save model
            if stats['e'] % (opt['step'] * 10) == 0:
                log.debug('Saving model')
                filename = paths.concat(exp.save_path, 'exp.t7')
                lg.save(filename, [opt, stats, model.agent])
    exp.save = save

    shared_functions(opt, exp)

    def stats_(opt, game, stats, e):
        if e % opt['step'] == 0:
            pass
    exp.stats = stats_

    def create_agent():
        comm_size = 0

        if opt['game_comm_bits'] > 0 and opt['game_nagents'] > 1:
            comm_size = opt['game_comm_bits'] * opt['game_nagents']

        action_aware_size = 0
        if opt['model_action_aware'] == 1:
            action_aware_size = opt['game_action_space_total']

        model_mnist = nn.Sequential()

        if opt['game_use_digits'] == 1:
            model_mnist.add(nn.LookupTable(10, opt['model_rnn_size']))
        else:
            if opt['game_vision_net'] == 'mlp':
                model_mnist.add(nn.View(-1, opt['game_colors'] * 28 * 28))
                if opt['model_bn'] == 1:
                    model_mnist.add(nn.BatchNormalization(opt['game_colors'] * 28 * 28))
                # fully connected layer (matrix multiplication between input and weights)
                model_mnist.add(nn.Linear(opt['game_colors'] * 28 * 28, 128))
                model_mnist.add(nn.ReLU(True))
                if opt['model_bn'] == 1:
                    model_mnist.add(nn.BatchNormalization(128))
                model_mnist.add(nn.Linear(128, opt['model_rnn_size']))
                model_mnist.add(nn.View(-1, opt['model_rnn_size']))
            else:
                # 1 input image channel, 6 output channels, 5x5 convolution kernel
                model_mnist.add(nn.SpatialConvolutionMM(opt['game_colors'], 32, 5, 5))
                model_mnist.add(nn.ReLU(True))
                # A max-pooling operation that looks at 2x2 windows and finds the max.
                model_mnist.add(nn.SpatialMaxPooling(3, 3, 3, 3))
                model_mnist.add(nn.SpatialConvolutionMM(32, 64, 5, 5))
                model_mnist.add(nn.ReLU(True))
                model_mnist.add(nn.SpatialMaxPooling(2, 2, 2, 2))

                conv_out = model_mnist.forward(lg.zeros(1, opt['game_colors'], 28, 28)).nElement()

                model_mnist.add(nn.View(-1, conv_out))
                model_mnist.add(nn.Linear(conv_out, opt['model_rnn_size']))
                model_mnist.add(nn.View(-1, opt['model_rnn_size']))

        return agent_graph(opt, model_mnist, comm_size, action_aware_size)

    unroll(opt, exp, create_agent())

    return exp
