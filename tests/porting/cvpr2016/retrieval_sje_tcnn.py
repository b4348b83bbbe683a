"""retrieval_sje_tcnn.lua: retrieves images from captions with a trained checkpoint; prints mAP@50 and writes the
fractions of matching images among the top 1, 5, 10, 50. As classify_sje_tcnn.lua it requires cutorch (its `:cuda()`
calls stay). Its char branch is ported; the word branch is classify_sje_tcnn's (the Lua's two copies agree but for a
``:clone()``), and not repeated. ``main(arg)`` returns the results table."""
import sys

import legonn as lg
from legonn import cutorch  # noqa: F401 (require('cutorch'))

from .util.util_retrieval import retrieval_at_k

alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-,;.!?:'\"/\\|_@#$%^&*~`+-=<>()[]{} "
dict = {}
for i in range(len(alphabet)):
    dict[alphabet[i]] = i


def main(arg):
    global opt, model, protos
    # -----------------------------------------------
    cmd = lg.CmdLine()
    cmd.option('-data_dir', 'data', 'data directory.')
    cmd.option('-savefile', 'sje_tcnn', 'filename to autosave the checkpont to. Will be inside checkpoint_dir/')
    cmd.option('-checkpoint_dir', 'cv', 'output directory where checkpoints get written')
    cmd.option('-symmetric', 1, 'symmetric sje')
    cmd.option('-learning_rate', 0.0001, 'learning rate')
    cmd.option('-testclasses', 'testclasses.txt', 'validation or test classes to be used in evaluation')
    cmd.option('-ids_file', 'trainvalids.txt', 'file specifying which class labels were used for training.')
    cmd.option('-model', '', 'model to load. If blank then above options will be used.')
    cmd.option('-txt_limit', 0, 'if 0 then use all available text. Otherwise limit the number of documents per class')
    cmd.option('-num_caption', 10, 'numner of captions per image to be used for training')
    cmd.option('-outfile', 'results/roc.csv', 'output csv file with ROC curves.')
    cmd.option('-ttype', 'char', 'word|char')

    opt = cmd.parse(arg)
    if opt['model'] != '':
        model = lg.load(opt['model'])
    else:
        model = lg.load('%s/lm_%s_%.5f_%.0f_%.0f_%s.t7' % (opt['checkpoint_dir'], opt['savefile'], opt['learning_rate'], opt['symmetric'], opt['num_caption'], opt['ids_file']))
    # ---------------------------------------------------------

    doc_length = model['opt']['doc_length']  # noqa: F841 (the Lua's unused local)
    protos = model['protos']
    protos['enc_doc'].evaluate()
    protos['enc_image'].evaluate()

    if opt['ttype'] == 'char':
        txt_dir = '%s/text_c%d' % (opt['data_dir'], opt['num_caption'])
    else:  # word
        raise NotImplementedError("the word branch: see classify_sje_tcnn's extract_txt_word")
    img_dir = '%s/images' % opt['data_dir']
    testcls = '%s/%s' % (opt['data_dir'], opt['testclasses'])

    kvals = [1, 5, 10, 50]
    res = retrieval_at_k(txt_dir, img_dir, testcls, kvals, lg.dot, 1,
                         extract_img=extract_img, extract_txt=extract_txt)
    # print('mAP@1: %6.4f\n' % res[1])
    print('mAP@50: %6.4f\n' % res[50])

    sys.stdout.write('%.4f,%.4f,%.4f,%.4f\n' % (
                     res[1],
                     res[5],
                     res[10],
                     res[50]))
    return res


def extract_img(filename):
    fea = lg.load(filename)[:, :, 0]
    fea = fea.float().cuda()
    out = protos['enc_image'].forward(fea).clone()
    return out.cuda()


def extract_txt(filename, *_):        # retrieval_at_k passes its limit too, which Lua drops
    if opt['ttype'] == 'word':
        raise NotImplementedError("the word branch: see classify_sje_tcnn's extract_txt_word")
    else:  # char
        return extract_txt_char(filename)


def extract_txt_char(filename):
    global txt_order
    # average all text features together.
    txt = lg.load(filename).permute(0, 2, 1)
    txt = txt.reshape(txt.size(0) * txt.size(1), txt.size(2)).float().cuda()
    if opt['txt_limit'] > 0:
        actual_limit = min(txt.size(0), opt['txt_limit'])
        txt_order = lg.randperm(txt.size(0)).sub(0, actual_limit - 1)
        tmp = txt.clone()
        for i in range(actual_limit):
            txt[i, :].copy(tmp[txt_order[i], :])
        txt = txt.narrow(0, 0, actual_limit)
    txt_mat = lg.zeros(txt.size(0), txt.size(1), len(alphabet))
    for i in range(txt.size(0)):
        for j in range(txt.size(1)):
            on_ix = txt[i, j]
            if on_ix == 0:
                break
            txt_mat[i, j, on_ix - 1] = 1          # the data's codes are 1-based, 0 past the end
    txt_mat = txt_mat.float().cuda()
    out = protos['enc_doc'].forward(txt_mat).clone()
    return lg.mean(out, 0)
