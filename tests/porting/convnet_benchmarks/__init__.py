"""soumith/convnet-benchmarks' torch7/ directory (MIT licence, Soumith Chintala) ported line by line:
imagenet_winners/ (alexnet.lua, overfeat.lua, vgg_a.lua, googlenet.lua and the benchmark.lua that times them) and
layerwise_benchmarks/ (benchmark.lua, multigpu.lua). tests/porting/test_convnet_benchmarks.py runs them."""
