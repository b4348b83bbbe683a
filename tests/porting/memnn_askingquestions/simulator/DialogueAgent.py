"""AskingQuestions/simulator/DialogueAgent.lua: the generic interface of an agent in a dialogue
(``torch.class('DialogueAgent')``); runSimulator.lua's teacher and student are plain tables, not subclasses."""
import math
import random


class DialogueAgent:

    def __init__(self, opts, model=None):
        self.name = opts.get('name') or 'Agent ' + str(math.ceil(random.random() * 10000))
        self.agent_total_reward = 0
        self.quitting = False  # quit dialogue

    # takes current log of the conversation and outputs a string.
    def speak(self, log):
        raise RuntimeError('DialogueAgent:speak you have to implement this')

    # update agent internal state
    def update(self, log):
        pass

    # (optional) assigns a reward to other agents,
    # usually done only by the teacher.
    def giveReward(self, log, rewards):
        pass

    # returns the current state of the agent
    def getState(self):
        pass

    def getReward(self, log):
        self.agent_total_reward = 0
        for idx in range(len(log)):
            self.agent_total_reward = self.agent_total_reward + \
                self.getRewardAt(log, idx)
        return self.agent_total_reward

    # computes the reward at time "idx" of the agent,
    # and adds that to the agent total reward.
    def getRewardAt(self, log, idx=None):
        idx = len(log) - 1 if idx is None else idx
        cr = log[idx]['rewards'].get(self.name)  # {(from, val)...} or nil
        reward = 0
        if cr is not None:
            # accumulate rewards from all agents
            for rew in cr:
                reward = reward + rew[1]
        return reward

    def clear(self):
        self.agent_total_reward = 0

    def quit(self):
        return self.quitting
