"""facebookarchive/MemNN's AskingQuestions (Learning through Dialogue Interactions, Li et al. 2016), ported line by
line as far as this package goes (licence: the repository's BSD licence with its PATENTS grant; the Lua is
translated here to test legonn, as the other ports are): supervised/parse.lua, data.lua, memmnet.lua and
train_supervised.lua, under supervised/.

supervised/data.lua repeats HITL/data.lua's functions word for word (load_dict without the bAbI candidates,
process_string, String2Vector, ConstructNegativePool, HandleFinalAnswer, AddTimeFeature, GetAnswerCandidates,
sortData): its class takes them from tests/porting/memnn_hitl/data.py and ports the rest. The edits are
memnn_hitl's (its docstring); ``require("../supervised/data")`` is the package's module.
"""
