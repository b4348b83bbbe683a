"""facebookarchive/MemNN's AskingQuestions run through its port, tests/porting/memnn_askingquestions/ (its
docstring lists what is ported and the edits).

The data are tiny synthetic movie dialogues in the format supervised/data.lua parses
(``index utterance<TAB>reply``, the question's reply the answer's entities, the last line the teacher's feedback
``index feedback<TAB><TAB>reward``): two movies and their directors are told, and the question asks who directed
one of them; entities are the dictionary's rare words (frequency under 10000), so they are the answer candidates.
"""
import random

import numpy as np
import pytest

from .memnn_askingquestions.supervised import train_supervised
from .memnn_hitl import GPU
from .memnn_askingquestions.supervised.memmnet import memmnet

MOVIES = ["movie_%d" % i for i in range(6)]
DIRECTORS = ["director_%d" % i for i in range(6)]
COMMON = ["<pad>", "is", "directed", "by", "who", "ok", "thats", "right"]


def dialogue(rng):
    m = rng.sample(range(6), 2)
    d = rng.sample(range(6), 2)
    lines = ["%d %s is directed by %s.\tok" % (k + 1, MOVIES[m[k]], DIRECTORS[d[k]]) for k in range(2)]
    q = rng.randrange(2)
    lines.append("3 Who directed %s?\t%s" % (MOVIES[m[q]], DIRECTORS[d[q]]))
    lines.append("4 That's right!\t\t1")
    return lines


def write_movies(folder, n_train=192, n_eval=64):
    rng = random.Random(5)
    kb, data = folder / "kb", folder / "data"
    kb.mkdir()
    data.mkdir()
    (kb / "movieQA.dict").write_text("".join("%s\t%d\n" % (w, 20000) for w in COMMON)
                                     + "".join("%s\t%d\n" % (w, 3) for w in MOVIES + DIRECTORS))
    for split, n in (("train", n_train), ("dev", n_eval), ("test", n_eval)):
        lines = [line for _ in range(n) for line in dialogue(rng)]
        (data / ("Task1_QA_%s.txt" % split)).write_text("\n".join(lines) + "\n")
    return ["-homefolder", str(kb), "-datafolder", str(data), "-batch_size", "16", "-dimension", "16"]


def test_data_lua_parses_a_dialogue_and_its_answer_contexts(tmp_path):
    args = write_movies(tmp_path, n_train=2, n_eval=1)
    from .memnn_askingquestions.supervised.parse import parse
    params = parse(args)
    Data = memmnet.Data
    Data.process_data(params)
    assert len(Data.trainData) == 1     # a dialogue is kept when the next one starts: the file's last is dropped
    ex = Data.trainData[0]
    size = Data.dict.size
    words = lambda v: [Data.dict[int(w)] for w in v]  # noqa: E731
    # two told lines and their replies, newest first in time words: 4 memories, time words size+3 .. size
    assert len(ex['hist_x']) == 4 and [int(v[-1]) for v in ex['hist_x']] == [size + 3, size + 2, size + 1, size]
    assert words(ex["hist_x"][0][:-1])[1:4] == ["is", "directed", "by"]
    assert words(ex['question'])[:2] == ["who", "directed"]
    assert ex['r'][0] == 1 and list(ex['answers']) == [int(ex['answer'][0])]
    # candidates: the rare words of the memories, in order of appearance
    assert words(ex['AnswerCandidate']) == [words(ex['hist_x'][0])[0], words(ex['hist_x'][0])[4],
                                            words(ex['hist_x'][2])[0], words(ex['hist_x'][2])[4]]
    # a director's context: itself, `by` on its left, and the next memory's `ok` on its right (the time word
    # between them is no dictionary word)
    ctx = Data.GetAnswerContext(ex)
    assert words(ctx[1]) == [words(ex['hist_x'][0])[4], "by", "ok"]
    # a movie at a memory's start: its left neighbour is the previous memory's last word
    assert words(ctx[2]) == [words(ex['hist_x'][2])[0], "ok", "is"]


@pytest.mark.parametrize('context', [True, False])
def test_train_supervised_learns_who_directed(tmp_path, context):
    """train_supervised.lua with ``-context`` left at true (each candidate embedded with its neighbours) and
    flipped to false (torch.CmdLine negates a boolean option given on the line): the vanilla model."""
    args = write_movies(tmp_path) + ([] if context else ["-context"])
    _, untrained = train_supervised.main(args + ["-N_iter", "1"])   # train() stops at once: no update
    before = untrained.test("dev")
    (final_test_acc, best_dev_acc), model = train_supervised.main(args + ["-N_iter", "13"])
    assert model.params['context'] is context
    assert best_dev_acc > before + 0.35 and final_test_acc > before + 0.2


@pytest.mark.gpu
def test_train_supervised_on_cuda(tmp_path, monkeypatch):
    """The Lua's CUDA path: every ``:cuda()`` of the port done."""
    monkeypatch.setitem(GPU, 'on', True)
    args = write_movies(tmp_path, n_train=48, n_eval=17) + ["-N_iter", "3"]   # the last dialogue is never kept
    (final_test_acc, best_dev_acc), model = train_supervised.main(args)
    assert model.word_table.weight.type() == 'torch.CudaTensor' and 0 <= best_dev_acc <= 1
    pred, _ = model.Forward(model.LookUpTable)
    assert pred.type() == 'torch.CudaTensor'
    np.testing.assert_allclose(pred.exp().sum(1).float().numpy(), 1, rtol=1e-4)


def rl_dialogue(rng, ask):
    """A dialogue for reinforce/: the asked movie's knowledge-base line half of the time, with ``ask`` the
    student's question and the teacher's hint, then the question and the feedback: without the line, only a
    student who asks can answer."""
    m, d = rng.sample(range(6), 1), rng.sample(range(6), 1)
    lines = []
    if rng.random() < 0.5:
        lines.append("knowledgebase %s directed_by %s\tok" % (MOVIES[m[0]], DIRECTORS[d[0]]))
    if ask:
        lines.append("hint %s?\t%s directed_by %s" % (MOVIES[m[0]], MOVIES[m[0]], DIRECTORS[d[0]]))
    lines.append("who directed %s?\t%s" % (MOVIES[m[0]], DIRECTORS[d[0]]))
    lines.append("That's right!\t\t1")
    return ["%d %s" % (k + 1, line) for k, line in enumerate(lines)]


def write_rl(folder, n_train=160, n_test=49):
    kb, data = folder / "kb", folder / "rl"
    kb.mkdir()
    data.mkdir()
    (kb / "movieQA.dict").write_text("".join("%s\t%d\n" % (w, 20000) for w in
                                             COMMON + ["knowledgebase", "directed_by", "hint"])
                                     + "".join("%s\t%d\n" % (w, 3) for w in MOVIES + DIRECTORS))
    for student in ("good", "bad"):
        for split, n in (("train", n_train), ("dev", n_test), ("test", n_test)):
            rng = random.Random(hash((student, split)) % 1000)
            dialogues = [(rng.getstate(), rl_dialogue(rng, False)) for _ in range(n)]
            for setting in ("AQ", "QA"):
                lines = []
                for state, _ in dialogues:   # the same dialogue, with or without the student's question
                    rng.setstate(state)
                    lines += rl_dialogue(rng, setting == "AQ")
                (data / ("task1_%s_%s_%s.txt" % (student, setting, split))).write_text("\n".join(lines) + "\n")
    return ["-dic_file", str(kb / "movieQA.dict"), "-readFolder", str(data), "-batch_size", "16",
            "-dimension", "16", "-output_file", str(folder / "output.txt")]


def test_train_rl_reward_rises(tmp_path):
    """train_RL.lua: the answer policies learn in the first StaringFullTraining - 1 iterations (each question
    asked half the time), then the asking policy too; the test set's RL score (reward minus AQcost for each
    question asked) is written to output_file after each iteration."""
    from .memnn_askingquestions.reinforce import train_RL
    random.seed(2)
    args = write_rl(tmp_path) + ["-N_iter", "5", "-StaringFullTraining", "4", "-lr", "0.2", "-init_weight", "0.1"]
    model = train_RL.main(args)
    log = (tmp_path / "output.txt").read_text().splitlines()
    read = lambda what: [float(line.split()[-1]) for line in log if line.startswith(what)]  # noqa: E731
    scores, asked, accuracy = read("RL score"), read("AQ percentage"), read("accuray")
    assert len(scores) == 5 + 2          # one test per iteration, and the AQ-only and QA-only ones after iter 3
    assert model.iter == 5 and model.train_mode == "not_update_final"
    # after iteration 3: asking always answers, never asking only when the line is there
    assert asked[3:5] == [1.0, 0.0] and accuracy[3] == 1.0 and accuracy[4] < 0.8
    # the asking policy's first iteration: it asks less than always, and the reward rises
    assert asked[-1] < 0.9 and accuracy[-1] > 0.9 and scores[-1] > max(scores[0], 0.8)


@pytest.mark.gpu
def test_train_rl_on_cuda(tmp_path, monkeypatch):
    """The Lua's CUDA path of train_RL.lua, through the asking policy's first iteration."""
    from .memnn_askingquestions.reinforce import train_RL
    monkeypatch.setitem(GPU, 'on', True)
    random.seed(2)
    args = write_rl(tmp_path, n_train=33, n_test=17) + ["-N_iter", "2", "-StaringFullTraining", "2"]
    model = train_RL.main(args)
    assert model.binaryP.type() == 'torch.CudaTensor' and model.BinaryLookUpTable.parameters()[0][0].type() == 'torch.CudaTensor'
    np.testing.assert_allclose(model.binaryP.exp().sum(1).float().numpy(), 1, rtol=1e-4)
    assert len([line for line in (tmp_path / "output.txt").read_text().splitlines() if "RL score" in line]) == 4
