"""facebookarchive/MemNN's HITL run through its port, tests/porting/memnn_hitl/ (its docstring lists every edit
beyond syntax and indices).

The data are tiny synthetic bAbI dialogues in the format data.lua parses (``index text<TAB>answer<TAB>reward``,
each story numbered from 1, the teacher's feedback after each question): people move between the six rooms
data.lua's getAnswerCandidate lists, and the question asks where one of them is.
"""
import random

import numpy as np
import pytest

import legonn as lg

from .memnn_hitl import GPU
from .memnn_hitl import online_simulate
from .memnn_hitl.data import Data

ROOMS = ["hallway", "office", "bedroom", "garden", "bathroom", "kitchen"]
PEOPLE = ["mary", "john", "sandra", "daniel"]
FILLER = ["<pad>", "moved", "to", "the", "where", "is", "yes", "thats", "right", "no", "wrong", "went"]


def story(rng):
    lines, where = [], {}
    for k in range(3):
        p, r = PEOPLE[rng.randrange(4)], ROOMS[rng.randrange(6)]
        where[p] = r
        lines.append("%d %s moved to the %s.\t\t0" % (k + 1, p.capitalize(), r))
    p = rng.choice(sorted(where))
    lines.append("4 Where is %s?\t%s\t0" % (p, where[p]))
    lines.append("5 Yes, that's right!\t\t1")
    return lines


def write_babi(folder, task_name, n_train=160, n_eval=48):
    rng = random.Random(3)
    data = folder / "data"
    data.mkdir()
    words = FILLER + PEOPLE + ROOMS
    (data / "babi.dict").write_text("".join("%s\t%d\n" % (w, 5) for w in words))
    for split, n in (("train", n_train), ("dev", n_eval), ("test", n_eval)):
        lines = [line for _ in range(n) for line in story(rng)]
        (data / ("babi1_%s_%s.txt" % (task_name, split))).write_text("\n".join(lines) + "\n")
    (data / ("babi1_%s_incorrect_feedback" % task_name)).write_text("No, that's wrong.\n" * n_train)


def test_data_lua_parses_a_babi_dialogue(tmp_path, monkeypatch):
    write_babi(tmp_path, "rl3_with_ans", n_train=2, n_eval=1)
    monkeypatch.chdir(tmp_path)
    from .memnn_hitl.parse import parse
    params = parse(["-dataset", "babi", "-task", "3"])
    Data.Initial(params)
    Data.process_data(params)
    ex = Data.trainData[0]
    size = Data.dict.size
    assert size == 22 and params['lr'] == 0.01 and params['dimension'] == 20
    # three statements, each with its time word (the newest is word dict.size), the question, the answer
    assert len(ex['hist_x']) == 3
    assert [int(v[-1]) for v in ex['hist_x']] == [size + 2, size + 1, size]
    assert [Data.dict[int(w)] for w in ex['hist_x'][0][:-1]] == Data.process_string(
        open(tmp_path / "data/babi1_rl3_with_ans_train.txt").readline().split("\t")[0]).split(" ")[1:]
    assert Data.dict[int(ex['question'][0])] == "where"
    assert ex['r'][0] == 1 and Data.dict[int(ex['response'][0])] == "yes"
    assert Data.AnswerCandidate == [Data.dict[w] for w in ROOMS]
    assert list(ex['answers']) == [int(ex['answer'][0])]


def test_online_simulate_rbi_learns_babi(tmp_path, monkeypatch):
    write_babi(tmp_path, "rl3_with_ans")
    monkeypatch.chdir(tmp_path)
    random.seed(1)
    model, _ = online_simulate.main(["-dataset", "babi", "-setting", "RBI", "-task", "3", "-batch_size", "16",
                                     "-simulator_batch_size", "16", "-nepochs", "1", "-log_freq", "1000"])
    before = model.test("dev")
    model, _ = online_simulate.main(["-dataset", "babi", "-setting", "RBI", "-task", "3", "-batch_size", "16",
                                     "-simulator_batch_size", "16", "-nepochs", "60", "-log_freq", "1000"])
    after = model.test("dev")
    print(before, after)
    assert after > before + 0.2
