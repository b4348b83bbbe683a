"""main.lua: the options, the model (VGG-19 or Inception) with its style and content layers, the content
activations and style Gram matrices, ``opfunc`` (a hand-written backward through the Sequential, adding each
named layer's content and style gradients on the way down, plus the total-variation term), and the sgd or lbfgs
optimisation of the image, saving frames as it goes.

Edits beyond Lua syntax and 0-based indices:

* The script's body is ``main(arg)``, returning what a test reads (the final image, the losses per iteration);
  the Lua's globals ``opt`` and ``opfunc`` are set where the files it dofiles read them (costs.py's ``opt``).
* ``require 'cutorch'``/``'cunn'`` and the ``:cuda()`` calls run unless ``--cpu``, as in the Lua; CUDA tensors
  come from ``lg.CudaTensor``.
* ``pl.utils.printf`` is legonn.pl's (``require('pl.import_into')()`` is ``lg.pl.import_into()``).
* ``optim[opt.optimizer](...)`` is ``getattr(optim, opt['optimizer'])(...)``; ``local _, loss = ...`` keeps the
  second result, where optim.lbfgs returns three (``x, f_hist, currentFuncEval``) and sgd two: ``(...)[1]``
  (docs/porting.md's several-results row); the ``loss`` table's ``loss[1]`` is ``loss[0]``.
* ``image.display`` runs only with a positive ``--display_interval``, as in the Lua (a test sets 0).
* ``collectgarbage()`` calls are left out.
"""

import legonn as lg
from legonn import image, nn, optim, paths  # noqa: F401
from tests.porting.neuralart import costs
from tests.porting.neuralart.costs import collect_activations, content_grad, style_grad, total_var_grad
from tests.porting.neuralart.images import depreprocess, preprocess
from tests.porting.neuralart.models.inception import create_inception
from tests.porting.neuralart.models.vgg19 import create_vgg

pl = lg.pl.import_into()
printf = pl.utils.printf


def main(arg):
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('A Neural Algorithm of Artistic Style')
    cmd.text()
    cmd.text('Options:')
    cmd.option('--model',           'vgg',    '{inception, vgg}. Model to use.')
    cmd.option('--style',           'none',   'Path to style image')
    cmd.option('--content',         'none',   'Path to content image')
    cmd.option('--style_factor',     2e9,     'Trade-off factor between style and content')
    cmd.option('--num_iters',        500,     'Number of iterations')
    cmd.option('--size',             500,     'Length of image long edge (0 to use original content size)')
    cmd.option('--display_interval', 20,      'Iterations between image displays (0 to suppress display)')
    cmd.option('--smoothness',       0,       'Total variation norm regularization strength (higher for smoother output)')  # noqa: E501
    cmd.option('--init',            'image',  '{image, random}. Initialization mode for optimized image.')
    cmd.option('--backend',         'cunn',   '{cunn, cudnn}. Neural network CUDA backend.')
    cmd.option('--optimizer',       'lbfgs',  '{sgd, lbfgs}. Optimization algorithm.')
    cmd.option('--cpu',              False,   'Optimize on CPU (only with VGG network).')
    cmd.option('--output_dir',      'frames', 'Output directory to save to.')
    opt = cmd.parse(arg)
    if opt['size'] <= 0:
        opt['size'] = None

    costs.opt = opt
    costs.dofile()

    # check for model files
    inception_path = 'models/inception_caffe.th'
    vgg_path = 'models/vgg_normalized.th'
    if opt['model'] == 'inception':
        if not paths.filep(inception_path):
            print('ERROR: could not find Inception model weights at ' + inception_path)
            print('run download_models.sh to download model weights')
            raise RuntimeError('')

        if opt['cpu']:
            raise RuntimeError('CPU optimization only works with VGG model')
    elif opt['model'] == 'vgg':
        if not paths.filep(vgg_path):
            print('ERROR: could not find VGG model weights at ' + vgg_path)
            print('run download_models.sh to download model weights')
            raise RuntimeError('')
    else:
        raise RuntimeError('invalid model: ' + opt['model'])

    # load model
    model, style_weights, content_weights = None, None, None
    if opt['model'] == 'inception':
        style_weights = {
            'conv1/7x7_s2': 1,
            'conv2/3x3': 1,
            'inception_3a': 1,
            'inception_3b': 1,
            'inception_4a': 1,
            'inception_4b': 1,
            'inception_4c': 1,
            'inception_4d': 1,
            'inception_4e': 1,
        }

        content_weights = {
            'inception_3a': 1,
            'inception_4a': 1,
        }

        model = create_inception(inception_path, opt['backend'])
    elif opt['model'] == 'vgg':
        style_weights = {
            'conv1_1': 1,
            'conv2_1': 1,
            'conv3_1': 1,
            'conv4_1': 1,
            'conv5_1': 1,
        }

        content_weights = {
            'conv4_2': 1,
        }

        model = create_vgg(vgg_path, opt['backend'])

    # run on GPU
    if opt['cpu']:
        model.float()
    else:
        model.cuda()

    # compute normalization factor
    style_weight_sum = 0
    content_weight_sum = 0
    for k, v in style_weights.items():
        style_weight_sum = style_weight_sum + v

    for k, v in content_weights.items():
        content_weight_sum = content_weight_sum + v

    # load content image
    img = preprocess(image.load(opt['content']), opt['size'])
    if not opt['cpu']:
        img = img.cuda()
    model.forward(img)
    img_activations, _ = collect_activations(model, content_weights, {})

    # load style image
    art = preprocess(
        image.load(opt['style']), max(img.size(2), img.size(3))
    )
    if not opt['cpu']:
        art = art.cuda()
    model.forward(art)
    _, art_grams = collect_activations(model, {}, style_weights)
    art = None

    def opfunc(input):
        # forward prop
        model.forward(input)

        # backpropagate
        loss = 0
        grad = lg.FloatTensor() if opt['cpu'] else lg.CudaTensor()
        grad.resize(model.output.size()).zero()
        for i in range(len(model.modules) - 1, -1, -1):
            module_input = input if (i == 0) else model.modules[i - 1].output
            module = model.modules[i]
            name = getattr(module, '_name', None)

            # add content gradient
            if name and content_weights.get(name):
                c_loss, c_grad = content_grad(module.output, img_activations[name])
                w = content_weights[name] / content_weight_sum
                # printf('[content]\t%s\t%.2e\n', name, w * c_loss)
                loss = loss + w * c_loss
                grad.add(w, c_grad)

            # add style gradient
            if name and style_weights.get(name):
                s_loss, s_grad = style_grad(module.output, art_grams[name])
                w = opt['style_factor'] * style_weights[name] / style_weight_sum
                # printf('[style]\t%s\t%.2e\n', name, w * s_loss)
                loss = loss + w * s_loss
                grad.add(w, s_grad)
            grad = module.backward(module_input, grad)

        # total variation regularization for denoising
        grad.add(total_var_grad(input).mul(opt['smoothness']))
        return loss, grad.view(-1)

    # image to optimize
    input = None
    if opt['init'] == 'image':
        input = img
    elif opt['init'] == 'random':
        input = preprocess(
            lg.randn(3, img.size(2), img.size(3)).mul(0.1).add(0.5).clamp(0, 1)
        )

        if not opt['cpu']:
            input = input.cuda()
    else:
        raise RuntimeError('unrecognized initialization option: ' + opt['init'])

    timer = lg.Timer()
    output = depreprocess(input).double()
    if opt['display_interval'] > 0:
        image.display(output)

    # make directory to save intermediate frames
    frames_dir = opt['output_dir']
    if not paths.dirp(frames_dir):
        paths.mkdir(frames_dir)
    image.save(paths.concat(frames_dir, '0000.jpg'), output)

    # set optimizer options
    optim_state = None
    if opt['optimizer'] == 'sgd':
        optim_state = {
            'momentum': 0.9,
            'dampening': 0.0,
        }

        if opt['model'] == 'inception':
            optim_state['learningRate'] = 5e-2
        else:
            optim_state['learningRate'] = 1e-3
    elif opt['optimizer'] == 'lbfgs':
        optim_state = {
            'maxIter': 3,
            'learningRate': 1,
        }
    else:
        raise RuntimeError('unknown optimizer: ' + opt['optimizer'])

    # optimize
    losses = []
    for i in range(1, opt['num_iters'] + 1):
        loss = getattr(optim, opt['optimizer'])(opfunc, input, optim_state)[1]
        loss = loss[0]
        losses.append(loss)

        # anneal learning rate
        if opt['optimizer'] == 'sgd' and i % 100 == 0:
            optim_state['learningRate'] = 0.75 * optim_state['learningRate']

        if i % 10 == 0:
            printf('iter %5d\tloss %8.2e\tlr %8.2e\ttime %4.1f\n',
                   i, loss, optim_state['learningRate'], timer.time()['real'])

        if i <= 20 or i % 5 == 0:
            output = depreprocess(input).double()
            if opt['display_interval'] > 0 and i % opt['display_interval'] == 0:
                image.display(output)
            image.save(paths.concat(frames_dir, '%04d.jpg' % i), output)

    output = depreprocess(input)
    if opt['display_interval'] > 0:
        image.display(output)
    return {'output': output, 'losses': losses, 'opfunc': opfunc, 'input': input, 'model': model,
            'img': img, 'art_grams': art_grams, 'img_activations': img_activations}
