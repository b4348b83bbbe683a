"""feedforward_neural_doodle.lua of DmitryUlyanov/online-neural-doodle, ported line by line as ``main(arg)``: the
options, the masks' hdf5 file, VGG-19 from loadcaffe without its last 9 modules, the generator
(``models/<model_name>``), the descriptor nets at full and half scale, ``feval`` (a batch of training masks
through the generator, the masked style losses of its images, their gradient back through the generator) and the
optim.adam loop with its previews, learning-rate decay and checkpoints. Returns ``(net, loss_history)`` for the
tests (the Lua script ends with the saved model). The package's docstring lists the edits."""
import importlib

import legonn as lg
from legonn import cudnn, hdf5, image, loadcaffe, nn, optim  # noqa: F401  (require 'nn', 'cunn', 'cutorch', ...)

from .models import skip_noise_4  # noqa: F401  (a model file the script may require by name)
from .src import descriptor_net as src_descriptor_net
from .src import utils
from .src.descriptor_net import create_loss_net
from .src.utils import convc, deprocess


def main(arg):
    display = importlib.import_module('display')

    cmd = lg.CmdLine()

    cmd.option('-style_layers', 'relu1_1,relu2_1,relu3_1,relu4_1,relu5_1', 'Layers to attach texture loss.')

    cmd.option('-masks_hdf5', '',
               'Path to .hdf5 file with masks. It can be obtained with get_mask_hdf5.py.')

    cmd.option('-learning_rate', 1e-1)
    cmd.option('-num_iterations', 5000)

    cmd.option('-batch_size', 4)

    cmd.option('-num_mask_noise_times', 1, 'Number of channels of the input tensor.')
    cmd.option('-num_noise_channels', 0, 'Number of channels of the input tensor.')

    cmd.option('-tmp_path', 'data/out/', 'Directory to store intermediate results.')
    cmd.option('-model_name', '', 'Path to generator model description file.')

    cmd.option('-normalize_gradients', 'false', 'L1 gradient normalization inside descriptor net. ')
    cmd.option('-vgg_no_pad', 'false')

    cmd.option('-proto_file', 'data/pretrained/VGG_ILSVRC_19_layers_deploy.prototxt', 'Pretrained')
    cmd.option('-model_file', 'data/pretrained/VGG_ILSVRC_19_layers.caffemodel')
    cmd.option('-backend', 'cudnn', 'nn|cudnn')
    cmd.option('-half', 'true', 'If true adds another VGG instance which computes loss and gradient at 0.5 scale.')

    cmd.option('-pooling', 'avg', 'Pooling method to use')

    params = cmd.parse(arg)

    params['half'] = params['half'] != 'false'
    params['vgg_no_pad'] = params['vgg_no_pad'] != 'false'
    params['circular_padding'] = params.get('circular_padding') != 'false'

    train_hdf5 = hdf5.open(params['masks_hdf5'])
    style_img = train_hdf5.read('style_img').all()
    style_mask = train_hdf5.read('style_mask').all()

    n_colors = style_mask.size(0)

    width = style_img.size(1)
    height = style_img.size(2)

    if params['backend'] == 'cudnn':
        cudnn.fastest = True
        cudnn.benchmark = True
        utils.backend = cudnn
    else:
        utils.backend = nn

    utils.conv = convc

    # Load VGG
    if params['backend'] == 'clnn':
        params['backend'] = 'nn'
    cnn = loadcaffe.load(params['proto_file'], params['model_file'], params['backend']).type(utils.dtype)
    for i in range(9):
        cnn.remove()
    src_descriptor_net.cnn = cnn

    net_input_depth = params['num_mask_noise_times'] * n_colors + n_colors + params['num_noise_channels']

    # Define model
    model_file = importlib.import_module(__package__ + '.models.' + params['model_name'])
    model_file.params, model_file.n_colors, model_file.net_input_depth = params, n_colors, net_input_depth
    net = model_file.model().type(utils.dtype)

    # Setup descriptor net
    descriptor_net, style_losses, mask_net, masks_modules = create_loss_net(params)

    if params['half']:
        descriptor_net_half, style_losses_half, mask_net_half, masks_modules_half = create_loss_net(params, True)

    cnn = None
    src_descriptor_net.cnn = None

    ##########################################################
    # feval
    ##########################################################

    iteration = 0

    # dummy storage, this will not be changed during training
    masks_batch = lg.Tensor(params['batch_size'], n_colors, width, height)
    means_batch = lg.Tensor(params['batch_size'], n_colors).uniform()

    inputs_batch = lg.Tensor(params['batch_size'], n_colors, width, height).type(utils.dtype)

    n_train = train_hdf5.read('n_train').all()[0]

    cur_index_train = 0

    def get_masks_train():
        nonlocal cur_index_train
        # Ignore last for simplicity
        if cur_index_train > n_train - params['batch_size']:
            cur_index_train = 0

        for i in range(params['batch_size']):
            masks_batch[i].narrow(0, 0, n_colors).copy(
                train_hdf5.read('train_mask_' + str(cur_index_train + i)).all())

        cur_index_train = cur_index_train + params['batch_size']

        return masks_batch.type(utils.dtype)

    parameters, gradParameters = net.getParameters()
    loss_history = []

    def feval(x):
        nonlocal iteration
        iteration = iteration + 1

        if x is not parameters:
            parameters.copy(x)
        gradParameters.zero()

        masks_batch_ = get_masks_train()

        inputs_batch.copy(masks_batch_ / 10)

        # forward
        out = net.forward(inputs_batch)

        ##################################
        # Full
        ##################################
        mask_net.forward(masks_batch_)
        for i in range(len(masks_modules)):
            style_losses[i].target_masks = masks_modules[i].output

        descriptor_net.forward(out)
        gradFull = descriptor_net.backward(out, None)

        ####################################
        # Half
        ####################################
        if params['half']:
            mask_net_half.forward(masks_batch_)
            for i in range(len(masks_modules_half)):
                style_losses_half[i].target_masks = masks_modules_half[i].output

            descriptor_net_half.forward(out)
            gradHalf = descriptor_net_half.backward(out, None)

            net.backward(inputs_batch, gradFull + gradHalf)
        else:
            net.backward(inputs_batch, gradFull)

        # collect loss
        loss = 0
        for mod in style_losses:
            loss = loss + mod.loss
        if params['half']:
            for mod in style_losses_half:
                loss = loss + mod.loss

        loss_history.append([iteration, loss / params['batch_size']])
        print(iteration, loss / params['batch_size'])

        return loss, gradParameters

    ##########################################################
    # Optimize
    ##########################################################
    print('        Optimize        ')

    optim_method = optim.adam
    state = {
        'learningRate': params['learning_rate'],
    }

    for it in range(1, params['num_iterations'] + 1):
        # Optimization step
        optim_method(feval, parameters, state)

        # Visualize
        if it % 10 == 0:
            output = net.output.clone().double()

            imgs = []
            for i in range(output.size(0)):
                img = deprocess(output[i])
                imgs.append(lg.clamp(img, 0, 1))
                image.save(params['tmp_path'] + 'train' + str(i + 1) + '_' + str(it) + '.png', img)

            display.image(imgs, {'win': 1, 'title': 'Preview'})
            display.plot(loss_history, {'win': 2, 'labels': ['iteration', 'Loss'], 'title': 'Loss'})

        if it % 300 == 0:
            state['learningRate'] = state['learningRate'] * 0.8

        if it % 200 == 0:
            lg.save(params['tmp_path'] + 'model' + str(it) + '.t7', net.clearState())

    # Clean net and dump it
    lg.save(params['tmp_path'] + 'model.t7', net.clearState())
    return net, loss_history
