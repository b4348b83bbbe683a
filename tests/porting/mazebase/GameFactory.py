"""lua/mazebase/GameFactory.lua: one helper per game of opts.multigames; draws a game and forwards the
curriculum calls to its helper."""
import legonn as lg


class GameFactory:
    typename = 'GameFactory'

    def __init__(self, opts, vocab, games, helpers):
        self.glist = []
        self.iglist = {}
        self.games = {}
        self.helpers = {}
        self.vocab = vocab
        count = 0
        mg = opts['multigames']
        for i, j in mg.items():
            count = count + 1
            self.glist.append(i)
            self.iglist[i] = count - 1
            self.games[i] = games[i]
            self.helpers[i] = helpers[i](j)
        self.ngames = count
        if not opts.get('play_probabilities'):
            self.probs = lg.ones(self.ngames)

    def init_game(self, gname):
        gopts = self.helpers[gname].generate_gameopts()
        g = self.games[gname](gopts, self.vocab)
        return g

    def init_random_game(self):
        n = lg.multinomial(self.probs, 1)[0]
        gname = self.glist[n]
        gopts = self.helpers[gname].generate_gameopts()
        g = self.games[gname](gopts, self.vocab)
        return g

    def check_state(self, gname):
        return self.helpers[gname].check_state()

    def unfreeze(self, gname):
        self.helpers[gname].unfreeze()

    def freeze(self, gname):
        self.helpers[gname].freeze()

    def easier(self, gname):
        self.helpers[gname].easier_random()

    def harder(self, gname):
        self.helpers[gname].harder_random()

    def easiest(self, gname):
        self.helpers[gname].easiest()

    def hardest(self, gname):
        self.helpers[gname].hardest()

    def collect_result(self, gname, r):
        self.helpers[gname].collect_result(r)

    def reset_counters(self, gname):
        self.helpers[gname].reset_counters(gname)

    def count(self, gname):
        return self.helpers[gname].count

    def total_count(self, gname):
        return self.helpers[gname].total_count

    def success_percent(self, gname):
        pct = self.helpers[gname].success_count
        pct = pct / self.helpers[gname].count
        return pct
