"""txt2img_demo.lua: generates images from text queries. Each query line is one-hot encoded over the alphabet (its
first doc_length characters), embedded by the text encoder (``net_txt``: a cvpr2016 checkpoint's ``protos.enc_doc``,
or the encoder itself), and fed with ``batchSize`` noise vectors to the generator; the images go to
``results/<dataset>/img_<i>.png`` as a grid, the query to ``img_<i>.txt``, and a table of both to
``<dataset>.html``. The Lua requires cunn, cutorch and cudnn (its `:cuda()` calls stay). ``main(changes)``: the
options' overrides, which the Lua reads from the environment; returns the generated batches."""
import os

import legonn as lg
from legonn import image, lfs, nn, paths


def main(changes):
    global opt, noise, net_gen, net_txt
    paths.require('cunn')
    paths.require('cutorch')
    paths.require('cudnn')
    lg.setdefaulttensortype('torch.FloatTensor')

    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-,;.!?:'\"/\\|_@#$%^&*~`+-=<>()[]{} "
    dict = {}
    for i in range(len(alphabet)):
        dict[alphabet[i]] = i
    ivocab = {}
    for k, v in dict.items():
        ivocab[v] = k

    opt = {
        'filenames': '',
        'dataset': 'cub',
        'batchSize': 16,        # number of samples to produce
        'noisetype': 'normal',  # type of noise distribution (uniform / normal).
        'imsize': 1,            # used to produce larger images. 1 = 64px. 2 = 80px, 3 = 96px, ...
        'noisemode': 'random',  # random / line / linefull1d / linefull
        'gpu': 1,               # gpu mode. 0 = CPU, 1 = GPU
        'display': 0,           # Display image: 0 = false, 1 = true
        'nz': 100,
        'doc_length': 201,
        'queries': 'cub_queries.txt',
        'checkpoint_dir': '',
        'net_gen': '',
        'net_txt': '',
    }

    opt.update(changes)             # the Lua's os.getenv overrides
    print(opt)
    if opt['display'] == 0:
        opt['display'] = False

    noise = lg.Tensor(opt['batchSize'], opt['nz'], opt['imsize'], opt['imsize'])
    net_gen = lg.load(opt['checkpoint_dir'] + '/' + opt['net_gen'])
    net_txt = lg.load(opt['net_txt'])
    if not isinstance(net_txt, nn.Module) and net_txt.get('protos') is not None:
        net_txt = net_txt['protos']['enc_doc']

    net_gen.evaluate()
    net_txt.evaluate()

    # Extract all text features.
    fea_txt = []
    # Decode text for sanity check.
    raw_txt = []
    raw_img = []  # noqa: F841 (the Lua's unused local)
    with open(opt['queries']) as lines:
        for query_str in lines:
            query_str = query_str.rstrip('\n')
            txt = lg.zeros(1, opt['doc_length'], len(alphabet))
            for t in range(opt['doc_length']):
                ch = query_str[t:t + 1]             # query_str:sub(t,t): '' past the end
                ix = dict.get(ch)
                if ix is not None:                  # `ix ~= 0 and ix ~= nil`: the 1-based codes are never 0
                    txt[0, t, ix] = 1
            raw_txt.append(query_str)
            txt = txt.cuda()
            fea_txt.append(net_txt.forward(txt).clone())

    if opt['gpu'] > 0:
        paths.require('cunn')
        paths.require('cudnn')
        net_gen.cuda()
        net_txt.cuda()
        noise = noise.cuda()

    html = '<html><body><h1>Generated Images</h1><table border="1px solid gray" style="width=100%"><tr><td><b>Caption</b></td><td><b>Image</b></td></tr>'

    generated = []
    for i in range(len(fea_txt)):
        print('generating %d of %d' % (i + 1, len(fea_txt)))
        cur_fea_txt = lg.repeatTensor(fea_txt[i], opt['batchSize'], 1)
        cur_raw_txt = raw_txt[i]
        if opt['noisetype'] == 'uniform':
            noise.uniform(-1, 1)
        elif opt['noisetype'] == 'normal':
            noise.normal(0, 1)
        images = net_gen.forward([noise, cur_fea_txt.cuda()])
        visdir = 'results/%s' % opt['dataset']
        lfs.mkdir('results')
        lfs.mkdir(visdir)
        fname = '%s/img_%d' % (visdir, i + 1)      # the files keep the Lua's 1-based numbers
        fname_png = fname + '.png'
        fname_txt = fname + '.txt'
        images.add(1).mul(0.5)
        # image.save(fname_png, image.toDisplayTensor(images, 4, lg.floor(opt['batchSize'] / 4)))
        image.save(fname_png, image.toDisplayTensor(images, 4, opt['batchSize'] / 2))
        html = html + ('\n<tr><td>%s</td><td><img src="%s"></td></tr>' % (
                       cur_raw_txt, fname_png))
        os.system('echo "%s" > %s' % (cur_raw_txt, fname_txt))
        generated.append(images.float())

    html = html + '</html>'
    fname_html = '%s.html' % opt['dataset']
    os.system('echo "%s" > %s' % (html, fname_html))
    return generated
