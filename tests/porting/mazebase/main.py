"""main.lua (without the display): the options, the worker threads, the vocabulary, the model, g_load_model,
the games config, train(epochs), g_save_model and test(). The Lua's globals are set on each ported module that
reads them (docs/porting.md's row on a global one file reads and another sets); main.lua's local `init` is
`main_init` here, `init` naming init.lua's module."""
import functools

import legonn as lg
from legonn import threads

from . import batch, init, model, test, train, util

g_mazebase = init


def set_globals(**names):
    # Lua keeps one table of globals for every file; each ported file holds its own copy of those it reads
    for m in (init, batch, model, test, train, util):
        for k, v in names.items():
            if hasattr(m, k):
                setattr(m, k, v)


def main_init(tensortype):
    lg.setdefaulttensortype(tensortype)


def worker_init(opts_orig, vocab_orig):
    g_opts = opts_orig
    set_globals(g_opts=g_opts, g_vocab=vocab_orig, g_mazebase=g_mazebase)
    model.g_init_model()
    set_globals(g_model=model.g_model, g_modules=model.g_modules, g_paramx=model.g_paramx,
                g_paramdx=model.g_paramdx, g_bl_loss=model.g_bl_loss)
    g_mazebase.init_game()
    set_globals(g_opts=init.g_opts, g_factory=init.g_factory)


def init_threads(g_opts):
    # each Lua worker is a Lua state of its own globals: worker processes keep these modules' globals apart
    # (docs/threads.md)
    print('starting ' + str(g_opts['nworker']) + ' workers')
    threads.Threads.serialization('threads.sharedserialize')
    workers = threads.Threads(g_opts['nworker'], functools.partial(main_init, lg.getdefaulttensortype()),
                              backend='process')
    workers.specific(True)
    for w in range(g_opts['nworker']):
        workers.addjob(w, worker_init, lambda *_: None, g_opts, init.g_vocab)
    workers.synchronize()
    return workers


def options(args=None):
    cmd = lg.CmdLine()
    cmd.option('--hidsz', 20, 'the size of the internal state vector')
    cmd.option('--nonlin', 'tanh', 'non-linearity type: tanh | relu | none')
    cmd.option('--model', 'memnn', 'model type: mlp | conv | memnn')
    cmd.option('--init_std', 0.2, 'STD of initial weights')
    cmd.option('--max_attributes', 6, 'maximum number of attributes of each item')
    cmd.option('--nlayers', 2, 'the number of layers in MLP')
    cmd.option('--convdim', 20, 'the number of feature maps in convolutional layers')
    cmd.option('--conv_sz', 19, 'spatial scope of the input to convnet and MLP')
    cmd.option('--memsize', 100, 'size of the memory in MemNN')
    cmd.option('--nhop', 3, 'the number of hops in MemNN')
    cmd.option('--nagents', 1, 'the number of agents')
    cmd.option('--nactions', 10, 'the number of agent actions')
    cmd.option('--max_steps', 20, 'force to end the game after this many steps')
    cmd.option('--games_config_path', 'lua/mazebase/config/game_config.lua', 'configuration file for games')
    cmd.option('--game', '', 'can specify a single game')
    cmd.option('--optim', 'rmsprop', 'optimization method: rmsprop | sgd')
    cmd.option('--lrate', 1e-3, 'learning rate')
    cmd.option('--max_grad_norm', 0, 'gradient clip value')
    cmd.option('--alpha', 0.03, 'coefficient of baseline term in the cost function')
    cmd.option('--epochs', 100, 'the number of training epochs')
    cmd.option('--nbatches', 100, 'the number of mini-batches in one epoch')
    cmd.option('--batch_size', 32, 'size of mini-batch (the number of parallel games) in each thread')
    cmd.option('--nworker', 16, 'the number of threads used for training')
    cmd.option('--beta', 0.97, 'parameter of RMSProp')
    cmd.option('--eps', 1e-6, 'parameter of RMSProp')
    cmd.option('--save', '', 'file name to save the model')
    cmd.option('--load', '', 'file name to load the model')
    return cmd.parse(args or [])


def main(args=None):
    main_init('torch.FloatTensor')
    g_opts = options(args)
    set_globals(g_opts=g_opts)

    g_mazebase.init_vocab()
    set_globals(g_vocab=init.g_vocab, g_ivocab=init.g_ivocab, g_mazebase=g_mazebase)
    if g_opts['nworker'] > 1:
        set_globals(g_workers=init_threads(g_opts))

    g_log = []
    g_rmsprop_state = None
    if g_opts['optim'] == 'rmsprop':
        g_rmsprop_state = {}
    set_globals(g_log=g_log, g_rmsprop_state=g_rmsprop_state)
    model.g_init_model()
    set_globals(g_model=model.g_model, g_modules=model.g_modules, g_paramx=model.g_paramx,
                g_paramdx=model.g_paramdx, g_bl_loss=model.g_bl_loss)
    util.g_load_model()
    set_globals(g_log=util.g_log, g_rmsprop_state=util.g_rmsprop_state)
    g_mazebase.init_game()
    set_globals(g_opts=init.g_opts, g_factory=init.g_factory)

    train.train(g_opts['epochs'])
    util.g_save_model()

    test.test()
    return util.g_log
