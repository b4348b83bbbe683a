"""demo_mhp_keypoints_given.lua: samples images of people from the released MHP keypoint GAWWN (``net_gen``) for
``nsample`` training files with one single person: each file's last caption (held out in training) and its
person's keypoints (through the keypoint donkey's ``trainHook``) condition ``batchSize`` samples; the first three,
with the keypoints drawn, are saved as ``results/mhp_kp_given/mhp_<demo>_<n>.png`` and listed with their caption in
``results/<dataset>_<demo>.html`` (written by the shell's ``echo``, as the Lua does).

``main(changes)``: the Lua reads its options' overrides from the environment; here ``changes`` gives them. It runs in
the current directory (``results/``), on a GPU (it requires cunn and cudnn at its top and moves everything there).
The donkey file's globals are set by running it in this thread (``threads.local``, its ``opt`` this script's)."""
import os

import legonn as lg
from legonn import image, lfs, paths, threads
from legonn.pl import dir

from . import util
from .data import donkey_folder_mhp_keypoint_and_image as donkey


def main(changes):
    global opt, ivocab, net_gen, net_txt, cur_files, noise
    paths.require('cunn')
    paths.require('cudnn')
    paths.require('cutorch')

    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-,;.!?:'\"/\\|_@#$%^&*~`+-=<>()[]{} "
    dict = {}
    for i in range(len(alphabet)):
        dict[alphabet[i]] = i
    ivocab = {}
    for k, v in dict.items():
        ivocab[v] = k

    opt = {
        'dataset': 'mhp',
        'doc_length': 201,
        'prefix': 'move',
        'batchSize': 16,         # number of samples to produce
        'noisetype': 'normal',  # type of noise distribution (uniform / normal).
        'imsize': 1,            # used to produce larger images. 1 = 64px. 2 = 80px, 3 = 96px, ...
        'noisemode': 'random',  # random / line / linefull1d / linefull
        'gpu': 1,               # gpu mode. 0 = CPU, 1 = GPU
        'display': 0,           # Display image: 0 = false, 1 = true
        'nz': 100,
        'net_gen': '',
        'net_txt': '',
        'trainfiles': 'mhp_trainfiles_a5.t7',
        'loadSize': 140,
        'fineSize': 128,
        'txtSize': 1024,
        'data_root': '/mnt/brain3/datasets/txt2img/mhp/t7files_loc_txt_head_ex',
        'img_dir': '/mnt/brain3/datasets/txt2img/mhp/images',
        'demo': 'keypoints_given',
        'num_elt': 17,
        'nsample': 50,
        'keypoint_dim': 16,
    }

    #  demo = 'trans' -- trans|stretch|shrink
    opt.update(changes)
    print(opt)
    if opt['display'] == 0:
        opt['display'] = False

    threads.local.opt = opt
    donkey.run()                    # dofile('data/donkey_folder_mhp_keypoint_and_image.lua')

    assert opt['net_gen'] != ''
    assert opt['net_txt'] != ''
    assert opt.get('net_kp') != ''

    net_gen = lg.load(opt['net_gen'])
    net_txt = lg.load(opt['net_txt'])

    net_gen.evaluate()
    net_txt.evaluate()

    html = ('<html><body><h1>Generated Images</h1><table border="1" style="width=100%"><tr><td>Caption</td>'
            '<td>Image</td></tr>')

    if opt['trainfiles'] == '':
        cur_files = dir.getfiles(opt['data_root'])
    else:
        cur_files = lg.load(opt['trainfiles'])
        for k, v in enumerate(cur_files):
            cur_files[k] = opt['data_root'] + '/' + cur_files[k]
    batch_info = []
    while len(batch_info) < opt['nsample']:
        ix_file = lg.randperm(len(cur_files))[0]
        info = lg.load(cur_files[ix_file])
        if ((info['has_kp'][0, 0] == 1) and
                (info['points'][2, :, :].sum() > 0) and
                (len(info['single_person'].size()) == 2) and
                (info['single_person'].size(1) == 1)):
            batch_info.append(info)

    for n in range(1, opt['nsample'] + 1):
        info = batch_info[n - 1]
        img_file = opt['img_dir'] + '/' + info['img']

        # randomly select a single person
        person_ix = lg.randperm(info['single_person'].size(1))[0]
        person_ix = info['single_person'][0, person_ix]

        # normalize image and keypoint locations.
        img, locs, img_dbg = donkey.trainHook(img_file,
                                              info['points'][:, :, person_ix - 1],
                                              info['pos'][:, person_ix - 1],
                                              info['scale'][:, person_ix - 1],
                                              info['head'][:, person_ix - 1])
        img.add(1)
        img.mul(0.5)

        # prepare text
        txt_ix = info['txt'].size(0)
        query = decode(info['char'][:, txt_ix - 1])
        fea_txt = info['txt'][txt_ix - 1].clone()
        fea_txt = lg.repeatTensor(fea_txt, opt['batchSize'], 1).cuda()
        print('sample %d of %d: [%s]' % (n, opt['nsample'], query))

        # prepare noise
        noise = lg.Tensor(opt['batchSize'], opt['nz'])
        if opt['noisetype'] == 'uniform':
            noise.uniform(-1, 1)
        elif opt['noisetype'] == 'normal':
            noise.normal(0, 1)
        noise = noise.cuda()

        # prepare keypoints
        fea_loc = lg.zeros(1, opt['num_elt'], opt['keypoint_dim'], opt['keypoint_dim'])
        for s in range(opt['num_elt']):
            point = locs[s]
            if point[2] > 0.1:
                x = min(opt['keypoint_dim'],
                        max(1, lg.round(point[0] * opt['keypoint_dim'])))
                y = min(opt['keypoint_dim'],
                        max(1, lg.round(point[1] * opt['keypoint_dim'])))
                fea_loc[0, s, y - 1, x - 1] = 1
        fea_loc = lg.repeatTensor(fea_loc, opt['batchSize'], 1, 1, 1)
        fea_loc = fea_loc.cuda()

        images = net_gen.forward([[noise, fea_txt], fea_loc]).clone()
        images.add(1).mul(0.5)
        locs_tmp = locs.clone()
        locs_tmp.narrow(1, 0, 2).mul(opt['fineSize'])
        images = lg.repeatTensor(images, 2, 1, 1, 1)
        for b in range(opt['batchSize']):
            images[b] = util.draw_keypoints(images[b], locs_tmp, 0.06, 1)

        images = images.narrow(0, 0, 3)

        lfs.mkdir('results')
        visdir = 'results/mhp_kp_given'
        lfs.mkdir(visdir)
        fname = '%s/mhp_%s_%d' % (visdir, opt['demo'], n)
        fname_png = fname + '.png'
        image.save(fname_png, image.toDisplayTensor(images, 4, 3))

        fname = 'mhp_kp_given/mhp_%s_%d' % (opt['demo'], n)
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
