"""util/util_retrieval.lua: ranks every image of every test class for each class's averaged caption embedding and
reports the fraction of matching images among the top k. Its Lua functions are globals calling the script's globals
``extract_img`` and ``extract_txt``: here retrieval_at_k takes them as arguments (Python's globals are per module)."""
import legonn as lg


def rank_images(fea_txt, fea_id, fea_imgs, scorefunc, attfunc=None):
    attfunc = attfunc or (lambda a, b: 0)
    # find total number of images.
    total_imgs = 0
    for i in range(len(fea_imgs)):
        total_imgs = total_imgs + fea_imgs[i].size(0)

    # compute scores and matches.
    scores = lg.zeros(total_imgs)
    matches = lg.zeros(total_imgs)
    cosine = lg.zeros(total_imgs)
    img_ix = 0
    for i in range(len(fea_imgs)):
        for j in range(fea_imgs[i].size(0)):
            score = scorefunc(fea_imgs[i][j, :], fea_txt)
            scores[img_ix] = score
            if i == fea_id:
                matches[img_ix] = 1
            else:
                matches[img_ix] = 0
            cosine[img_ix] = attfunc(i, fea_id)
            img_ix = img_ix + 1

    scores, ix = lg.sort(scores, 0, True)
    tmp = matches.clone()
    tmp2 = cosine.clone()
    for i in range(matches.size(0)):
        matches[i] = tmp[ix[i]]
        cosine[i] = tmp2[ix[i]]

    return [scores, matches, cosine]


def retrieval_at_k(txt_dir, img_dir, cls_list, kvals, scorefunc, limit=None, *, extract_img, extract_txt):
    fea_img = []
    fea_txt = []

    # total_txt = 0
    total_img = 0
    with open(cls_list) as lines:
        for fname in lines:
            fname = fname.rstrip('\n')
            imgpath = img_dir + '/' + fname + '.t7'
            txtpath = txt_dir + '/' + fname + '.t7'

            tmp_img = extract_img(imgpath)
            fea_img.append(tmp_img)

            if limit is not None:
                tmp_txt = extract_txt(txtpath, limit)
            else:
                tmp_txt = extract_txt(txtpath)
            fea_txt.append(tmp_txt)

            total_img = total_img + tmp_img.size(0)
    total_txt = len(fea_txt)  # noqa: F841 (the Lua's unused local)

    # rank images for each description.
    scores = lg.zeros(len(fea_txt), total_img)
    matches = lg.zeros(len(fea_txt), total_img)
    for i in range(len(fea_txt)):
        res = rank_images(fea_txt[i], i, fea_img, scorefunc)
        scores[i, :] = res[0]
        matches[i, :] = res[1]
    results = {}
    for k in kvals:
        results[k] = lg.mean(matches.narrow(1, 0, k))
    return results
