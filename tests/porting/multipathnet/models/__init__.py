"""multipathnet's models/: model_utils.lua and the model files (``paths.dofile('models/X.lua')`` returns
``{model, transformer}``: here ``X.build(opt)``, as the file reads the global ``opt``)."""
