"""experiments/main.lua: MSG-Net's training. Every ``style_iter`` iterations the next style image becomes the
perceptual criterion's style target and its Gram features (extractGram's ``feat.t7``) the Inspiration layer's;
optim.adam steps the generator on batches of the HDF5 content images; every ``checkpoint_every`` iterations the
validation loss, a JSON and a ``.t7`` checkpoint.

Edits: ``main(arg)`` returns (train_loss_history, style_loss_history, val_loss_history, model);
``local idx = (t-1)/opt.style_iter % #feat + 1`` is a float in Lua (whole here), used as a table index: ``//``
(docs/porting.md's float-index row), 0-based; ``string.format('style-%d', k)`` of a layer string is ``int(k)``;
``print(a, b)`` is ``sep='\\t'``; ``models = require('models.' .. opt.model)`` is an import. ``torch.load``,
``nn.utils.recursiveType(feat, 'torch.CudaTensor')`` and the ``:type(dtype)`` calls are kept: with ``-gpu 0`` (the
default) this is a CUDA program."""
import importlib

import legonn as lg
from legonn import cudnn, image, nn, optim, paths

from tests.porting.msg_net import init as texture
from tests.porting.msg_net.init import add_dummy

from . import opts
from .utils import utils
from .utils.DataLoader import DataLoader
from .utils.getImages import Dataset as imgLoader
from tests.porting.test_fast_neural_style_train import preprocess_table as preprocess


def main(arg):
    opt = opts.parse(arg)
    # Parse layer strings and weights
    opt['content_layers'], opt['content_weights'] = \
        utils.parse_layers(opt['content_layers'], opt['content_weights'])
    opt['style_layers'], opt['style_weights'] = \
        utils.parse_layers(opt['style_layers'], opt['style_weights'])

    # Figure out preprocessing
    if opt['preprocessing'] not in preprocess:
        msg = 'invalid -preprocessing "%s"; must be "vgg" or "resnet"'
        raise ValueError(msg % opt['preprocessing'])
    pre = preprocess[opt['preprocessing']]

    # Figure out the backend
    dtype, use_cudnn = utils.setup_gpu(opt['gpu'], opt['backend'], opt['use_cudnn'] == 1)

    # Style images
    styleLoader = imgLoader(opt['style_image_folder'])
    featpath = opt['style_image_folder'] + '/feat.t7'
    if not paths.filep(featpath):
        from . import extractGram as extractor
        extractor.exec(opt)
    feat = lg.load(featpath)
    feat = nn.utils.recursiveType(feat, 'torch.CudaTensor')

    # Build the model
    model = None

    # Checkpoint
    if opt['resume'] != '':
        print('Loading checkpoint from ' + opt['resume'])
        model = lg.load(opt['resume'])['model'].type(dtype)
    else:
        print('Initializing model from scratch')
        models = importlib.import_module('tests.porting.msg_net.experiments.models.' + opt['model'])
        model = models.createModel(opt).type(dtype)

    if use_cudnn:
        cudnn.convert(model, cudnn)
    model.training()
    print(model)

    # Set up the perceptual loss function
    percep_crit = None
    loss_net = lg.load(opt['loss_network'])
    crit_args = {
        'cnn': loss_net,
        'style_layers': opt['style_layers'],
        'style_weights': opt['style_weights'],
        'content_layers': opt['content_layers'],
        'content_weights': opt['content_weights'],
    }
    percep_crit = texture.PerceptualCriterion(crit_args).type(dtype)

    loader = DataLoader(opt)
    params, grad_params = model.getParameters()

    def f(x):
        assert x is params
        grad_params.zero()

        x, y = loader.getBatch('train')
        x, y = x.type(dtype), y.type(dtype)

        # Run model forward
        out = model.forward(x)
        target = {'content_target': y}
        loss = percep_crit.forward(out, target)
        grad_out = percep_crit.backward(out, target)

        # Run model backward
        model.backward(x, grad_out)

        return loss, grad_params

    optim_state = {'learningRate': opt['learning_rate']}
    train_loss_history = []
    val_loss_history = []
    val_loss_history_ts = []
    style_loss_history = None

    style_loss_history = {}
    for i, k in enumerate(opt['style_layers']):
        style_loss_history['style-%d' % int(k)] = []
    for i, k in enumerate(opt['content_layers']):
        style_loss_history['content-%d' % int(k)] = []

    style_weight = opt.get('style_weight')  # noqa: F841  (nil in Lua: opts.lua has no -style_weight)
    for t in range(1, opt['num_iterations'] + 1):
        # set Target Here
        if (t - 1) % opt['style_iter'] == 0:
            # print('Setting Style Target')
            idx = (t - 1) // opt['style_iter'] % len(feat)

            style_image = styleLoader.get(idx)
            style_image = image.scale(style_image, opt['style_image_size'])
            style_image = pre['preprocess'](add_dummy(style_image))
            percep_crit.setStyleTarget(style_image.type(dtype))

            style_image_feat = feat[idx]
            model.setTarget(style_image_feat, dtype)
        epoch = t / loader.num_minibatches['train']

        _, loss = optim.adam(f, params, optim_state)

        train_loss_history.append(loss[0])

        for i, k in enumerate(opt['style_layers']):
            style_loss_history['style-%d' % int(k)].append(percep_crit.style_losses[i])
        for i, k in enumerate(opt['content_layers']):
            style_loss_history['content-%d' % int(k)].append(percep_crit.content_losses[i])

        print('Epoch %f, Iteration %d / %d, loss = %f' % (epoch, t, opt['num_iterations'], loss[0]),
              lg.tostring(optim_state['learningRate']), sep='\t')

        if t % opt['checkpoint_every'] == 0:
            # Check loss on the validation set
            loader.reset('val')
            model.evaluate()
            val_loss = 0
            print('Running on validation set ... ')
            val_batches = opt['num_val_batches']
            for j in range(val_batches):
                x, y = loader.getBatch('val')
                x, y = x.type(dtype), y.type(dtype)
                out = model.forward(x)
                # y = shave_y(x, y, out)

                percep_loss = 0
                percep_loss = percep_crit.forward(out, {'content_target': y})
                val_loss = val_loss + percep_loss
            val_loss = val_loss / val_batches
            print('val loss = %f' % val_loss)
            val_loss_history.append(val_loss)
            val_loss_history_ts.append(t)
            model.training()

            # Save a checkpoint
            checkpoint = {
                'opt': opt,
                'train_loss_history': train_loss_history,
                'val_loss_history': val_loss_history,
                'val_loss_history_ts': val_loss_history_ts,
                'style_loss_history': style_loss_history,
            }
            filename = '%s.json' % opt['checkpoint_name']
            paths.mkdir(paths.dirname(filename))
            utils.write_json(filename, checkpoint)

            # Save a torch checkpoint; convert the model to float first
            model.clearState()
            if use_cudnn:
                cudnn.convert(model, nn)
            model.float()
            checkpoint['model'] = model
            filename = '%s.t7' % opt['checkpoint_name']
            lg.save(filename, checkpoint)

            # Convert the model back
            model.type(dtype)
            if use_cudnn:
                cudnn.convert(model, cudnn)
            params, grad_params = model.getParameters()

        if opt['lr_decay_every'] > 0 and t % opt['lr_decay_every'] == 0:
            new_lr = opt['lr_decay_factor'] * optim_state['learningRate']
            optim_state = {'learningRate': new_lr}

    return train_loss_history, style_loss_history, val_loss_history, model
