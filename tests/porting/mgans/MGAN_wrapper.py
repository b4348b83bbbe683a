"""code/MGAN_wrapper.lua of chuanli11/MGANs (MIT licence), ported line by line: ``state(params)`` trains the
Markovian GAN (a VGG encoder, the generator netG of transposed convolutions, the patch discriminator netS on VGG
features with a margin loss, a pixel MSE loss) on the 128 x 128 patches AG_wrapper.lua wrote, saving netG and netS
each epoch.

The globals train.lua sets before requiring this file (``loadcaffe_wrap``, ``util``, ``pl``, ``disp``,
``weights_init``) are this module's globals: ``loadcaffe_wrap`` (an ffi binding of loadcaffe's C++ library) and
``disp`` (the display web package) are None here, set by the caller (the test's stand-ins). ``params`` may carry
``opt_overrides``, a dict applied to ``opt`` after its constants are set (before the weights are normalised): the
only line not in the Lua, so that a test can shrink the networks (64 features, 64-patch batches, VGG's 512 and 256
planes) to a stand-in VGG's.
"""
import math
import os

import legonn as lg
from legonn import image, nn, optim, pl
from tests.porting.mgans.lib import util
from tests.porting.mgans.lib.helper import weights_init

loadcaffe_wrap = None
disp = None


def run_MGAN(params):
    flag_state = 1
    opt = {}
    opt['dataset_name'] = params['dataset_name']
    opt['start_epoch'] = params['start_epoch']
    opt['numEpoch'] = params['numEpoch']
    opt['stand_atom'] = params['stand_atom']
    opt['pixel_blockSize'] = params['pixel_blockSize']

    # data
    opt['source_folder_name'] = 'ContentTrainPatch128'
    opt['target_folder_name'] = 'StyleTrainPatch128'
    opt['testsource_folder_name'] = 'ContentTestPatch128'
    opt['testtarget_folder_name'] = 'StyleTestPatch128'
    opt['experiment_name'] = 'MGAN/'

    opt['nc'] = 3  # number of channels for color image (fixed to 3)
    opt['nf'] = 64  # multiplier for number of feaures at each layer
    opt['pixel_weights'] = 1  # higher weight preserves image content, but blurs the results.
    opt['tv_weight'] = 1e-4  # higher weight reduces optical noise, but may over-smooth the results.

    # encoder that produce vgg feature map of an input image. This feature map is used as the input for netG
    opt['netEnco_vgg_Outputlayer'] = 21
    opt['netEnco_vgg_nOutputPlane'] = 512  # this value is decided by netEnco_vgg_Outputlayer
    # the denominator's value is decided by netEnco_vgg_Outputlayer
    opt['netEnco_vgg_Outputblocksize'] = opt['pixel_blockSize'] / 8

    # discriminator
    opt['netS_num'] = 1
    opt['netS_weights'] = [params['netS_weight']]
    opt['netS_vgg_Outputlayer'] = [12]
    opt['netS_vgg_nOutputPlane'] = [256]  # this value is decided by netS_vgg_Outputlayer
    opt['netS_blocksize'] = [opt['pixel_blockSize'] / 16]  # the denominator's is decided by the design of netS
    opt['netS_flag_mask'] = 1  # flag to mask out patches at the border. This reduce the artefacts of padding.
    # margin to be mask. So only patches between (netS_border + 1, netS_blocksize - netS_border) will be used for
    # back propogation.
    opt['netS_border'] = 1

    # optimization
    opt['batchSize'] = 64  # number of patches in a batch
    opt['optimizer'] = 'adam'
    opt['netD_lr'] = 0.02  # netD initial learning rate for adam
    opt['netG_lr'] = 0.02  # netG initial learning rate for adam
    opt['netD_beta1'] = 0.5  # netD first momentum of adam
    opt['netG_beta1'] = 0.5  # netG first momentum of adam
    opt['real_label'] = 1  # value of real label (fixed to 1)
    opt['fake_label'] = -1  # value of fake label (fixed to -1)

    # vgg
    opt['vgg_proto_file'] = '../Dataset/model/VGG_ILSVRC_19_layers_deploy.prototxt'
    opt['vgg_model_file'] = '../Dataset/model/VGG_ILSVRC_19_layers.caffemodel'
    opt['vgg_backend'] = 'nn'
    opt['vgg_num_layer'] = 36

    # misc
    opt['save_iterval_image'] = 100   # save iterval for image
    opt['display'] = 1            # display samples while training. 0 = false
    opt['gpu'] = 1

    opt.update(params.get('opt_overrides', {}))  # the port's test hook (module docstring)

    weight_sum = 0

    weight_sum = weight_sum + opt['pixel_weights']
    for i_netS in range(opt['netS_num']):
        weight_sum = weight_sum + opt['netS_weights'][i_netS]

    opt['pixel_weights'] = opt['pixel_weights'] / weight_sum
    for i_netS in range(opt['netS_num']):
        opt['netS_weights'][i_netS] = opt['netS_weights'][i_netS] / weight_sum

    os.system('mkdir ' + opt['dataset_name'] + opt['experiment_name'])
    opt['target_folder'] = opt['dataset_name'] + opt['target_folder_name']
    opt['source_folder'] = opt['dataset_name'] + opt['source_folder_name']
    opt['testsource_folder'] = opt['dataset_name'] + opt['testsource_folder_name']
    opt['testtarget_folder'] = opt['dataset_name'] + opt['testtarget_folder_name']
    opt['manualSeed'] = lg.random(1, 10000 + 1)  # fix seed
    lg.manualSeed(opt['manualSeed'])

    # --------------------------------
    # build networks
    # --------------------------------
    # build netVGG
    net_ = loadcaffe_wrap.load(opt['vgg_proto_file'], opt['vgg_model_file'], opt['vgg_backend'],
                               opt.get('vggD_num_layer'))
    netVGG = nn.Sequential()
    for i_layer in range(opt['vgg_num_layer']):
        netVGG.add(net_.get(i_layer))
    net_ = None
    print('netVGG has been built')
    print(netVGG)
    netVGG = util.cudnn(netVGG)
    netVGG.cuda()

    # build encoder
    netEnco = nn.Sequential()
    for i_layer in range(opt['netEnco_vgg_Outputlayer']):
        netEnco.add(netVGG.get(i_layer))
    print('netEnco has been built')
    print(netEnco)
    netEnco = util.cudnn(netEnco)
    netEnco.cuda()

    # build generator
    netG = nn.Sequential()
    if opt['start_epoch'] > 1:
        netG = util.load(opt['dataset_name'] + opt['experiment_name'] + 'epoch_' + '%.14g' % (opt['start_epoch'] - 1)
                         + '_netG.t7', opt['gpu'])
        print('netG has been loaded')
        print(netG)
    else:
        # layer 21
        netG.add(nn.SpatialFullConvolution(opt['netEnco_vgg_nOutputPlane'], opt['nf'] * 8, 3, 3, 1, 1, 1, 1))  # x 1
        netG.add(nn.SpatialBatchNormalization(opt['nf'] * 8)).add(nn.ReLU(True))
        netG.add(nn.SpatialFullConvolution(opt['nf'] * 8, opt['nf'] * 4, 4, 4, 2, 2, 1, 1))  # x 2
        netG.add(nn.SpatialBatchNormalization(opt['nf'] * 4)).add(nn.ReLU(True))
        netG.add(nn.SpatialFullConvolution(opt['nf'] * 4, opt['nf'] * 2, 4, 4, 2, 2, 1, 1))  # x 4
        netG.add(nn.SpatialBatchNormalization(opt['nf'] * 2)).add(nn.ReLU(True))
        netG.add(nn.SpatialFullConvolution(opt['nf'] * 2, opt['nc'], 4, 4, 2, 2, 1, 1))  # x 8
        netG.add(nn.Tanh())
        netG.apply(weights_init)
        print('netG has been built')
        print(netG)

    netG = util.cudnn(netG)
    netG.cuda()

    # build discriminator
    netSVGG = []
    for i_netS in range(opt['netS_num']):
        netSVGG.append(nn.Sequential())
        # netSVGG[i_netS]:add(nn.TVLoss2(opt.tv_weight))
        for i_layer in range(opt['netS_vgg_Outputlayer'][i_netS]):
            netSVGG[i_netS].add(netVGG.get(i_layer))
        print('netSVGG[%d] has been built' % (i_netS + 1))
        print(netSVGG[i_netS])
    for i_netS in range(opt['netS_num']):
        netSVGG[i_netS] = util.cudnn(netSVGG[i_netS])
        netSVGG[i_netS].cuda()

    netS = []
    if opt['start_epoch'] > 1:
        for i_netS in range(opt['netS_num']):
            netS.append(util.load(opt['dataset_name'] + opt['experiment_name'] + 'epoch_'
                                  + '%.14g' % (opt['start_epoch'] - 1) + '_netS_' + '%d' % (i_netS + 1) + '.t7',
                                  opt['gpu']))
            print('netS[%d] has been loaded' % (i_netS + 1))
            print(netS[i_netS])
    else:
        for i_netS in range(opt['netS_num']):
            netS.append(nn.Sequential())
            netS[i_netS].add(nn.LeakyReLU(0.2, True))
            # x 1/2
            netS[i_netS].add(nn.SpatialConvolution(opt['netS_vgg_nOutputPlane'][i_netS], opt['nf'] * 4,
                                                   4, 4, 2, 2, 1, 1))
            netS[i_netS].add(nn.SpatialBatchNormalization(opt['nf'] * 4)).add(nn.LeakyReLU(0.2, True))
            netS[i_netS].add(nn.SpatialConvolution(opt['nf'] * 4, opt['nf'] * 8, 4, 4, 2, 2, 1, 1))  # x 1/4
            netS[i_netS].add(nn.SpatialBatchNormalization(opt['nf'] * 8)).add(nn.LeakyReLU(0.2, True))
            # classify each neural patch using convolutional operation
            netS[i_netS].add(nn.SpatialConvolution(opt['nf'] * 8, 1, 1, 1))
            # reshape the classification result for computing loss
            netS[i_netS].add(nn.Reshape(opt['batchSize'] * opt['netS_blocksize'][i_netS]
                                        * opt['netS_blocksize'][i_netS], 1, 1, 1, False))
            netS[i_netS].add(nn.View(1).setNumInputDims(3))
            netS[i_netS].apply(weights_init)
            print('netS[%d] has been built' % (i_netS + 1))
            print(netS[i_netS])

    for i_netS in range(opt['netS_num']):
        netS[i_netS] = util.cudnn(netS[i_netS])
        netS[i_netS].cuda()

    criterion_Pixel = nn.MSECriterion()
    criterion_Pixel.cuda()

    criterion_netS = []
    for i_netS in range(opt['netS_num']):
        criterion_netS.append(nn.MarginCriterion(1))
    for i_netS in range(opt['netS_num']):
        criterion_netS[i_netS] = criterion_netS[i_netS].cuda()

    # --------------------------------
    # build data
    # --------------------------------
    source_images_names = pl.dir.getallfiles(opt['source_folder'], '*.png')
    num_source_images = len(source_images_names)
    print('num of source images: %d' % num_source_images)

    target_images_names = pl.dir.getallfiles(opt['target_folder'], '*.png')
    num_target_images = len(target_images_names)
    print('num of target images: %d' % num_target_images)

    test_images_names = pl.dir.getallfiles(opt['testsource_folder'], '*.png')
    num_test_images = len(test_images_names)
    print('num of test images: %d' % num_test_images)

    BlockPixel_target = lg.Tensor(opt['batchSize'], opt['nc'], opt['pixel_blockSize'], opt['pixel_blockSize'])
    BlockPixel_target = BlockPixel_target.cuda()

    BlockPixel_source = lg.Tensor(opt['batchSize'], opt['nc'], opt['pixel_blockSize'], opt['pixel_blockSize'])
    BlockPixel_source = BlockPixel_source.cuda()

    BlockPixel_G = lg.Tensor(opt['batchSize'], opt['nc'], opt['pixel_blockSize'], opt['pixel_blockSize'])
    BlockPixel_G = BlockPixel_G.cuda()

    BlockPixel_testsource = lg.Tensor(opt['batchSize'], opt['nc'], opt['pixel_blockSize'], opt['pixel_blockSize'])
    BlockPixel_testsource = BlockPixel_testsource.cuda()

    BlockPixel_testtarget = lg.Tensor(opt['batchSize'], opt['nc'], opt['pixel_blockSize'], opt['pixel_blockSize'])
    BlockPixel_testtarget = BlockPixel_testtarget.cuda()

    BlockPixel_Gtest = lg.Tensor(opt['batchSize'], opt['nc'], opt['pixel_blockSize'], opt['pixel_blockSize'])
    BlockPixel_Gtest = BlockPixel_Gtest.cuda()

    BlockInterface = lg.Tensor(opt['batchSize'], opt['netEnco_vgg_nOutputPlane'], opt['netEnco_vgg_Outputblocksize'],
                               opt['netEnco_vgg_Outputblocksize'])
    BlockInterface = BlockInterface.cuda()

    BlockInterfacetest = lg.Tensor(opt['batchSize'], opt['netEnco_vgg_nOutputPlane'],
                                   opt['netEnco_vgg_Outputblocksize'], opt['netEnco_vgg_Outputblocksize'])
    BlockInterfacetest = BlockInterfacetest.cuda()

    BlockVGG_target = []
    for i_netS in range(opt['netS_num']):
        feature_map = netSVGG[i_netS].forward(BlockPixel_target).clone()
        BlockVGG_target.append(feature_map)

    BlockVGG_G = []
    for i_netS in range(opt['netS_num']):
        feature_map = netSVGG[i_netS].forward(BlockPixel_G).clone()
        BlockVGG_G.append(feature_map)

    optimStateG = {'learningRate': opt['netG_lr'], 'beta1': opt['netG_beta1']}
    optimStateS = []
    for i_netS in range(opt['netS_num']):
        optimStateS.append({'learningRate': opt['netD_lr'], 'beta1': opt['netD_beta1']})
    optimStateG = {'learningRate': opt['netG_lr'], 'beta1': opt['netG_beta1']}

    parametersG, gradparametersG = netG.getParameters()
    errG = 0
    errG_Pixel, errG_Style = None, None

    parametersS = []
    gradParametersS = []
    for i_netS in range(opt['netS_num']):
        parametersS_, gradParametersS_ = netS[i_netS].getParameters()
        parametersS.append(parametersS_)
        gradParametersS.append(gradParametersS_)

    list_image_test = lg.Tensor(opt['batchSize'])
    for i_img in range(opt['batchSize']):
        list_image_test[i_img] = lg.random(1, num_test_images + 1)
    for i_img in range(opt['batchSize']):
        BlockPixel_testsource[i_img] = image.load(opt['testsource_folder'] + '/' + '%.14g' % list_image_test[i_img]
                                                  + '.png', 3)
    BlockPixel_testsource.mul(2).add(-1)
    BlockPixel_testsource = BlockPixel_testsource.cuda()
    BlockInterfacetest = netEnco.forward(BlockPixel_testsource).clone()

    for i_img in range(opt['batchSize']):
        BlockPixel_testtarget[i_img] = image.load(opt['testtarget_folder'] + '/' + '%.14g' % list_image_test[i_img]
                                                  + '.png', 3)
    BlockPixel_testtarget.mul(2).add(-1)
    BlockPixel_testtarget = BlockPixel_testtarget.cuda()

    StyleScore_real = []
    StyleScore_G = []
    label = []
    for i_netS in range(opt['netS_num']):
        StyleScore_real.append(lg.Tensor(opt['batchSize'] * opt['netS_blocksize'][i_netS]
                                                * opt['netS_blocksize'][i_netS]))
        StyleScore_G.append(lg.Tensor(opt['batchSize'] * opt['netS_blocksize'][i_netS]
                                             * opt['netS_blocksize'][i_netS]))
        label.append(lg.Tensor(opt['batchSize'] * opt['netS_blocksize'][i_netS]
                                      * opt['netS_blocksize'][i_netS]))
        StyleScore_real[i_netS] = StyleScore_real[i_netS].cuda()
        StyleScore_G[i_netS] = StyleScore_G[i_netS].cuda()
        label[i_netS] = label[i_netS].cuda()

    errS = []
    for i_netS in range(opt['netS_num']):
        errS.append(0)

    netS_mask = []
    for i_netS in range(opt['netS_num']):
        netS_mask.append(lg.Tensor(opt['batchSize'], 1, opt['netS_blocksize'][i_netS],
                                   opt['netS_blocksize'][i_netS]).fill(1))
        if opt['netS_flag_mask'] == 1:
            netS_mask[i_netS][0:opt['batchSize'], 0:1,
                              opt['netS_border']:opt['netS_blocksize'][i_netS] - opt['netS_border'],
                              opt['netS_border']:opt['netS_blocksize'][i_netS] - opt['netS_border']].fill(0)
        netS_mask[i_netS] = netS_mask[i_netS].reshape(
            opt['batchSize'] * opt['netS_blocksize'][i_netS] * opt['netS_blocksize'][i_netS], 1)
    for i_netS in range(opt['netS_num']):
        netS_mask[i_netS] = netS_mask[i_netS].cuda()

    cur_net_id = None

    # discriminator
    def fDx(x):
        def zero_conv_bias(m):
            if 'Convolution' in lg.type(m):
                m.bias.zero()
        netS[cur_net_id].apply(zero_conv_bias)
        gradParametersS[cur_net_id].zero()

        errS[cur_net_id] = 0

        # train with real images
        label[cur_net_id].fill(opt['real_label'])

        StyleScore_real[cur_net_id] = netS[cur_net_id].forward(BlockVGG_target[cur_net_id]).clone()
        avg_netD_Score_real = lg.sum(StyleScore_real[cur_net_id]) / StyleScore_real[cur_net_id].nElement()
        if opt['netS_flag_mask'] == 1:
            StyleScore_real[cur_net_id][netS_mask[cur_net_id]] = opt['real_label']
            avg_netD_Score_real = lg.sum(StyleScore_real[cur_net_id][netS_mask[cur_net_id].clone().mul(-1).add(1)]) / \
                (StyleScore_real[cur_net_id].nElement() - lg.sum(netS_mask[cur_net_id]))
        errS[cur_net_id] = errS[cur_net_id] + criterion_netS[cur_net_id].forward(StyleScore_real[cur_net_id],
                                                                                 label[cur_net_id])
        gradInput_StyleScore_real = criterion_netS[cur_net_id].backward(StyleScore_real[cur_net_id],
                                                                          label[cur_net_id]).clone()
        netS[cur_net_id].backward(BlockVGG_target[cur_net_id], gradInput_StyleScore_real)
        print('netS avg_netD_Score_real: ' + '%.14g' % avg_netD_Score_real + ', gradParametersS: '
              + '%.14g' % lg.norm(gradParametersS[cur_net_id]))

        label[cur_net_id].fill(opt['fake_label'])
        StyleScore_G[cur_net_id] = netS[cur_net_id].forward(BlockVGG_G[cur_net_id]).clone()
        avg_netD_Score_G = lg.sum(StyleScore_G[cur_net_id]) / StyleScore_G[cur_net_id].nElement()
        if opt['netS_flag_mask'] == 1:
            StyleScore_G[cur_net_id][netS_mask[cur_net_id]] = opt['fake_label']
            avg_netD_Score_G = lg.sum(StyleScore_G[cur_net_id][netS_mask[cur_net_id].clone().mul(-1).add(1)]) / \
                (StyleScore_G[cur_net_id].nElement() - lg.sum(netS_mask[cur_net_id]))
        errS[cur_net_id] = errS[cur_net_id] + criterion_netS[cur_net_id].forward(StyleScore_G[cur_net_id],
                                                                                 label[cur_net_id])
        gradInput_StyleScore_G = criterion_netS[cur_net_id].backward(StyleScore_G[cur_net_id],
                                                                          label[cur_net_id]).clone()
        netS[cur_net_id].backward(BlockVGG_G[cur_net_id], gradInput_StyleScore_G)
        print('netS avg_netD_Score_G: ' + '%.14g' % avg_netD_Score_G + ', gradParametersS: '
              + '%.14g' % lg.norm(gradParametersS[cur_net_id]))

        gradParametersS[cur_net_id] = gradParametersS[cur_net_id].div(opt['batchSize'])

        gradInput_StyleScore_real = None
        gradInput_StyleScore_G = None

        return errS[cur_net_id], gradParametersS[cur_net_id]

    # generator
    def fGx(x):
        nonlocal errG, errG_Pixel, errG_Style

        def zero_conv_bias(m):
            if 'Convolution' in lg.type(m):
                m.bias.zero()
        netG.apply(zero_conv_bias)
        gradparametersG.zero()
        gradOutput_G = BlockPixel_G.clone().fill(0)
        errG = 0
        errG_Pixel = 0
        errG_Style = 0

        # pixel loss
        errG_Pixel = criterion_Pixel.forward(BlockPixel_G, BlockPixel_target)
        gradOutput_G_Pixel = criterion_Pixel.backward(BlockPixel_G, BlockPixel_target)
        gradOutput_G = gradOutput_G + gradOutput_G_Pixel.mul(opt['pixel_weights'])
        errG = errG + errG_Pixel

        # style loss
        for i_netS in range(opt['netS_num']):
            label[i_netS].fill(opt['real_label'])
            StyleScore_G[i_netS] = netS[i_netS].forward(BlockVGG_G[i_netS]).clone()
            avg_netD_Score_G = lg.sum(StyleScore_G[i_netS]) / StyleScore_G[i_netS].nElement()
            if opt['netS_flag_mask'] == 1:
                StyleScore_G[i_netS][netS_mask[i_netS]] = opt['real_label']
                avg_netD_Score_G = lg.sum(StyleScore_G[cur_net_id][netS_mask[cur_net_id].clone().mul(-1).add(1)]) / \
                    (StyleScore_G[cur_net_id].nElement() - lg.sum(netS_mask[cur_net_id]))
            print('netG avg_netD_Score_G: ' + '%.14g' % avg_netD_Score_G)

            errS[i_netS] = criterion_netS[i_netS].forward(StyleScore_G[i_netS], label[i_netS])
            errG_Style = errG_Style + errS[i_netS]
            gradInput_StyleScore_G = criterion_netS[i_netS].backward(StyleScore_G[i_netS], label[i_netS]).clone()
            gradInput_netS = netS[i_netS].updateGradInput(BlockVGG_G[i_netS], gradInput_StyleScore_G)
            netSVGG[i_netS].forward(BlockPixel_G)
            gradInput_Style = netSVGG[i_netS].updateGradInput(BlockPixel_G, gradInput_netS)
            gradOutput_G = gradOutput_G + gradInput_Style.mul(opt['netS_weights'][i_netS])

            gradInput_StyleScore_G = None
            gradInput_netS = None

        netG.backward(BlockInterface, gradOutput_G)
        print('gradparametersG: ' + '%.14g' % lg.norm(gradparametersG))

        errG = errG + errG_Style

        gradOutput_G_Pixel = None
        gradOutput_G = None
        return errG, gradparametersG

    print('*****************************************************')
    print('Training Loop: ')
    print('*****************************************************')
    epoch_tm = lg.Timer()  # noqa: F841
    tm = lg.Timer()
    data_tm = lg.Timer()  # noqa: F841
    record_err = lg.Tensor(1)
    record_err.fill(criterion_Pixel.forward(BlockPixel_testsource, BlockPixel_testtarget))

    for epoch in range(opt['start_epoch'], opt['numEpoch'] + 1):
        source = None
        sourcetest = None
        target = None
        targettest = None
        generated = None
        generatedtest = None

        counter = 0
        for i_iter in range(1, num_source_images + 1, opt['batchSize']):
            tm.reset()
            counter = counter + 1

            # randomly select images to train
            list_image = lg.Tensor(opt['batchSize'])
            for i_img in range(opt['batchSize']):
                list_image[i_img] = lg.random(1, num_source_images + 1)

            # read PatchPixel_real and PatchPixel_photo
            for i_img in range(opt['batchSize']):
                BlockPixel_target[i_img] = image.load(opt['target_folder'] + '/' + '%.14g' % list_image[i_img] + '.png',
                                                  3)
            BlockPixel_target.mul(2).add(-1)
            BlockPixel_target = BlockPixel_target.cuda()

            for i_img in range(opt['batchSize']):
                BlockPixel_source[i_img] = image.load(opt['source_folder'] + '/' + '%.14g' % list_image[i_img] + '.png',
                                                  3)
            BlockPixel_source.mul(2).add(-1)
            BlockPixel_source = BlockPixel_source.cuda()

            BlockInterface = netEnco.forward(BlockPixel_source)
            BlockPixel_G = netG.forward(BlockInterface)

            for i_netS in range(opt['netS_num']):
                BlockVGG_target[i_netS] = netSVGG[i_netS].forward(BlockPixel_target).clone()
                BlockVGG_G[i_netS] = netSVGG[i_netS].forward(BlockPixel_G).clone()

            # train netS
            for i_netS in range(opt['netS_num']):
                cur_net_id = i_netS
                optim.adam(fDx, parametersS[cur_net_id], optimStateS[cur_net_id])

            # train netG
            optim.adam(fGx, parametersG, optimStateG)

            if opt['display']:
                source = BlockPixel_source
                sourcetest = BlockPixel_testsource
                target = BlockPixel_target
                targettest = BlockPixel_testtarget
                generated = netG.forward(BlockInterface).clone()
                generatedtest = netG.forward(BlockInterfacetest).clone()
                disp.image(source, {'win': 1, 'title': 'source'})
                disp.image(target, {'win': 2, 'title': 'target'})
                disp.image(generated, {'win': 3, 'title': 'generated'})

            if counter == math.floor(num_target_images / opt['batchSize']) or counter % opt['save_iterval_image'] == 0:
                img_source = image.toDisplayTensor(input=source, nrow=math.ceil(math.sqrt(source.size(0))))
                img_sourcetest = image.toDisplayTensor(input=sourcetest, nrow=math.ceil(math.sqrt(sourcetest.size(0))))
                img_target = image.toDisplayTensor(input=target, nrow=math.ceil(math.sqrt(target.size(0))))
                img_targettest = image.toDisplayTensor(input=targettest, nrow=math.ceil(math.sqrt(targettest.size(0))))
                img_generated = image.toDisplayTensor(input=generated, nrow=math.ceil(math.sqrt(generated.size(0))))
                img_generatedtest = image.toDisplayTensor(input=generatedtest,
                                                          nrow=math.ceil(math.sqrt(generatedtest.size(0))))

                img_out = lg.Tensor(img_generated.size()[0], img_generated.size()[1] + img_generated.size()[1] + 16,
                                    img_generated.size()[2] + img_generated.size()[2] + img_generated.size()[2]
                                    + 32).fill(0).cuda()

                C, Hg, Wg = img_generated.size()[0], img_generated.size()[1], img_generated.size(2)
                Ho, Wo = img_out.size()[1], img_out.size()[2]
                img_out[0:C, 0:Hg, 0:Wg] = img_source
                img_out[0:C, 0:Hg, Wo - Wg - 16 - Wg:Wo - Wg - 16] = img_generated
                img_out[0:C, 0:Hg, Wo - Wg:Wo] = img_target

                img_out[0:C, Ho - Hg:Ho, 0:Wg] = img_sourcetest
                img_out[0:C, Ho - Hg:Ho, Wo - Wg - 16 - Wg:Wo - Wg - 16] = img_generatedtest
                img_out[0:C, Ho - Hg:Ho, Wo - Wg:Wo] = img_targettest

                image.save(opt['dataset_name'] + opt['experiment_name'] + 'epoch_' + '%d' % epoch + '_' + '%d' % counter
                           + '.png', img_out)

            # logging
            print(('Epoch: [%d][%8d / %8d]\t Time: %.3f '
                   + 'errG: %.4f') % (
                epoch, ((i_iter - 1) / opt['batchSize']),
                math.floor(num_target_images / opt['batchSize']),
                tm.time()['real'], errG if errG else -1))

        parametersG = None
        gradparametersG = None
        util.save(opt['dataset_name'] + opt['experiment_name'] + 'epoch_' + '%d' % epoch + '_netG.t7', netG, opt['gpu'])
        parametersG, gradparametersG = netG.getParameters()

        for i_netS in range(opt['netS_num']):
            print(opt['dataset_name'] + opt['experiment_name'] + 'epoch_' + '%d' % epoch + '_netS_'
                  + '%d' % (i_netS + 1) + '.t7')
            parametersS[i_netS] = None
            gradParametersS[i_netS] = None
            util.save(opt['dataset_name'] + opt['experiment_name'] + 'epoch_' + '%d' % epoch + '_netS_'
                      + '%d' % (i_netS + 1)
                      + '.t7', netS[i_netS], opt['gpu'])
            parametersS[i_netS], gradParametersS[i_netS] = netS[i_netS].getParameters()

        record_err = lg.cat(record_err, lg.Tensor(1).fill(criterion_Pixel.forward(generatedtest, targettest)), 0)
        print(record_err)
        disp.plot(lg.cat(lg.linspace(0, record_err.nElement(), record_err.nElement()), record_err, 1),
                  {'win': 7, 'title': 'energy'})

    netVGG = None
    for i_netS in range(opt['netS_num']):
        netS[i_netS] = None
    for i_netS in range(opt['netS_num']):
        netSVGG[i_netS] = None
    netEnco = None
    netG = None

    return flag_state


state = run_MGAN
