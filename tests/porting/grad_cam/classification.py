"""classification.lua of ramprs/grad-cam, ported line by line as ``main(arg)`` (the script's body; it returns what
the tests check). Edits beyond the syntax are listed in tests/porting/grad_cam's docstring."""
import legonn as lg
from legonn import image, lfs, loadcaffe, nn

from .misc import utils


def main(arg=None):
    cmd = lg.CmdLine()
    cmd.text('Options')

    # Model parameters
    cmd.option('-proto_file', 'models/VGG_ILSVRC_16_layers_deploy.prototxt')
    cmd.option('-model_file', 'models/VGG_ILSVRC_16_layers.caffemodel')
    cmd.option('-input_sz', 224, 'Input image dimensions (use 227 for AlexNet)')
    cmd.option('-backend', 'nn')

    # Grad-CAM parameters
    cmd.option('-layer_name', 'relu5_3', 'Layer to use for Grad-CAM (use relu5_4 for VGG-19 and relu5 for AlexNet)')
    cmd.option('-input_image_path', 'images/cat_dog.jpg', 'Input image path')
    cmd.option('-output_image_name', '', 'Output image name')
    cmd.option('-label', -1, 'Class label to generate grad-CAM for (-1 = use predicted class, 282 = Tiger cat, 242 = Boxer)')
    cmd.option('-save_as_heatmap', 1, 'Whether to save heatmap or raw Grad-CAM. 1 = save heatmap, 0 = save raw Grad-CAM.')

    # Miscellaneous
    cmd.option('-seed', 123, 'Torch manual random number generator seed')
    cmd.option('-gpuid', -1, '0-indexed id of GPU to use. -1 = CPU')
    cmd.option('-out_path', 'output/', 'Output path')

    # Parse command-line parameters
    opt = cmd.parse(arg or [])
    print(opt)

    lg.manualSeed(opt['seed'])
    lg.setdefaulttensortype('torch.FloatTensor')
    lfs.mkdir(opt['out_path'])

    if opt['gpuid'] >= 0:
        from legonn import cutorch
        cutorch.setDevice(opt['gpuid'])   # cutorch's devices are 1-based, legonn's 0-based
        cutorch.manualSeed(opt['seed'])

    # Load CNN
    cnn = loadcaffe.load(opt['proto_file'], opt['model_file'], opt['backend'])

    # Set to evaluate and remove softmax layer
    cnn.evaluate()
    cnn.remove()

    # Clone & replace ReLUs for Guided Backprop
    cnn_gb = cnn.clone()
    cnn_gb.replace(utils.guidedbackprop)

    # Load image
    img = utils.preprocess(opt['input_image_path'], opt['input_sz'], opt['input_sz'])[0]

    # Transfer to GPU
    if opt['gpuid'] >= 0:
        cnn.cuda()
        cnn_gb.cuda()
        img = img.cuda()
    else:
        img = img.float()

    # Forward pass
    output = cnn.forward(img)
    output_gb = cnn_gb.forward(img)

    # Take argmax
    score, pred_label = lg.max(output, 0)

    if opt['label'] == -1:
        print("No label provided, using predicted label ", pred_label)
        opt['label'] = pred_label[0]

    # Set gradInput
    doutput = utils.create_grad_input(cnn.modules[len(cnn.modules) - 1], opt['label'])

    # Grad-CAM
    gcam = utils.grad_cam(cnn, opt['layer_name'], doutput)
    gcam = image.scale(gcam.float(), opt['input_sz'], opt['input_sz'])
    hm = utils.to_heatmap(gcam)

    if opt['output_image_name'] == "":
        opt['output_image_name'] = opt['label']

    if opt['save_as_heatmap'] == 1:
        image.save(opt['out_path'] + 'classify_gcam_hm_' + lg.tostring(opt['output_image_name']) + '.png', image.toDisplayTensor(hm))
    else:
        image.save(opt['out_path'] + 'classify_gcam_' + lg.tostring(opt['output_image_name']) + '.png', image.toDisplayTensor(gcam))

    # Guided Backprop
    gb_viz = cnn_gb.backward(img, doutput)
    # BGR to RGB
    gb_viz = gb_viz.index(0, lg.LongTensor([2, 1, 0]))
    image.save(opt['out_path'] + 'classify_gb_' + lg.tostring(opt['output_image_name']) + '.png', image.toDisplayTensor(gb_viz))

    # Guided Grad-CAM
    gb_gcam = gb_viz.float().cmul(gcam.expandAs(gb_viz))
    image.save(opt['out_path'] + 'classify_gb_gcam_' + lg.tostring(opt['output_image_name']) + '.png', image.toDisplayTensor(gb_gcam))

    return dict(opt=opt, cnn=cnn, cnn_gb=cnn_gb, img=img, output=output, output_gb=output_gb, doutput=doutput,
                gcam=gcam, hm=hm, gb_viz=gb_viz, gb_gcam=gb_gcam)
