"""src/descriptor_net.lua of DmitryUlyanov/online-neural-doodle, ported line by line: ``create_loss_net(params,
half)`` builds, from a clone of the global ``cnn`` (loadcaffe's VGG-19, set here by feedforward_neural_doodle),
the descriptor net (max pooling replaced by average pooling, a StyleLoss after each style layer, a
DummyGradOutput at the end) and the mask net that brings the masks to each style layer's resolution, with the
style's target Gram matrix per mask colour; ``half`` puts a 2 x 2 average pooling in front of both."""
import legonn as lg
from legonn import hdf5, loadcaffe, nn  # noqa: F401  (require 'loadcaffe')

from . import utils
from .style_loss import GramMatrix, StyleLoss
from .utils import DummyGradOutput, add_dummy, preprocess

cnn = None


def nop():
    pass  # nop.  not needed by our net


def create_loss_net(params, half=None):
    global init

    half = half or False
    # Load style
    f_data = hdf5.open(params['masks_hdf5'])
    style_img = f_data.read('style_img').all()

    style_img = add_dummy(preprocess(style_img)).type(utils.dtype)

    # Of size M x W x H
    style_mask = f_data.read('style_mask').all().type(utils.dtype)
    n_colors = style_mask.size(0)

    style_layers = params['style_layers'].split(",")

    # Set up the network, inserting style and content loss modules
    style_losses, masks_modules = [], []
    next_style_idx = 0
    net = nn.Sequential()

    mask_net_avg = nn.Sequential().add(nn.Identity())

    if half:
        net.add(nn.SpatialAveragePooling(2, 2, 2, 2).type(utils.dtype))
        mask_net_avg.add(nn.SpatialAveragePooling(2, 2, 2, 2).type(utils.dtype))
    cnn1 = cnn.clone()
    for i in range(len(cnn1)):

        if next_style_idx < len(style_layers):
            layer = cnn1.get(i)
            name = layer.name
            layer_type = lg.typename(layer)
            is_pooling = (layer_type == 'cudnn.SpatialMaxPooling' or layer_type == 'nn.SpatialMaxPooling')
            is_conv = (layer_type == 'nn.SpatialConvolution' or layer_type == 'cudnn.SpatialConvolution')

            #################################################
            # Pooling
            #################################################
            if is_pooling:

                if params['pooling'] == 'avg':
                    assert layer.padW == 0 and layer.padH == 0
                    kW, kH = layer.kW, layer.kH
                    dW, dH = layer.dW, layer.dH
                    avg_pool_layer = nn.SpatialAveragePooling(kW, kH, dW, dH).type(utils.dtype)
                    avg_pool_layer.type(utils.dtype)

                    msg = 'Replacing max pooling at layer %d with average pooling'
                    print(msg % i)

                    layer = avg_pool_layer

                mask_net_avg.add(nn.SpatialAveragePooling(2, 2, 2, 2).type(utils.dtype))
            #################################################
            # Convolution
            #################################################
            elif is_conv:

                # Turn off padding
                if params['vgg_no_pad'] and (layer_type == 'nn.SpatialConvolution'
                                             or layer_type == 'cudnn.SpatialConvolution'):
                    layer.padW = 0
                    layer.padH = 0

                    mask_net_avg.add(nn.SpatialZeroPadding(-1, -1, -1, -1).type(utils.dtype))
                else:
                    mask_net_avg.add(nn.SpatialAveragePooling(3, 3, 1, 1, 1, 1).type(utils.dtype))

            net.add(layer)

            #################################################
            # Style loss
            #################################################
            if name == style_layers[next_style_idx]:
                print("Setting up style layer  ", i, ":", layer.name)
                gram = GramMatrix().type(utils.dtype)

                # 1 x C x W x H
                target_features = net.forward(style_img).clone()
                # M x W x H
                layer_masks = mask_net_avg.forward(style_mask)

                # Compute target gram mats
                target_grams = []
                for k in range(n_colors):

                    # 1 x 1 x W x H
                    mask = add_dummy(layer_masks.narrow(0, k, 1))
                    # 1 x C x W x H
                    exp_mask = mask.expandAs(target_features)
                    # 1 x C x W x H
                    masked = lg.cmul(target_features, exp_mask)
                    # 1 x C x C
                    target = gram.forward(masked).clone()

                    target.div(target_features[0].nElement() * (mask.mean() + 1e-6))

                    target_grams.insert(k, target)

                norm = params['normalize_gradients']
                loss_module = StyleLoss(params.get('style_weight'), target_grams, norm).type(utils.dtype)

                masks_modules.append(mask_net_avg.modules[len(mask_net_avg.modules) - 1])
                style_losses.append(loss_module)

                net.add(loss_module)

                next_style_idx = next_style_idx + 1
    init = False
    # We don't need the base CNN anymore, so clean it up to save memory.

    net.add(DummyGradOutput())

    for i in range(len(net.modules)):
        module = net.modules[i]
        if lg.typename(module) == 'nn.SpatialConvolutionMM':
            module.gradWeight = None
            module.gradBias = None

    return net, style_losses, mask_net_avg, masks_modules
