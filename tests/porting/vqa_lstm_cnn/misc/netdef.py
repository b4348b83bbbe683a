"""misc/netdef.lua: the two fusions of a question and an image vector, ``AxB`` (the element-wise product of their
tanh projections) and ``A_B`` (the projections joined), as gModules of ``{q, i}``. ``require 'misc.netdef'`` (a
global table) is ``from .misc import netdef``."""
from legonn import nn


def AxB(nhA, nhB, nhcommon, dropout=None):
    dropout = dropout or 0
    q = nn.Identity()()
    i = nn.Identity()()
    qc = nn.Tanh()(nn.Linear(nhA, nhcommon)(nn.Dropout(dropout)(q)))
    ic = nn.Tanh()(nn.Linear(nhB, nhcommon)(nn.Dropout(dropout)(i)))
    output = nn.CMulTable()([qc, ic])
    return nn.gModule([q, i], [output])


def A_B(nhA, nhB, nhcommon, dropout=None):
    dropout = dropout or 0
    q = nn.Identity()()
    i = nn.Identity()()
    qc = nn.Tanh()(nn.Linear(nhA, nhcommon)(nn.Dropout(dropout)(q)))
    ic = nn.Tanh()(nn.Linear(nhB, nhcommon)(nn.Dropout(dropout)(i)))
    output = nn.JoinTable(1)([qc, ic])
    return nn.gModule([q, i], [output])
