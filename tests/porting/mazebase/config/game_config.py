"""lua/mazebase/config/game_config.lua: the range options ({current min, current max, min max, max max,
increment}) and the shared static options of MultiGoals, CondGoals, Exclusion, Switches, LightKey, Goto,
GotoHidden, PushBlock, PushBlockCardinal and BlockedDoor."""
import legonn as lg

g_opts = globals().get('g_opts')
if not g_opts:
    g_opts = {}

g_opts['multigames'] = {}
# some shared RangeOpts
# current min, current max, min max, max max, increment
mapH = lg.Tensor([5, 10, 5, 10, 1])
mapW = lg.Tensor([5, 10, 5, 10, 1])
blockspct = lg.Tensor([0, .2, 0, .2, .01])
waterpct = lg.Tensor([0, .2, 0, .2, .01])

# some shared StaticOpts
sso = {}
# costs:
sso['costs'] = {}
sso['costs']['goal'] = 0
sso['costs']['empty'] = 0.1
sso['costs']['block'] = 1000
sso['costs']['water'] = 0.2
sso['costs']['corner'] = 0
sso['costs']['step'] = 0.1
sso['costs']['pushableblock'] = 1000
sso['crumb_action'] = 0
sso['push_action'] = 1
sso['flag_visited'] = 1
sso['enable_boundary'] = 0
sso['enable_corners'] = 1
sso['max_attributes'] = g_opts.get('max_attributes') or 6

# MultiGoals:
MultiGoalsRangeOpts = {}
MultiGoalsRangeOpts['mapH'] = mapH.clone()
MultiGoalsRangeOpts['mapW'] = mapW.clone()
MultiGoalsRangeOpts['blockspct'] = blockspct.clone()
MultiGoalsRangeOpts['waterpct'] = waterpct.clone()
MultiGoalsRangeOpts['ngoals'] = lg.Tensor([2, 6, 3, 6, 1])
MultiGoalsRangeOpts['ngoals_active'] = lg.Tensor([1, 3, 1, 3, 1])

MultiGoalsStaticOpts = {}
for i, j in sso.items():
    MultiGoalsStaticOpts[i] = j

MultiGoalsOpts = {}
MultiGoalsOpts['RangeOpts'] = MultiGoalsRangeOpts
MultiGoalsOpts['StaticOpts'] = MultiGoalsStaticOpts

g_opts['multigames']['MultiGoals'] = MultiGoalsOpts

# CondGoals:
CondGoalsRangeOpts = {}
CondGoalsRangeOpts['mapH'] = mapH.clone()
CondGoalsRangeOpts['mapW'] = mapW.clone()
CondGoalsRangeOpts['blockspct'] = blockspct.clone()
CondGoalsRangeOpts['waterpct'] = waterpct.clone()
CondGoalsRangeOpts['ngoals'] = lg.Tensor([2, 6, 3, 6, 1])
CondGoalsRangeOpts['ncolors'] = lg.Tensor([2, 6, 3, 6, 1])

CondGoalsStaticOpts = {}
for i, j in sso.items():
    CondGoalsStaticOpts[i] = j

CondGoalsOpts = {}
CondGoalsOpts['RangeOpts'] = CondGoalsRangeOpts
CondGoalsOpts['StaticOpts'] = CondGoalsStaticOpts

g_opts['multigames']['CondGoals'] = CondGoalsOpts

# Exclusion:
ExclusionRangeOpts = {}
ExclusionRangeOpts['mapH'] = mapH.clone()
ExclusionRangeOpts['mapW'] = mapW.clone()
ExclusionRangeOpts['blockspct'] = blockspct.clone()
ExclusionRangeOpts['waterpct'] = waterpct.clone()
ExclusionRangeOpts['ngoals'] = lg.Tensor([2, 6, 3, 6, 1])
ExclusionRangeOpts['ngoals_active'] = lg.Tensor([1, 3, 1, 3, 0])

ExclusionStaticOpts = {}
for i, j in sso.items():
    ExclusionStaticOpts[i] = j

ExclusionOpts = {}
ExclusionOpts['RangeOpts'] = ExclusionRangeOpts
ExclusionOpts['StaticOpts'] = ExclusionStaticOpts

g_opts['multigames']['Exclusion'] = ExclusionOpts

# Switches:
SwitchesRangeOpts = {}
SwitchesRangeOpts['mapH'] = mapH.clone()
SwitchesRangeOpts['mapW'] = mapW.clone()
SwitchesRangeOpts['blockspct'] = blockspct.clone()
SwitchesRangeOpts['waterpct'] = waterpct.clone()
SwitchesRangeOpts['nswitches'] = lg.Tensor([1, 5, 1, 5, 0])
SwitchesRangeOpts['ncolors'] = lg.Tensor([1, 6, 1, 6, 1])

SwitchesStaticOpts = {}
for i, j in sso.items():
    SwitchesStaticOpts[i] = j

SwitchesOpts = {}
SwitchesOpts['RangeOpts'] = SwitchesRangeOpts
SwitchesOpts['StaticOpts'] = SwitchesStaticOpts

g_opts['multigames']['Switches'] = SwitchesOpts

# LightKey:
LightKeyRangeOpts = {}
LightKeyRangeOpts['mapH'] = mapH.clone()
LightKeyRangeOpts['mapW'] = mapW.clone()
LightKeyRangeOpts['blockspct'] = blockspct.clone()
LightKeyRangeOpts['waterpct'] = waterpct.clone()

LightKeyStaticOpts = {}
for i, j in sso.items():
    LightKeyStaticOpts[i] = j

LightKeyOpts = {}
LightKeyOpts['RangeOpts'] = LightKeyRangeOpts
LightKeyOpts['StaticOpts'] = LightKeyStaticOpts

g_opts['multigames']['LightKey'] = LightKeyOpts

# Goto:
GotoRangeOpts = {}
GotoRangeOpts['mapH'] = mapH.clone()
GotoRangeOpts['mapW'] = mapW.clone()
GotoRangeOpts['blockspct'] = blockspct.clone()
GotoRangeOpts['waterpct'] = waterpct.clone()

GotoStaticOpts = {}
for i, j in sso.items():
    GotoStaticOpts[i] = j

GotoOpts = {}
GotoOpts['RangeOpts'] = GotoRangeOpts
GotoOpts['StaticOpts'] = GotoStaticOpts

g_opts['multigames']['Goto'] = GotoOpts

# GotoHidden:
GotoHiddenRangeOpts = {}
GotoHiddenRangeOpts['mapH'] = mapH.clone()
GotoHiddenRangeOpts['mapW'] = mapW.clone()
GotoHiddenRangeOpts['blockspct'] = blockspct.clone()
GotoHiddenRangeOpts['waterpct'] = waterpct.clone()
GotoHiddenRangeOpts['ngoals'] = lg.Tensor([1, 6, 3, 6, 1])

GotoHiddenStaticOpts = {}
for i, j in sso.items():
    GotoHiddenStaticOpts[i] = j

GotoHiddenOpts = {}
GotoHiddenOpts['RangeOpts'] = GotoHiddenRangeOpts
GotoHiddenOpts['StaticOpts'] = GotoHiddenStaticOpts

g_opts['multigames']['GotoHidden'] = GotoHiddenOpts

# PushBlock:
PushBlockRangeOpts = {}
PushBlockRangeOpts['mapH'] = lg.Tensor([3, 7, 3, 7, 1])
PushBlockRangeOpts['mapW'] = lg.Tensor([3, 7, 3, 7, 1])
PushBlockRangeOpts['blockspct'] = lg.Tensor([0, 0.1, 0, .1, .01])
PushBlockRangeOpts['waterpct'] = lg.Tensor([0, 0.1, 0, .1, .01])

PushBlockStaticOpts = {}
for i, j in sso.items():
    PushBlockStaticOpts[i] = j

PushBlockOpts = {}
PushBlockOpts['RangeOpts'] = PushBlockRangeOpts
PushBlockOpts['StaticOpts'] = PushBlockStaticOpts

g_opts['multigames']['PushBlock'] = PushBlockOpts

# PushBlockCardinal:
PushBlockCardinalRangeOpts = {}
PushBlockCardinalRangeOpts['mapH'] = lg.Tensor([3, 7, 3, 7, 1])
PushBlockCardinalRangeOpts['mapW'] = lg.Tensor([3, 7, 3, 7, 1])
PushBlockCardinalRangeOpts['blockspct'] = lg.Tensor([0, 0.1, 0, .1, .01])
PushBlockCardinalRangeOpts['waterpct'] = lg.Tensor([0, 0.1, 0, .1, .01])

PushBlockCardinalStaticOpts = {}
for i, j in sso.items():
    PushBlockCardinalStaticOpts[i] = j

PushBlockCardinalOpts = {}
PushBlockCardinalOpts['RangeOpts'] = PushBlockCardinalRangeOpts
PushBlockCardinalOpts['StaticOpts'] = PushBlockCardinalStaticOpts

g_opts['multigames']['PushBlockCardinal'] = PushBlockCardinalOpts

# BlockedDoor:
BlockedDoorRangeOpts = {}
BlockedDoorRangeOpts['mapH'] = mapH.clone()
BlockedDoorRangeOpts['mapW'] = mapW.clone()
BlockedDoorRangeOpts['blockspct'] = blockspct.clone()
BlockedDoorRangeOpts['waterpct'] = waterpct.clone()

BlockedDoorStaticOpts = {}
for i, j in sso.items():
    BlockedDoorStaticOpts[i] = j

BlockedDoorOpts = {}
BlockedDoorOpts['RangeOpts'] = BlockedDoorRangeOpts
BlockedDoorOpts['StaticOpts'] = BlockedDoorStaticOpts

g_opts['multigames']['BlockedDoor'] = BlockedDoorOpts
