"""lua/mazebase/config/singlegoal.lua: the SingleGoal game's range options (mapH, mapW, blockspct, waterpct as
{low, high, easiest high, hardest high, step}) and static options (costs, actions, boundary)."""
import legonn as lg

g_opts = globals().get('g_opts')
if not g_opts:
    g_opts = {}
g_opts['multigames'] = {}
mapH = lg.Tensor([5, 5, 5, 10, 1])
mapW = lg.Tensor([5, 5, 5, 10, 1])
blockspct = lg.Tensor([0, .05, 0, .2, .01])
waterpct = lg.Tensor([0, .05, 0, .2, .01])

sso = {}
sso['costs'] = {}
sso['costs']['goal'] = 0
sso['costs']['empty'] = 0.1
sso['costs']['block'] = 1000
sso['costs']['water'] = 0.2
sso['costs']['corner'] = 0
sso['costs']['step'] = 0.1
sso['costs']['pushableblock'] = 1000
sso['crumb_action'] = 0
sso['push_action'] = 0
sso['flag_visited'] = 0
sso['enable_boundary'] = 0
sso['enable_corners'] = 0
sso['max_attributes'] = g_opts.get('max_attributes') or 6

SingleGoalRangeOpts = {}
SingleGoalRangeOpts['mapH'] = mapH.clone()
SingleGoalRangeOpts['mapW'] = mapW.clone()
SingleGoalRangeOpts['blockspct'] = blockspct.clone()
SingleGoalRangeOpts['waterpct'] = waterpct.clone()

SingleGoalStaticOpts = {}
for i, j in sso.items():
    SingleGoalStaticOpts[i] = j

SingleGoalOpts = {}
SingleGoalOpts['RangeOpts'] = SingleGoalRangeOpts
SingleGoalOpts['StaticOpts'] = SingleGoalStaticOpts

g_opts['multigames']['SingleGoal'] = SingleGoalOpts
