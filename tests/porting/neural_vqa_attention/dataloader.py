"""dataloader.lua: reads params.json (vocabularies), the image features of a split and the questions (right
aligned), answers or question ids from the h5 files; ``next_batch`` draws a random batch, ``next_batch_eval``
walks the test questions in order. The files written for the port hold 0-based word ids (padding -1), answers
and image positions; ``test_id`` counts from 0. dataloader.lua is a table with methods that train.lua loads
with ``dofile``: here a class, ``dofile`` a new instance."""
import legonn as lg
from legonn import cjson, hdf5

from .misc import utils


class dataloader(dict):
    """Lua's table: fields by key (``dataloader['ques']``) and by name (``dataloader.vocab_size``)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def initialize(self, opt, split):
        print('Reading ' + opt['params_json'])
        file = open(opt['params_json'], 'r')
        text = file.readline()   # file:read(): one line
        file.close()
        params = cjson.decode(text)
        for k, v in params.items():
            self[k] = v
        self['vocab_size'] = 0
        for i, w in self['ix_to_word'].items():
            self['vocab_size'] = self['vocab_size'] + 1

        print('Reading ' + opt['img_' + split + '_h5'])
        img_data = hdf5.open(opt['img_' + split + '_h5'], 'r')
        self['fv_im'] = img_data.read('/images_' + split).all()
        img_data.close()

        print('Reading ' + opt['qa_h5'])
        qa_data = hdf5.open(opt['qa_h5'], 'r')
        # image
        self['im_list'] = qa_data.read('/img_pos_' + split).all()
        # question
        self['ques'] = qa_data.read('/ques_' + split).all()
        self['ques_len'] = qa_data.read('ques_length_' + split).all()
        self['ques'] = utils.right_align(self['ques'], self['ques_len'])
        # answer
        if split == 'train':
            self['ans'] = qa_data.read('/answers').all()
        elif split == 'test':
            self['ques_id'] = qa_data.read('/question_id_test').all()
            self['test_id'] = 0
        qa_data.close()

    def next_batch(self, opt):
        iminds = lg.LongTensor(opt['batch_size']).fill(0)
        qinds = lg.LongTensor(opt['batch_size']).fill(0)

        for i in range(opt['batch_size']):
            qinds[i] = lg.random(self['ques'].size(0))   # dataloader['ques']: the table is self
            iminds[i] = self['im_list'][qinds[i]]

        im = self['fv_im'].index(0, iminds)
        ques = self['ques'].index(0, qinds)
        labels = self['ans'].index(0, qinds)

        if opt['gpu'] >= 0:
            im = im.cuda()
            ques = ques.cuda()
            labels = labels.cuda()

        return [im, ques, labels]

    def next_batch_eval(self, opt):
        start_id = self['test_id']
        end_id = min(start_id + opt['batch_size'] - 1, self['ques'].size(0) - 1)

        iminds = lg.LongTensor(end_id - start_id + 1).fill(0)
        qinds = lg.LongTensor(end_id - start_id + 1).fill(0)

        for i in range(end_id - start_id + 1):
            qinds[i] = start_id + i
            iminds[i] = self['im_list'][qinds[i]]

        im = self['fv_im'].index(0, iminds)
        ques = self['ques'].index(0, qinds)
        ques_id = self['ques_id'].index(0, qinds)

        if opt['gpu'] >= 0:
            im = im.cuda()
            ques = ques.cuda()

        self['test_id'] = self['test_id'] + end_id - start_id + 1

        return [im, ques, ques_id]
