"""demo_api.lua: make a random game from config/game_config.lua and play random actions for up to 20 steps,
printing its sentences (without the display's images: MazeMap.to_image is not ported)."""
import os

import legonn as lg

from . import init as g_mazebase

g_disp = None


def demo(games_config_path=os.path.join(os.path.dirname(__file__), 'config', 'game_config.py')):
    g_opts = {}
    g_opts['games_config_path'] = games_config_path
    g_mazebase.g_opts = g_opts

    g_mazebase.init_vocab()
    g_mazebase.init_game()

    g = g_mazebase.new_game()

    nactions = len(g.agent.action_names)
    for t in range(1, 21):
        if g_disp:
            g_disp.image(g.map.to_image())
        s = g.to_sentence()
        print(s)
        g.act(lg.random(nactions))
        g.update()
        if g.is_active() is False:
            break
        os.system('sleep 0.2')
    return g
