"""AskingQuestions/reinforce/RL_data.lua: the reinforcement learner's data: the twelve files' lines, read a batch of
dialogues at a time by ``GetBatch`` (which wraps round to the start when a file ends).

``setmetatable(RL_data, {__index = base_data})``: the class derives from supervised/data.py's. ``GetBatch``'s
``counter`` counts lines read (the Lua's 1-based line number of the last line read; the next line is
``lines[counter]`` 0-based)."""
from legonn import tds  # noqa: F401  (the Lua requires it)
from legonn.pl import stringx  # noqa: F401

from ..supervised.data import _SupervisedData


class _RL_data(_SupervisedData):

    def process_data(self, params):
        self.params = params
        self.load_dict()
        self.mode = "train"
        self.good_AQ_train_lines = self.load_lines(params['good_AQ_trainData'])
        # dataset for good student asking questions
        self.good_AQ_train_index = 0
        self.good_QA_train_lines = self.load_lines(params['good_QA_trainData'])
        # dataset for good student not asking questions
        self.good_QA_train_index = 0
        self.mode = "dev"
        self.good_AQ_dev_lines = self.load_lines(params['good_AQ_devData'])
        self.good_AQ_dev_index = 0
        self.good_QA_dev_lines = self.load_lines(params['good_QA_devData'])
        self.good_QA_dev_index = 0
        self.mode = "test"
        self.good_AQ_test_lines = self.load_lines(params['good_AQ_testData'])
        self.good_AQ_test_index = 0
        self.good_QA_test_lines = self.load_lines(params['good_QA_testData'])
        self.good_QA_test_index = 0
        self.mode = "train"
        self.bad_AQ_train_lines = self.load_lines(params['bad_AQ_trainData'])
        # dataset for bad student asking questions
        self.bad_AQ_train_index = 0
        self.bad_QA_train_lines = self.load_lines(params['bad_QA_trainData'])
        # dataset for bad student not asking questions
        self.bad_QA_train_index = 0
        self.mode = "dev"
        self.bad_AQ_dev_lines = self.load_lines(params['bad_AQ_devData'])
        self.bad_AQ_dev_index = 0
        self.bad_QA_dev_lines = self.load_lines(params['bad_QA_devData'])
        self.bad_QA_dev_index = 0
        self.mode = "test"
        self.bad_AQ_test_lines = self.load_lines(params['bad_AQ_testData'])
        self.bad_AQ_test_index = 0
        self.bad_QA_test_lines = self.load_lines(params['bad_QA_testData'])
        self.bad_QA_test_index = 0

    def load_lines(self, filename):
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
        return lines

    def GetBatch(self, counter, lines):
        finish = 0
        dataset = []
        current_lines = []
        while True:
            counter = counter + 1
            line = lines[counter - 1]
            line = self.process_string(line)
            current_lines.append(line)
            if counter != len(lines):
                next_line = lines[counter]
                t = next_line.find(" ")
                next_line_index = int(next_line[:t])
                if next_line_index == 1:
                    instance = self.Lines2instanceMovieQA(current_lines)
                    dataset.append(instance)
                    current_lines = []
                    if len(dataset) == self.params['batch_size']:
                        break
            else:
                finish = 1
                counter = 0
                break
        return dataset, finish, counter


RL_data = _RL_data()
