"""lua/mazebase/init.lua: the games and helpers table, the vocabulary (0-based word ids, 'nil' first),
init_game (runs the games config) and new_game. Every game of init.lua's tables is ported."""
import runpy

from .BlockedDoor import BlockedDoor
from .CondGoals import CondGoals
from .CondGoalsHelper import CondGoalsHelper
from .Exclusion import Exclusion
from .ExclusionHelper import ExclusionHelper
from .GameFactory import GameFactory
from .Goto import Goto
from .GotoCardinal import GotoCardinal
from .GotoHelper import GotoHelper
from .GotoHidden import GotoHidden
from .GotoHiddenHelper import GotoHiddenHelper
from .GotoSwitch import GotoSwitch
from .LightKey import LightKey
from .MultiAgentsStar import MultiAgentsStar
from .MultiAgentsStarHelper import MultiAgentsStarHelper
from .MultiGoals import MultiGoals
from .MultiGoalsAbsolute import MultiGoalsAbsolute
from .MultiGoalsHelper import MultiGoalsHelper
from .OptsHelper import OptsHelper
from .PushBlock import PushBlock
from .PushBlockCardinal import PushBlockCardinal
from .SingleGoal import SingleGoal
from .Switches import Switches
from .SwitchesHelper import SwitchesHelper

g_opts = None
g_vocab = None
g_ivocab = None
g_ivocabx = None
g_ivocaby = None
g_factory = None


def init_game_opts():
    global g_factory
    games = {}
    helpers = {}
    games['MultiGoals'] = MultiGoals
    helpers['MultiGoals'] = MultiGoalsHelper
    games['MultiGoalsAbsolute'] = MultiGoalsAbsolute
    helpers['MultiGoalsAbsolute'] = MultiGoalsHelper
    games['CondGoals'] = CondGoals
    helpers['CondGoals'] = CondGoalsHelper
    games['Exclusion'] = Exclusion
    helpers['Exclusion'] = ExclusionHelper
    games['Switches'] = Switches
    helpers['Switches'] = SwitchesHelper
    games['GotoSwitch'] = GotoSwitch
    helpers['GotoSwitch'] = SwitchesHelper
    games['LightKey'] = LightKey
    helpers['LightKey'] = OptsHelper
    games['Goto'] = Goto
    helpers['Goto'] = GotoHelper
    games['GotoCardinal'] = GotoCardinal
    helpers['GotoCardinal'] = OptsHelper
    games['GotoHidden'] = GotoHidden
    helpers['GotoHidden'] = GotoHiddenHelper
    games['PushBlock'] = PushBlock
    helpers['PushBlock'] = OptsHelper
    games['PushBlockCardinal'] = PushBlockCardinal
    helpers['PushBlockCardinal'] = OptsHelper
    games['BlockedDoor'] = BlockedDoor
    helpers['BlockedDoor'] = OptsHelper
    games['MultiAgentsStar'] = MultiAgentsStar
    helpers['MultiAgentsStar'] = MultiAgentsStarHelper
    games['SingleGoal'] = SingleGoal
    helpers['SingleGoal'] = OptsHelper
    g_factory = GameFactory(g_opts, g_vocab, games, helpers)
    return games, helpers


def init_vocab():
    global g_vocab, g_ivocab, g_ivocabx, g_ivocaby

    def vocab_add(word):
        if g_vocab.get(word) is None:
            ind = g_opts['nwords']
            g_opts['nwords'] = g_opts['nwords'] + 1
            g_vocab[word] = ind
            g_ivocab[ind] = word
    g_vocab = {}
    g_ivocab = {}
    g_ivocabx = {}
    g_ivocaby = {}
    g_opts['nwords'] = 0

    vocab_add('nil')
    vocab_add('empty')
    vocab_add('agent')
    for i in range(1, 6):
        vocab_add('agent' + str(i))
    vocab_add('goal')
    for i in range(1, 11):
        vocab_add('goal' + str(i))
        vocab_add('obj' + str(i))
        vocab_add('reward' + str(i))
    vocab_add('info')
    vocab_add('block')
    vocab_add('corner')
    vocab_add('water')
    vocab_add('visited')
    vocab_add('crumb')
    vocab_add('left')
    vocab_add('right')
    vocab_add('top')
    vocab_add('bottom')
    vocab_add('if')
    mh = 12
    mw = 12
    g_opts['MH'] = mh
    g_opts['MW'] = mw
    for y in range(-mh, mh + 1):
        for x in range(-mw, mw + 1):
            w = 'y' + str(y) + 'x' + str(x)
            vocab_add(w)
            g_ivocabx[g_vocab[w]] = x
            g_ivocaby[g_vocab[w]] = y
    vocab_add('door')
    vocab_add('open')
    vocab_add('closed')
    vocab_add('switch')
    vocab_add('task')
    vocab_add('color')
    vocab_add('same')
    for i in range(1, 11):
        vocab_add('color' + str(i))
    vocab_add('visit')
    vocab_add('all')
    vocab_add('excluding')
    vocab_add('avoid')

    vocab_add('pushable')
    vocab_add('push')
    vocab_add('block')

    vocab_add('go')
    vocab_add('absolute')
    for y in range(mh):
        for x in range(mw):
            w = 'ay' + str(y) + 'x' + str(x)
            vocab_add(w)
            g_ivocabx[g_vocab[w]] = x
            g_ivocaby[g_vocab[w]] = y

    vocab_add('BumpEnemy')
    vocab_add('bullet')
    vocab_add('enemy1')
    vocab_add('enemy2')
    vocab_add('enemy3')
    vocab_add('enemy4')
    vocab_add('enemy5')
    for s in range(-5, 51):
        vocab_add('health' + str(s))

    for s in range(0, 51):
        vocab_add('cooldown' + str(s))

    vocab_add('step')
    vocab_add('at')


def init_game():
    global g_opts
    # Lua's dofile runs the config in the caller's globals, where it finds and extends g_opts
    g_opts = runpy.run_path(g_opts['games_config_path'], init_globals={'g_opts': g_opts})['g_opts']
    games, helpers = init_game_opts()


def new_game():
    if g_opts.get('game') is None or g_opts.get('game') == '':
        return g_factory.init_random_game()
    else:
        return g_factory.init_game(g_opts['game'])
