"""utils/DataLoader.lua: builds the question and answer vocabularies and data.t7 from the VQA json files (once,
or again when the questions file is newer), then holds train and val batches of right-aligned questions, answers
and fc7 features. Word ids and answers are 0-based; a question's padding is -1 (docs/porting.md's LookupTable
index rows), which train.lua's ``q_batch + 1`` makes LookupTable row 0, as the Lua's 0 becomes its row 1."""
import functools
import math
import re

import legonn as lg
from legonn import cjson, lfs
from legonn.pl import path


class DataLoader:

    @staticmethod
    def create(data_dir, batch_size, opt, mode=None):

        self = DataLoader()

        self.mode = mode or 'train'

        train_questions_file = path.join(data_dir, 'MultipleChoice_mscoco_train2014_questions.json')
        train_annotations_file = path.join(data_dir, 'mscoco_train2014_annotations.json')

        val_questions_file = path.join(data_dir, 'MultipleChoice_mscoco_val2014_questions.json')
        val_annotations_file = path.join(data_dir, 'mscoco_val2014_annotations.json')

        questions_vocab_file = path.join(data_dir, 'questions_vocab.t7')
        answers_vocab_file = path.join(data_dir, 'answers_vocab.t7')

        tensor_file = path.join(data_dir, 'data.t7')

        # fetch file attributes to determine if we need to rerun preprocessing

        run_prepro = False
        if not (path.exists(questions_vocab_file) and path.exists(answers_vocab_file) and path.exists(tensor_file)):
            print('questions_vocab.t7, answers_vocab.t7 or data.t7 files do not exist. Running preprocessing...')
            run_prepro = True
        else:
            train_questions_attr = lfs.attributes(train_questions_file)
            questions_vocab_attr = lfs.attributes(questions_vocab_file)
            tensor_attr = lfs.attributes(tensor_file)

            if train_questions_attr['modification'] > questions_vocab_attr['modification'] or \
                    train_questions_attr['modification'] > tensor_attr['modification']:
                print('questions_vocab.t7 or data.t7 detected as stale. Re-running preprocessing...')
                run_prepro = True
        if run_prepro:
            # construct a tensor with all the data, and vocab file
            print('one-time setup: preprocessing...')
            DataLoader.json_to_tensor(train_questions_file, train_annotations_file, val_questions_file,
                                      val_annotations_file, questions_vocab_file, answers_vocab_file, tensor_file)

        print('Loading data files...')
        data = lg.load(tensor_file)
        if mode == 'fc7_feat':
            self.data = data
            return self

        self.q_max_length = data['q_max_length']
        self.q_vocab_mapping = lg.load(questions_vocab_file)
        self.a_vocab_mapping = lg.load(answers_vocab_file)

        self.q_vocab_size = 0
        for _ in self.q_vocab_mapping:
            self.q_vocab_size = self.q_vocab_size + 1

        self.a_vocab_size = 0
        for _ in self.a_vocab_mapping:
            self.a_vocab_size = self.a_vocab_size + 1

        self.batch_size = batch_size

        if mode == 'predict':
            return self

        self.train_nbatches = 0
        self.val_nbatches = 0

        # Load train into batches

        print('Loading train fc7 features from ' + opt['train_fc7_file'])
        fc7 = lg.load(opt['train_fc7_file'])
        fc7_image_id = lg.load(opt['train_fc7_image_id_file'])
        fc7_mapping = {}
        for i, v in enumerate(fc7_image_id):
            fc7_mapping[v] = i

        self.batch_data = {'train': {}, 'val': {}}

        self.batch_data['train'] = {
            'question': lg.ShortTensor(self.batch_size * math.floor(len(data['train']) / self.batch_size),
                                       data['q_max_length']),
            'answer': lg.ShortTensor(self.batch_size * math.floor(len(data['train']) / self.batch_size)),
            'image_feat': lg.DoubleTensor(self.batch_size * math.floor(len(data['train']) / self.batch_size), 4096),
            'image_id': [],
            'nbatches': math.floor(len(data['train']) / self.batch_size)
        }

        if opt['gpuid'] >= 0:
            self.batch_data['train']['image_feat'] = self.batch_data['train']['image_feat'].cuda()

        for i in range(self.batch_size * self.batch_data['train']['nbatches']):
            self.batch_data['train']['question'][i] = data['train'][i]['question']
            self.batch_data['train']['answer'][i] = data['train'][i]['answer']
            self.batch_data['train']['image_feat'][i] = fc7[fc7_mapping[data['train'][i]['image_id']]]
            self.batch_data['train']['image_id'].append(data['train'][i]['image_id'])

        if opt['gpuid'] >= 0:
            self.batch_data['train']['question'] = self.batch_data['train']['question'].cuda()
            self.batch_data['train']['answer'] = self.batch_data['train']['answer'].cuda()

        # Load val into batches

        print('Loading val fc7 features from ' + opt['val_fc7_file'])
        fc7 = lg.load(opt['val_fc7_file'])
        fc7_image_id = lg.load(opt['val_fc7_image_id_file'])
        fc7_mapping = {}
        for i, v in enumerate(fc7_image_id):
            fc7_mapping[v] = i

        self.batch_data['val'] = {
            'question': lg.ShortTensor(self.batch_size * math.floor(len(data['val']) / self.batch_size),
                                       data['q_max_length']),
            'answer': lg.ShortTensor(self.batch_size * math.floor(len(data['val']) / self.batch_size)),
            'image_feat': lg.DoubleTensor(self.batch_size * math.floor(len(data['val']) / self.batch_size), 4096),
            'image_id': [],
            'nbatches': math.floor(len(data['val']) / self.batch_size)
        }

        if opt['gpuid'] >= 0:
            self.batch_data['val']['image_feat'] = self.batch_data['val']['image_feat'].cuda()

        for i in range(self.batch_size * self.batch_data['val']['nbatches']):
            self.batch_data['val']['question'][i] = data['val'][i]['question']
            self.batch_data['val']['answer'][i] = data['val'][i]['answer']
            self.batch_data['val']['image_feat'][i] = fc7[fc7_mapping[data['val'][i]['image_id']]]
            self.batch_data['val']['image_id'].append(data['val'][i]['image_id'])

        if opt['gpuid'] >= 0:
            self.batch_data['val']['question'] = self.batch_data['val']['question'].cuda()
            self.batch_data['val']['answer'] = self.batch_data['val']['answer'].cuda()

        self.train_batch_idx = 1
        self.val_batch_idx = 1

        return self

    def next_batch(self, split=None):
        split = split or 'train'
        if split == 'train':
            if self.train_batch_idx - 1 == self.batch_data['train']['nbatches']:
                self.train_batch_idx = 1
            question = self.batch_data['train']['question'].narrow(0, (self.train_batch_idx - 1) * self.batch_size,
                                                                   self.batch_size)
            answer = self.batch_data['train']['answer'].narrow(0, (self.train_batch_idx - 1) * self.batch_size,
                                                               self.batch_size)
            image = self.batch_data['train']['image_feat'].narrow(0, (self.train_batch_idx - 1) * self.batch_size,
                                                                  self.batch_size)
            image_id = self.batch_data['train']['image_id'][(self.train_batch_idx - 1) * self.batch_size:
                                                            self.train_batch_idx * self.batch_size]

            self.train_batch_idx = self.train_batch_idx + 1
            return question, answer, image, image_id
        else:
            if self.val_batch_idx - 1 == self.batch_data['val']['nbatches']:
                self.val_batch_idx = 1
            question = self.batch_data['val']['question'].narrow(0, (self.val_batch_idx - 1) * self.batch_size,
                                                                 self.batch_size)
            answer = self.batch_data['val']['answer'].narrow(0, (self.val_batch_idx - 1) * self.batch_size,
                                                             self.batch_size)
            image = self.batch_data['val']['image_feat'].narrow(0, (self.val_batch_idx - 1) * self.batch_size,
                                                                self.batch_size)
            image_id = self.batch_data['val']['image_id'][(self.val_batch_idx - 1) * self.batch_size:
                                                          self.val_batch_idx * self.batch_size]

            self.val_batch_idx = self.val_batch_idx + 1
            return question, answer, image, image_id

    @staticmethod
    def json_to_tensor(in_train_q, in_train_a, in_val_q, in_val_a, out_vocab_q, out_vocab_a, out_tensor):

        JSON = cjson   # (loadfile "utils/JSON.lua")(): Jeffrey Friedl's JSON.lua, cjson's decode here

        print('creating vocabulary mapping...')

        # build answer vocab using train+val

        with open(in_train_a, 'r') as f:
            c = f.read()
        train_a = JSON.decode(c)

        with open(in_val_a, 'r') as f:
            c = f.read()
        val_a = JSON.decode(c)

        unordered = {}

        for i in range(len(train_a['annotations'])):
            token = train_a['annotations'][i]['multiple_choice_answer']
            if token not in unordered:
                unordered[token] = 1
            else:
                unordered[token] = unordered[token] + 1

        for i in range(len(val_a['annotations'])):
            token = val_a['annotations'][i]['multiple_choice_answer']
            if token not in unordered:
                unordered[token] = 1
            else:
                unordered[token] = unordered[token] + 1

        sorted_a = get_keys_sorted_by_value(unordered, lambda a, b: a > b)

        top_n = 1000
        ordered = []
        for i in range(top_n):
            if i < len(sorted_a):   # a Lua table read past its end gives nil, which adds nothing
                ordered.append(sorted_a[i])
        ordered.append("UNK")
        ordered.sort()

        a_vocab_mapping = {}
        for i, word in enumerate(ordered):
            a_vocab_mapping[word] = i

        # build question vocab using train+val

        with open(in_train_q, 'r') as f:
            c = f.read()
        train_q = JSON.decode(c)

        with open(in_val_q, 'r') as f:
            c = f.read()
        val_q = JSON.decode(c)

        unordered = {}
        max_length = 0

        for i in range(len(train_q['questions'])):
            count = 0
            if train_a['annotations'][i]['multiple_choice_answer'] in a_vocab_mapping:
                for token in word_iter(train_q['questions'][i]['question']):
                    if token not in unordered:
                        unordered[token] = 1
                    else:
                        unordered[token] = unordered[token] + 1
                    count = count + 1
                if count > max_length:
                    max_length = count

        for i in range(len(val_q['questions'])):
            count = 0
            for token in word_iter(val_q['questions'][i]['question']):
                if token not in unordered:
                    unordered[token] = 1
                else:
                    unordered[token] = unordered[token] + 1
                count = count + 1
            if count > max_length:
                max_length = count

        threshold = 0
        ordered = []
        for token, count in unordered.items():
            if count > threshold:
                ordered.append(token)
        ordered.append("UNK")
        ordered.sort()

        q_vocab_mapping = {}
        for i, word in enumerate(ordered):
            q_vocab_mapping[word] = i

        print('putting data into tensor...')

        # save train+val data

        data = {
            'train': [],
            'val': [],
            'q_max_length': max_length
        }

        print('q max length: ' + str(max_length))

        idx = 0

        for i in range(len(train_q['questions'])):
            if train_a['annotations'][i]['multiple_choice_answer'] in a_vocab_mapping:
                question = []
                wl = 0
                for token in word_iter(train_q['questions'][i]['question']):
                    wl = wl + 1
                    question.append(q_vocab_mapping.get(token, q_vocab_mapping["UNK"]))
                data['train'].append({
                    'image_id': train_a['annotations'][i]['image_id'],
                    'question': lg.ShortTensor(max_length).fill(-1),
                    'answer': a_vocab_mapping.get(train_a['annotations'][i]['multiple_choice_answer'],
                                                  a_vocab_mapping["UNK"])
                })
                for j in range(wl):
                    data['train'][idx]['question'][max_length - wl + j] = question[j]
                idx = idx + 1

        idx = 0

        for i in range(len(val_q['questions'])):
            question = []
            wl = 0
            for token in word_iter(val_q['questions'][i]['question']):
                wl = wl + 1
                question.append(q_vocab_mapping.get(token, q_vocab_mapping["UNK"]))
            data['val'].append({
                'image_id': val_a['annotations'][i]['image_id'],
                'question': lg.ShortTensor(max_length).fill(-1),
                'answer': a_vocab_mapping.get(val_a['annotations'][i]['multiple_choice_answer'],
                                              a_vocab_mapping["UNK"])
            })
            for j in range(wl):
                data['val'][idx]['question'][max_length - wl + j] = question[j]
            idx = idx + 1

        # save output preprocessed files
        print('saving ' + out_vocab_q)
        lg.save(out_vocab_q, q_vocab_mapping)
        print('saving ' + out_vocab_a)
        lg.save(out_vocab_a, a_vocab_mapping)
        print('saving ' + out_tensor)
        lg.save(out_tensor, data)


def word_iter(str):
    return re.findall('[A-Za-z]+', str)   # string.gmatch(str, "%a+")


def get_keys_sorted_by_value(tbl, sort_fn):
    keys = []
    for key in tbl:
        keys.append(key)

    # table.sort with a comparator: functools.cmp_to_key of it (ties come out in any order in Lua)
    keys.sort(key=functools.cmp_to_key(lambda a, b: -1 if sort_fn(tbl[a], tbl[b]) else
                                       (1 if sort_fn(tbl[b], tbl[a]) else 0)))

    return keys
