"""HITL/online_memmnet.lua: the end-to-end memory network of the dialogue learner (word_table lookups summed per
sentence, N_hop attention hops, a log-softmax over the answer candidates; with FP, a second log-softmax ranking
the teacher's true response against sampled ones), its batching, its RBI / IM / FP / REINFORCE updates with
gradient-norm clipping, and its test accuracy.

The Lua's module table ``online_memmnet`` is the object ``online_memmnet`` of class ``_online_memmnet``; the
global ``model`` it reads (online_simulate.lua sets it) is this module's ``model`` (docs/porting.md's global
row). Dimensions are 0-based: ``nn.Replicate(1,3)`` is ``nn.Replicate(1, 2)``, ``nn.Sum(3)`` is ``nn.Sum(2)``."""
import math

import legonn as lg
from legonn import nn
from legonn.pl import stringx  # noqa: F401  (the Lua requires it)

from . import cuda
from .data import Data, _get

model = None  # the global online_simulate.lua sets


class _online_memmnet:

    def Initial(self, params_):
        self.params = params_
        self.Data.Initial(self.params)
        if self.params['dataset'] == "movieQA":
            model.Data.constructLink()
        self.candidate_pool = []
        self.Data.process_data(self.params)
        assert self.params['dataset'] is not None
        if self.params['dataset'] == "movieQA":
            self.params['token_size'] = 200000
        else:
            self.params['token_size'] = 100
        self.word_table = cuda(nn.LookupTable(self.params['token_size'], self.params['dimension']))
        self.word_table.reset(self.params['init_weight'])
        self.word_table.weight[0].zero()
        self.LookUpTable = self.LookUpTable_()
        self.Modules = []
        self.Modules.append(self.LookUpTable)

        self.MeMM = self.MeMM_()
        if self.params.get('ReadModel'):
            self.ReadExisitngModel()
        self.n_instance = self.params['batch_size']
        self.total_reward = 0
        self.total_reward_instance = 0
        self.total_cost_FP = 0
        self.total_cost_RBI = 0
        self.total_instance_FP = 0
        self.total_instance_RBI = 0
        self.current_lr = self.params['lr']
        if self.params['REINFORCE']:
            # REINFORCE baseline
            self.baseline = nn.Linear(self.params['dimension'], 1)
            self.baseline.weight.fill(0)
            self.baseline.bias.fill(0)
            cuda(self.baseline)
            self.mse = nn.MSECriterion()
            cuda(self.mse)
            # REINFORCE regularizer
            self.regularizer = nn.Sequential()
            tmp = nn.ConcatTable()
            tmp.add(nn.Identity())
            tmp.add(nn.Exp())
            self.regularizer.add(tmp)
            self.regularizer.add(nn.CMulTable())  # p log p
            self.regularizer.add(nn.Sum(0, 1))
            self.regularizer.add(nn.Sum(0))
            cuda(self.regularizer)
        self.gen_yes_list = [
            "Yes, that is correct!",
            "Yes, that's right.",
            "Correct!",
            "That's right.",
            "That's correct.",
            "Yes!"
        ]
        if self.params['FP']:
            self.ReadNegativeResponses()
        if self.params['dataset'] == "movieQA":
            self.Data.trainData = self.Data.sortData(model.Data.trainData, "hist_x")

    def ReadNegativeResponses(self):
        if self.params['FP']:
            self.Data.NegResponse = []
            open_ = open(self.params['IncorrectResponse'], "r")
            i = -1
            for line in open_.read().splitlines():
                i = i + 1
                line = self.Data.process_string(line)
                if i < len(self.Data.trainData):
                    self.Data.trainData[i]['NegResponse'] = self.Data.String2Vector(line)
                    self.Data.ConstructNegativePool(self.Data.trainData[i], "NegResponse", "responsePool")
                    pos_string = self.gen_yes_list[lg.random(len(self.gen_yes_list))]
                    self.Data.trainData[i]['PosResponse'] \
                        = self.Data.String2Vector(self.Data.process_string(pos_string))
                    self.Data.ConstructNegativePool(self.Data.trainData[i], "PosResponse", "responsePool")
                else:
                    break

    def MeMM_(self):
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
                u = nn.Replicate(1, 2)(u)  # add dummy dimension
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
            # u=nn.Linear(params.dimension,params.dimension):noBias()(add_sum);
        expand = nn.Replicate(1, 2)(store[self.params['N_hop'] - 1])
        atten = nn.MM()([answer_v, expand])
        atten = nn.Sum(2)(atten)
        atten = nn.CAddTable()([atten, word_mask_p])
        pred = nn.LogSoftMax()(atten)
        outputs = []
        outputs.append(pred)
        if self.params['FP']:
            response_v = nn.Identity()()
            inputs.append(response_v)
            beta_v = nn.Identity()()
            inputs.append(beta_v)
            atten = nn.Replicate(1, 1)(nn.Exp()(pred))
            attent_vect = nn.MM()([atten, beta_v])
            attent_vect = nn.Sum(1)(attent_vect)
            combine_v = nn.CAddTable()([attent_vect, store[self.params['N_hop'] - 1]])
            combine_v = nn.Replicate(1, 2)(combine_v)
            h2rank = nn.MM()([response_v, combine_v])
            h2rank = nn.Sum(2)(h2rank)
            pred_response = nn.LogSoftMax()(h2rank)
            outputs.append(pred_response)
        module = nn.gModule(inputs, outputs)
        return cuda(module)

    def LookUpTable_(self):
        inputs = []
        context = nn.Identity()()
        inputs.append(context)
        question = nn.Identity()()
        inputs.append(question)
        question_table = \
            self.word_table.clone('weight', 'bias')
        question_v = nn.Sum(1)(question_table(question))
        answer_table = \
            self.word_table.clone('weight', 'bias')
        answer = nn.Identity()()
        answer_v = nn.Sum(1)(answer_table(answer))
        inputs.append(answer)
        context_table = \
            self.word_table.clone('weight', 'bias')
        context_v = nn.Sum(1)(context_table(context))
        if self.params['FP']:
            response = nn.Identity()()
            inputs.append(response)
            response_table = self.word_table.clone('weight', 'bias')
            response_v = nn.Sum(1)(response_table(response))
            potential_answer_beta = nn.Identity()()
            inputs.append(potential_answer_beta)
            potential_answer_beta_table = self.word_table.clone('weight', 'bias')
            potential_answer_beta_v = nn.Sum(1)(potential_answer_beta_table(potential_answer_beta))
        if self.params.get('context'):
            context_length = nn.Identity()()
            inputs.append(context_length)
            answer_v = nn.CMulTable()([answer_v, context_length])
        if self.params['FP']:
            module = nn.gModule(inputs, [context_v, question_v, answer_v, response_v, potential_answer_beta_v])
        else:
            module = nn.gModule(inputs, [context_v, question_v, answer_v])
        return cuda(module)

    def getHopVec(self):
        found = None
        for node in self.MeMM.forwardnodes:
            if node.data.annotations.get('name') == ('hopvec' + str(self.params['N_hop'])):
                found = node.data.module.output
        return found

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
        max_length = -1
        for i in range(len(Dataset)):
            length = len(Dataset[i]['AnswerCandidate'])
            if length > max_length:
                max_length = length
        self.answer_word = cuda(lg.Tensor(len(Dataset), max_length).fill(0))
        self.answer_mask = cuda(lg.Tensor(len(Dataset), max_length).fill(0))
        for i in range(len(Dataset)):
            ex = Dataset[i]
            self.answer_word[i:i + 1, 0:len(ex["AnswerCandidate"])] \
                .copy(lg.Tensor(ex['AnswerCandidate']))
            self.answer_mask[i:i + 1, 0:len(ex["AnswerCandidate"])].fill(1)
        self.answer_word = lg.reshape(self.answer_word,
                                      self.answer_word.size(0) * self.answer_word.size(1), 1)
        if self.params['FP']:
            self.beta_word = cuda(lg.zeros(self.answer_word.size()))  # torch.ones: the padding word 1 is 0
            for i in range(self.params['batch_size']):
                ex = Dataset[i]
                if ex['AnswerCandidateReverse'].get(ex['answer'][0]) is not None:
                    self.beta_word[i * max_length
                                   + ex['AnswerCandidateReverse'][ex['answer'][0]]] = self.params['token_size'] - 1
            self.beta_word = lg.cat(self.answer_word, self.beta_word, 1)

    def PrepareContextVector(self, Dataset):
        self.context_length = -100
        self.context_num = -100
        for instance in Dataset:
            if len(instance["hist_x"]) > self.context_num:
                self.context_num = len(instance["hist_x"])
            for v in instance["hist_x"]:
                if v.size(0) > self.context_length:
                    self.context_length = v.size(0)
        self.context_mask = cuda(lg.Tensor(len(Dataset), self.context_num).fill(0))
        for i, instance in enumerate(Dataset):
            self.context_mask.sub(i, i, 0, len(instance['hist_x']) - 1).fill(1)
            context_Mat = cuda(lg.Tensor(self.context_num, self.context_length).fill(0))
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
        if self.params['FP']:
            self.PrepareNegativeResponse(Dataset)

    def Reshape2Dto3D(self, vector, n1):
        return lg.reshape(vector,
                          n1, vector.size(0) / n1,
                          self.params['dimension'])

    def Reshape3Dto2D(self, vector):
        return lg.reshape(vector,
                          vector.size(0) * vector.size(1),
                          vector.size(2))

    def batch_train(self, batch_data):
        for i in range(len(self.Modules)):
            self.Modules[i].zeroGradParameters()
        self.n_instance = len(batch_data)
        self.prepareData(batch_data)
        pred, pred_response = self.Forward()
        d_pred = cuda(lg.Tensor(pred.size()).fill(0))  # this stores the deriavtives to be sent back to the logsoftmax
        d_pred_response = None
        bsz = self.reward_vector.size(0)
        # IM, RBI, RBI + FP
        if self.params['policyGrad'] or (not self.params['policyGrad'] and not self.params['FP']):
            # params.policyGrad: RBI or RBI+FP
            # not params.policyGrad and not params.FP: IM
            if self.params['REINFORCE']:
                # the input to the baseline module is the output
                # of the 2nd hop.
                baseline_input = self.getHopVec()
                baseline = self.baseline.forward(baseline_input)
                baseline_error = self.mse.forward(baseline,  # noqa: F841
                                                  self.reward_vector.view(bsz, 1))
            else:
                baseline = cuda(lg.zeros(len(batch_data)))
            num_candidates = self.answer_mask.sum(1)  # noqa: F841
            for i in range(bsz):  # TODO: work in batch mode
                bot_answer = None
                if self.params['dataset'] == "babi":
                    bot_answer = batch_data[i]['AnswerCandidateReverse'].get(batch_data[i]['answer'][0])
                elif self.params['dataset'] == "movieQA":
                    bot_answer = batch_data[i]['AnswerCandidateReverse'].get(batch_data[i]['answer'][0])
                # RBI, RBI+FP
                if self.params['policyGrad']:
                    if bot_answer is not None:
                        if self.params['REINFORCE']:
                            # set derivatives at output of logsoftmax
                            d_pred[i][bot_answer] = \
                                baseline[i] - self.reward_vector[i]
                        else:
                            # plain epsilon-greedy RBI
                            if self.reward_vector[i] == 1:
                                d_pred[i][bot_answer] = -1
                                self.total_cost_RBI = self.total_cost_RBI - \
                                    pred[i][bot_answer]
                                self.total_instance_RBI = self.total_instance_RBI + 1
                else:  # IM (bot_answer is always correct)
                    d_pred[i][bot_answer] = -1
                    self.total_cost_RBI = self.total_cost_RBI - pred[i][bot_answer]
                    self.total_instance_RBI = self.total_instance_RBI + 1
        # FP only
        self.total_cost_FP = 0
        self.total_instance_FP = 0
        if self.params['FP']:
            d_pred_response = cuda(lg.Tensor(pred_response.size()).fill(0))
            for i in range(self.params['batch_size']):
                d_pred_response[i][0] = -1
                self.total_cost_FP = self.total_cost_FP \
                    + math.exp(-pred_response[i][0])
                self.total_instance_FP = self.total_instance_FP + 1
        # print(self.total_cost_FP/self.total_instance_FP)
        # for REINFORCE update also the baseline
        if self.params['REINFORCE']:
            self.baseline.zeroGradParameters()
            self.mse.backward(baseline, self.reward_vector.view(bsz, 1))
            self.baseline.backward(baseline_input, self.mse.gradInput)
            self.baseline.updateParameters(self.params['RF_lr'])
            if self.params['REINFORCE_reg'] > 0:
                self.regularizer.forward(pred)
                self.regularizer.backward(
                    pred, cuda(lg.Tensor([self.params['REINFORCE_reg']])))
                d_pred.add(self.regularizer.gradInput)
        self.Backward(d_pred, d_pred_response)
        self.update()

    def Forward(self):
        if self.params['FP']:
            vector_output = self.LookUpTable.forward([
                self.context_word, self.query_word, self.answer_word,
                self.response_word, self.beta_word])
        else:
            vector_output = self.LookUpTable.forward([
                self.context_word, self.query_word, self.answer_word])
        self.context_v = vector_output[0]
        self.question_v = vector_output[1]
        self.answer_v = vector_output[2]
        self.response_v = vector_output[3] if len(vector_output) > 3 else None
        self.beta_v = vector_output[4] if len(vector_output) > 4 else None
        self.context_v = self.Reshape2Dto3D(self.context_v, self.n_instance)
        self.answer_v = self.Reshape2Dto3D(self.answer_v, self.n_instance)
        if self.params['FP']:
            self.response_v = self.Reshape2Dto3D(self.response_v, self.n_instance)
            self.beta_v = self.Reshape2Dto3D(self.beta_v, self.n_instance)
        pred_response = None
        if self.params['FP']:
            output = self.MeMM.forward([
                self.context_v, self.question_v, self.answer_v,
                self.context_mask, self.answer_mask,
                self.response_v, self.beta_v])
            pred = output[0]
            pred_response = output[1]
        else:
            output = self.MeMM.forward([
                self.context_v, self.question_v, self.answer_v,
                self.context_mask, self.answer_mask])
            pred = output
        return pred, pred_response

    def Backward(self, d_pred, d_pred_response):
        if self.params['FP']:
            grad_inputs = self.MeMM.backward([
                self.context_v, self.question_v, self.answer_v,
                self.context_mask, self.answer_mask,
                self.response_v, self.beta_v],
                [d_pred, d_pred_response])
        else:
            grad_inputs = self.MeMM.backward([
                self.context_v, self.question_v, self.answer_v,
                self.context_mask, self.answer_mask], d_pred)
        d_context_v = grad_inputs[0]
        d_question_v = grad_inputs[1]
        d_answer_v = grad_inputs[2]
        d_context_v = self.Reshape3Dto2D(d_context_v)
        d_answer_v = self.Reshape3Dto2D(d_answer_v)
        if self.params['FP']:
            d_response_v = grad_inputs[5]
            d_beta_v = grad_inputs[6]
            d_response_v = self.Reshape3Dto2D(d_response_v)
            d_beta_v = self.Reshape3Dto2D(d_beta_v)
            self.LookUpTable.backward([
                self.context_word, self.query_word, self.answer_word,
                self.response_word, self.beta_word],
                [d_context_v, d_question_v, d_answer_v,
                 d_response_v, d_beta_v])
        else:
            self.LookUpTable.backward([
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
            pred, _ = self.Forward()
            max_p, max_index = lg.max(pred, 1)
            for j in range(self.params['batch_size']):
                AnswerCandidate = batch_data[j]['AnswerCandidate']
                predict_index = int(max_index[j][0])
                if not (len(batch_data[j]['answers']) == 1 and _get(batch_data[j]['answers'], 0) == 1) \
                        and _get(batch_data[j]['answers'], AnswerCandidate[predict_index]) is not None:
                    right = right + 1
        self.model_flag = "train"
        return right / self.total_instance_RBI

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


online_memmnet = _online_memmnet()
online_memmnet.Data = Data
