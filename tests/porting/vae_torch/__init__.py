"""y0ast/VAE-Torch (https://github.com/y0ast/VAE-Torch, MIT licence, Joost van Amersfoort) ported line by line:
main.lua (main.py), VAE.lua, KLDPenalty.lua, GaussianCriterion.lua, Sampler.lua and load.lua at the repository's
head, and KLDCriterion.lua with the nngraph main.lua that used it (main_nngraph.py) as they stood before commit
c0e6b53 replaced them by KLDPenalty.lua and a Sequential.
tests/porting/test_vae_torch.py runs them; each file's docstring lists its edits beyond syntax and indices.
"""
