"""lua/mazebase/SingleGoal.lua: reach the one goal item."""
from .MazeBase import MazeBase


class SingleGoal(MazeBase):
    typename = 'SingleGoal'

    def __init__(self, opts, vocab):
        super().__init__(opts, vocab)
        self.add_default_items()
        self.goal = self.place_item_rand({'type': 'goal', 'name': 'goal1'})

    def update(self):
        super().update()
        if not self.finished:
            if self.goal.loc['y'] == self.agent.loc['y'] and self.goal.loc['x'] == self.agent.loc['x']:
                self.finished = True

    def get_reward(self, is_last=None):
        if self.finished:
            return -self.costs['goal']
        else:
            return super().get_reward()
