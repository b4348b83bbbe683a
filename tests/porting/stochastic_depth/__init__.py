"""yueatsprograms/Stochastic_Depth (Huang et al., "Deep Networks with Stochastic Depth", 2016; MIT licence, see the
repository's README) ported line by line: ResidualDrop.lua, cifar-dataset.lua, svhn-dataset.lua and main.lua, one
module each (``-`` in a file name is ``_``). tests/porting/test_stochastic_depth.py runs them."""
