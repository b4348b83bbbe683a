"""neuralart's models/ (``paths.dofile('models/xxx.lua')`` is an import of the module here)."""
