"""code/game/Switch.lua: the switch riddle. Each day one of ``game_nagents`` prisoners (drawn at random) is in the
room, sees the switch and may say "everyone has been here" (action 2); all live (+1) if everyone has been, all die
(-1) if not; the game ends after ``nsteps = 4 * nagents - 6`` days.

Edits beyond Lua syntax and 0-based indices:

* Agent ids are 0-based (``active_agent`` holds 0 .. nagents - 1, legonn's 0-based ``random(n)``,
  docs/porting.md's row on ``random(b)``); ``step_counter`` and the ``step`` arguments stay the Lua's day counts
  1 .. nsteps (compared with ``nsteps``), so a tensor indexed by day reads ``[step - 1]``.
* Actions stay the Lua's codes (1 = on ... , 0 = no action taken), values of ``a_t`` compared with 2, not indices;
  getActionRange's ranges ``{{i}, {1, bound}}`` are slices of q values, 0-based: ``(i, (0, bound))`` meaning rows
  ``i:i+1``, columns ``0:bound`` (comm.py reads them so).
* getState's 1 (in the room) / 2 (not) feed a LookupTable(2): 0 / 1 here.
* ``kwargs(_, {...})``: ``_`` is an unset global, nil, so the defaults come back. ``if not opt[k]`` fills what
  the options lack (``opt.get(k)``: nil or false in Lua, the same test in Python for these numbers apart from 0;
  an option at 0 is kept in Lua, so ``opt.get(k) is None`` here).
* ``if self.opt.game_comm_limited then``: Lua's 0 is true (docs/porting.md's ``if a then`` row), so the channel
  is limited whenever the option exists: ``is not None``.
"""
import legonn as lg

from ..include.kwargs import kwargs

# Actions
# 1 = on
# 2 = off
# 3 = tell
# 4* = none


class Switch:
    typename = 'Switch'

    def __init__(self, opt):
        opt_game = kwargs(None, [
            {0: 'game_action_space', 'type': 'int-pos', 'default': 2},
            {0: 'game_reward_shift', 'type': 'int', 'default': 0},
            {0: 'game_comm_bits', 'type': 'int', 'default': 0},
            {0: 'game_comm_sigma', 'type': 'number', 'default': 2},
        ])

        # Steps max override
        opt['nsteps'] = 4 * opt['game_nagents'] - 6

        for k, v in opt_game.items():
            if opt.get(k) is None:
                opt[k] = v
        self.opt = opt

        # Rewards
        self.reward_all_live = 1 + self.opt['game_reward_shift']
        self.reward_all_die = -1 + self.opt['game_reward_shift']

        # Spawn new game
        self.reset()

    def reset(self):
        opt = self.opt
        # Reset rewards
        self.reward = lg.zeros(opt['bs'], opt['game_nagents'])

        # Has been in
        self.has_been = lg.zeros(opt['bs'], opt['nsteps'], opt['game_nagents'])

        # Reached end
        self.terminal = lg.zeros(opt['bs'])

        # Step counter
        self.step_counter = 1

        # Who is in
        self.active_agent = lg.zeros(opt['bs'], opt['nsteps'])
        for b in range(opt['bs']):
            for step in range(opt['nsteps']):
                id = lg.random(opt['game_nagents'])
                self.active_agent[b:b + 1, step:step + 1] = id
                self.has_been[b:b + 1, step:step + 1, id:id + 1] = 1

        return self

    def getActionRange(self, step, agent):
        range_ = {}
        if self.opt['model_dial'] == 1:
            bound = self.opt['game_action_space']

            for i in range(self.opt['bs']):
                if self.active_agent[i][step - 1] == agent:
                    range_[i] = (i, (0, bound))
                else:
                    range_[i] = (i, (0, 1))
            return range_
        else:
            comm_range = {}
            for i in range(self.opt['bs']):
                if self.active_agent[i][step - 1] == agent:
                    range_[i] = (i, (0, self.opt['game_action_space']))
                    comm_range[i] = (i, (self.opt['game_action_space'], self.opt['game_action_space_total']))
                else:
                    range_[i] = (i, (0, 1))
                    comm_range[i] = (i, (-1, -1))      # {0, 0}: a range whose first end is 0, "none"
            return range_, comm_range

    def getCommLimited(self, step, i):
        if self.opt['game_comm_limited'] is not None:

            range_ = {}

            # Get range per batch
            for b in range(self.opt['bs']):
                # if agent is active read from field of previous agent
                if step > 1 and i == self.active_agent[b][step - 1]:
                    range_[b] = (int(self.active_agent[b][step - 2]), None)
                else:
                    range_[b] = 0
            return range_
        else:
            return None

    def getReward(self, a_t):
        for b in range(self.opt['bs']):
            active_agent = int(self.active_agent[b][self.step_counter - 1])
            if a_t[b][active_agent] == 2 and self.terminal[b] == 0:
                has_been = self.has_been[b:b + 1, 0:self.step_counter, :].sum(1).squeeze(1).gt(0).float().sum()
                if has_been == self.opt['game_nagents']:
                    self.reward[b] = self.reward_all_live
                else:
                    self.reward[b] = self.reward_all_die
                self.terminal[b] = 1
            elif self.step_counter == self.opt['nsteps'] and self.terminal[b] == 0:
                self.terminal[b] = 1

        return self.reward.clone(), self.terminal.clone()

    def step(self, a_t):
        # Get rewards
        reward, terminal = self.getReward(a_t)

        # Make step
        self.step_counter = self.step_counter + 1

        return reward, terminal

    def getState(self):
        state = []

        for agent in range(self.opt['game_nagents']):
            state.append(lg.Tensor(self.opt['bs']))

            for b in range(self.opt['bs']):
                if self.active_agent[b][self.step_counter - 1] == agent:
                    state[agent][b:b + 1] = 0
                else:
                    state[agent][b:b + 1] = 1

        return state
