"""facebookarchive/MazeBase (BSD licence, Facebook) ported line by line onto legonn: lua/mazebase's engine
(MazeItem, MazeAgent, MazeMap, MazeBase, search), the Goto and SingleGoal games with their helpers (OptsHelper,
GotoHelper), GameFactory, init.lua (the vocabulary, init_game, new_game), batch.lua, config/singlegoal.lua, and
the top level's LinearNB.lua, model.lua, util.lua and train.lua. The Lua's globals (g_opts, g_vocab, g_factory,
g_model, ...) are module globals each file declares ``= None`` and the caller sets (docs/porting.md's row on a
global one file reads and another sets)."""
