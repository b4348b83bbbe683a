"""facebookarchive/MazeBase (BSD licence, Facebook) ported line by line onto legonn, from its newer copy of the
games, lua/mazebase/ (the older games/ of commits before 81f3f8a differs only in MazeMap's image path, batch.lua
calling a global new_game() rather than g_mazebase.new_game(), and SingleGoal's goal having no name): the engine
(MazeItem, MazeAgent, MazeMap without to_image, MazeBase, search, shooting_utils), every game init.lua loads
(MultiGoals, MultiGoalsAbsolute, CondGoals, Exclusion, Switches, GotoSwitch, LightKey, Goto, GotoCardinal,
GotoHidden, PushableBlock, PushBlock, PushBlockCardinal, BlockedDoor, StarEnemy, Bullet, MultiAgentsStar,
SingleGoal) with their helpers (OptsHelper and the *Helper files), GameFactory, init.lua, batch.lua, the configs
(game_config, game_config_curr, singlegoal), and the top level's LinearNB.lua (MemNN's file, imported from its
port), model.lua, util.lua, train.lua, test.lua, main.lua and demo_api.lua without the display. The Lua's globals
(g_opts, g_vocab, g_factory, g_model, ...) are module globals each file declares ``= None`` and the caller sets
(docs/porting.md's row on a global one file reads and another sets)."""
