"""facebookarchive/MazeBase's games, encodings, batching and REINFORCE training, ported under
tests/porting/mazebase/ (see its __init__): seeded games follow their Lua rules."""
import math
import os

import pytest

import legonn as lg
from tests.checks import assert_jacobian
from tests.porting.mazebase import batch, init, main, search
from tests.porting.mazebase.Goto import Goto
from tests.porting.mazebase.GotoHelper import GotoHelper
from tests.porting.mazebase.LinearNB import LinearNB
from tests.porting.mazebase.MazeBase import MazeBase
from tests.porting.mazebase.SingleGoal import SingleGoal

CONFIG = os.path.join(os.path.dirname(__file__), 'mazebase', 'config', 'singlegoal.py')

# game_config.lua lines 136-151 (the Goto game) with its shared ranges and static options (lines 7-31)
GOTO_CONFIG = '''
import legonn as lg
g_opts = globals().get('g_opts') or {}
g_opts['multigames'] = {}
sso = {'costs': {'goal': 0, 'empty': 0.1, 'block': 1000, 'water': 0.2, 'corner': 0, 'step': 0.1,
                 'pushableblock': 1000},
       'crumb_action': 0, 'push_action': 1, 'flag_visited': 1, 'enable_boundary': 0, 'enable_corners': 1,
       'max_attributes': g_opts.get('max_attributes') or 6}
RangeOpts = {'mapH': lg.Tensor(%s), 'mapW': lg.Tensor(%s), 'blockspct': lg.Tensor(%s),
             'waterpct': lg.Tensor(%s)}
g_opts['multigames']['Goto'] = {'RangeOpts': RangeOpts, 'StaticOpts': dict(sso)}
'''


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    # test.lua and demo_api.lua sleep 0.2 s a step (os.execute('sleep 0.2')) to be watched
    monkeypatch.setattr(os, 'system', lambda cmd: 0)


def goto_config(tmp_path, mapH='[5, 10, 5, 10, 1]', pct='[0, .2, 0, .2, .01]'):
    path = tmp_path / 'goto_config.py'
    path.write_text(GOTO_CONFIG % (mapH, mapH, pct, pct))
    return str(path)


def vocab():
    init.g_opts = {}
    init.init_vocab()
    return init.g_vocab


def plain_opts(H=5, W=5, **over):
    opts = {'map_height': H, 'map_width': W, 'max_attributes': 6, 'costs': {'goal': 0, 'step': 0.1,
            'water': 0.2, 'block': 1000, 'corner': 0}, 'push_action': 0, 'crumb_action': 0,
            'enable_boundary': 0, 'enable_corners': 0}
    opts.update(over)
    return opts


def test_vocabulary_ids_are_the_lua_ones_less_one():
    v = vocab()
    # init.lua: nil, empty, agent, agent1..5, goal, goal/obj/reward 1..10, then 13 words, then y-12x-12 ..
    assert v['nil'] == 0 and v['agent5'] == 7 and v['reward10'] == 38 and v['if'] == 49
    assert v['y-12x-12'] == 50 and v['y0x0'] == 50 + 12 * 25 + 12 and v['y12x12'] == 674
    assert v['ay0x0'] == 700 and v['at'] == 959
    assert init.g_opts['nwords'] == 960 == len(v)      # 'block' is added twice, counted once


def test_agent_moves_blocks_water_and_rewards():
    v = vocab()
    g = MazeBase(plain_opts(), v)
    g.place_item({'type': 'block'}, 1, 2)
    g.place_item({'type': 'water'}, 2, 1)
    g.agent = g.place_item({'type': 'agent', 'name': 'agent1'}, 1, 1)
    g.agents = [g.agent]
    ids = g.agent.action_ids
    assert [ids[a] for a in ('up', 'down', 'left', 'right', 'stop', 'toggle')] == [0, 1, 2, 3, 4, 5]
    assert g.agent.nactions == 6
    g.act(ids['right'])                       # into the block: stays
    assert g.agent.loc == {'y': 1, 'x': 1}
    assert g.get_reward() == pytest.approx(-0.1)
    g.act(ids['down'])                        # onto the water
    assert g.agent.loc == {'y': 2, 'x': 1} and g.agent in g.map.items[2][1]
    assert g.agent not in g.map.items[1][1]
    assert g.get_reward() == pytest.approx(-0.1 - 0.2)
    for _ in range(3):
        g.act(ids['left'])                    # off the map's edge: stays at x = 0
    assert g.agent.loc == {'y': 2, 'x': 0}
    with pytest.raises(RuntimeError, match='Could not find action'):
        g.act(6)


def test_switch_toggle_cycles_colours():
    v = vocab()
    g = MazeBase(plain_opts(), v)
    s = g.place_item({'type': 'switch', '_c': 2, 'color': 'color2', '_cn': 3}, 0, 0)
    g.agent = g.place_item({'type': 'agent', 'name': 'agent1'}, 0, 0)
    colours = []
    for _ in range(3):
        g.act(g.agent.action_ids['toggle'])
        colours.append(s.attr['color'])
    assert colours == ['color3', 'color1', 'color2']


def test_to_sentence_to_map_and_onehot_match_a_hand_built_map():
    v = vocab()
    nwords = len(v)
    g = MazeBase(plain_opts(H=3, W=4, conv_sz=5), v)
    g.place_item({'type': 'block'}, 0, 2)
    g.add_item({'type': 'info', 'name': 'obj1', 'task': 'go'})
    g.agent = g.place_item({'type': 'agent', 'name': 'agent1'}, 1, 1)
    s = g.to_sentence()
    assert tuple(s.size()) == (3, 6)
    want = [['block', 'y-1x1'], ['info', 'obj1', 'go'], ['agent', 'agent1', 'y0x0']]
    for row, words in zip(s, want):
        assert sorted(int(w) for w in row) == sorted([v[w] for w in words] + [v['nil']] * (6 - len(words)))
    m = g.to_map()
    assert tuple(m.size()) == (5, 7, 6)
    # the block at (0, 2) seen from (1, 1): row 0 - 1 + 3 - 1, column 2 - 1 + 4 - 1
    assert m[1][4][0] == v['block'] and m[2][3][0] == v['agent'] and m[2][3][1] == v['agent1']
    assert (m.ne(v['nil']).sum()) == 3
    onehot = lg.Tensor(8).fill(-1)
    g.to_map_onehot(onehot)
    # a located item's words are offset by its cell in the 5 x 5 window centred on the agent (centre 2, 2);
    # the unlocated info item by the first cell after the window
    block_d = (0 - 1 + 2) * 5 + (2 - 1 + 2)
    agent_d = 2 * 5 + 2
    info_d = 25
    assert [int(x) for x in onehot] == [v['block'] + block_d * nwords, v['info'] + info_d * nwords,
                                        v['obj1'] + info_d * nwords, v['go'] + info_d * nwords,
                                        v['agent'] + agent_d * nwords, v['agent1'] + agent_d * nwords, -1, -1]


def test_dijkstra_search_goes_round_a_wall():
    M = lg.ones(3, 3).mul(0.1)
    M[0][1] = 1000
    M[1][1] = 1000
    dist, prev = search.dsearch(M, 0, 0, 0, 2)
    assert dist == pytest.approx(0.6)         # six cells entered, 0.1 each
    path = search.backtrack(0, 0, 0, 2, prev)
    assert [(int(p[0]), int(p[1])) for p in path] == [(0, 0), (1, 0), (2, 0), (2, 1), (2, 2), (1, 2), (0, 2)]


def test_goto_game_supervision_reaches_the_goal(tmp_path):
    v = vocab()
    for seed in range(5):
        lg.manualSeed(seed)
        g = Goto(plain_opts(H=6, W=7, nswitches=2, ncolors=3), v)
        assert len(g.items_bytype['switch']) == 2 and len(g.items_bytype['agent']) == 1
        info = g.items_bytype['info'][0]
        assert info.attr['aloc'] == 'ay%dx%d' % (g.ygoal, g.xgoal)
        start = dict(g.agent.loc)
        X, ans, rew = g.get_supervision()
        steps = abs(start['y'] - g.ygoal) + abs(start['x'] - g.xgoal)
        if steps == 0:
            assert ans is None
            continue
        assert ans.size(0) == steps and len(X) == steps
        assert g.agent.loc == {'y': g.ygoal, 'x': g.xgoal} and g.is_success()
        # each step costs costs.step, the last (on the goal) costs costs.goal
        assert [round(float(r), 4) for r in rew] == [-0.1] * (steps - 1) + [0.0]


def test_single_goal_finishes_on_the_goal():
    v = vocab()
    lg.manualSeed(3)
    g = SingleGoal(plain_opts(H=4, W=4), v)
    path = search.backtrack(*(g.agent.loc['y'], g.agent.loc['x'], g.goal.loc['y'], g.goal.loc['x']),
                            search.dsearch(lg.ones(4, 4), g.agent.loc['y'], g.agent.loc['x'],
                                           g.goal.loc['y'], g.goal.loc['x'])[1])
    for t in range(path.size(0) - 1):
        assert g.is_active()
        g.act(g.d2a(path[t + 1][0] - path[t][0], path[t + 1][1] - path[t][1]))
        g.update()
    assert not g.is_active() and g.is_success() and g.get_reward() == 0


def test_curriculum_ranges_follow_the_config(tmp_path):
    init.g_opts = {'games_config_path': goto_config(tmp_path)}
    init.init_vocab()
    init.init_game()
    h = init.g_factory.helpers['Goto']
    assert isinstance(h, GotoHelper) and h.enable_corners == 1
    lg.manualSeed(0)
    sizes = set()
    for _ in range(40):
        o = h.generate_gameopts()
        assert 5 <= o['map_height'] <= 10 and 5 <= o['map_width'] <= 10
        assert 0 <= o['nblocks'] <= math.ceil(0.2 * o['map_height'] * o['map_width'])
        # GotoHelper's nswitches generator never runs: nswitches is no range option of the config
        assert 'nswitches' not in o and o['costs']['step'] == 0.1
        sizes.add(o['map_height'])
    assert sizes == set(range(5, 11))
    assert h.check_state() == 1               # every current max at its hardest
    init.g_factory.easiest('Goto')
    assert h.check_state() == -1 and h.mapH[1] == 5 and h.blockspct[1] == 0
    for _ in range(200):
        o = h.generate_gameopts()
        assert o['map_height'] == 5 and o['nblocks'] == 0
    for _ in range(400):
        init.g_factory.harder('Goto')
    assert h.check_state() == 1 and h.mapW[1] == 10 and h.waterpct[1] == pytest.approx(0.2)
    init.g_factory.freeze('Goto')
    init.g_factory.easiest('Goto')
    assert h.check_state() == 1


def test_batch_of_games(tmp_path):
    g_opts = main.options(['--memsize', '30', '--game', 'Goto', '--conv_sz', '9', '--max_attributes', '6'])
    g_opts['games_config_path'] = goto_config(tmp_path, '[5, 5, 5, 5, 1]')
    main.set_globals(g_opts=g_opts)
    init.init_vocab()
    init.init_game()
    main.set_globals(g_opts=init.g_opts, g_vocab=init.g_vocab, g_mazebase=init)
    lg.manualSeed(1)
    b = batch.batch_init(3)
    assert [lg.type(g) for g in b] == ['Goto'] * 3
    active = batch.batch_active(b)
    assert active.tolist() == [1, 1, 1]
    dummy, inp = batch.batch_input(b, active, 0)
    assert tuple(dummy.size()) == (3, 20) and tuple(inp.size()) == (3, 180)
    assert inp[0].view(30, 6)[0].tolist() == b[0].to_sentence()[0].tolist()
    g_opts['model'] = 'conv'
    maps, context = batch.batch_input(b, active, 0)
    assert tuple(maps.size()) == (3, 9 * 9 * 6) and tuple(context.size()) == (3, 180)
    # a 5 x 5 game's 9 x 9 relative map fills the whole window: the agent in the centre
    assert maps[0].view(9, 9, 6)[4][4][0] == init.g_vocab['agent']
    g_opts['model'] = 'mlp'
    onehot = batch.batch_input(b, active, 0)
    assert tuple(onehot.size()) == (3, 180)
    # drive game 0 to its goal with the search's moves, the others stop
    X, ans, rew = lg.Tensor(), None, None
    g0 = b[0]
    start = (g0.agent.loc['y'], g0.agent.loc['x'])
    _, prev = search.dsearch(lg.ones(5, 5), start[0], start[1], g0.ygoal, g0.xgoal) if start != (
        g0.ygoal, g0.xgoal) else (0, None)
    moves = []
    if prev is not None:
        path = search.backtrack(start[0], start[1], g0.ygoal, g0.xgoal, prev)
        moves = [g0.d2a(path[t + 1][0] - path[t][0], path[t + 1][1] - path[t][1]) for t in range(path.size(0) - 1)]
    stop = g0.agent.action_ids['stop']
    for m in moves:
        act = lg.LongTensor([m, stop, stop])
        batch.batch_act(b, act, active)
        batch.batch_update(b, active)
        r = batch.batch_reward(b, active, False)
        active = batch.batch_active(b)
    assert batch.batch_success(b).tolist()[0] == 1
    assert active.tolist()[0] == 0
    if moves:
        assert r.tolist()[0] == 0                              # the goal costs nothing
        assert r[1] == pytest.approx(-0.1 - sum(init.g_opts['multigames']['Goto']['StaticOpts']['costs'].get(
            e.type, 0) for e in b[1].map.items[b[1].agent.loc['y']][b[1].agent.loc['x']] if e.type != 'agent'))


def test_linearnb_is_a_linear_without_bias():
    lg.manualSeed(0)
    m = LinearNB(4, 3).double()
    x = lg.randn(5, 4).double()
    assert lg.dist(m.forward(x), x @ m.weight.t()) < 1e-12
    assert_jacobian(m, x)
    assert_jacobian(m, lg.randn(4).double())


@pytest.mark.parametrize('game', ['SingleGoal', 'Goto'])
def test_reinforce_training_raises_success(tmp_path, game):
    lg.manualSeed(2)
    if game == 'SingleGoal':
        # config/singlegoal.lua on a 3 x 3 map without blocks or water: the memnn model
        path = tmp_path / 'singlegoal.py'
        path.write_text(open(CONFIG).read().replace('[5, 5, 5, 10, 1]', '[3, 3, 3, 10, 1]').replace(
            '[0, .05, 0, .2, .01]', '[0, 0, 0, .2, .01]'))
        model = ['--hidsz', '16', '--nhop', '1', '--lrate', '0.01']
    else:
        # Goto's goal is absolute: the one-layer mlp over to_map_onehot's words
        path = goto_config(tmp_path, '[3, 3, 3, 3, 1]', '[0, 0, 0, 0, .01]')
        model = ['--model', 'mlp', '--nlayers', '1', '--lrate', '0.02']
    args = ['--games_config_path', str(path), '--epochs', '8', '--nbatches', '5', '--batch_size', '16',
            '--nworker', '1', '--memsize', '10', '--nactions', '6', '--max_steps', '8',
            '--game', game] + model
    log = main.main(args)
    assert len(log) == 8 and [l['epoch'] for l in log] == list(range(1, 9))
    first = sum(l['success'] for l in log[:2]) / 2
    last = sum(l['success'] for l in log[-2:]) / 2
    assert last > first + 0.1
    assert log[-1]['reward'] > log[0]['reward']
    assert log[-1]['count_' + game] == 80 and log[-1]['success_' + game] == log[-1]['success']


def test_dofile_of_a_config_sees_no_caller_global(tmp_path):
    # init.lua's `g_opts = dofile(g_opts.games_config_path)`: Lua runs the config in the one global table, so
    # config/singlegoal.lua reads the caller's g_opts (max_attributes) and adds multigames to that same table
    from legonn import paths
    import runpy
    g_opts = {'max_attributes': 4, 'hidsz': 7}
    fresh = paths.dofile(CONFIG)['g_opts']
    assert fresh is not g_opts and 'hidsz' not in fresh
    assert fresh['multigames']['SingleGoal']['StaticOpts']['max_attributes'] == 6
    shared = runpy.run_path(CONFIG, init_globals={'g_opts': g_opts})['g_opts']
    assert shared is g_opts and shared['hidsz'] == 7
    assert shared['multigames']['SingleGoal']['StaticOpts']['max_attributes'] == 4


@pytest.mark.gpu
def test_linearnb_on_cuda_matches_the_cpu():
    lg.manualSeed(0)
    m = LinearNB(4, 3)
    x = lg.randn(5, 4)
    g = lg.randn(5, 3)
    out = m.forward(x).clone()
    gin = m.backward(x, g).clone()
    gw = m.gradWeight.clone()
    c = m.clone().cuda()
    c.zeroGradParameters()
    assert lg.dist(c.forward(x.cuda()).float(), out) < 1e-5
    assert lg.dist(c.backward(x.cuda(), g.cuda()).float(), gin) < 1e-5
    assert lg.dist(c.gradWeight.float(), gw) < 1e-5


def test_switches_supervision_sets_every_switch_to_one_colour():
    from tests.porting.mazebase.Switches import Switches
    v = vocab()
    for seed, explicit in [(0, False), (1, True), (2, True), (3, False)]:
        lg.manualSeed(seed)
        g = Switches(plain_opts(H=5, W=5, nswitches=3, ncolors=3, explicit=explicit), v)
        info = g.items_bytype['info'][0]
        assert info.attr['target'] == ('color%d' % g.target_color if explicit else 'same')
        g.update()
        X, ans, rew = g.get_supervision()
        colours = {s.attr['_c'] for s in g.items_bytype['switch']}
        assert len(colours) == 1 and g.finished
        if explicit:
            assert colours == {g.target_color}
        if ans is not None:
            assert float(rew[-1]) == 0 and all(float(r) == pytest.approx(-0.1) for r in rew[:-1])
            toggles = sum(1 for a in ans if int(a) == g.agent.action_ids['toggle'])
            assert toggles >= 1


def test_multigoals_visits_goals_in_order():
    from tests.porting.mazebase.MultiGoals import MultiGoals
    from tests.porting.mazebase.MultiGoalsHelper import MultiGoalsHelper
    v = vocab()
    lg.manualSeed(4)
    g = MultiGoals(plain_opts(H=6, W=6, ngoals=4, ngoals_active=3, flag_visited=1,
                              costs={'goal': 2, 'step': 0.1, 'block': 1000}), v)
    names = [e.attr['target'] for e in g.items_bytype['info']]
    assert names == [g.goals[int(k)].name for k in g.goal_order] and len(set(names)) == 3
    assert g.costs['goal'] == 0 and g.goal_cost == 2
    X, ans, rew = g.get_supervision()
    assert g.goal_reached == 3 and g.finished and float(rew[-1]) == -2
    assert [e.attr.get('visited') for e in g.goals if e.name in names] == ['visited'] * 3
    h = MultiGoalsHelper({'RangeOpts': {'ngoals': lg.Tensor([2, 6, 3, 6, 1]),
                                        'ngoals_active': lg.Tensor([1, 3, 1, 3, 1])}, 'StaticOpts': {}})
    for _ in range(50):
        o = h.generate_gameopts()
        assert 2 <= o['ngoals'] <= 6 and 1 <= o['ngoals_active'] <= min(3, o['ngoals'])


def test_gotohidden_goals_are_invisible_and_a_wrong_one_costs():
    from tests.porting.mazebase.GotoHidden import GotoHidden
    v = vocab()
    lg.manualSeed(5)
    g = GotoHidden(plain_opts(H=5, W=5, ngoals=3, bad_goal_cost=0.5, costs={'goal': 1, 'step': 0.1}), v)
    s = g.to_sentence()
    words = {int(w) for w in s.view(-1)}
    assert v['goal'] not in words                      # the goal items are _invisible
    for i, e in enumerate(g.goals):
        assert v['ay%dx%d' % (e.loc['y'], e.loc['x'])] in words
    assert v['goal%d' % (g.true_goal + 1)] in words and v['go'] in words
    wrong = g.goals[(g.true_goal + 1) % 3]
    g.map.remove_item(g.agent)
    g.agent.loc['y'], g.agent.loc['x'] = wrong.loc['y'], wrong.loc['x']
    g.map.add_item(g.agent)
    g.update()
    assert not g.finished and g.get_reward() == pytest.approx(-0.1 - 0.5)
    X, ans, rew = g.get_supervision()
    assert g.finished and float(rew[-1]) == -1


def test_condgoals_goal_follows_the_switch_colour():
    from tests.porting.mazebase.CondGoals import CondGoals
    v = vocab()
    for seed in range(4):
        lg.manualSeed(seed)
        g = CondGoals(plain_opts(H=5, W=5, ngoals=3, ncolors=2, costs={'goal': 1, 'step': 0.1}), v)
        infos = g.items_bytype['info']
        assert [e.attr['color'] for e in infos] == ['color1', 'color2']
        assert infos[g.switch_color - 1].attr['target'] == 'goal%d' % (g.cond_goal + 1)
        others = [e for i, e in enumerate(g.goals) if i != g.cond_goal and e.loc != g.goals[g.cond_goal].loc]
        if others:
            o = others[0]
            g.map.remove_item(g.agent)
            g.agent.loc['y'], g.agent.loc['x'] = o.loc['y'], o.loc['x']
            g.map.add_item(g.agent)
            g.update()
            assert not g.finished and g.get_reward() == pytest.approx(-0.2)    # bad_goal_cost's default
        X, ans, rew = g.get_supervision()
        assert g.finished and g.goal_reached == 1 and g.get_reward() == -1


def test_exclusion_visits_all_but_the_avoided_goals():
    from tests.porting.mazebase.Exclusion import Exclusion
    from tests.porting.mazebase.ExclusionHelper import ExclusionHelper
    v = vocab()
    lg.manualSeed(6)
    g = Exclusion(plain_opts(H=6, W=6, ngoals=4, ngoals_active=2, costs={'goal': 1, 'step': 0.1}), v)
    avoided = [e.attr['target'] for e in g.items_bytype['info'] if e.attr.get('avoid')]
    assert len(avoided) == 2 and avoided == [g.goals[int(g.goal_order[i])].name for i in (2, 3)]
    X, ans, rew = g.get_supervision()
    assert g.finished and float(rew[-1]) == -1
    assert [int(g.visited[int(g.goal_order[i])]) for i in (0, 1)] == [1, 1]
    h = ExclusionHelper({'RangeOpts': {'ngoals': lg.Tensor([2, 6, 3, 6, 1]),
                                       'ngoals_active': lg.Tensor([1, 5, 1, 3, 1])}, 'StaticOpts': {}})
    for _ in range(50):
        o = h.generate_gameopts()
        assert 1 <= o['ngoals_active'] <= max(1, o['ngoals'] - 1)


def test_lightkey_door_opens_with_the_switch_colour():
    from tests.porting.mazebase.LightKey import LightKey
    v = vocab()
    toggled = 0
    for seed in range(12):
        lg.manualSeed(seed)
        g = LightKey(plain_opts(H=5, W=5, ncolors=2), v)
        door = g.items_bytype['door'][0]
        switch = g.items_bytype['switch'][0]
        wall = [e for e in g.items_bytype['block']]
        assert len(wall) == 4 and g.nblocks == 0
        assert door.attr['open'] == ('open' if switch.attr['_c'] == door.attr['_c'] else 'closed')
        assert door.is_reachable() == (door.attr['open'] == 'open')
        # the agent starts on the switch's side of the wall
        side = 'y' if g.orientation == 1 else 'x'
        assert (g.agent.loc[side] < g.wall_position) == (switch.loc[side] < g.wall_position)
        X, ans, rew = g.get_supervision()
        toggled += sum(1 for a in (ans if ans is not None else []) if int(a) == g.agent.action_ids['toggle'])
        assert g.finished and g.agent.loc == g.goals[0].loc
    assert toggled > 0


PUSH_COSTS = {'goal': 0, 'step': 0.1, 'block': 1000, 'pushableblock': 1000}


def test_push_actions_move_a_pushable_block():
    from tests.porting.mazebase.PushableBlock import PushableBlock
    v = vocab()
    g = MazeBase(plain_opts(H=4, W=4, push_action=1, costs=PUSH_COSTS), v)
    b = g.place_item({'_factory': PushableBlock}, 1, 2)
    g.agent = g.place_item({'type': 'agent', 'name': 'agent1'}, 1, 1)
    ids = g.agent.action_ids
    assert [ids[a] for a in ('push_up', 'push_down', 'push_left', 'push_right')] == [6, 7, 8, 9]
    assert sorted(int(w) for w in g.to_sentence()[0][:3]) == sorted([v['pushable'], v['block'], v['y0x1']])
    g.act(ids['right'])                       # a pushable block is not reachable
    assert g.agent.loc == {'y': 1, 'x': 1}
    g.act(ids['push_right'])
    assert b.loc == {'y': 1, 'x': 2} and b.pushed
    g.update()                                # the push is applied at the game's update
    assert b.loc == {'y': 1, 'x': 3} and not b.pushed and b in g.map.items[1][3]
    g.act(ids['right'])
    g.act(ids['push_right'])                  # off the map: the push does nothing
    g.update()
    assert b.loc == {'y': 1, 'x': 3} and g.agent.loc == {'y': 1, 'x': 2}


def test_pushblock_and_blockeddoor_supervision_finish():
    from tests.porting.mazebase.BlockedDoor import BlockedDoor
    from tests.porting.mazebase.PushBlock import PushBlock
    v = vocab()
    pushes = 0
    for seed in range(6):
        lg.manualSeed(seed)
        g = PushBlock(plain_opts(H=6, W=6, push_action=1, costs=dict(PUSH_COSTS)), v)
        X, ans, rew = g.get_supervision()
        b = g.items_bytype['pushableblock'][0]
        assert g.finished and b.loc == {'y': g.ygoal, 'x': g.xgoal} and float(rew[-1]) == 0
        lg.manualSeed(seed)
        d = BlockedDoor(plain_opts(H=7, W=7, push_action=1, costs=dict(PUSH_COSTS)), v)
        assert len(d.items_bytype['block']) == 6 and d.items_bytype['pushableblock'][0].loc == {
            'y': int(d.doorloc[0]), 'x': int(d.doorloc[1])}
        X, ans, rew = d.get_supervision()
        pushes += sum(1 for a in ans if int(a) >= d.agent.action_ids['push_up'])
        assert d.finished and d.agent.loc == d.goals[0].loc
    assert pushes > 0


def test_cardinal_and_absolute_games():
    from tests.porting.mazebase.GotoCardinal import GotoCardinal
    from tests.porting.mazebase.MultiGoalsAbsolute import MultiGoalsAbsolute
    from tests.porting.mazebase.PushBlockCardinal import PushBlockCardinal
    v = vocab()
    lg.manualSeed(7)
    g = GotoCardinal(plain_opts(H=5, W=5), v)
    assert g.items_bytype['info'][0].attr[2] == ['top', 'bottom', 'left', 'right'][g.dest]
    move = g.agent.action_ids[['up', 'down', 'left', 'right'][g.dest]]
    for _ in range(4):
        g.act(move)
    g.update()
    assert g.finished and g.get_reward() == 0
    lg.manualSeed(8)
    m = MultiGoalsAbsolute(plain_opts(H=6, W=6, ngoals=3, ngoals_active=2, flag_visited=1,
                                      costs={'goal': 1, 'step': 0.1}), v)
    assert all(e.attr['_invisible'] for e in m.goals)
    X, ans, rew = m.get_supervision()
    shown = [e for e in m.goals if not e.attr['_invisible']]
    assert m.finished and float(rew[-1]) == -1 and len(shown) == 2 and all(e.attr['visited'] for e in shown)
    for seed in range(4):
        lg.manualSeed(seed)
        p = PushBlockCardinal(plain_opts(H=6, W=6, push_action=1, costs=dict(PUSH_COSTS)), v)
        assert p.map.ygoal is None                # the Lua's unassigned globals h, w
        X, ans, rew = p.get_supervision()
        b = p.items_bytype['pushableblock'][0]
        assert p.finished and [b.loc['y'] == 0, b.loc['y'] == 5, b.loc['x'] == 0, b.loc['x'] == 5][p.dest]


def test_gotoswitch_colour_word_from_a_tensor_element():
    from tests.porting.mazebase.GotoSwitch import GotoSwitch
    v = vocab()
    lg.manualSeed(9)
    g = GotoSwitch(plain_opts(H=5, W=5, nswitches=2, ncolors=3), v)
    # `'color' .. self.target_color` of a DoubleTensor element: Lua writes a whole number with %.14g
    assert isinstance(g.target_color, float) and 'color' + str(g.target_color) not in v
    word = g.items_bytype['info'][0].attr[2]
    assert word == 'color%d' % g.target_color and word in v
    g.to_sentence()
    # update reads the agent's row for x: on a target switch at (y, x != y) the game does not end
    s = next(e for e in g.items_bytype['switch'] if e.attr['_c'] == g.target_color)
    g.map.remove_item(g.agent)
    g.agent.loc['y'], g.agent.loc['x'] = s.loc['y'], s.loc['x']
    g.map.add_item(g.agent)
    g.update()
    assert g.finished == any(e.type == 'switch' and e.attr['_c'] == g.target_color
                             for e in g.map.items[s.loc['y']][s.loc['y']])


GAME_CONFIG = os.path.join(os.path.dirname(__file__), 'mazebase', 'config', 'game_config.py')


def test_game_config_factory_draws_every_game_and_their_supervision_wins():
    g_opts = main.options(['--memsize', '100'])
    g_opts['games_config_path'] = GAME_CONFIG
    main.set_globals(g_opts=g_opts)
    init.init_vocab()
    init.init_game()
    main.set_globals(g_opts=init.g_opts, g_vocab=init.g_vocab, g_mazebase=init)
    names = ['MultiGoals', 'CondGoals', 'Exclusion', 'Switches', 'LightKey', 'Goto', 'GotoHidden', 'PushBlock',
             'PushBlockCardinal', 'BlockedDoor']
    assert init.g_factory.glist == names and init.g_factory.probs.tolist() == [1] * 10
    h = init.g_factory.helpers
    assert h['PushBlock'].mapH.tolist() == [3, 7, 3, 7, 1] and h['Exclusion'].ngoals_active.tolist() == [1, 3, 1, 3, 0]
    # the static options are one shallow copy per game of the shared table: the costs table is shared
    assert h['Goto'].costs is h['LightKey'].costs and h['Goto'].enable_corners == 1
    lg.manualSeed(0)
    b = batch.batch_init(60)
    assert set(lg.type(g) for g in b) == set(names)
    active = batch.batch_active(b)
    dummy, inp = batch.batch_input(b, active, 0)
    assert tuple(inp.size()) == (60, 600) and int(inp.max()) < init.g_opts['nwords']
    for g in b:
        assert g.map.height <= 10 and len(g.items_bytype['corner']) == 4
    won = 0
    for g in b:
        X, ans, rew = g.get_supervision()
        won += g.finished
    assert won >= 45


def test_conv_model_trains_on_the_conv_inputs(tmp_path):
    # model.lua's conv model over batch_input_conv's relative map (conv_sz 9 for 5 x 5 games) and info context
    lg.manualSeed(3)
    path = goto_config(tmp_path, '[5, 5, 5, 5, 1]', '[0, 0, 0, 0, .01]')
    log = main.main(['--games_config_path', path, '--model', 'conv', '--conv_sz', '9', '--convdim', '4',
                     '--hidsz', '8', '--memsize', '4', '--nactions', '6', '--epochs', '2', '--nbatches', '2',
                     '--batch_size', '4', '--nworker', '1', '--max_steps', '4', '--game', 'Goto'])
    from tests.porting.mazebase import model
    convs = model.g_model.findModules('nn.SpatialConvolution')[0]
    assert len(convs) == 3 and tuple(convs[0].weight.size()) == (4, 8, 3, 3)
    assert len(log) == 2 and all(math.isfinite(l['bl_cost']) for l in log)
    b = batch.batch_init(2)
    out = model.g_model.forward(batch.batch_input(b, batch.batch_active(b), 0))
    assert tuple(out[0].size()) == (2, 6) and lg.exp(out[0]).sum(1).add(-1).abs().max() < 1e-5


def test_save_load_and_play_one_game(tmp_path, capsys):
    from tests.porting.mazebase import model, util
    lg.manualSeed(4)
    save = str(tmp_path / 'mazebase.t7')
    args = ['--games_config_path', CONFIG, '--epochs', '1', '--nbatches', '1', '--batch_size', '2', '--nworker',
            '1', '--memsize', '20', '--nactions', '6', '--hidsz', '8', '--nhop', '1', '--max_steps', '3']
    log = main.main(args + ['--save', save])
    out = capsys.readouterr().out
    assert 'model saved to ' in out and 'success:' in out and ' action: ' in out
    saved = model.g_paramx.clone()
    state = util.g_rmsprop_state['m'].clone()
    lg.manualSeed(5)
    log2 = main.main(args + ['--load', save, '--epochs', '0'])
    assert 'model loaded from ' in capsys.readouterr().out
    assert lg.equal(model.g_paramx, saved) and lg.equal(util.g_rmsprop_state['m'], state)
    assert len(log2) == 1 and log2[0]['reward'] == log[0]['reward']


def test_curriculum_moves_the_ranges():
    from tests.porting.mazebase import train
    g_opts = main.options([])
    g_opts['games_config_path'] = os.path.join(os.path.dirname(GAME_CONFIG), 'game_config_curr.py')
    init.g_opts = g_opts
    init.init_vocab()
    init.init_game()
    o = init.g_opts
    assert o['curriculum'] == 1 and o['curriculum_min_count'] == 1000 and o['curriculum_total_count'] == 60000
    h = init.g_factory.helpers['PushBlock']
    assert h.mapH.tolist() == [3, 3, 3, 7, 1] and h.check_state() == -1
    o['curriculum_min_count'] = 3
    o['curriculum_total_count'] = 1000
    main.set_globals(g_opts=o, g_factory=init.g_factory)
    lg.manualSeed(6)
    games = [init.g_factory.init_game('PushBlock') for _ in range(4)]
    maxima = lambda: sum(getattr(h, n)[1] for n in h.dparams)
    start = maxima()
    train.apply_curriculum(games, lg.ones(4))          # 4 wins > 3 games at > 80%: harder, counters reset
    assert maxima() > start and h.count == 0 and h.total_count == 4
    for _ in range(12):
        train.apply_curriculum(games, lg.zeros(4))     # losses: easier, down to the easiest maxima
    assert maxima() == start and h.check_state() == -1 and h.total_count == 52
    o['curriculum_total_count'] = 40
    train.apply_curriculum(games, lg.ones(4))          # past the total: hardest, then frozen
    assert h.frozen and h.check_state() == 1 and h.mapH[1] == 7
    train.apply_curriculum(games, lg.zeros(4))
    assert h.check_state() == 1


def test_bresenham_lines_and_cover():
    from tests.porting.mazebase import shooting_utils as su
    cells = lambda line: [(int(p[0]), int(p[1])) for p in line]
    assert cells(su.bresenham(0, 0, 0, 3)) == [(0, 0), (0, 1), (0, 2), (0, 3)]
    assert cells(su.bresenham(3, 1, 0, 1)) == [(3, 1), (2, 1), (1, 1), (0, 1)]
    assert cells(su.bresenham(1, 1, 1, 1)) == [(1, 1)]                      # the Lua's `for` of step 0
    assert cells(su.bresenham(0, 0, 2, 4)) == [(0, 0), (0, 1), (1, 2), (1, 3), (2, 4)]
    cover = lg.zeros(3, 5)
    cover[1][2] = 1
    ok, line = su.check_hittable(cover, 10, 0, 0, 2, 4)
    assert not ok and cells(line) == [(0, 0), (0, 1), (1, 2)]                # stopped at the cover
    ok, line = su.check_hittable(None, 2, 0, 0, 2, 4)
    assert not ok and len(line) == 5                                          # out of range
    assert su.check_hittable(None, 5, 0, 0, 2, 4)[0]


def star_opts(**over):
    return plain_opts(H=5, W=5, nagents=2, nenemy=2, enemy_action_noise=0.0, enemy_health=2, enemy_pMiss=0.0,
                      enemy_cooldown_max=1, enemy_range=3, agent_range=3, agent_pMiss=0.0, agent_cooldown_max=1,
                      agent_health=3, costs={'goal': 0, 'step': 0.1, 'killed': 5}, **over)


def test_multiagentsstar_shooting_health_and_rewards():
    import random
    from tests.porting.mazebase.MultiAgentsStar import MultiAgentsStar
    from tests.porting.mazebase.MultiAgentsStarHelper import MultiAgentsStarHelper
    v = vocab()
    lg.manualSeed(0)
    random.seed(0)
    g = MultiAgentsStar(star_opts(), v)
    names = sorted(e.name for e in g.items_bytype['StarEnemy'])
    shoots = sorted(n for n in g.agent.action_names.values() if n.startswith('shoot_'))
    assert shoots == ['shoot_' + n for n in names] and g.agent.nactions == 8
    assert g.agent.attr['health'] == 'health3' and g.agent.attr['cooldown'] == 'cooldown0'
    g.to_sentence()                                   # every word is in the vocabulary
    # every enemy and agent on one cell: all in range, nothing moves out of the way
    for e in g.items:
        if e.loc:
            g.map.remove_item(e)
            e.loc['y'], e.loc['x'] = 2, 2
            g.map.add_item(e)
    target = g.item_byname[names[0]]
    g.agent = g.agents[0]
    g.act(g.agent.action_ids['shoot_' + names[0]])
    assert target.health == 1 and g.agent.cooldown == 2
    g.act(g.agent.action_ids['shoot_' + names[0]])  # cooling down: no shot
    assert target.health == 1
    rewards, success = [], []
    for t in range(12):
        for a in g.agents:
            g.agent = a
            if g.is_active():
                for n in names:
                    g.act(g.agent.action_ids['shoot_' + n])
        g.update()
        for a in g.agents:
            g.agent = a
            rewards.append(g.get_reward())
        success.append(g.is_success())
    assert g.enemies_alive == 0 or g.agents_alive == 0
    # a killed agent pays costs.killed once, then nothing
    assert rewards.count(-5) == 2 - g.agents_alive
    assert success[-1] == (g.agents_alive > 0)
    h = MultiAgentsStarHelper({'RangeOpts': {'nenemy': lg.Tensor([1, 3, 1, 5, 1]),
                                             'enemy_speed': lg.Tensor([1, 2, 1, 2, 0])}, 'StaticOpts': {}})
    for _ in range(20):
        o = h.generate_gameopts()
        assert 1 <= o['nenemy'] <= 3 and o['enemy_speed'] in (-1, -2) and 'enemy_health' not in o


def test_demo_api_plays_a_random_game(capsys):
    from tests.porting.mazebase import demo_api
    lg.manualSeed(1)
    g = demo_api.demo()
    assert lg.type(g) in init.g_factory.glist and g.t >= 1
    assert capsys.readouterr().out.count('legonn.FloatTensor of size') == min(g.t, 20)


def test_worker_threads_sum_their_gradients(tmp_path):
    # main.lua's init_threads and train's nworker > 1 branch: each worker plays its own batch with its own model
    # copy (worker processes: each Lua worker has its own globals), the main thread sums their gradients
    from tests.porting.mazebase import model, train
    lg.manualSeed(2)
    path = goto_config(tmp_path, '[3, 3, 3, 3, 1]', '[0, 0, 0, 0, .01]')
    args = ['--games_config_path', path, '--epochs', '1', '--nbatches', '2', '--batch_size', '3', '--nworker', '2',
            '--memsize', '10', '--nactions', '6', '--hidsz', '8', '--nhop', '1', '--max_steps', '4',
            '--game', 'Goto', '--optim', 'sgd', '--lrate', '0.1']
    try:
        log = main.main(args)
        assert log[0]['count'] == 2 * 2 * 3 and log[0]['count_Goto'] == 12     # both workers' games
        final = model.g_paramx.clone()
        lg.manualSeed(2)
        model.g_init_model()                  # the same start weights: sgd moved them by the workers' mean
        assert lg.dist(final, model.g_paramx) > 0 and model.g_paramdx.nElement() == final.nElement()
    finally:
        if train.g_workers is not None:
            train.g_workers.terminate()
            main.set_globals(g_workers=None)
