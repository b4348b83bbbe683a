"""demo_mhp_keypoints_gen.lua: the keypoints come from the released keypoint generator (``net_kp``, the G of
main_gen_keypoints.lua, given no keypoints) instead of a file: for ``nsample`` files (the loop keeps the first file
drawn without keypoints and every file after it: the global ``found`` it sets stays true), each file's last caption
conditions ``batchSize`` keypoint sets, and net_gen draws a person for each; the first three, with their generated
keypoints drawn, go to ``results/mhp_kpgen/mhp_<demo>_<n>.png``, listed in ``results/<dataset>_<demo>.html``.

``main(changes)``: as demo_mhp_keypoints_given.py's."""
import os

import legonn as lg
from legonn import image, lfs, paths, threads
from legonn.pl import dir

from . import util
from .data import donkey_folder_mhp_keypoint_and_image as donkey

found = None            # a global the Lua reads before it sets it (nil)


def main(changes):
    global opt, ivocab, net_gen, net_txt, net_kp, cur_files, found, noise, fea_loc
    paths.require('cunn')
    paths.require('cudnn')
    paths.require('cutorch')
    lg.setdefaulttensortype('torch.FloatTensor')

    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-,;.!?:'\"/\\|_@#$%^&*~`+-=<>()[]{} "
    dict = {}
    for i in range(len(alphabet)):
        dict[alphabet[i]] = i
    ivocab = {}
    for k, v in dict.items():
        ivocab[v] = k

    opt = {
        'trainfiles': 'mhp_trainfiles_a5.t7',
        'dataset': 'mhp',
        'doc_length': 201,
        'batchSize': 16,         # number of samples to produce
        'noisetype': 'normal',  # type of noise distribution (uniform / normal).
        'imsize': 1,            # used to produce larger images. 1 = 64px. 2 = 80px, 3 = 96px, ...
        'noisemode': 'random',  # random / line / linefull1d / linefull
        'gpu': 1,               # gpu mode. 0 = CPU, 1 = GPU
        'display': 0,           # Display image: 0 = false, 1 = true
        'nz': 100,
        'net_kp': '',
        'net_gen': '',
        'net_txt': '',
        'loadSize': 140,
        'fineSize': 128,
        'txtSize': 1024,
        'data_root': '/mnt/brain3/datasets/txt2img/mhp/t7files_loc_txt_ex',
        'img_dir': '/mnt/brain3/datasets/txt2img/mhp/images',
        'demo': 'keypoints_gen',
        'num_elt': 17,
        'nsample': 50,
        'keypoint_dim': 16,
    }

    opt.update(changes)
    print(opt)
    if opt['display'] == 0:
        opt['display'] = False

    threads.local.opt = opt
    donkey.run()                    # dofile('data/donkey_folder_mhp_keypoint_and_image.lua')

    assert opt['net_gen'] != ''
    assert opt['net_txt'] != ''
    assert opt['net_kp'] != ''

    net_gen = lg.load(opt['net_gen'])
    net_txt = lg.load(opt['net_txt'])
    net_kp = lg.load(opt['net_kp'])

    net_gen.evaluate()
    net_txt.evaluate()
    net_kp.evaluate()

    if opt['trainfiles'] == '':
        cur_files = dir.getfiles(opt['data_root'])
    else:
        cur_files = lg.load(opt['trainfiles'])
        for k, v in enumerate(cur_files):
            cur_files[k] = opt['data_root'] + '/' + cur_files[k]
    batch_info = []
    key_word = ['ski', 'yoga', 'golf', 'swim']  # noqa: F841
    while len(batch_info) < opt['nsample']:
        ix_file = lg.randperm(len(cur_files))[0]
        info = lg.load(cur_files[ix_file])
        cap = decode(info['char'][:, 0])  # noqa: F841

        if info['has_kp'][0, 0] == 0:
            found = True
        if found is True:
            batch_info.append(info)

    html = ('<html><body><h1>Generated Images</h1><table border="1" style="width=100%"><tr><td>Caption</td>'
            '<td>Image</td></tr>')

    for n in range(1, opt['nsample'] + 1):
        info = batch_info[n - 1]
        img_file = opt['img_dir'] + '/' + info['img']
        img = image.load(img_file)
        img = image.scale(img, 256, 256)

        # prepare text
        txt_ix = info['txt'].size(0)
        query = decode(info['char'][:, txt_ix - 1])
        fea_txt = info['txt'][txt_ix - 1].clone()
        print('sample %d of %d: [%s]' % (n, opt['nsample'], query))

        fea_txt = lg.repeatTensor(fea_txt, opt['batchSize'], 1).cuda()

        # prepare noise
        noise = lg.Tensor(opt['batchSize'], opt['nz'])
        if opt['noisetype'] == 'uniform':
            noise.uniform(-1, 1)
        elif opt['noisetype'] == 'normal':
            noise.normal(0, 1)
        noise = noise.cuda()

        # prepare keypoints
        fea_loc_inp = lg.zeros(opt['batchSize'], opt['num_elt'], 3)
        fea_loc_inp = fea_loc_inp.cuda()
        fea_loc = net_kp.forward([noise, fea_txt, fea_loc_inp]).clone()

        data_loc = lg.zeros(opt['batchSize'], opt['num_elt'],
                            opt['keypoint_dim'], opt['keypoint_dim'])
        for b in range(opt['batchSize']):
            for s in range(opt['num_elt']):
                point = fea_loc[b, s, :]
                if point[2] > 0.5:
                    x = min(opt['keypoint_dim'],
                            max(1, lg.round(point[0] * opt['keypoint_dim'])))
                    y = min(opt['keypoint_dim'],
                            max(1, lg.round(point[1] * opt['keypoint_dim'])))
                    data_loc[b, s, y - 1, x - 1] = 1
        data_loc = data_loc.cuda()

        images = net_gen.forward([[noise, fea_txt], data_loc]).clone()
        images.add(1).mul(0.5)

        locs_tmp = fea_loc.clone()
        locs_tmp.narrow(2, 0, 2).mul(opt['fineSize'])

        images = lg.repeatTensor(images, 2, 1, 1, 1)
        for b in range(opt['batchSize']):
            images[b] = util.draw_keypoints(images[b], locs_tmp[b])

        images = images.narrow(0, 0, 3)

        lfs.mkdir('results')
        visdir = 'results/mhp_kpgen'
        lfs.mkdir(visdir)
        fname = '%s/mhp_%s_%d' % (visdir, opt['demo'], n)
        fname_png = fname + '.png'
        image.save(fname_png, image.toDisplayTensor(images, 4, 3))

        fname = 'mhp_kpgen/mhp_%s_%d' % (opt['demo'], n)
        fname_rel = fname + '.png'
        html = html + '\n<tr><td>%s</td><td><img src=\"%s\"></td></tr>' % (query, fname_rel)

    html = html + '</html>'
    fname_html = 'results/%s_%s.html' % (opt['dataset'], opt['demo'])
    os.system('echo "%s" > %s' % (html, fname_html))


def decode(txt):
    str = ''
    for w_ix in range(txt.size(0)):
        ch_ix = txt[w_ix]
        ch = ivocab.get(ch_ix - 1)        # the files' codes count from 1, 0 past the end
        if ch is not None:
            str = str + ch
    return str
