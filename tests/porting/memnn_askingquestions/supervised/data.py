"""AskingQuestions/supervised/data.lua: the movie dialogues' parser (a dialogue's last line the teacher's feedback
with the reward; only rewarded dialogues are kept), the answer candidates, and each candidate's context words
(the candidate with ``context_num`` words on either side of it in the memory).

The functions the file repeats word for word from HITL/data.lua come from tests/porting/memnn_hitl/data.py (the
class below derives from its ``_Data``); load_dict is that file's without its bAbI branch (``dataset`` is never
set here, so the branch is skipped as the line is absent). Word indices are 0-based, as there."""
import legonn as lg
from legonn.pl import stringx

from ...memnn_hitl.data import _at, _Data


class _SupervisedData(_Data):

    def Dic2Vector(self, dic):
        vector = lg.Tensor(len(dic)).fill(0)
        for i in range(len(dic)):
            vector[i] = dic[i]
        return vector

    def Lines2ExsMovieQA(self, lines):
        dataset = []
        current_lines = []
        for i in range(len(lines)):
            line = lines[i]
            s = self.process_string(lines[i])
            t = s.find(" ")
            line_index = int(s[:t])
            if line_index == 1:
                if len(current_lines) != 0:
                    instance = self.Lines2instanceMovieQA(current_lines)
                    if instance['r'][0] == 1:
                        dataset.append(instance)
                current_lines = []
            current_lines.append(line)
        return dataset

    def Lines2instanceMovieQA(self, lines):
        instance = {}
        kb_x = []
        text_x = []
        for i in range(len(lines)):
            s = self.process_string(lines[i])
            t = s.find(" ")
            s = s[t + 1:]
            split = stringx.split(s, "\t")
            if i == len(lines) - 2:
                instance['question'] = self.String2Vector(split[0])
                instance['hist_x'] = []
                instance['kb_x'] = []
                for v in kb_x:
                    instance['kb_x'].append(v)
                text_x = self.AddTimeFeature(text_x)
                for v in text_x:
                    instance['hist_x'].append(v)
                for v in kb_x:
                    instance['hist_x'].append(v)
                if len(instance['hist_x']) == 0:
                    instance['hist_x'].append(lg.Tensor(1).fill(0))
                if len(instance['kb_x']) == 0:
                    instance['kb_x'].append(lg.Tensor(1).fill(0))
                instance = self.HandleFinalAnswer(instance, split[1], i, lines)
                instance['AnswerCandidate'], instance['AnswerCandidateReverse'] = \
                    self.GetAnswerCandidates(instance)
            if split[0] != "":
                if s.find("knowledgebase") != -1:
                    kb_x.append(self.String2Vector(split[0]))
                else:
                    text_x.append(self.String2Vector(split[0]))
            if _at(split, 1) != "":
                v = self.String2Vector(split[1])
                text_x.append(v)
        return instance

    def GetAnswerContext(self, ex):
        memory = ex['hist_x']
        answer_context = []
        for v in ex['AnswerCandidate']:
            answer_context.append([])
        for j in range(len(memory)):
            for k in range(memory[j].size(0)):
                word = memory[j][k]
                if ex['AnswerCandidateReverse'].get(word) is not None:
                    word_index = ex['AnswerCandidateReverse'][word]
                    if len(answer_context[word_index]) == 0:
                        answer_context[word_index].append(memory[j][k])
                    left_c_num = 0
                    k_ = k - 1
                    j_ = j
                    while True:
                        if k_ == -1:
                            j_ = j_ - 1
                            if j_ == -1:
                                break
                            k_ = memory[j_].size(0) - 1
                        w = memory[j_][k_]
                        if w != self.dict["Student"] and w != self.dict["Teacher"] \
                                and self.dict[w] is not None and len(answer_context[word_index]) < 150:
                            if left_c_num >= self.params['context_num']:
                                break
                            else:
                                answer_context[word_index].append(memory[j_][k_])
                                left_c_num = left_c_num + 1
                        k_ = k_ - 1
                    k_ = k + 1
                    j_ = j
                    right_c_num = 0
                    while True:
                        if k_ == memory[j_].size(0):
                            k_ = 0
                            j_ = j_ + 1
                            if j_ > len(memory) - 1:
                                break
                        w = memory[j_][k_]
                        if w != self.dict["Student"] and w != self.dict["Teacher"] \
                                and self.dict[w] is not None and len(answer_context[word_index]) < 150:
                            if right_c_num >= self.params['context_num']:
                                break
                            else:
                                answer_context[word_index].append(memory[j_][k_])
                                right_c_num = right_c_num + 1
                        k_ = k_ + 1
        answer_context_ = []
        for v in answer_context:
            if len(v) == 0:
                v.append(0)
            answer_context_.append(self.Dic2Vector(v))
        return answer_context_

    def load_data(self, filename, *_):
        try:
            f = open(filename)
        except OSError:
            f = None
        if f is None:
            raise RuntimeError("cannot load file: " + filename)
        lines = []
        for s in f.read().splitlines():
            lines.append(self.process_string(s))
        f.close()
        dataset = self.Lines2ExsMovieQA(lines)
        return dataset

    def process_data(self, params):
        self.params = params
        self.load_dict()
        self.mode = "train"
        self.trainData = self.load_data(self.params['trainData'], "train")
        self.mode = "test"
        self.testData = self.load_data(self.params['testData'], "test")
        self.mode = "dev"
        self.devData = self.load_data(self.params['devData'], "dev")


Data = _SupervisedData()
