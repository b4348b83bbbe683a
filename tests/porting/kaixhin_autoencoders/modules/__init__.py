"""modules/ of Kaixhin/Autoencoders: BatchTopK.lua, Gaussian.lua, Uniform.lua, one Python file each."""
