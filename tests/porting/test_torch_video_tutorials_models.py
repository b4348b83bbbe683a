"""Atcold/torch-Video-Tutorials' res/3.2/AlexNet.lua (two towers in a Concat, the second one's convolutions reset)
and res/3.2/GoogLeNet.lua (``local cudnn = nn``; the factorised RGB stem, one 1 -> 8 convolution per colour plane in
a Parallel; three soft-max heads concatenated along the classes), ported line by line and run on 224 x 224 images;
the other lessons are test_torch_video_tutorials.py. Both files build for a batch (``nn.Concat(2)``, the planes of
a batch, is ``nn.Concat(1)``)."""
import numpy as np

import legonn as lg
from legonn import nn


def AlexNet():
    fb1 = nn.Sequential()  # branch 1
    fb1.add(nn.SpatialConvolution(3, 48, 11, 11, 4, 4, 2, 2))      # 224 -> 55
    fb1.add(nn.ReLU(True))
    fb1.add(nn.SpatialMaxPooling(3, 3, 2, 2))                      # 55 ->  27
    fb1.add(nn.SpatialConvolution(48, 128, 5, 5, 1, 1, 2, 2))      # 27 -> 27
    fb1.add(nn.ReLU(True))
    fb1.add(nn.SpatialMaxPooling(3, 3, 2, 2))                      # 27 ->  13
    fb1.add(nn.SpatialConvolution(128, 192, 3, 3, 1, 1, 1, 1))     # 13 ->  13
    fb1.add(nn.ReLU(True))
    fb1.add(nn.SpatialConvolution(192, 192, 3, 3, 1, 1, 1, 1))     # 13 ->  13
    fb1.add(nn.ReLU(True))
    fb1.add(nn.SpatialConvolution(192, 128, 3, 3, 1, 1, 1, 1))     # 13 ->  13
    fb1.add(nn.ReLU(True))
    fb1.add(nn.SpatialMaxPooling(3, 3, 2, 2))                      # 13 -> 6

    fb2 = fb1.clone()  # branch 2
    for k, v in enumerate(fb2.findModules('nn.SpatialConvolution')[0]):
        v.reset()  # reset branch 2's weights

    features = nn.Concat(1)
    features.add(fb1)
    features.add(fb2)

    # 1.3. Create Classifier (fully connected layers)
    nClasses = 1e3
    classifier = nn.Sequential()
    classifier.add(nn.View(256 * 6 * 6))
    classifier.add(nn.Dropout(0.5))
    classifier.add(nn.Linear(256 * 6 * 6, 4096))
    classifier.add(nn.Threshold(0, 1e-6))
    classifier.add(nn.Dropout(0.5))
    classifier.add(nn.Linear(4096, 4096))
    classifier.add(nn.Threshold(0, 1e-6))
    classifier.add(nn.Linear(4096, nClasses))
    classifier.add(nn.LogSoftMax())

    model = nn.Sequential().add(features).add(classifier)
    return model


def GoogLeNet():
    cudnn = nn      # the file's ``local cudnn = nn``: cudnn's names stand for nn's classes
    nClasses = 1e3

    # Some shortcuts
    SC = cudnn.SpatialConvolution
    SMP = cudnn.SpatialMaxPooling
    RLU = cudnn.ReLU

    # Utility inc(eption) function
    def inc(input_size, config):   # inception
        depthCat = nn.Concat(1)    # should be 1, 2 considering batches

        conv1 = nn.Sequential()
        conv1.add(SC(input_size, config[0][0], 1, 1)).add(RLU(True))
        depthCat.add(conv1)

        conv3 = nn.Sequential()
        conv3.add(SC(input_size, config[1][0], 1, 1)).add(RLU(True))
        conv3.add(SC(config[1][0], config[1][1], 3, 3, 1, 1, 1, 1)).add(RLU(True))
        depthCat.add(conv3)

        conv5 = nn.Sequential()
        conv5.add(SC(input_size, config[2][0], 1, 1)).add(RLU(True))
        conv5.add(SC(config[2][0], config[2][1], 5, 5, 1, 1, 2, 2)).add(RLU(True))
        depthCat.add(conv5)

        pool = nn.Sequential()
        pool.add(SMP(config[3][0], config[3][0], 1, 1, 1, 1))
        pool.add(SC(input_size, config[3][1], 1, 1)).add(RLU(True))
        depthCat.add(pool)

        return depthCat

    # Utility fac(torised convolution) function
    def fac():
        conv = nn.Sequential()
        conv.add(nn.Contiguous())
        conv.add(nn.View(-1, 1, 224, 224))
        conv.add(SC(1, 8, 7, 7, 2, 2, 3, 3))

        depthWiseConv = nn.Parallel(1, 1)
        depthWiseConv.add(conv)          # R
        depthWiseConv.add(conv.clone())  # G
        depthWiseConv.add(conv.clone())  # B

        factorised = nn.Sequential()
        factorised.add(depthWiseConv).add(RLU(True))
        factorised.add(SC(24, 64, 1, 1)).add(RLU(True))

        return factorised

    # Building blocks
    main0 = nn.Sequential()
    main0.add(fac())  # 1
    main0.add(SMP(3, 3, 2, 2).ceil())
    main0.add(SC(64, 64, 1, 1)).add(RLU(True))  # 2
    main0.add(SC(64, 192, 3, 3, 1, 1, 1, 1)).add(RLU(True))  # 3
    main0.add(SMP(3, 3, 2, 2).ceil())
    main0.add(inc(192, [[64], [96, 128], [16, 32], [3, 32]]))     # 4,5 / 3(a)
    main0.add(inc(256, [[128], [128, 192], [32, 96], [3, 64]]))   # 6,7 / 3(b)
    main0.add(SMP(3, 3, 2, 2).ceil())
    main0.add(inc(480, [[192], [96, 208], [16, 48], [3, 64]]))    # 8,9 / 4(a)

    main1 = nn.Sequential()
    main1.add(inc(512, [[160], [112, 224], [24, 64], [3, 64]]))   # 10,11 / 4(b)
    main1.add(inc(512, [[128], [128, 256], [24, 64], [3, 64]]))   # 12,13 / 4(c)
    main1.add(inc(512, [[112], [144, 288], [32, 64], [3, 64]]))   # 14,15 / 4(d)

    main2 = nn.Sequential()
    main2.add(inc(528, [[256], [160, 320], [32, 128], [3, 128]]))  # 16,17 / 4(e)
    main2.add(SMP(3, 3, 2, 2).ceil())
    main2.add(inc(832, [[256], [160, 320], [32, 128], [3, 128]]))  # 18,19 / 5(a)
    main2.add(inc(832, [[384], [192, 384], [48, 128], [3, 128]]))  # 20,21 / 5(b)

    def softMax(nIn):      # sftMx0 and sftMx1, written out twice in the file
        s = nn.Sequential()
        s.add(cudnn.SpatialAveragePooling(5, 5, 3, 3))
        s.add(SC(nIn, 128, 1, 1)).add(RLU(True))
        s.add(nn.View(128 * 4 * 4).setNumInputDims(3))
        s.add(nn.Linear(128 * 4 * 4, 1024)).add(nn.ReLU())
        s.add(nn.Dropout(0.7))
        s.add(nn.Linear(1024, nClasses)).add(nn.ReLU())
        s.add(nn.LogSoftMax())
        return s

    sftMx0 = softMax(512)
    sftMx1 = softMax(528)

    sftMx2 = nn.Sequential()  # softMax2
    sftMx2.add(cudnn.SpatialAveragePooling(7, 7, 1, 1))
    sftMx2.add(nn.View(1024).setNumInputDims(3))
    sftMx2.add(nn.Dropout(0.4))
    sftMx2.add(nn.Linear(1024, nClasses)).add(nn.ReLU())  # 22
    sftMx2.add(nn.LogSoftMax())

    # Macro blocks
    block2 = nn.Sequential()
    block2.add(main2)
    block2.add(sftMx2)

    split1 = nn.Concat(1)
    split1.add(block2)
    split1.add(sftMx1)

    block1 = nn.Sequential()
    block1.add(main1)
    block1.add(split1)

    split0 = nn.Concat(1)
    split0.add(block1)
    split0.add(sftMx0)

    block0 = nn.Sequential()
    block0.add(main0)
    block0.add(split0)

    # Main model definition
    model = block0
    return model


def test_lesson_3_2_alexnet_two_towers():
    lg.manualSeed(1)
    model = AlexNet()
    fb1, fb2 = model.get(0).get(0), model.get(0).get(1)
    assert not np.array_equal(fb1.get(0).weight.numpy(), fb2.get(0).weight.numpy())     # reset: fresh weights
    assert fb1.get(0).weight.size() == fb2.get(0).weight.size() == (48, 3, 11, 11)
    assert model.get(1).get(7).weight.size(0) == 1000        # nClasses = 1e3, a float size taken as 1000
    x = lg.randn(2, 3, 224, 224)
    y = model.forward(x)
    assert y.size() == (2, 1000) and model.get(0).output.size() == (2, 256, 6, 6)
    model.zeroGradParameters()
    assert model.backward(x, lg.randn(2, 1000)).size() == x.size()
    assert np.abs(fb2.get(0).gradWeight.numpy()).sum() > 0


def test_lesson_3_2_googlenet_factorised_stem_and_three_heads():
    lg.manualSeed(2)
    model = GoogLeNet()
    x = lg.randn(1, 3, 224, 224)
    model.evaluate()
    y = model.forward(x)
    assert y.size() == (1, 3000)             # softMax2 | softMax1 | softMax0, joined along the classes
    for head in range(3):
        np.testing.assert_allclose(np.exp(y.numpy()[0, 1000 * head:1000 * (head + 1)]).sum(), 1, rtol=1e-4)
    stem = model.get(0).get(0)
    parallel = stem.get(0)
    assert parallel.output.size() == (1, 24, 112, 112)
    # each colour plane goes through its own 1 -> 8 convolution
    r = parallel.get(0)
    r_alone = r.clone().forward(x[:, 0].contiguous())
    # the ReLU(true) after the Parallel rewrote its output in place
    np.testing.assert_allclose(parallel.output.numpy()[:, :8], np.maximum(r_alone.numpy(), 0), rtol=1e-5, atol=1e-6)
    model.training()
    model.forward(x)
    gradInput = model.backward(x, lg.randn(1, 3000))
    assert gradInput.size() == x.size() and np.abs(gradInput.numpy()).sum() > 0
