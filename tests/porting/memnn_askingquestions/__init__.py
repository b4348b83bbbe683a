"""facebookarchive/MemNN's AskingQuestions (Learning through Dialogue Interactions, Li et al. 2016), ported line by
line as far as this package goes (licence: the repository's BSD licence with its PATENTS grant; the Lua is
translated here to test legonn, as the other ports are), every Lua file: supervised/ (parse, data, memmnet, train_supervised),
reinforce/ (parse, RL_data, RL_memmnet, train_RL) and simulator/ (Set, DialogueAgent, movie_utils, movieTeacher,
movieStudent, Simulator, parse, runSimulator), one .py per .lua in the same folders.

supervised/data.lua repeats HITL/data.lua's functions word for word (load_dict without the bAbI candidates,
process_string, String2Vector, ConstructNegativePool, HandleFinalAnswer, AddTimeFeature, GetAnswerCandidates,
sortData): its class takes them from tests/porting/memnn_hitl/data.py and ports the rest. The edits are
memnn_hitl's (its docstring); ``require("../supervised/data")`` is the package's module; ``setmetatable(RL_x,
{__index = base_x})`` is a subclass; a script's chunk is ``main(arg)``; each file's docstring lists its own.
Lua's ``s:find(e)`` of an entity, read by Lua as a pattern, is a plain ``find`` (simulator/movie_utils.py says
when they differ).
"""
