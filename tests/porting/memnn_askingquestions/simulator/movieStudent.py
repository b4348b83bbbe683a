"""AskingQuestions/simulator/movieStudent.lua: the student: asks the teacher the task's question (what do you mean,
do you mean ..., a hint, does it have something to do with ..., what's the answer), answers junk questions, and
gives a final answer (right with probability ``prob_correct_final_answer``; all answers at dev/test time).

The Lua's module table is the object ``movieStudent``; edits as in movieTeacher.py. ``self.state==specialState``
compares with the undefined global ``specialState`` (nil), never true for a set state: the branch is kept with
``None``. ``self.quitting='true'`` (a string) is kept."""
import random

import legonn as lg
from legonn.pl import stringx

from .movie_utils import movie_utils as utils
from .Set import Set

specialState = None  # the undefined global the Lua compares with


class _movieStudent:

    def Initial(self, opts):
        for i, v in opts.items():
            setattr(self, i, v)
        self.name = opts.get('name') or 'movieStudent'
        self.curr_example = 0
        self.reload_dataset()

    def reload_dataset(self):
        self.no_list = utils.gen_no_list()
        self.yes_list = utils.gen_yes_list()
        self.entities = utils.load_movie_answers(self.all_entities)
        self.relations, self.relation_hints, self.hints = utils.load_movie_hints(
            self.kb_file)
        self.kb, self.sup_facts = utils.load_movie_sfs(
            self.kb_file, self.relations, self.relation_hints, self.hints)
        self.dataset = utils.load_dataset_student(self.dataset_file)
        self.dataset_teacher = utils.load_dataset_teacher(self.dataset_file, getattr(self, 'CopyAllAnswers', None))
        self.question_entity_dataset, self.question_relation_dataset, \
            self.question_templates, self.question_categories = utils.load_questionEntity(
                self.dataset_file,
                self.question_entity_file, self.question_relation_file,
                self.template_file, getattr(self, 'CopyAllAnswers', None))
        self.synonyms = utils.load_synonyms(self.question_template_file)
        self.typos, self.typo_reverse, self.typos_dev = \
            utils.loadTypo(self.typo_file)

    def generate_answerUtterance(self, log):
        last = len(log) - 1
        if not getattr(self, 'CopyAllAnswers', None):
            assert log[last]['agentName'] != self.name
            candidates = self.dataset.get(self.question_asked)
            if candidates is None:
                utterance = 'Sorry. The answer is not in my dataset.'
                self.state = 'quitting'
                self.quitting = 'true'
            else:
                if random.random() < self.prob_correct_final_answer:
                    utterance = self.curr_answer
                else:
                    utterance = self.entities[random.randint(1, len(self.entities)) - 1]
        else:
            utterance = self.answer_string
        return utterance

    def clear(self):
        self.quitting = False
        self.curr_example = self.curr_example + 1
        if self.curr_example == len(self.dataset_teacher) + 1:
            self.curr_example = 1
        self.question_asked = \
            self.dataset_teacher[self.curr_example - 1][0]
        self.question_entity = self.question_entity_dataset[self.curr_example - 1]
        self.curr_answer = self.dataset_teacher[self.curr_example - 1][1]
        self.curr_answers = self.dataset_teacher[self.curr_example - 1][2]
        self.question_relation = \
            self.question_relation_dataset[self.curr_example - 1]
        self.question_entity = self.question_entity_dataset[self.curr_example - 1]
        self.question_template = self.question_templates[self.curr_example - 1]
        self.question_category = self.question_categories[self.curr_example - 1]
        self.answer_string = self.dataset_teacher[self.curr_example - 1][3]
        sup_facts = self.sup_facts[self.question_entity]
        self.answer_lists = []
        for i in range(sup_facts.size(0)):
            utter = self.kb[int(sup_facts[i])]
            split = stringx.split(stringx.strip(utter), " ")
            for v in split:
                self.answer_lists.append(v)
        if self.setting == "AQ" or (self.setting == "mix" and self.curr_example % 2 == 1):
            self.state = "AskQuestion"
        elif self.setting == "QA" or (self.setting == "mix" and self.curr_example % 2 == 0):
            if self.junk:
                self.state = "answer_random_question"
                self.random_question_num = 1
            else:
                self.state = "answering"
        if self.task == 3 or self.task == 4:
            # Task 3: Ask For Relevant Knowledge
            # Task 4: Knowledge Verification
            self.true_question, self.false_question = self.generateStudentQuestion(
                self.question_entity, self.question_relation, self.question_asked)
        if self.task == 1 or self.task == 2:
            self.get_paraphrase()

    def update(self, log):
        last = len(log) - 1
        if self.state == "AskQuestion" and log[last]['agentName'] == self.name:
            self.state = "wait"
        elif self.state == "wait" and log[last]['agentName'] == self.name:
            if self.junk:
                self.random_question_num = 1
                self.state = "answer_random_question"
            else:
                self.state = "answering"
        elif self.state == "answer_random_question" and log[last]['agentName'] == self.name:
            self.random_question_num = self.random_question_num + 1
            if self.random_question_num > self.randomQuestionNumTotal:
                self.state = "answering"
            else:
                self.state = "answer_random_question"

    def AskQuestionUtterance(self):
        if self.task == 1:
            # Task 1: Question Paraphrase
            utterance = "what do you mean?"
        elif self.task == 2:
            # Task 2: Question Verification
            if random.random() < self.prob_correct_intermediate_answer:
                utterance = "do you mean " + self.question_asked + "?"
            else:
                utterance = "do you mean " + self.question_random + "?"
        elif self.task == 3:
            # Ask For Relevant Knowledge
            utterance = "Can you give me a hint ?"
        elif self.task == 4:
            # Task 4: Knowledge Verification
            random_ = random.random()
            if (self.false_question.nitems == 0
                    or self.false_question.sampled_flags.sum() >= self.false_question.nitems
                    or random_ < self.prob_correct_intermediate_answer) \
                    and len(self.true_question) > 0:
                right_question_index = lg.random(len(self.true_question))
                fullutterance = self.true_question[right_question_index]
                self.task_11_correct = True
            else:
                fullutterance = self.false_question.sample_without_replacement()
            t1 = fullutterance.find(" ")
            movie_name = fullutterance[:t1]
            t2 = fullutterance.find(" ", t1 + 1)
            relation = fullutterance[t1 + 1:t2]
            entity_string = fullutterance[t2 + 1:]
            if getattr(self, 'task_11_correct', None):
                if entity_string.find(self.curr_answer) == -1:
                    entity_name = self.question_entity
                else:
                    entity_name = self.curr_answer
            else:
                if entity_string.find(self.curr_answer) == -1:
                    entity_name = self.question_entity
                else:
                    entities = stringx.split(entity_string, ", ")
                    entity_name = entities[lg.random(len(entities))]
            utterance = "does it have something to do with \"" + \
                movie_name + " " + relation + " " + entity_name + "\"?"
        else:  # task 5 6 7 8 9
            # Knowledge Acquisition
            utterance = "i dont know. what's the answer ?"
        return utterance

    def speak(self, log):
        utterance = None
        reward = 0
        if self.state == "AskQuestion":
            utterance = self.AskQuestionUtterance()
        elif self.state == 'answering':
            utterance = self.generate_answerUtterance(log)
        elif self.state == specialState:
            utterance = self.specialStateUtterance(log)
        elif self.state == "wait":
            utterance = ""
        elif self.state == "answer_random_question":
            utterance = self.answer_random_questionUtterance()
        # print("student "..self.state.." "..utterance)
        return utterance, reward

    def get_paraphrase(self):
        self.question_paraphrase = ""
        utterance = stringx.replace(self.question_asked, "?", "")
        splits = stringx.split(utterance, " ")
        for v in splits:
            if self.typos.get(v) is None:
                self.question_paraphrase = self.question_paraphrase + v + " "
            elif self.mode == "dev" or self.mode == "test":
                self.question_paraphrase = \
                    self.question_paraphrase + self.typos_dev[v] + " "
            elif self.mode == "train":
                self.question_paraphrase = \
                    self.question_paraphrase + self.typos[v] + " "
        self.question_paraphrase = \
            stringx.strip(self.question_paraphrase) + "?"
        candidates_index = lg.random(len(self.synonyms['category2strs']))
        candidates_category = self.synonyms['categoryindex2str'][candidates_index]
        while self.question_category == candidates_category:
            candidates_index = lg.random(len(self.synonyms['category2strs']))
            candidates_category = self.synonyms['categoryindex2str'][candidates_index]
        candidates = self.synonyms['category2strs'][candidates_category]
        rand_index = lg.random(len(candidates))
        template = candidates[rand_index]
        t1 = template.find("X")
        self.question_random = template[:t1] + self.question_entity + template[t1 + 1:]

    def generateStudentQuestion(self, question_entity, question_relation, question_asked):
        # Task 4: Knowledge Verification
        # Generate questions that the student can ask
        # it can be either correct questions or incorrect ones
        question_candidates = self.sup_facts[question_entity]
        true_question = []
        false_question = []
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
            elif question_relation != self.question_relation:
                false_question.append(question_utterance)
        if len(true_question) == 0 and len(false_question) == 0:
            print(question_entity)
            print(self.question_asked)
            print(question_entity)
            print(question_candidates.size())
            for i in range(question_candidates.size(0)):
                print(self.kb[int(question_candidates[i])], self.curr_answer)
            print("true_question")
            for i, v in enumerate(true_question):
                print(i, v)
            print("false_question")
            for i, v in enumerate(false_question):
                print(i, v)
            raise RuntimeError("qeustion list zero")
        false_question = Set(false_question)
        return true_question, false_question

    def quit(self):
        return self.quitting

    def answer_random_questionUtterance(self):
        return self.dataset_teacher[lg.random(len(self.dataset_teacher))][1]


movieStudent = _movieStudent()
