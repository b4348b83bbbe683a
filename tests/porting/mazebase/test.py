"""test.lua: play one game with the model, printing each agent's action and the rewards (the display's images
only where g_disp is set; it is not ported: MazeMap.to_image is not)."""
import os

import legonn as lg

from .batch import batch_act, batch_active, batch_init, batch_input, batch_reward, batch_success, batch_update

g_opts = None
g_model = None
g_disp = None


def test():
    dummy = lg.Tensor(g_opts['nagents'], g_opts['hidsz']).fill(0.1)
    batch = batch_init(1)
    reward = 0
    for t in range(1, g_opts['max_steps'] + 1):
        if g_disp:
            g_disp.image(batch[0].map.to_image(), {'win': 'maze' + g_opts['game']})
        active = batch_active(batch)
        if active.sum() == 0:
            break
        stat = '[' + str(t) + ']\t'
        input = batch_input(batch, active, t)

        out = g_model.forward(input)
        action = lg.multinomial(lg.exp(out[0]), 1)
        for i in range(g_opts['nagents']):
            if active[i] == 1:
                agent = batch[0].agents[i]
                print(str(i + 1) + ' action: ' + agent.action_names[int(action[i][0])])
        batch_act(batch, action.view(-1), active)
        batch_update(batch, active)
        r = batch_reward(batch, active, t == g_opts['max_steps']).sum()
        reward = reward + r
        print('Reward: ', r)
        print('Overall reward: ', reward)
        print(stat)
        os.system('sleep 0.2')
    if g_disp:
        g_disp.image(batch[0].map.to_image(), {'win': 'maze' + g_opts['game']})
    print('reward:', reward)
    print('success:', batch_success(batch)[0])
