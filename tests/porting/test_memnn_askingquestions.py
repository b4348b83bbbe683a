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


def write_movie_kb(folder, n=12):
    """The simulator's movie files: knowledge base, questions with their entity, relation and template, question
    templates by category, typos and the entity list."""
    kb = folder / "movieQA_kb"
    kb.mkdir()
    facts, questions = [], []
    for i in range(n):
        movie, director, writer = "movie_%d" % i, "director_%d" % (i % 5), "writer_%d" % (i % 4)
        facts += ["%s directed_by %s" % (movie, director), "%s written_by %s" % (movie, writer)]
        questions.append(("who directed %s?" % movie, director, movie, "directed_by", "who directed X?\tdirector"))
    (kb / "movie_kb.txt").write_text("".join("1 %s\n" % f for f in facts))
    (kb / "movie_entities.txt").write_text("".join("%s\n" % e for e in
                                                   sorted({w for f in facts for w in f.split()[::2]})))
    (kb / "question_templates.txt").write_text("category:director\nwho directed X?\nwho is the director of X?\n"
                                               "category:writer\nwho wrote X?\n")
    (kb / "word_typo").write_text("directed directd diercted\nwho whoo hwo\n")
    for mode in ("train", "test"):
        (kb / ("%s.txt" % mode)).write_text("".join("1 %s\t%s\n" % q[:2] for q in questions))
        (kb / ("%s_entity.txt" % mode)).write_text("".join("%s\n" % q[2] for q in questions))
        (kb / ("%s_relation.txt" % mode)).write_text("".join("%s\n" % q[3] for q in questions))
        (kb / ("%s_template.txt" % mode)).write_text("".join("%s\n" % q[4] for q in questions))
    return kb


@pytest.mark.parametrize('task', [1, 3, 5])
def test_run_simulator_writes_dialogues_the_trainer_reads(tmp_path, task):
    """runSimulator.lua for tasks 1 (question paraphrase), 3 (ask for relevant knowledge) and 5 (the question
    entity missing from the knowledge base), setting AQ with junk questions; supervised/data.lua then reads the
    file: every dialogue keeps its question and its answer."""
    from .memnn_askingquestions.simulator import runSimulator
    from .memnn_askingquestions.supervised.data import Data
    random.seed(4)
    kb = write_movie_kb(tmp_path)
    out = runSimulator.main(["-homefolder", str(kb), "-output_dir", str(tmp_path), "-task", str(task),
                             "-randomQuestionNumTotal", "2", "-prob_correct_final_answer", "1"])
    text = open(out).read()
    dialogues = text.split("\n1 ")
    assert len(dialogues) == 12
    first = text.splitlines()
    print("\n".join(first[:12]))
    kb_lines = [line for line in first[:3] if "knowledgebase" in line]
    if task == 5:     # the facts about the question's movie are hidden
        assert kb_lines == []
    else:             # both facts about movie_0
        assert [line.split("\t")[0] for line in kb_lines] == ["1 knowledgebase: movie_0 directed_by director_0",
                                                              "2 knowledgebase: movie_0 written_by writer_0"]
    teacher_asks = {1: "whoo directd movie_0?", 3: "who directed movie_0?", 5: "who directed movie_0?"}[task]
    student_asks = {1: "what do you mean?", 3: "Can you give me a hint ?",
                    5: "i dont know. what's the answer ?"}[task]
    teacher_says = {1: "I mean who directed movie_0.", 3: "it is related to movie_0 directed_by director_0",
                    5: "The answer is director_0"}[task]
    n = len(kb_lines)
    assert first[n] == "%d %s\t%s\t0" % (n + 1, teacher_asks, student_asks)
    assert first[n + 1] == "%d %s\t\t1" % (n + 2, teacher_says)
    assert first[n + 4] == "%d %s\tdirector_0\t0" % (n + 5, teacher_asks)     # two junk questions, then re-asked
    assert first[n + 5].split("\t")[1:] == ["", "1"]                          # right, rewarded
    Data.params = {'dic_file': None}
    words = sorted({w for line in text.splitlines() for w in Data.process_string(line).replace("\t", " ").split()})
    (tmp_path / "sim.dict").write_text("".join("%s\t%d\n" % (w, 3 if "_" in w else 20000) for w in words))
    Data.process_data({'dic_file': str(tmp_path / "sim.dict"), 'trainData': out, 'testData': out, 'devData': out})
    assert len(Data.trainData) == 11          # the last dialogue is never kept
    ex = Data.trainData[0]
    assert Data.dict[int(ex['answer'][0])] == "director_0" and ex['r'][0] == 1
    assert Data.dict[int(ex['question'][-1])] == "movie_0"
