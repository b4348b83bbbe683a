"""AskingQuestions/reinforce/RL_memmnet.lua: the reinforcement learner: a binary policy (a memory network over the
knowledge-base lines and the question, then nn.Linear and nn.LogSoftMax) chooses to ask the teacher a question
(AQ, at the cost ``AQcost``) or not (QA), and the answer policy (supervised/memmnet.lua's network, one lookup
table per choice) samples an answer rewarded +1 or -1; both are trained by REINFORCE against a nn.Linear
baseline on the last hop's vector, the binary policy with an entropy regularizer.

``setmetatable(RL_memmnet, {__index = base_memmnet})``: the class derives from supervised/memmnet.py's. The Lua's
``baseline`` is a global in the QA block and a local in the AQ block: a local in both here (nothing else reads
it). The dynamic fields ``self[newname]`` are ``setattr``/``getattr``. Dimensions and decisions are 0-based: the binary
decision 1 (QA) is 0 and 2 (AQ) is 1."""
import random

import legonn as lg
from legonn import nn
from legonn.pl import stringx  # noqa: F401  (the Lua requires it)

from ...memnn_hitl import cuda
from ...memnn_hitl.data import _get
from ..supervised.memmnet import _memmnet
from .RL_data import RL_data



class _RL_memmnet(_memmnet):

    def MeMM_vector(self):
        inputs = []
        memory = nn.Identity()()
        inputs.append(memory)
        question = nn.Identity()()
        inputs.append(question)
        context_mask = nn.Identity()()
        inputs.append(context_mask)
        u = question
        store = []
        for i in range(self.params['N_hop']):
            if i == 0:
                u = nn.Replicate(1, 2)(u)
            else:
                u = nn.Replicate(1, 2)(store[i - 1])
            sen_atten = nn.MM()([memory, u])
            sen_atten = nn.Sum(2)(sen_atten)
            sen_atten = nn.SoftMax()(sen_atten)
            sen_atten = nn.CMulTable()([sen_atten, context_mask])
            sen_atten = nn.Normalize(1)(sen_atten)
            sen_atten = nn.Replicate(1, 1)(sen_atten)
            attent_vect = nn.MM()([sen_atten, memory])
            attent_vect = nn.Sum(1)(attent_vect)
            store.append(nn.CAddTable()([attent_vect, u]))
        return cuda(nn.gModule(inputs, [store[self.params['N_hop'] - 1]]))

    def MeMM_Binary(self):
        inputs = []
        memory = nn.Identity()()
        inputs.append(memory)
        question = nn.Identity()()
        inputs.append(question)
        context_mask = nn.Identity()()
        inputs.append(context_mask)
        memm = self.MeMM_vector()
        vector = memm(inputs)
        Linear = nn.Linear(self.params['dimension'], 2)
        Linear.reset(self.params['init_weight'])
        transform = Linear(vector)
        LogP = nn.LogSoftMax()(transform)
        return cuda(nn.gModule(inputs, [LogP]))

    def BinaryLookUpTable_(self):
        inputs = []
        context = nn.Identity()()
        inputs.append(context)
        question = nn.Identity()()
        inputs.append(question)
        context_table = self.word_table.clone()
        context_v = nn.Sum(1)(context_table(context))
        question_table = \
            context_table.clone('weight', 'bias')
        question_v = nn.Sum(1)(question_table(question))
        module = nn.gModule(inputs, [context_v, question_v])
        return cuda(module)

    def Initial(self, params_):
        self.params = params_
        self.f = open(self.params['output_file'], "w")
        self.Data.process_data(self.params)
        self.params['token_size'] = 200000
        self.word_table = cuda(nn.LookupTable(self.params['token_size'], self.params['dimension']))
        self.word_table.reset(self.params['init_weight'])
        self.word_table.weight[0].zero()
        self.AQLookUpTable = self.LookUpTable_()
        self.QALookUpTable = self.AQLookUpTable.clone('weight', 'bias')
        self.BinaryLookUpTable = self.BinaryLookUpTable_()
        self.MeMMBinary = self.MeMM_Binary()
        self.MeMM = self.MeMM_()
        self.Modules = []
        self.Modules.append(self.AQLookUpTable)
        self.Modules.append(self.QALookUpTable)
        self.Modules.append(self.BinaryLookUpTable)
        self.current_lr = self.params['lr']
        self.baseline = nn.Linear(self.params['dimension'], 1)
        self.baseline.weight.fill(0)
        self.baseline.bias.fill(0)
        cuda(self.baseline)
        self.mse = nn.MSECriterion()
        cuda(self.mse)
        self.total_reward_value = 0
        self.total_reward_num = 0
        self.regularizer = nn.Sequential()
        tmp = nn.ConcatTable()
        tmp.add(nn.Identity())
        tmp.add(nn.Exp())
        self.regularizer.add(tmp)
        self.regularizer.add(nn.CMulTable())  # p log p
        self.regularizer.add(nn.Sum(0, 1))
        self.regularizer.add(nn.Sum(0))
        cuda(self.regularizer)

    def test(self):
        self.total_scores = 0
        self.total_instance = 0
        self.total_question_ask = 0
        self.total_right_instance = 0
        self.index = 0
        while True:
            finish = self.collectBatch()
            if finish == 1:
                break
            self.Forward_Policy_AQorQA()
            self.Policy_Answer()
        print("AQ percentage " + str(self.total_question_ask / self.total_instance))
        self.f.write("AQ percentage " + str(self.total_question_ask / self.total_instance) + "\n")
        print(self.total_right_instance, self.total_instance)
        print("accuray " + str(self.total_right_instance / self.total_instance))
        print(self.total_right_instance, self.total_instance)
        self.f.write("accuray " + str(self.total_right_instance / self.total_instance) + "\n")
        print("RL score " + str(self.total_scores / self.total_instance))
        self.f.write("RL score " + str(self.total_scores / self.total_instance) + "\n")
        return self.total_scores / self.total_instance

    def collectBatch(self):
        finish = 0
        good_AQ_lines = good_QA_lines = bad_AQ_lines = bad_QA_lines = None
        self.current_batch_AQ = []
        self.current_batch_QA = []
        D = self.Data
        if self.flag == "train":
            good_AQ_lines, finish, D.good_AQ_train_index = D.GetBatch(D.good_AQ_train_index, D.good_AQ_train_lines)
            # good student asking questions
            good_QA_lines, finish, D.good_QA_train_index = D.GetBatch(D.good_QA_train_index, D.good_QA_train_lines)
            # good student not asking questions
            bad_AQ_lines, finish, D.bad_AQ_train_index = D.GetBatch(D.bad_AQ_train_index, D.bad_AQ_train_lines)
            # bad student asking questions
            bad_QA_lines, finish, D.bad_QA_train_index = D.GetBatch(D.bad_QA_train_index, D.bad_QA_train_lines)
            # bad student not asking questions
        elif self.flag == "dev":
            good_AQ_lines, finish, D.good_AQ_dev_index = D.GetBatch(D.good_AQ_dev_index, D.good_AQ_dev_lines)
            good_QA_lines, finish, D.good_QA_dev_index = D.GetBatch(D.good_QA_dev_index, D.good_QA_dev_lines)
            bad_AQ_lines, finish, D.bad_AQ_dev_index = D.GetBatch(D.bad_AQ_dev_index, D.bad_AQ_dev_lines)
            bad_QA_lines, finish, D.bad_QA_dev_index = D.GetBatch(D.bad_QA_dev_index, D.bad_QA_dev_lines)
        elif self.flag == "test":
            good_AQ_lines, finish, D.good_AQ_test_index = D.GetBatch(D.good_AQ_test_index, D.good_AQ_test_lines)
            good_QA_lines, finish, D.good_QA_test_index = D.GetBatch(D.good_QA_test_index, D.good_QA_test_lines)
            bad_AQ_lines, finish, D.bad_AQ_test_index = D.GetBatch(D.bad_AQ_test_index, D.bad_AQ_test_lines)
            bad_QA_lines, finish, D.bad_QA_test_index = D.GetBatch(D.bad_QA_test_index, D.bad_QA_test_lines)
        if self.params['RL_setting'] == "good":
            self.current_batch_AQ = good_AQ_lines
            self.current_batch_QA = good_QA_lines
        elif self.params['RL_setting'] == "bad":
            self.current_batch_AQ = bad_AQ_lines
            self.current_batch_QA = bad_QA_lines
        elif self.params['RL_setting'] == "medium":
            for i in range(self.params['batch_size']):
                if (i + 1) % 2 == 0:
                    self.current_batch_AQ.append(good_AQ_lines[i])
                    self.current_batch_QA.append(good_QA_lines[i])
                else:
                    self.current_batch_AQ.append(bad_AQ_lines[i])
                    self.current_batch_QA.append(bad_QA_lines[i])
        return finish

    def PrepareField(self, oldname, newname, Dataset):
        max_length = -1
        for i in range(len(Dataset)):
            if Dataset[i][oldname].size(0) > max_length:
                max_length = Dataset[i][oldname].size(0)
        setattr(self, newname, lg.Tensor())
        for i in range(len(Dataset)):
            ex = Dataset[i]
            v = lg.Tensor(1, max_length)
            v.sub(0, 0, 0, ex[oldname].size(0) - 1).copy(ex[oldname])
            if i == 0:
                setattr(self, newname, v)
            else:
                setattr(self, newname, lg.cat(getattr(self, newname), v, 0))
        setattr(self, newname, cuda(getattr(self, newname)))

    def GeneralPrepareContextVector(self, old_context_name, new_context_name, new_mask_name, Dataset):
        context_length = -100
        context_num = -100
        for instance in Dataset:
            if len(instance[old_context_name]) > context_num:
                context_num = len(instance[old_context_name])
            for v in instance[old_context_name]:
                if v.size(0) > context_length:
                    context_length = v.size(0)
        setattr(self, new_mask_name, cuda(lg.Tensor(len(Dataset), context_num).fill(0)))
        for i, instance in enumerate(Dataset):
            getattr(self, new_mask_name).sub(i, i, 0, len(instance[old_context_name]) - 1).fill(1)
            context_Mat = cuda(lg.Tensor(context_num, context_length).fill(0))
            for j, v in enumerate(Dataset[i][old_context_name]):
                context_Mat.sub(j, j, 0, v.size(0) - 1).copy(v)
            if i == 0:
                setattr(self, new_context_name, context_Mat)
            else:
                setattr(self, new_context_name, lg.cat(getattr(self, new_context_name), context_Mat, 0))

    def Forward_Policy_AQorQA(self):
        # the REINFORCE model for asking vs not asking questions
        self.GeneralPrepareContextVector("kb_x", "kb_word", "kb_mask", self.current_batch_QA)
        self.PrepareField("question", "query_word_", self.current_batch_QA)
        self.n_instance = len(self.current_batch_QA)
        vector_output = self.BinaryLookUpTable.forward([
            self.kb_word, self.query_word_])
        self.kb_v = vector_output[0]
        self.binary_query_v = vector_output[1]
        self.kb_v = self.Reshape2Dto3D(self.kb_v, self.n_instance)
        self.binaryP = self.MeMMBinary.forward([self.kb_v, self.binary_query_v, self.kb_mask])

    def Backward_Policy_AQorQA(self):
        d_binary_output = self.MeMMBinary.backward([self.kb_v, self.binary_query_v, self.kb_mask],
                                                   self.d_binary_pred)
        d_kb_v = d_binary_output[0]
        d_binary_query_v = d_binary_output[1]
        d_kb_v = self.Reshape3Dto2D(d_kb_v)
        self.BinaryLookUpTable.backward([self.kb_word, self.query_word_], [d_kb_v, d_binary_query_v])

    def Policy_Answer(self):
        # the REINFORCE model for the final answer
        if self.flag == "train":
            self.binaryDecision = lg.multinomial(lg.exp(self.binaryP), 1)
        elif self.flag == "test":
            if self.test_mode == "standard":
                self.binaryDecision = lg.multinomial(lg.exp(self.binaryP), 1)
                # _,self.binaryDecision=torch.max(self.binaryP,2)
            else:
                self.binaryDecision = lg.Tensor(self.binaryP.size(0), 1).fill(0)
                if self.test_mode == "half":
                    for i in range(self.binaryDecision.size(0)):
                        if random.random() < 0.5:
                            self.binaryDecision[i][0] = 0
                        else:
                            self.binaryDecision[i][0] = 1
                elif self.test_mode == "AQ":
                    self.binaryDecision.fill(1)
                elif self.test_mode == "QA":
                    self.binaryDecision.fill(0)
        self.select_current_batch_AQ = []
        self.select_current_batch_QA = []
        self.QA_map = []
        self.AQ_map = []
        for i in range(self.binaryDecision.size(0)):
            self.total_instance = self.total_instance + 1
            if self.binaryDecision[i][0] == 0:
                self.select_current_batch_QA.append(self.current_batch_QA[i])
                self.QA_map.append(i)
            else:
                self.select_current_batch_AQ.append(self.current_batch_AQ[i])
                self.AQ_map.append(i)
                self.total_question_ask = self.total_question_ask + 1
        self.d_binary_pred = cuda(lg.Tensor(self.binaryP.size()).fill(0))
        if len(self.select_current_batch_QA) != 0:
            # update not-asking-question policy
            self.reward_vector_QA = cuda(lg.Tensor(len(self.select_current_batch_QA)).zero())
            self.n_instance = len(self.select_current_batch_QA)
            self.prepareData(self.select_current_batch_QA)
            batch_pred, _ = self.Forward(self.QALookUpTable)
            if self.flag == "train":
                answer_prediction = lg.multinomial(lg.exp(batch_pred), 1)
            elif self.flag == "test":
                _, answer_prediction = lg.max(batch_pred, 1)
            for i in range(self.n_instance):
                answer_predict = int(answer_prediction[i][0])
                current_instance = self.select_current_batch_QA[i]
                if _get(current_instance['answers'],
                        current_instance['AnswerCandidate'][answer_predict]) is not None:
                    answer_reward = 1
                    self.total_right_instance = self.total_right_instance + 1
                else:
                    answer_reward = -1
                if self.iter < self.params['StaringFullTraining']:
                    AQ_reward = 0
                else:
                    if self.binaryDecision[self.QA_map[i]][0] == 0:
                        AQ_reward = 0
                    else:
                        raise RuntimeError("QA_map mismatch")
                self.reward_vector_QA[i] = answer_reward - AQ_reward
                self.total_scores = self.total_scores + self.reward_vector_QA[i]
                self.total_reward_value = self.total_reward_value + self.reward_vector_QA[i]
                self.total_reward_num = self.total_reward_num + 1
            self.d_batch_pred = cuda(lg.Tensor(batch_pred.size()).fill(0))
            self.baseline_v = self.getHopVec()
            baseline = self.baseline.forward(self.baseline_v)
            for i in range(self.n_instance):
                self.d_batch_pred[i][int(answer_prediction[i][0])] = baseline[i] - self.reward_vector_QA[i]
                self.d_binary_pred[self.QA_map[i]][int(self.binaryDecision[self.QA_map[i]][0])] = \
                    baseline[i] - self.reward_vector_QA[i]
            if self.flag == "train" and self.train_mode == "update_final":
                self.Backward(self.d_batch_pred, self.QALookUpTable)
            self.baseline.zeroGradParameters()
            baseline_error = self.mse.forward(baseline.view(self.n_instance), self.reward_vector_QA)  # noqa: F841
            self.mse.backward(baseline, self.reward_vector_QA)
            self.baseline.backward(self.baseline_v, self.mse.gradInput)
            self.baseline.updateParameters(self.params['RF_lr'])
        if len(self.select_current_batch_AQ) != 0:
            # update asking-question policy
            self.reward_vector_AQ = cuda(lg.Tensor(len(self.select_current_batch_AQ)).zero())
            self.n_instance = len(self.select_current_batch_AQ)
            self.prepareData(self.select_current_batch_AQ)
            batch_pred, _ = self.Forward(self.AQLookUpTable)
            if self.flag == "train":
                answer_prediction = lg.multinomial(lg.exp(batch_pred), 1)
            elif self.flag == "test":
                _, answer_prediction = lg.max(batch_pred, 1)
            for i in range(self.n_instance):
                answer_predict = int(answer_prediction[i][0])
                current_instance = self.select_current_batch_AQ[i]
                if _get(current_instance['answers'],
                        current_instance['AnswerCandidate'][answer_predict]) is not None:
                    answer_reward = 1
                    self.total_right_instance = self.total_right_instance + 1
                else:
                    answer_reward = -1
                if self.iter < self.params['StaringFullTraining']:
                    AQ_reward = 0
                    # for the first a few iterations, ignore the policy for asking-question vs not-asking-question
                else:
                    if self.binaryDecision[self.AQ_map[i]][0] == 0:
                        raise RuntimeError("AQ_map mismatch")
                    else:
                        AQ_reward = self.params['AQcost']
                self.reward_vector_AQ[i] = answer_reward - AQ_reward
                self.total_scores = self.total_scores + self.reward_vector_AQ[i]
                self.total_reward_value = self.total_reward_value + self.reward_vector_AQ[i]
                self.total_reward_num = self.total_reward_num + 1
            self.d_batch_pred = cuda(lg.Tensor(batch_pred.size()).fill(0))
            self.baseline_v = self.getHopVec()
            baseline = self.baseline.forward(self.baseline_v)
            for i in range(self.n_instance):
                self.d_batch_pred[i][int(answer_prediction[i][0])] = baseline[i] - self.reward_vector_AQ[i]
                self.d_binary_pred[self.AQ_map[i]][int(self.binaryDecision[self.AQ_map[i]][0])] = \
                    baseline[i] - self.reward_vector_AQ[i]
            if self.flag == "train" and self.train_mode == "update_final":
                self.Backward(self.d_batch_pred, self.AQLookUpTable)
            baseline_error = self.mse.forward(baseline.view(self.n_instance), self.reward_vector_AQ)  # noqa: F841
            self.baseline.zeroGradParameters()
            self.mse.backward(baseline, self.reward_vector_AQ)
            self.baseline.backward(self.baseline_v, self.mse.gradInput)
            self.baseline.updateParameters(self.params['RF_lr'])
        self.regularizer.forward(self.binaryP)
        self.regularizer.backward(self.binaryP, cuda(lg.Tensor([self.params['REINFORCE_reg']])))
        self.d_binary_pred.add(self.regularizer.gradInput)
        # adding entropy to regularize the asking-question/not-asking-question policy

    def train(self):
        self.base_line_value = 0
        self.base_line_num = 0
        self.iter = 0
        update = 0
        self.train_mode = "update_final"
        while True:
            self.iter = self.iter + 1
            self.total_scores = 0
            self.total_instance = 0
            self.total_question_ask = 0
            self.total_right_instance = 0
            self.index = 0
            while True:
                for i in range(len(self.Modules)):
                    self.Modules[i].zeroGradParameters()
                self.flag = "train"
                finish = self.collectBatch()
                if finish == 1:
                    break
                update = update + 1
                if self.iter < self.params['StaringFullTraining']:
                    self.binaryP = cuda(lg.Tensor(self.params['batch_size'], 2).fill(0.5))
                    # equal possibility for AQ and QA for the first a few iterations so that both policies
                    # can get learned
                else:
                    self.Forward_Policy_AQorQA()
                self.Policy_Answer()
                if self.iter >= self.params['StaringFullTraining']:
                    # do not update asking-question vs not-asking-question policy for the first a few iterations
                    self.Backward_Policy_AQorQA()
                self.update()
            print("iter  " + str(self.iter))
            self.f.write("iter  " + str(self.iter) + "\n")
            self.flag = "test"
            if self.iter < self.params['StaringFullTraining']:
                self.test_mode = "half"
            else:
                self.test_mode = "standard"
                self.train_mode = "not_update_final"
            self.test()
            if self.iter == self.params['StaringFullTraining'] - 1:
                print("only AQ acc")
                self.test_mode = "AQ"
                # test when the student always asks a question
                self.test()
                print("only QA acc")
                # test when the student never asks a question
                self.test_mode = "QA"
                self.test()
            if self.iter == self.params['N_iter']:
                break
        self.f.close()


RL_memmnet = _RL_memmnet()
RL_memmnet.Data = RL_data
