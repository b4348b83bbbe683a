"""torch/tutorials' 7_imagenet_classification/classify.lua ported line by line: ``preprocess`` (the image
scaled to 224 x 224 and each channel normalised by the mean and std the network file carries in
``net.transform``), the network loaded with ``torch.load`` and converted with ``:float()``, the synset words
read with ``io.lines`` and ``line:sub(11)``, and the five best classes from ``sort(true)``.

The Network-in-Network file is replaced by a small network written by the test with ``lg.save_lua``, with
the Lua field ``transform`` added to its table as the real file has it; the Goldfish photograph by a random
image saved as PNG. ``net:unpack()`` goes: no Torch7 package the tutorial requires defines it (torch/nn and
torch/torch7 have no ``unpack`` method), it belongs to the code that packed that one file.
"""
import numpy as np

import legonn as lg
from legonn import image, nn, paths
from legonn.serialization.t7 import load_lua


def preprocess(im, img_mean):
    im3 = image.scale(im, 224, 224, 'bilinear')
    for i in range(3):
        im3[i].add(-img_mean['mean'][i]).div(img_mean['std'][i])
    return im3


def write_network(path, transform):
    """A stand-in for nin_nobn_final.t7: a DoubleTensor network whose table has a ``transform`` field."""
    net = nn.Sequential()
    net.add(nn.SpatialConvolution(3, 5, 5, 5, 4, 4))
    net.add(nn.ReLU())
    net.add(nn.SpatialAveragePooling(55, 55))
    lg.save_lua(path, net.double())
    raw = load_lua(path, convert=False)
    raw['transform'] = transform
    lg.save_lua(path, raw)


def test_classify(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lg.manualSeed(1)
    transform = {'mean': [0.48, 0.46, 0.41], 'std': [0.23, 0.22, 0.22]}
    write_network('nin_nobn_final.t7', transform)
    image.save('Goldfish3.png', lg.rand(3, 120, 160))
    words = ['goldfish, Carassius auratus', 'tench, Tinca tinca', 'great white shark', 'tiger shark', 'hammerhead']
    with open('synset_words.txt', 'w') as f:
        for k, w in enumerate(words):
            f.write('n0%07d %s\n' % (k, w))

    image_name = paths.basename('http://upload.wikimedia.org/wikipedia/commons/e/e9/Goldfish3.png')
    network_name = paths.basename('https://www.dropbox.com/s/npmr5egvjbg7ovb/nin_nobn_final.t7')

    print('==> Loading network')
    net = lg.load(network_name).float()
    net.evaluate()
    print(net)

    print('==> Loading synsets')
    synset_words = []
    for line in open('synset_words.txt').read().splitlines():     # io.lines
        synset_words.append(line[10:])                            # line:sub(11)

    print('==> Loading image and imagenet mean')
    im = image.load(image_name)

    print('==> Preprocessing')
    print('ImageNet ', net.transform)
    I = preprocess(im, net.transform).view(1, 3, 224, 224).float()

    _, classes = net.forward(I).view(-1).sort(True)
    predicted = []
    for i in range(5):
        print('predicted class ' + str(i + 1) + ': ', synset_words[classes[i]])
        predicted.append(synset_words[classes[i]])

    # the field Lua put on the network's table comes back with it
    assert net.transform == transform
    assert synset_words[0] == 'goldfish, Carassius auratus'
    # the preprocessing, checked against NumPy on the scaled image
    scaled = image.scale(im, 224, 224, 'bilinear').numpy()
    expected = (scaled - np.array(transform['mean'])[:, None, None]) / np.array(transform['std'])[:, None, None]
    assert np.allclose(I[0].numpy(), expected, atol=1e-5)
    # the five classes in decreasing score, as NumPy orders the network's output
    scores = net.forward(I).view(-1).numpy()
    assert predicted == [words[k] for k in np.argsort(-scores, kind='stable')]
    assert len(set(predicted)) == 5
