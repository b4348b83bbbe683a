"""imagenet-multiGPU.torch's models/*.lua, one module each with its ``createModel(nGPU)``. The Lua reads two
globals: ``nClasses`` (data.lua's ``nClasses = #classes``), here ``G['nClasses']``, and util.lua's
``makeDataParallel``, imported. Every file's ``:cuda()`` calls stay: the models run on a GPU (or CuPy's
simulator)."""
G = {'nClasses': 1000}
