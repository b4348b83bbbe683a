"""facebookarchive/MemNN's HITL run through its port, tests/porting/memnn_hitl/ (its docstring lists every edit
beyond syntax and indices).

The data are tiny synthetic bAbI dialogues in the format data.lua parses (``index text<TAB>answer<TAB>reward``,
each story numbered from 1, the teacher's feedback after each question): people move between the six rooms
data.lua's getAnswerCandidate lists, and the question asks where one of them is.
"""
import random

import numpy as np
import pytest


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


def test_online_simulate_reinforce_learns_babi(tmp_path, monkeypatch):
    """-REINFORCE: answers sampled from the model, the baseline (nn.Linear on hop 3's vector, nn.MSECriterion) and
    the entropy regularizer's gradients added to the log-softmax's."""
    write_babi(tmp_path, "rl3_with_ans")
    monkeypatch.chdir(tmp_path)
    random.seed(1)
    args = ["-dataset", "babi", "-setting", "RBI", "-REINFORCE", "-task", "3", "-batch_size", "16",
            "-simulator_batch_size", "16", "-log_freq", "1000"]
    before = online_simulate.main(args + ["-nepochs", "1"])[0].test("dev")
    model, _ = online_simulate.main(args + ["-nepochs", "20"])
    assert model.baseline.bias[0] > 0          # the baseline follows the rewards
    assert model.test("dev") > before + 0.15


def test_online_simulate_fp_ranks_the_teachers_response(tmp_path, monkeypatch):
    """-setting FP: one hop, the teacher's response (PosResponse / NegResponse) ranked against ``negative``
    responses drawn from the pool; the second output is a log-softmax over 1 + negative responses."""
    write_babi(tmp_path, "rl3_with_ans")
    monkeypatch.chdir(tmp_path)
    random.seed(1)
    model, _ = online_simulate.main(["-dataset", "babi", "-setting", "FP", "-task", "3", "-batch_size", "16",
                                     "-simulator_batch_size", "16", "-nepochs", "2", "-log_freq", "1000"])
    assert model.params['N_hop'] == 1
    pred, pred_response = model.Forward()
    assert pred_response.size() == (16, 1 + model.params['negative'])
    np.testing.assert_allclose(pred_response.exp().sum(1).numpy(), 1, rtol=1e-5)
    assert model.total_instance_FP == 16 and model.total_cost_FP > 16   # sum of 1/p of the true response


@pytest.mark.gpu
def test_online_simulate_on_cuda(tmp_path, monkeypatch):
    """The Lua's CUDA path: every ``:cuda()`` of the port done (the simulator's dev accuracy logged each update)."""
    write_babi(tmp_path, "rl3_with_ans", n_train=48, n_eval=16)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(GPU, 'on', True)
    random.seed(1)
    model, acc = online_simulate.main(["-dataset", "babi", "-setting", "RBI", "-task", "3", "-batch_size", "16",
                                       "-simulator_batch_size", "16", "-nepochs", "2", "-log_freq", "1"])
    assert model.word_table.weight.type() == 'torch.CudaTensor' and 0 <= acc <= 1
    pred, _ = model.Forward()
    assert pred.type() == 'torch.CudaTensor'
    np.testing.assert_allclose(pred.exp().sum(1).float().numpy(), 1, rtol=1e-4)
