"""experiment.lua of Kaixhin/rlenvs (MIT licence), ported line by line: a random agent plays Catch. The script's
body is ``main(nEpisodes)`` (the Lua's 1000, a parameter so a test can run fewer) returning what it prints;
``render`` draws nothing without qlua (package docstring)."""
import legonn as lg

from .Catch import Catch


def main(nEpisodes=1000):
    # Initialise and start environment
    env = Catch({'level': 2, 'render': True, 'zoom': 10})
    actionSpace = env.getActionSpace()
    observation = env.start()

    reward, terminal = 0, False
    episodes, totalReward = 0, 0

    # Display
    env.render()

    for i in range(nEpisodes):
        while not terminal:
            # Pick random action and execute it (torch.random(0, n - 1) includes n - 1)
            action = lg.random(0, actionSpace['n'])
            reward, observation, terminal = env.step(action)
            totalReward = totalReward + reward

            # Display
            env.render()

        episodes = episodes + 1
        observation = env.start()
        terminal = False
    print('Episodes: ' + str(episodes))
    print('Total Reward: ' + str(totalReward))
    return episodes, totalReward
