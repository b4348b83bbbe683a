"""cmusatyalab/openface's training code ported line by line: train.lua's trainBatch triplet selection (lines
161-228: for every anchor-positive pair of a person, a random negative among the other people's images whose squared
distance to the anchor is within ``opt.alpha`` of the positive's, with torchx's ``torch.find``, now ``lg.find``),
its scatter of the criterion's gradients through OpenFaceOptim:optimizeTriplet for a few steps, and dataset.lua's
samplePeople. tests/porting/test_openface_idioms.py holds nn4.small2.def.lua, the criterion and optimizeTriplet's
per-module optim states, not repeated here. Stand-ins: seeded random embeddings and hand-placed points for the
model's output, a small Linear+Normalize net for the training steps, random 1x2x2 images for the dataset's jpegs
(main.lua, opts.lua, donkey.lua's threads, test.lua's LFW evaluation are not ported)."""
import random

import numpy as np

import legonn as lg
from tests.porting.test_openface_idioms import TripletEmbeddingCriterion


def select_triplets(embeddings, numPerClass, opt):
    """train.lua:161-228 from ``local numImages`` to the three concatenated tables; returns them with the
    (0-based) image indices of each triplet and the count of anchor-positive pairs tried."""
    numImages = embeddings.size(0)

    as_table = []
    ps_table = []
    ns_table = []

    triplet_idx = []
    num_example_per_idx = lg.Tensor(embeddings.size(0))
    num_example_per_idx.zero()

    tripIdx = 0
    embStartIdx = 0
    numTrips = 0
    for i in range(opt['peoplePerBatch']):
        n = int(numPerClass[i])
        for j in range(n - 1):    # For every image in the batch.
            aIdx = embStartIdx + j
            diff = embeddings - embeddings[aIdx:aIdx + 1].expandAs(embeddings)
            norms = diff.norm(2, 1).pow(2).squeeze()
            for pair in range(j, n - 1):    # For every possible positive pair.
                pIdx = embStartIdx + pair + 1

                fff = (embeddings[aIdx] - embeddings[pIdx]).norm(2)
                normsP = norms - lg.Tensor(embeddings.size(0)).fill(fff * fff)

                # Set the indices of the same class to the max so they are ignored.
                normsP[embStartIdx:embStartIdx + n] = normsP.max()

                # Get indices of images within the margin.
                in_margin = normsP.lt(opt['alpha'])
                allNeg = lg.find(in_margin, 1)

                # Use only non-random triplets.
                if len(allNeg) != 0:
                    selNegIdx = allNeg[random.randint(1, len(allNeg)) - 1]
                    as_table.append(embeddings[aIdx])
                    ps_table.append(embeddings[pIdx])
                    ns_table.append(embeddings[selNegIdx])
                    triplet_idx.append([aIdx, pIdx, selNegIdx])
                    num_example_per_idx[aIdx] = num_example_per_idx[aIdx] + 1
                    num_example_per_idx[pIdx] = num_example_per_idx[pIdx] + 1
                    num_example_per_idx[selNegIdx] = num_example_per_idx[selNegIdx] + 1
                    tripIdx = tripIdx + 1

                numTrips = numTrips + 1
        embStartIdx = embStartIdx + n
    assert embStartIdx == numImages
    nTripsFound = len(as_table)
    if nTripsFound == 0:
        return None

    as_ = lg.concat(as_table).view(len(as_table), opt['embSize'])
    ps = lg.concat(ps_table).view(len(ps_table), opt['embSize'])
    ns = lg.concat(ns_table).view(len(ns_table), opt['embSize'])
    return [as_, ps, ns], triplet_idx, numTrips


def unit_rows(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_selection_keeps_semi_hard_negatives_of_other_people():
    """Every triplet found: anchor and positive of one person (positive after the anchor), the negative another
    person's image within the margin, ||a - n||^2 - ||a - p||^2 < alpha; n(n-1)/2 pairs tried per person; the
    concatenated tables hold the embeddings at the triplet's indices; the criterion's loss on them is positive."""
    random.seed(0)
    rng = np.random.RandomState(0)
    opt = {'peoplePerBatch': 4, 'alpha': 0.2, 'embSize': 8}
    numPerClass = lg.Tensor([3, 4, 2, 3])
    centres = unit_rows(rng.randn(4, 8))
    owner = np.repeat(np.arange(4), [3, 4, 2, 3])
    E = unit_rows(centres[owner] + 0.6 * rng.randn(12, 8))
    embeddings = lg.from_numpy(E).float()
    (as_, ps, ns), idx, numTrips = select_triplets(embeddings, numPerClass, opt)
    assert numTrips == 3 + 6 + 1 + 3
    assert 0 < len(idx) <= numTrips and tuple(as_.size()) == (len(idx), 8)
    d2 = ((E[:, None] - E[None]) ** 2).sum(-1)
    own = 0
    for k, (a, p, n) in enumerate(idx):
        assert owner[a] == owner[p] and a < p
        if owner[n] != owner[a]:
            assert d2[a, n] - d2[a, p] < 0.2 + 1e-6
        else:       # train.lua:188's quirk (the test below): every image within the margin of this pair
            own += 1
            assert (d2[a] - d2[a, p]).max() < 0.2 + 1e-6
        np.testing.assert_array_equal(ns[k].numpy(), E[n].astype(np.float32))
    assert own < len(idx)
    assert TripletEmbeddingCriterion(0.2).forward([as_, ps, ns]) > 0


def test_selection_draws_as_math_random():
    """The negative is ``allNeg[math.random(#allNeg)]``: replayed by hand for the first pair."""
    E = np.zeros((9, 4))
    E[3:6, 0] = [0.1, 0.2, 0.3]     # person 1 within the margin of person 0's pairs (squared distances < 0.2)
    E[6:, 1] = 2                    # person 2 beyond it
    opt = {'peoplePerBatch': 3, 'alpha': 0.2, 'embSize': 4}
    random.seed(3)
    _, idx, _ = select_triplets(lg.from_numpy(E).float(), lg.Tensor([3, 3, 3]), opt)
    random.seed(3)
    assert idx[0] == [0, 1, [3, 4, 5][random.randint(1, 3) - 1]]


def test_selection_takes_the_own_class_when_every_distance_is_in_the_margin():
    """train.lua:188 sets the person's own entries to ``normsP:max()`` to skip them; when even that maximum is
    below alpha (embeddings still collapsed, as early in training) the own images, the anchor included, are
    'negatives' too: a quirk of the Lua, kept by the port."""
    E = np.full((4, 3), 0.5)
    opt = {'peoplePerBatch': 2, 'alpha': 0.2, 'embSize': 3}
    random.seed(0)
    seen = set()
    for _ in range(20):
        _, idx, _ = select_triplets(lg.from_numpy(E).float(), lg.Tensor([2, 2]), opt)
        seen.update(n for _, _, n in idx)
    assert seen == {0, 1, 2, 3}


def test_training_steps_scatter_the_triplet_gradients_to_the_images():
    """trainBatch then OpenFaceOptim:optimizeTriplet (OpenFaceOptim.lua:107-165) for three steps on a small
    embedding net (nn4.small2 is in test_openface_idioms.py): the criterion's gradients go back to the images
    through triplet_idx, summed where an image serves in several triplets; that sum is the loss's gradient in the
    batch's embeddings (finite differences, the selection held), and sgd moves the weights."""
    from legonn import nn, optim
    lg.manualSeed(0)
    random.seed(0)
    opt = {'peoplePerBatch': 3, 'alpha': 0.2, 'embSize': 4}
    model = nn.Sequential().add(nn.Linear(6, 4)).add(nn.Normalize(2)).double()
    criterion = TripletEmbeddingCriterion(opt['alpha'])
    inputs = lg.randn(9, 6).double()
    numPerClass = lg.Tensor([3, 3, 3])
    w, gw = model.getParameters()
    start = w.clone()
    found = 0
    for step in range(3):
        embeddings = model.forward(inputs).clone()
        picked = select_triplets(embeddings, numPerClass, opt)
        if picked is None:      # train.lua:221: "nTripsFound == 0. Skipping batch."
            continue
        apn, triplet_idx, _ = picked
        found += 1
        model.zeroGradParameters()
        err = criterion.forward(apn)
        df_do = criterion.backward(apn)
        gradient_all = lg.Tensor(inputs.size(0), opt['embSize']).double().zero()
        for i in range(len(triplet_idx)):
            for k in range(3):
                gradient_all[triplet_idx[i][k]].add(df_do[k][i])

        E = embeddings.numpy()

        def loss(E):
            a, p, n = (E[[t[k] for t in triplet_idx]] for k in range(3))
            return np.maximum(0, ((a - p) ** 2).sum(1) - ((a - n) ** 2).sum(1) + opt['alpha']).sum() / len(a)
        assert abs(err - loss(E)) < 1e-12
        num = np.zeros_like(E)
        for idx in np.ndindex(E.shape):
            up, down = E.copy(), E.copy()
            up[idx] += 1e-6
            down[idx] -= 1e-6
            num[idx] = (loss(up) - loss(down)) / 2e-6
        np.testing.assert_allclose(gradient_all.numpy(), num, atol=1e-6)
        model.backward(inputs, gradient_all)
        optim.sgd(lambda _: (err, gw), w, {'learningRate': 0.5})
    assert found > 0 and (w - start).abs().max() > 1e-4


class dataLoader:
    """dataset.lua's dataLoader, the fields samplePeople reads: ``classListSample`` (per class, a LongTensor of
    image numbers), ``sampleSize``, ``split``; ``sampleHookTrain`` loads an image (here: a row of ``images``, the
    stand-in for the jpeg the Lua reads by ``imagePath``)."""
    typename = 'dataLoader'

    def __init__(self, images, labels, nClasses):
        self.images = images
        self.classes = list(range(nClasses))
        self.classListSample = [lg.LongTensor(np.flatnonzero(labels == c).tolist()) for c in self.classes]
        self.sampleSize = list(images.size())[1:]
        self.split = 100

    def sampleHookTrain(self, imgNum):
        return self.images[imgNum]

    def samplePeople(self, peoplePerBatch, imagesPerPerson):
        """dataset.lua:427-457 (``#trainLoader.classes``, a global, read as self's: the one loader here)."""
        if self.split == 0:
            raise RuntimeError('No training mode when split is set to 0')

        classes = lg.randperm(len(self.classes))[0:peoplePerBatch].int()
        nSamplesPerClass = lg.Tensor(peoplePerBatch)
        for i in range(peoplePerBatch):
            nSample = min(self.classListSample[classes[i]].nElement(), imagesPerPerson)
            nSamplesPerClass[i] = nSample

        data = lg.Tensor(int(nSamplesPerClass.sum()), self.sampleSize[0], self.sampleSize[1], self.sampleSize[2])

        dataIdx = 0
        for i in range(peoplePerBatch):
            cls = classes[i]
            nSamples = int(nSamplesPerClass[i])
            nTotal = self.classListSample[classes[i]].nElement()
            shuffle = lg.randperm(nTotal)
            for j in range(nSamples):
                imgNum = self.classListSample[cls][int(shuffle[j])]
                data[dataIdx] = self.sampleHookTrain(imgNum)
                dataIdx = dataIdx + 1
        assert dataIdx == nSamplesPerClass.sum()

        return data, nSamplesPerClass


def test_sample_people_gives_blocks_of_one_person_each():
    """samplePeople draws ``peoplePerBatch`` distinct classes and up to ``imagesPerPerson`` distinct images of each,
    in consecutive blocks, the layout trainBatch's selection walks (a class with fewer images gives them all)."""
    rng = np.random.RandomState(2)
    labels = np.array([0] * 5 + [1] * 2 + [2] * 6 + [3] * 4)
    images = lg.from_numpy(rng.rand(len(labels), 1, 2, 2)).float()
    loader = dataLoader(images, labels, 4)
    lg.manualSeed(4)
    data, numPerClass = loader.samplePeople(3, 4)
    start = 0
    people = []
    for n in numPerClass.totable():
        n = int(n)
        rows = [int(np.flatnonzero((images.numpy() == data[start + k].numpy()).all(axis=(1, 2, 3)))[0])
                for k in range(n)]
        assert len(set(labels[rows])) == 1 and len(set(rows)) == n
        assert n == min((labels == labels[rows[0]]).sum(), 4)
        people.append(labels[rows[0]])
        start += n
    assert start == data.size(0) and len(set(people)) == 3
    lg.manualSeed(4)
    again, _ = loader.samplePeople(3, 4)
    np.testing.assert_array_equal(again.numpy(), data.numpy())
