"""classify_sje_tcnn.lua: zero-shot classification with a trained checkpoint. Each test class's caption embeddings
(char: ``enc_doc`` of the one-hot captions; word: of the word codes) are averaged, and each image's feature goes to the
class whose averaged caption scores highest under ``torch.dot``. The Lua requires cutorch and cunn and runs on the GPU
(its `:cuda()` calls stay). ``main(arg)`` runs it with the command-line words ``arg`` and returns the accuracy."""
import math

import legonn as lg
from legonn import cutorch

# Encode query document using alphabet.
alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-,;.!?:'\"/\\|_@#$%^&*~`+-=<>()[]{} "
dict = {}
for i in range(len(alphabet)):
    dict[alphabet[i]] = i


def main(arg):
    global opt, model, protos, vocab_size
    cutorch.setDevice(0)

    # -----------------------------------------------
    cmd = lg.CmdLine()
    cmd.option('-data_dir', 'data', 'data directory.')
    cmd.option('-image_dir', 'images', 'image subdirectory.')
    cmd.option('-txt_dir', '', 'text subdirectory.')
    cmd.option('-savefile', 'sje_tcnn', 'filename to autosave the checkpont to. Will be inside checkpoint_dir/')
    cmd.option('-checkpoint_dir', 'cv', 'output directory where checkpoints get written')
    cmd.option('-symmetric', 1, 'symmetric sje')
    cmd.option('-learning_rate', 0.0001, 'learning rate')
    cmd.option('-testclasses', 'testclasses.txt', 'validation or test classes to be used in evaluation')
    cmd.option('-ids_file', 'trainvalids.txt', 'file specifying which class labels were used for training.')
    cmd.option('-model', '', 'model to load. If blank then above options will be used.')
    cmd.option('-txt_limit', 0, 'if 0 then use all available text. Otherwise limit the number of documents per class')
    cmd.option('-num_caption', 10, 'number of captions per image to be used for training')
    cmd.option('-ttype', 'char', 'word|char')
    cmd.option('-gpuid', 0, 'gpu to use')

    opt = cmd.parse(arg)
    if opt['model'] != '':
        model = lg.load(opt['model'])
    else:
        model = lg.load('%s/lm_%s_%.5f_%.0f_%.0f_%s.t7' % (opt['checkpoint_dir'], opt['savefile'], opt['learning_rate'], opt['symmetric'], opt['num_caption'], opt['ids_file']))
    # ---------------------------------------------------------

    if opt['gpuid'] >= 0:
        cutorch.setDevice(opt['gpuid'])

    doc_length = model['opt']['doc_length']  # noqa: F841 (the Lua's unused local)
    protos = model['protos']
    protos['enc_doc'].evaluate()
    protos['enc_image'].evaluate()

    txt_dir = None
    if opt['txt_dir'] == '':
        if opt['ttype'] == 'char':
            txt_dir = '%s/text_c%d' % (opt['data_dir'], opt['num_caption'])
        else:  # word
            txt_dir = '%s/word_c%d' % (opt['data_dir'], opt['num_caption'])
    else:
        txt_dir = '%s/%s' % (opt['data_dir'], opt['txt_dir'])
    if opt['ttype'] == 'word':
        vocab_size = 0
        for k, v in model['vocab'].items():
            vocab_size = vocab_size + 1
    img_dir = '%s/%s' % (opt['data_dir'], opt['image_dir'])
    testcls = '%s/%s' % (opt['data_dir'], opt['testclasses'])
    test_acc = classify(txt_dir, img_dir, testcls)
    print('Average top-1 val/test accuracy: %6.4f\n' % test_acc)
    return test_acc


def extract_img(filename):
    data = lg.load(filename)
    if data.size().size() == 3:
        fea = data[:, :, 0]
        fea = fea.float().cuda()
        out = protos['enc_image'].forward(fea)
        return out.float()
    else:
        fea = data[:, :, :, :, 0]
        fea = fea.float().cuda()
        out = protos['enc_image'].forward(fea)
        return out.float()


def extract_txt(filename):
    if opt['ttype'] == 'word':
        return extract_txt_word(filename)
    else:  # char
        return extract_txt_char(filename)


def extract_txt_word(filename):
    global txt_order
    # average all text features together.
    # txt = lg.load(filename).permute(0, 2, 1).add(1)
    txt = lg.load(filename).permute(0, 2, 1)
    txt = txt.reshape(txt.size(0) * txt.size(1), txt.size(2)).float().cuda()
    if opt['txt_limit'] > 0:
        actual_limit = min(txt.size(0), opt['txt_limit'])
        txt_order = lg.randperm(txt.size(0)).sub(0, actual_limit - 1)
        tmp = txt.clone()
        for i in range(actual_limit):
            txt[i, :].copy(tmp[txt_order[i], :])
        txt = txt.narrow(0, 0, actual_limit)

    if model['opt'].get('num_repl') is not None:
        tmp = txt.clone()
        txt = lg.ones(txt.size(0), model['opt']['num_repl'] * txt.size(1))
        for i in range(txt.size(0)):
            cur_sen = lg.squeeze(tmp[i, :]).clone()
            cur_len = cur_sen.size(0) - cur_sen.eq(1).sum()
            txt_ix = 0
            for j in range(int(cur_len)):
                for k in range(model['opt']['num_repl']):
                    txt[i, txt_ix] = cur_sen[j]
                    txt_ix = txt_ix + 1

    txt_mat = lg.zeros(txt.size(0), txt.size(1), vocab_size + 1)
    for i in range(txt.size(0)):
        for j in range(txt.size(1)):
            on_ix = txt[i, j]
            if on_ix == 0:
                break
            txt_mat[i, j, on_ix - 1] = 1          # the data's codes are 1-based, 0 past the end
    txt_mat = txt_mat.float().cuda()
    out = protos['enc_doc'].forward(txt_mat)
    out = lg.mean(out, 0).float()
    return out


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
    out = protos['enc_doc'].forward(txt_mat)
    return lg.mean(out, 0).float()


def classify(txt_dir, img_dir, cls_list):
    acc = 0.0
    total = 0.0
    fea_img = []
    fea_txt = []
    with open(cls_list) as lines:
        for fname in lines:
            fname = fname.rstrip('\n')
            imgpath = img_dir + '/' + fname + '.t7'
            txtpath = txt_dir + '/' + fname + '.t7'
            fea_img.append(extract_img(imgpath))
            fea_txt.append(extract_txt(txtpath))
    for i in range(len(fea_img)):
        # loop over individual images.
        for k in range(fea_img[i].size(0)):
            best_match = 0
            best_score = -math.inf
            for j in range(len(fea_txt)):
                cur_score = lg.dot(fea_img[i][k, :], fea_txt[j])
                if cur_score > best_score:
                    best_match = j
                    best_score = cur_score
            if best_match == i:
                acc = acc + 1
            total = total + 1
    return acc / total
