"""HITL/data.lua: the dictionary, the bAbI and WikiMovies (movieQA) dialogue parsers, the answer candidates, the
pool of responses FP ranks against, and the bot's (epsilon-greedy or sampled) answer.

The Lua's module table ``Data`` (``require("data")``) is the object ``Data`` of class ``_Data``; an instance is a
dict. Word indices are 0-based (the padding word ``1`` is ``0``); a position in ``AnswerCandidate`` is 0-based,
``AnswerCandidateReverse`` maps a word to it. ``split[2]`` of a line without a tab is read as None (Lua's nil),
bounded as docs/porting.md's past-the-end row says."""
import random

import legonn as lg
from legonn import tds
from legonn.pl import stringx

from . import cuda


def _at(t, i):
    """``t[i]`` of a Lua array read past its end: nil (docs/porting.md's past-the-end row)."""
    return t[i] if i < len(t) else None


def _get(t, k):
    """``t[k]`` of a Lua table keyed by word (a dict for bAbI, a tds.Hash for movieQA): nil when absent."""
    return t.get(k) if isinstance(t, dict) else t[k]


class _Data:

    def load_dict(self):
        fname = self.params['dic_file']
        try:
            f = open(fname)
        except OSError:
            f = None
        if f is None:
            raise RuntimeError("cannot load dictionary: " + fname)
        cnt = 0
        self.dict = tds.Hash()
        self.frequency = {}
        for s in f.read().splitlines():
            i1 = s.find('\t')
            s1 = s[:i1]
            self.dict[cnt] = s1
            self.dict[s1] = cnt
            self.frequency[cnt] = float(s[i1 + 1:])
            cnt = cnt + 1
        if self.params.get('dataset') == "babi":  # .get: AskingQuestions' options have none
            self.getAnswerCandidate()
        self.dict.size = cnt
        f.close()

    def MakePrediction(self, pred, randomness, instance):
        if self.params['REINFORCE']:
            # REINFORCE: sample from multinomial
            self.prob = (cuda(lg.Tensor(pred.size()))
                         if getattr(self, 'prob', None) is None
                         else self.prob.resizeAs(pred))
            self.prob.copy(pred)
            self.prob.exp()
            prediction_index = lg.multinomial(self.prob, 1)
            prediction_index = int(prediction_index[0])
        else:
            if random.random() < randomness:
                if not self.params.get('get_all_candidates'):
                    prediction_index = lg.random(len(instance['AnswerCandidate']))
                else:
                    prediction_index = lg.random(self.dict.size)
            else:
                _, prediction_index = lg.max(pred, 0)
                prediction_index = int(prediction_index[0])
        prediction = _at(instance['AnswerCandidate'], prediction_index)
        if prediction is None:  # rarely it may happen RF picks a pad token
            prediction_index = lg.random(len(instance['AnswerCandidate']))
            prediction = instance['AnswerCandidate'][prediction_index]
        if _get(instance['answers'], prediction) is not None:
            correct = True
        else:
            correct = False
        return prediction, correct

    def constructLink(self):
        print('computing links to all entities')
        # build hash of which entity is connected to which other entity
        links = tds.Hash()
        open_train = open(self.params['trainData'], "r")
        for line in open_train.read().splitlines():
            line = self.process_string(line)
            t = line.find(" ")
            line = line[t + 1:]
            split = stringx.split(line, "\t")
            if split[0] != "" and line.find("knowledgebase") != -1:
                v = self.String2Vector(split[0])
                for ii in range(2, v.size(0)):
                    if links[v[1]] is None:
                        links[v[1]] = lg.Tensor([v[ii]])
                    else:
                        # avoid adding duplicates
                        if links[v[1]].eq(v[ii]).sum() == 0:
                            links[v[1]] = lg.cat(links[v[1]], lg.Tensor([v[ii]]))
                    if links[v[ii]] is None:
                        links[v[ii]] = lg.Tensor([v[1]])
                    else:
                        # avoid adding duplicates
                        if links[v[ii]].eq(v[1]).sum() == 0:
                            links[v[ii]] = lg.cat(links[v[ii]], lg.Tensor([v[1]]))
        self.links = links

    def getAnswerCandidate(self):
        answers = ["hallway", "office", "bedroom", "garden", "bathroom", "kitchen"]
        self.AnswerCandidate = []
        self.AnswerCandidateReverse = {}
        for i, word in enumerate(answers):
            self.AnswerCandidate.append(self.dict[word])
            self.AnswerCandidateReverse[self.dict[word]] = i

    def process_string(self, string):
        string = stringx.strip(string.lower())
        string = stringx.replace(string, "?", "")
        string = stringx.replace(string, ".", "")
        string = stringx.replace(string, ",", "")
        string = stringx.replace(string, "!", "")
        string = stringx.replace(string, "'", "")
        string = stringx.replace(string, "\"", "")
        return string

    def Vect2Vect(self, vect):
        vector = lg.Tensor(1, self.max_sen_length).fill(0)
        if vect.size(0) < self.max_sen_length:
            vector[0:1, 0:vect.size(0)].copy(vect)
        else:
            vector.copy(vect[0:vect.size(0)])
        return vector

    def String2Vector(self, string):
        words = stringx.split(stringx.strip(string), " ")
        vector = lg.Tensor(len(words)).fill(0)
        for i in range(len(words)):
            if self.dict[words[i]] is None:
                vector[i] = 0
            else:
                vector[i] = self.dict[words[i]]
        return vector

    def ConstructNegativePool(self, ex, *_):
        if getattr(self, 'responsePool', None) is None or len(self.responsePool) < 5000:
            if getattr(self, 'responsePool', None) is None:
                self.responsePool = []
            self.responsePool.append(ex['response'])
        elif len(self.responsePool) >= 5000 - 1:
            self.responsePool[lg.random(len(self.responsePool))] = ex['response']
        if getattr(self, 'MaxResponseLength', None) is None:
            self.MaxResponseLength = -100
        if ex['response'].size(0) > self.MaxResponseLength:
            self.MaxResponseLength = ex['response'].size(0)

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
                    if self.params['policyGrad'] and not self.params['FP']:
                        if instance['r'][0] == 1:
                            dataset.append(instance)
                    else:
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
            elif i == len(lines) - 1:
                if self.params['FP']:
                    if split[0] is not None and split[0] != "":
                        instance['response'] = self.String2Vector(split[0])
                        if self.mode == "train":
                            self.ConstructNegativePool(instance, "response", "responsePool")
                    else:
                        instance['response'] = lg.Tensor(1).fill(0)
            if split[0] != "":
                if s.find("knowledgebase") != -1:
                    kb_x.append(self.String2Vector(split[0]))
                else:
                    text_x.append(self.String2Vector(split[0]))
            if _at(split, 1) != "":
                v = self.String2Vector(split[1])
                text_x.append(v)
        return instance

    def HandleFinalAnswer(self, instance, answer_string, current_line_index, lines):
        split_answer = stringx.split(answer_string, " ")
        if self.dict[split_answer[0]] is not None:
            answer = lg.Tensor(1).fill(self.dict[split_answer[0]])
        else:
            answer = lg.Tensor(1).fill(0)
        instance['answer'] = answer
        answers = tds.Hash()
        answers_reverse = tds.Hash()
        for v in split_answer:
            if self.dict[v] is not None:
                if v.find("_") != -1:
                    answers[self.dict[v]] = 1
                    answers_reverse[len(answers_reverse)] = self.dict[v]
                    answer_index = self.dict[v]
                    if getattr(self, 'PotentialAns', None) is None:
                        self.PotentialAns = []
                        self.PotentialAnsIndex = {}
                    if self.PotentialAnsIndex.get(answer_index) is None:
                        self.PotentialAns.append(answer_index)
                        self.PotentialAnsIndex[answer_index] = len(self.PotentialAns) - 1
        if len(answers) == 0:
            answers[0] = 1
            answers_reverse[0] = 0
        instance['answers'] = answers
        instance['answers_reverse'] = answers_reverse
        if current_line_index + 1 <= len(lines) - 1:
            next_line = self.process_string(lines[current_line_index + 1])
            t = next_line.find(" ")
            next_line = next_line[t + 1:]
            split_next_line = stringx.split(next_line, "\t")
            str_ = split_next_line[0]
            instance['response'] = self.String2Vector(str_)
            instance['r'] = lg.Tensor([float(split_next_line[2])])
        return instance

    def AddTimeFeature(self, text_x):
        for i in range(len(text_x)):
            text_x[i] = lg.cat(
                text_x[i],
                lg.Tensor(1).fill(len(text_x) - i - 1 + self.dict.size), 0)
        return text_x

    def Lines2ExsBabi(self, lines):
        dataset = []
        current_lines = []
        for i in range(len(lines)):
            current_lines.append(self.process_string(lines[i]))
            if i != len(lines) - 1:
                next_line = lines[i + 1]
                t = next_line.find(" ")
                if next_line[:t] == "1":
                    Instances = self.Lines2instanceBabi(current_lines)
                    for v in Instances:
                        dataset.append(v)
                    current_lines = []
            else:
                Instances = self.Lines2instanceBabi(current_lines)
                for v in Instances:
                    dataset.append(v)
        return dataset

    def Lines2instanceBabi(self, lines):
        instances = []
        hist_x = []
        for i, s in enumerate(lines):
            t = s.find(" ")
            line_index = int(s[:t])  # noqa: F841
            s = s[t + 1:]
            split = stringx.split(s, "\t")
            if _at(split, 1) != "":
                instance = {}
                instance['question'] = self.String2Vector(split[0])
                instance['hist_x'] = []
                instance['text_x'] = [v for v in hist_x]
                instance['hist_x'] = self.AddTimeFeature(instance['text_x'])
                for j, v in enumerate(instance['text_x']):
                    instance['hist_x'][j] = v
                instance['answer'] = lg.Tensor(1).fill(self.dict[split[1]])
                instance['answers'] = {}
                instance['answers'][self.dict[split[1]]] = 1
                instance['AnswerCandidate'] = self.AnswerCandidate
                instance['AnswerCandidateReverse'] = self.AnswerCandidateReverse
                if self.params['task'] == 1:
                    # for task 1, reward is immediately given, and we wom't wait for the teacher at next turn
                    instance['r'] = cuda(lg.Tensor(1).fill(float(split[2])))
                if i != len(lines) - 1:
                    next_line = lines[i + 1]
                    t = next_line.find(" ")
                    next_line = next_line[t + 1:]
                    split_next = stringx.split(next_line, "\t")
                    instance['response'] = self.String2Vector(split_next[0])
                    if self.params['task'] != 1:
                        instance['r'] = cuda(lg.Tensor(1).fill(float(split_next[2])))
                else:
                    instance['response'] = lg.Tensor(1).fill(0)
                self.ConstructNegativePool(instance)
                instances.append(instance)
            else:
                hist_x.append(self.String2Vector(split[0]))
        return instances

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
        if self.params['dataset'] == "babi":
            dataset = self.Lines2ExsBabi(lines)
        elif self.params['dataset'] == "movieQA":
            dataset = self.Lines2ExsMovieQA(lines)
        return dataset

    def GetAnswerCandidates(self, ex):
        AnswerCandidate = []
        AnswerCandidateReverse = {}
        memory = ex['hist_x']
        for j in range(len(memory)):
            for k in range(memory[j].size(0)):
                candidate = memory[j][k]
                if candidate != 0 and \
                        candidate <= self.dict.size - 1 and \
                        self.frequency[candidate] < 10000 and \
                        AnswerCandidateReverse.get(candidate) is None:
                    AnswerCandidate.append(candidate)
                    AnswerCandidateReverse[candidate] = len(AnswerCandidate) - 1
            if len(AnswerCandidate) == 0:
                AnswerCandidate.append(0)
                AnswerCandidateReverse[0] = 0
        return AnswerCandidate, AnswerCandidateReverse

    def sortData(self, Dataset, fieldname):
        max_length = 0
        Data = {}
        for i in range(len(Dataset)):
            length = len(Dataset[i][fieldname])
            if length > max_length:
                max_length = length
            if Data.get(length) is None:
                Data[length] = []
            Data[length].append(Dataset[i])
        Dataset = []
        for i in range(0, max_length + 1):
            if Data.get(i) is not None:
                for j in range(len(Data[i])):
                    ex = Data[i][j]
                    Dataset.append(ex)
        return Dataset

    def Initial(self, params):
        self.params = params
        self.load_dict()

    def process_data(self, params):
        self.mode = "train"
        self.trainData = self.load_data(self.params['trainData'], "train")
        self.mode = "test"
        self.testData = self.load_data(self.params['testData'], "test")
        self.mode = "dev"
        self.devData = self.load_data(self.params['devData'], "dev")


Data = _Data()
