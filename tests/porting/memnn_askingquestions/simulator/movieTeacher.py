"""AskingQuestions/simulator/movieTeacher.lua: the teacher: asks a movie question (with typos for tasks 1-2, with
a hidden entity for tasks 5, 7, 9 at dev/test time), answers the student's question as the task says (paraphrase,
yes/no, a relevant fact, the answer), asks junk questions, re-asks, and gives the final feedback and reward.

The Lua's module table is the object ``movieTeacher``; ``for i, v in pairs(opts) do self[i] = v end`` is
``setattr``; a field no line sets (``self.junk`` when not given) reads None. ``s:find(e)`` as in movie_utils.py.
``torch.random(n)`` is ``lg.random(n)``, ``math.random(n)`` is ``random.randint(1, n) - 1`` as an index."""
import random

import legonn as lg
from legonn.pl import stringx

from .movie_utils import movie_utils as utils


class _movieTeacher:

    def Initial(self, opts):
        for i, v in opts.items():
            setattr(self, i, v)
        self.name = 'movieTeacher'
        self.no_list = utils.gen_no_list()
        self.yes_list = utils.gen_yes_list()
        self.answers = utils.load_movie_answers(self.all_entities)
        self.current_reward = 0
        self.quitting = False
        self.curr_supfacts = []

        self.curr_example = 0
        self.reload_dataset()

    def reload_dataset(self):
        self.typos, self.typos_reverse, self.typos_dev \
            = utils.loadTypo(self.typo_file)
        self.relations, self.relation_hints, self.hints = \
            utils.load_movie_hints(self.kb_file)
        self.kb, self.sup_facts = utils.load_movie_sfs(
            self.kb_file, self.relations, self.relation_hints, self.hints)
        self.question_entity_dataset, self.question_relation_dataset, \
            self.question_templates, self.question_categories = \
            utils.load_questionEntity(
                self.dataset_file, self.question_entity_file,
                self.question_relation_file, self.template_file, getattr(self, 'CopyAllAnswers', None))
        self.dataset = utils.load_dataset_teacher(self.dataset_file, getattr(self, 'CopyAllAnswers', None))
        self.synonyms = utils.load_synonyms(self.question_template_file)
        self.curr_example = 0

    def build_answer(self, prediction, ground_truth, curr_answer):
        if not getattr(self, 'CopyAllAnswers', None):
            # the teacher needs to decide response
            if ground_truth.find(prediction) is not None:  # Set:find (ground_truth is the answer Set)
                utt = self.yes_list[random.randint(1, len(self.yes_list)) - 1]
                reward = 1
            else:
                utt = self.no_list[random.randint(1, len(self.no_list)) - 1]
                reward = 0
        else:
            utt = self.yes_list[random.randint(1, len(self.yes_list)) - 1]
            reward = 1
        return utt, reward

    def get_paraphrase(self, utter):
        # generate questions with typos, for task 1 and 2
        out = ""
        utterance = stringx.replace(utter, "?", "")
        splits = stringx.split(utterance, " ")
        for v in splits:
            if self.typos.get(v) is None:
                out = out + v + " "
            elif self.mode == "dev" or self.mode == "test":
                out = out + self.typos_dev[v] + " "
            elif self.mode == "train":
                out = out + self.typos[v] + " "
        out = stringx.strip(out) + "?"
        return out

    def random_questionUtterance(self):
        return self.dataset[lg.random(len(self.dataset))][0]

    def questioningUtterance(self):
        if self.task == 1 or self.task == 2:
            # used the question that has typo
            utterance = self.question_paraphrase
        elif self.task == 5:
            # task5 question entity missing.
            # To make sure that the question entity has not been encountered before, we introduce typos
            if self.mode == "dev" or self.mode == "test":
                self.question_replace = stringx.replace(self.question_asked, self.question_entity,
                                                        self.question_entity + "_1")
                utterance = self.question_replace
            else:
                utterance = self.question_asked
        elif self.task == 7 or self.task == 9:
            # task7 missing relation entity
            # task9 missing everything
            if self.mode == "dev" or self.mode == "test":
                utt = stringx.replace(self.question_asked, "?", "")
                splits = stringx.split(utt, " ")
                utt_return = ""
                for v in splits:
                    if v != self.question_entity:
                        utt_return = utt_return + v + v[-1:] + " "
                        # mess up the relation
                    elif self.task == 7:
                        utt_return = utt_return + v + " "
                        # if task 7, we use the correct question entity
                    elif self.task == 9:
                        utt_return = utt_return + v + "_1" + " "
                        # if task 7 (missing everything), we also mess up the question entity
                utterance = utt_return
            else:
                utterance = self.question_asked
        else:
            utterance = self.question_asked
        return utterance

    def speak(self, log):
        utterance = None
        reward = 0
        self.quitting = False
        if self.state == 'questioning':
            utterance = self.questioningUtterance()
        elif self.state == "AnswerStudentQuestion":
            utterance, reward = self.AnswerStudentQuestionUtterance(log)
        elif self.state == "random_question":
            utterance = self.random_questionUtterance()
        elif self.state == "ReAskQuestion":
            utterance = self.questioningUtterance()
        elif self.state == 'feedbacking':
            utterance, reward = self.feedbackingUtterance(log)
        # print("teacher "..self.state.." "..utterance.." "..reward)
        return utterance, reward

    def feedbackingUtterance(self, log):
        last = len(log) - 1
        assert log[last]['agentName'] != self.name
        utterance, reward = self.build_answer(log[last]['utterance'], self.curr_answers, self.curr_answer)
        self.quitting = True
        return utterance, reward

    def update(self, log):
        last = len(log) - 1
        if self.state == 'questioning' and log[last]['agentName'] == self.name:
            self.state = "AnswerStudentQuestion"
        elif self.state == "AnswerStudentQuestion" and log[last]['agentName'] == self.name:
            if self.junk:
                self.state = "random_question"
                self.random_question_num = 1
            else:
                self.state = "ReAskQuestion"
        elif self.state == "random_question" and log[last]['agentName'] == self.name:
            self.random_question_num = self.random_question_num + 1
            if self.random_question_num > self.randomQuestionNumTotal:
                self.state = "ReAskQuestion"
            else:
                self.state = "random_question"
        elif self.state == "ReAskQuestion" and log[last]['agentName'] == self.name:
            self.state = "feedbacking"

    def AnswerStudentQuestionUtterance(self, log):
        last_utter = log[len(log) - 1]['utterance']
        if self.task == 1:
            # Task 1: Question Paraphrase
            utterance = "I mean " + self.question_asked
            if utterance[-1:] == "?":
                utterance = utterance[:-1] + "."
            reward = 1
        elif self.task == 2:
            # Task 2: Question Verification
            if last_utter.find(self.question_asked) != -1:
                utterance = self.yes_list[random.randint(1, len(self.yes_list)) - 1]
                reward = 1
            else:
                utterance = self.no_list[random.randint(1, len(self.yes_list)) - 1]
                reward = 0
        elif self.task == 3:
            # Ask For Relevant Knowledge
            utterance = "it is related to " + self.PullOutRelevantSupportingFact()
            reward = 1
        elif self.task == 4:
            # Task 4: Knowledge Verification
            studentQuestion = log[len(log) - 1]['utterance']
            if studentQuestion.find(self.question_relation) != -1 and \
                    studentQuestion.find(self.curr_answer) != -1:
                utterance = self.yes_list[random.randint(1, len(self.yes_list)) - 1]
                reward = 1
            else:
                utterance = self.no_list[random.randint(1, len(self.no_list)) - 1]
                reward = 0
        else:  # task 5 6 7 8 9
            # Knowledge Acquisition
            # the teacher needs to give the correct answer
            if self.task == 6 or self.task == 9:
                # task 6, unknown answer_entity ; task 9 everything unknown
                # we add typos to the entity to make it unknown
                if self.mode == "dev" or self.mode == "test":
                    utterance = self.curr_answer + "_1"
                else:
                    utterance = self.curr_answer
            else:
                utterance = self.curr_answer
            utterance = "The answer is " + utterance
            reward = 1
        return utterance, reward

    def clear(self):
        self.curr_example = self.curr_example + 1
        if self.curr_example == len(self.dataset) + 1:
            self.curr_example = 1
        self.curr_answer = self.dataset[self.curr_example - 1][1]
        self.curr_answers = self.dataset[self.curr_example - 1][2]
        utterance = self.dataset[self.curr_example - 1][0]
        self.curr_sup_facts = utils.get_supporting_facts(utterance,
                                                         self.curr_answer,
                                                         self.sup_facts,
                                                         self.kb,
                                                         self.relations)
        self.question_asked = utterance
        self.question_entity = self.question_entity_dataset[self.curr_example - 1]
        self.question_relation = self.question_relation_dataset[self.curr_example - 1]
        self.question_template = self.question_templates[self.curr_example - 1]
        self.question_category = self.question_categories[self.curr_example - 1]
        self.question_paraphrase = self.get_paraphrase(self.question_asked)
        if self.setting == "AQ" or (self.setting == "mix" and self.curr_example % 2 == 1):
            self.state = "questioning"
        elif self.setting == "QA" or (self.setting == "mix" and self.curr_example % 2 == 0):
            if self.junk:
                self.state = "random_question"
                self.random_question_num = 1
            else:
                self.state = "ReAskQuestion"
        if self.task == 3 or self.task == 4:
            # Task 3: Ask For Relevant Knowledge
            # Task 4: Knowledge Verification
            self.true_question = self.generateStudentQuestion(self.question_entity,
                                                              self.question_relation, self.question_asked)
        self.quitting = False

    def PullOutRelevantSupportingFact(self):
        if len(self.true_question) == 0:
            return ""
        right_question_index = lg.random(len(self.true_question))
        fullutterance = self.true_question[right_question_index]
        t1 = fullutterance.find(" ")
        movie_name = fullutterance[:t1]
        t2 = fullutterance.find(" ", t1 + 1)
        relation = fullutterance[t1 + 1:t2]
        entity_string = fullutterance[t2 + 1:]
        if entity_string.find(self.curr_answer) == -1:
            entity_name = self.question_entity
        else:
            entity_name = self.curr_answer
        # return fullutterance
        return movie_name + " " + relation + " " + entity_name

    def generateStudentQuestion(self, question_entity, question_relation, question_asked):
        question_candidates = self.sup_facts[question_entity]
        true_question = []
        for i in range(question_candidates.size(0)):
            question_index = int(question_candidates[i])
            question_utterance = self.kb[question_index]
            question_relation = None
            for v in self.relations:
                if stringx.lfind(question_utterance, v) is not None:
                    question_relation = v
                    break
            if question_relation == self.question_relation \
                    and stringx.lfind(question_utterance, self.curr_answer) is not None:
                true_question.append(question_utterance)
        return true_question

    def quit(self):
        return self.quitting


movieTeacher = _movieTeacher()
