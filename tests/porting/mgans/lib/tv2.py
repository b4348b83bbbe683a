"""code/lib/tv2.lua of chuanli11/MGANs (MIT licence): nn.TVLoss2, tv.lua's TVLoss for a batch B x C x H x W. Its
lines are texture_nets' TVLoss (the same jcjohnson code, B named N there), whose port
tests/porting/test_texture_nets.py holds: the class is that one under tv2.lua's name."""
from tests.porting.test_texture_nets import TVLoss


class TVLoss2(TVLoss):
    pass
