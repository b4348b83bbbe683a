"""AskingQuestions/supervised/memmnet.lua: the end-to-end memory network trained offline on the dialogues (HITL's
network without FP; with ``-context``, each answer candidate embedded as the mean of its context words'
embeddings: ``nn.CMulTable`` by 1/length), its batching, update with gradient-norm clipping, test accuracy and the
epoch loop ``train``.

The Lua's module table ``memmnet`` is the object ``memmnet`` of class ``_memmnet`` (RL_memmnet.lua's table
inherits from it through ``__index``: reinforce's class would derive from it). Dimensions are 0-based."""
import math

import legonn as lg
from legonn import nn

from ...memnn_hitl import cuda
from ...memnn_hitl.data import _at, _get
from .data import Data

pred = None  # the Lua's MeMM_ assigns the global ``pred``


class _memmnet:

    def MeMM_(self):
        global pred
        inputs = []
        memory = nn.Identity()()
        inputs.append(memory)
        question = nn.Identity()()
        inputs.append(question)
        answer_v = nn.Identity()()
        inputs.append(answer_v)
        context_mask = nn.Identity()()
        context_mask_p = nn.MulConstant(1e8)(nn.AddConstant(-1)(context_mask))
        inputs.append(context_mask)
        word_mask = nn.Identity()()
        word_mask_p = nn.MulConstant(1e8)(nn.AddConstant(-1)(word_mask))
        inputs.append(word_mask)
        u = question
        store = []
        attens = []
        for i in range(self.params['N_hop']):
            if i == 0:
                u = nn.Replicate(1, 2)(u)
            else:
                u = nn.Replicate(1, 2)(store[i - 1])
            sen_atten = nn.MM()([memory, u])
            sen_atten = nn.Sum(2)(sen_atten)
            sen_atten = nn.CAddTable()([sen_atten, context_mask_p])
            sen_atten = nn.SoftMax()(sen_atten)
            attens.append(sen_atten)
            sen_atten = nn.Replicate(1, 1)(sen_atten)
            attent_vect = nn.MM()([sen_atten, memory])
            attent_vect = nn.Sum(1)(attent_vect)
            store.append(nn.CAddTable()([attent_vect, u]).annotate({'name': 'hopvec' + str(i + 1)}))
        expand = nn.Replicate(1, 2)(store[self.params['N_hop'] - 1])
        atten = nn.MM()([answer_v, expand])
        atten = nn.Sum(2)(atten)
        atten = nn.CAddTable()([atten, word_mask_p])
        pred = nn.LogSoftMax()(atten)
        outputs = []
        outputs.append(pred)
        module = nn.gModule(inputs, outputs)
        return cuda(module)

    def getHopVec(self):
        found = None
        for node in self.MeMM.forwardnodes:
            if node.data.annotations.get('name') == 'hopvec' + str(self.params['N_hop']):
                found = node.data.module.output
        return found

    def LookUpTable_(self):
        inputs = []
        context_word = nn.Identity()()
        inputs.append(context_word)
        question_word = nn.Identity()()
        inputs.append(question_word)
        question_table = \
            self.word_table.clone('weight', 'bias')
        question_v = nn.Sum(1)(question_table(question_word))
        answer_word = nn.Identity()()
        answer_table = self.word_table.clone('weight', 'bias')
        inputs.append(answer_word)
        answer_v = nn.Sum(1)(answer_table(answer_word))
        context_table = self.word_table.clone('weight', 'bias')
        context_v = nn.Sum(1)(context_table(context_word))
        if self.params['context']:
            context_length = nn.Identity()()
            inputs.append(context_length)
            answer_v = nn.CMulTable()([answer_v, context_length])
            # normalize the context vector by the number of words
        module = nn.gModule(inputs, [context_v, question_v, answer_v])
        return cuda(module)

    def PrepareNegativeResponse(self, Dataset):
        for instance in Dataset:
            if instance['response'].size(0) > self.Data.MaxResponseLength:
                self.Data.MaxResponseLength = instance['response'].size(0)
        self.response_word = lg.Tensor(len(Dataset) * (1 + self.params['negative']),
                                       self.Data.MaxResponseLength).fill(0)
        for i, ex in enumerate(Dataset):
            line_index = i * (1 + self.params['negative'])
            self.response_word.sub(line_index, line_index, 0, ex['response'].size(0) - 1).copy(ex['response'])
            for j in range(1, self.params['negative'] + 1):
                line_index = i * (1 + self.params['negative']) + j
                negative_response = self.Data.responsePool[lg.random(len(self.Data.responsePool))]
                self.response_word.sub(line_index, line_index, 0,
                                       negative_response.size(0) - 1).copy(negative_response)
            self.Data.responsePool[lg.random(len(self.Data.responsePool))] = ex['response']
        self.response_word = cuda(self.response_word)

    def prepareAnswer(self, Dataset):
        assert self.params['context'] is not None
        if not self.params['context']:
            # vanilla model
            max_length = -1
            for i in range(len(Dataset)):
                length = len(Dataset[i]['AnswerCandidate'])
                if length > max_length:
                    max_length = length
            self.answer_word = cuda(lg.Tensor(len(Dataset), max_length).fill(0))
            self.answer_mask = cuda(lg.Tensor(len(Dataset), max_length).fill(0))
            for i in range(len(Dataset)):
                ex = Dataset[i]
                self.answer_word[i:i + 1, 0:len(ex['AnswerCandidate'])] \
                    .copy(lg.Tensor(ex['AnswerCandidate']))
                self.answer_mask[i:i + 1, 0:len(ex['AnswerCandidate'])].fill(1)
            self.answer_word = lg.reshape(self.answer_word,
                                          self.answer_word.size(0) * self.answer_word.size(1), 1)
        else:
            answer_context = []
            for ex in Dataset:
                answer_context.append(self.Data.GetAnswerContext(ex))
            max_length = -1
            max_sen_length = 0
            for i in range(len(Dataset)):
                length = len(answer_context[i])
                if length > max_length:
                    max_length = length
                for j in range(len(answer_context[i])):
                    if answer_context[i][j].size(0) > max_sen_length:
                        max_sen_length = answer_context[i][j].size(0)
            self.answer_word = cuda(lg.Tensor(len(Dataset), max_length, max_sen_length).fill(0))
            self.answer_mask = cuda(lg.Tensor(len(Dataset), max_length).fill(0))
            self.context_length = []
            for i in range(len(Dataset)):
                for j in range(len(answer_context[i])):
                    self.answer_word[i:i + 1, j:j + 1, 0:answer_context[i][j].size(0)].copy(
                        answer_context[i][j])
                    self.context_length.append(1 / answer_context[i][j].size(0))
                for j in range(len(answer_context[i]), max_length):
                    self.context_length.append(1)
                self.answer_mask[i:i + 1, 0:len(answer_context[i])].fill(1)
            self.context_length = cuda(lg.Tensor(self.context_length)
                                       .view(len(self.context_length), 1)
                                       .expand(len(self.context_length), self.params['dimension']))
            self.answer_word = self.Reshape3Dto2D(self.answer_word)

    def PrepareContextVector(self, Dataset):
        context_length = -100
        context_num = -100
        for instance in Dataset:
            if len(instance["hist_x"]) > context_num:
                context_num = len(instance["hist_x"])
            for v in instance["hist_x"]:
                if v.size(0) > context_length:
                    context_length = v.size(0)
        self.context_mask = cuda(lg.Tensor(len(Dataset), context_num).fill(0))
        for i, instance in enumerate(Dataset):
            self.context_mask.sub(i, i, 0, len(instance['hist_x']) - 1).fill(1)
            context_Mat = cuda(lg.Tensor(context_num, context_length).fill(0))
            for j, v in enumerate(Dataset[i]['hist_x']):
                context_Mat.sub(j, j, 0, v.size(0) - 1).copy(v)
            if i == 0:
                self.context_word = context_Mat
            else:
                self.context_word = lg.cat(self.context_word, context_Mat, 0)

    def PrepareQues(self, Dataset):
        max_length = -1
        for instance in Dataset:
            if instance['question'].size(0) > max_length:
                max_length = instance['question'].size(0)
        self.query_word = lg.Tensor(len(Dataset), max_length).fill(0)
        for i, instance in enumerate(Dataset):
            self.query_word.sub(i, i, 0, instance['question'].size(0) - 1).copy(instance['question'])
        self.query_word = cuda(self.query_word)

    def prepareData(self, Dataset):
        self.PrepareContextVector(Dataset)
        self.PrepareQues(Dataset)
        self.reward_vector = cuda(lg.Tensor(len(Dataset)))
        for i, instance in enumerate(Dataset):
            self.reward_vector[i] = instance['r'][0]
        self.prepareAnswer(Dataset)

    def Reshape2Dto3D(self, vector, n1):
        return lg.reshape(vector,
                          n1, vector.size(0) / n1,
                          self.params['dimension'])

    def Reshape3Dto2D(self, vector):
        return lg.reshape(vector,
                          vector.size(0) * vector.size(1),
                          vector.size(2))

    def Forward(self, LookUpTable):
        if self.params['context']:
            vector_output = LookUpTable.forward([
                self.context_word, self.query_word, self.answer_word, self.context_length])
        else:
            vector_output = LookUpTable.forward([
                self.context_word, self.query_word, self.answer_word])
        self.context_v = vector_output[0]
        self.question_v = vector_output[1]
        self.answer_v = vector_output[2]
        self.response_v = _at(vector_output, 3)
        self.beta_v = _at(vector_output, 4)
        self.context_v = self.Reshape2Dto3D(self.context_v, self.n_instance)
        self.answer_v = self.Reshape2Dto3D(self.answer_v, self.n_instance)
        output = self.MeMM.forward([
            self.context_v, self.question_v, self.answer_v,
            self.context_mask, self.answer_mask])
        pred = output
        return pred, None  # the Lua returns the global pred_response, never set: nil

    def Backward(self, d_pred, LookUpTable):
        grad_inputs = self.MeMM.backward([
            self.context_v, self.question_v, self.answer_v,
            self.context_mask, self.answer_mask], d_pred)
        d_context_v = grad_inputs[0]
        d_question_v = grad_inputs[1]
        d_answer_v = grad_inputs[2]
        d_context_v = self.Reshape3Dto2D(d_context_v)
        d_answer_v = self.Reshape3Dto2D(d_answer_v)
        if self.params['context']:
            LookUpTable.backward([self.context_word, self.query_word, self.answer_word],
                                 [d_context_v, d_question_v, d_answer_v])
        else:
            LookUpTable.backward([
                self.context_word, self.query_word, self.answer_word],
                [d_context_v, d_question_v, d_answer_v])

    def test(self, file):
        self.total_instance_RBI = 0
        if file == "dev":
            batch_data_ = self.Data.devData
            self.model_flag = "dev"
        elif file == "test":
            self.model_flag = "test"
            batch_data_ = self.Data.testData
        right = 0
        for i in range(int(lg.floor(len(batch_data_) / self.params['batch_size']))):
            self.total_instance_RBI = self.total_instance_RBI + self.params['batch_size']
            Begin = i * self.params['batch_size']
            End = (i + 1) * self.params['batch_size'] - 1
            if End > len(batch_data_) - 1:
                End = len(batch_data_) - 1
            batch_data = []
            for j in range(Begin, End + 1):
                batch_data.append(batch_data_[j])
            self.n_instance = len(batch_data)
            self.prepareData(batch_data)
            pred, _ = self.Forward(self.LookUpTable)
            max_p, max_index = lg.max(pred, 1)
            for j in range(self.params['batch_size']):
                AnswerCandidate = batch_data[j]['AnswerCandidate']
                predict_index = int(max_index[j][0])
                if not (len(batch_data[j]['answers']) == 1 and _get(batch_data[j]['answers'], 0) == 1) \
                        and _get(batch_data[j]['answers'], AnswerCandidate[predict_index]) is not None:
                    right = right + 1
        self.model_flag = "train"
        return right / self.total_instance_RBI

    def Initial(self, params_):
        self.params = params_
        self.Data.process_data(self.params)
        self.params['token_size'] = 200000
        self.word_table = cuda(nn.LookupTable(self.params['token_size'], self.params['dimension']))
        self.word_table.reset(self.params['init_weight'])
        self.word_table.weight[0].zero()
        # dummy token, always zero
        self.LookUpTable = self.LookUpTable_()
        self.Modules = []
        self.Modules.append(self.LookUpTable)
        self.MeMM = self.MeMM_()
        self.n_instance = self.params['batch_size']
        self.current_lr = self.params['lr']

    def batch_train(self, batch_data):
        for i in range(len(self.Modules)):
            self.Modules[i].zeroGradParameters()
        self.n_instance = len(batch_data)
        self.prepareData(batch_data)
        pred, pred_response = self.Forward(self.LookUpTable)
        d_pred = cuda(lg.Tensor(pred.size()).fill(0))
        for i in range(self.reward_vector.size(0)):
            right_answer_index = batch_data[i]['AnswerCandidateReverse'].get(batch_data[i]['answer'][0])
            if right_answer_index is not None:
                if self.reward_vector[i] == 1:
                    d_pred[i][right_answer_index] = -1
        self.Backward(d_pred, self.LookUpTable)
        self.update()

    def update(self):
        lr = self.current_lr
        grad_norm = 0
        for i in range(len(self.Modules)):
            p, dp = self.Modules[i].parameters()
            for m in dp:
                grad_norm = grad_norm + m.norm() ** 2
        grad_norm = grad_norm ** 0.5
        if grad_norm > self.params['thres']:
            lr = lr * self.params['thres'] / grad_norm
        for i in range(len(self.Modules)):
            self.Modules[i].updateParameters(lr)
        self.word_table.weight[0].zero()
        for v in self.Modules[0].modules:
            if getattr(v, 'weight', None) is not None:
                v.weight[0].zero()

    def train(self):
        timer = lg.Timer()
        self.iter = 0
        best_dev_acc = -10
        final_test_acc = 0
        self.Data.trainData = self.Data.sortData(self.Data.trainData, "hist_x")
        print(len(self.Data.trainData))
        while True:
            self.model_flag = "train"
            self.iter = self.iter + 1
            print("iter " + str(self.iter))
            if self.iter == self.params['N_iter']:
                break
            if self.iter % self.params['iter_halve_lr'] == 0:
                if self.params.get('dataset') == "babi":
                    self.current_lr = self.current_lr / 2
                    print(self.current_lr)
            time1 = timer.time()['real']  # noqa: F841
            for k in range(math.floor(len(self.Data.trainData) / self.params['batch_size'])):
                batch_data = []
                start_index = lg.random(len(self.Data.trainData))
                while start_index + self.params['batch_size'] >= len(self.Data.trainData) - 1:
                    start_index = lg.random(len(self.Data.trainData))
                for i in range(start_index, start_index + self.params['batch_size']):
                    batch_data.append(self.Data.trainData[i])
                self.batch_train(batch_data)
            time2 = timer.time()['real']  # noqa: F841
            acc_dev = self.test("dev")
            print("acc_dev  " + str(acc_dev))
            if acc_dev >= best_dev_acc:
                best_dev_acc = acc_dev
                acc_test = self.test("test")
                final_test_acc = acc_test
            acc_test = self.test("test")
        print("test_acc " + str(final_test_acc))
        return final_test_acc, best_dev_acc


memmnet = _memmnet()
memmnet.Data = Data
