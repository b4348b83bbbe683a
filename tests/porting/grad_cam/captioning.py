"""captioning.lua of ramprs/grad-cam, ported line by line as ``main(arg)`` (the script's body; it returns what the
tests check). Its neuraltalk2 submodule is tests/porting/neuraltalk2.py. Edits beyond the syntax are listed in
tests/porting/grad_cam's docstring."""
import legonn as lg
from legonn import image, lfs, nn

from .misc import utils


def main(arg=None):
    cmd = lg.CmdLine()
    cmd.text('Options')

    # Model parameters
    cmd.option('-input_sz', 224, 'Input image dimensions (use 224 for VGG Net)')
    cmd.option('-backend', 'cudnn')

    # Grad-CAM parameters
    cmd.option('-layer', 29, 'Layer to use for Grad-CAM (use 29 for relu5_3 for VGG-16 )')
    cmd.option('-input_image_path', 'images/cat_dog.jpg', 'Input image path')
    cmd.option('-caption', 'a dog and a cat posing for a picture', 'Optional input caption. No input will use the generated caption as default')
    cmd.option('-save_as_heatmap', 1, 'Whether to save heatmap or raw Grad-CAM. 1 = save heatmap, 0 = save raw Grad-CAM.')

    # Captioning model parameters
    cmd.option('-model_path', 'neuraltalk2/model_id1-501-1448236541.t7', 'Path to captioning model checkpoint')

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

    # neuraltalk2-specific dependencies
    # https://github.com/karpathy/neuraltalk2
    from tests.porting import neuraltalk2 as lm_misc_utils   # misc/utils.lua's functions are there  # noqa: F401
    from tests.porting.neuraltalk2 import LanguageModel   # registers neuraltalk2.LanguageModel  # noqa: F401
    from tests.porting.neuraltalk2 import net_utils

    # Load the models
    cnn_lm_model = lg.load(opt['model_path'])
    cnn = cnn_lm_model['protos']['cnn']
    lm = cnn_lm_model['protos']['lm']
    vocab = cnn_lm_model['vocab']

    net_utils.unsanitize_gradients(cnn)
    lm_modules = lm.getModulesList()
    for k, v in enumerate(lm_modules):
        net_utils.unsanitize_gradients(v)

    # Set to evaluate mode
    lm.evaluate()
    cnn.evaluate()

    img = utils.preprocess(opt['input_image_path'], opt['input_sz'], opt['input_sz'])[0].float()

    # Clone & replace ReLUs for Guided Backprop
    cnn_gb = cnn.clone()
    cnn_gb.replace(utils.guidedbackprop)

    # Ship model to GPU
    if opt['gpuid'] >= 0:
        cnn.cuda()
        cnn_gb.cuda()
        img = img.cuda()
        lm.cuda()

    # Forward pass
    im_feats = cnn.forward(img)
    im_feat = im_feats.view(1, -1)
    im_feat_gb = cnn_gb.forward(img)

    # get the prediction from model
    seq, seqlogps = lm.sample(im_feat, sample_opts)
    seq[:, 0] = seq

    caption = net_utils.decode_sequence(vocab, seq)

    if opt['caption'] == '':
        print("No caption provided, using generated caption for Grad-CAM.")
        opt['caption'] = caption[0]

    print("Generated caption: ", caption[0])
    print("Grad-CAM caption: ", opt['caption'])

    seq_length = opt.get('seq_length') or 16

    labels = utils.sent_to_label(vocab, opt['caption'], seq_length)
    if opt['gpuid'] >= 0:
        labels = labels.cuda()

    logprobs = lm.forward([im_feat, labels])

    doutput = utils.create_grad_input_lm(logprobs, labels)
    if opt['gpuid'] >= 0:
        doutput = doutput.cuda()

    # lm backward
    dlm, ddummy = lm.backward([im_feat, labels], doutput)
    dcnn = dlm[0]

    # Grad-CAM
    gcam = utils.grad_cam(cnn, opt['layer'], dcnn)
    gcam = image.scale(gcam.float(), opt['input_sz'], opt['input_sz'])
    hm = utils.to_heatmap(gcam)
    if opt['save_as_heatmap'] == 1:
        image.save(opt['out_path'] + 'caption_gcam_hm_' + opt['caption'] + '.png', image.toDisplayTensor(hm))
    else:
        image.save(opt['out_path'] + 'caption_gcam_' + opt['caption'] + '.png', image.toDisplayTensor(gcam))

    # Guided Backprop
    gb_viz = cnn_gb.backward(img, dcnn)
    # BGR to RGB
    gb_viz = gb_viz.index(0, lg.LongTensor([2, 1, 0]))
    image.save(opt['out_path'] + 'caption_gb_' + opt['caption'] + '.png', image.toDisplayTensor(gb_viz))

    # Guided Grad-CAM
    gb_gcam = gb_viz.float().cmul(gcam.expandAs(gb_viz))
    image.save(opt['out_path'] + 'caption_gb_gcam_' + opt['caption'] + '.png', image.toDisplayTensor(gb_gcam))

    return dict(opt=opt, cnn=cnn, cnn_gb=cnn_gb, lm=lm, img=img, im_feat=im_feat, im_feat_gb=im_feat_gb, seq=seq,
                caption=caption, labels=labels, logprobs=logprobs, doutput=doutput, dcnn=dcnn, gcam=gcam, hm=hm,
                gb_viz=gb_viz, gb_gcam=gb_gcam)


sample_opts = None   # the Lua's global, never set: nil
