"""jcjohnson/cnn-benchmarks (MIT licence, Copyright (c) 2016 Justin Johnson) ported line by line onto legonn:
utils.lua, cnn_benchmark.lua and convert_model.lua. The repository builds no network itself: its ``.t7`` files
were converted (convert_model.lua) from Caffe's BVLC AlexNet and VGG-16/19 through loadcaffe, from
soumith/inception.torch's googlenet.lua (Apache licence 2.0, ported here as googlenet.py) and from
facebook/fb.resnet.torch's models/resnet.lua and models/preresnet.lua (BSD licence, Copyright (c) 2016,
Facebook, Inc.; ported here as resnet.py and preresnet.py). run_cnn_benchmarks.py and
analyze_cnn_benchmark_results.py are Python 2 drivers of ``th`` and are not part of the port."""
