"""mylib/mrf.lua of chuanli11/CNNMRF, ported line by line: nn.MRFMM, the identity whose backward pulls each
sampled patch of its input towards the style patch of highest normalised cross-correlation (the patches are
matched by THNN's SpatialConvolutionMM with the style patches as weights, ``input.THNN``), as ``strength`` times
the mean difference over the overlapping patches. ``source_x``/``source_y`` and ``max_id`` are 0-based here."""
import math

import legonn as lg
from legonn import nn

from .helper import computeMRFnoTensor


class MRFMM(nn.Module):

    def __init__(self):
        super().__init__()

    def implement(self, mode, target_mrf, tensor_target_mrf, target_mrfnorm, source_x, source_y, input_size,
                  response_size, nInputPlane, nOutputPlane, kW, kH, dW, dH, threshold_conf, strength,
                  gpu_chunck_size_1, gpu_chunck_size_2, backend, gpu):
        self.target_mrf = target_mrf.clone()
        self.target_mrfnorm = target_mrfnorm.clone()
        self.source_x = source_x
        self.source_y = source_y
        self.input_size = input_size
        self.nInputPlane = nInputPlane
        self.nOutputPlane = nOutputPlane
        self.kW = kW
        self.kH = kH
        self.dW = dW
        self.dH = dH
        self.threshold_conf = threshold_conf
        self.strength = strength
        self.padW = 0   # Lua: padW or 0, with padW an unset global (nil)
        self.padH = self.padW   # Lua: padH or self.padW
        self.bias = lg.Tensor(nOutputPlane).fill(0)
        self.backend = backend
        self.gpu = gpu
        if self.gpu >= 0:
            if self.backend == 'cudnn':
                self.bias = self.bias.cuda()
            else:
                self.bias = self.bias.cl()
        self.gradTO = lg.Tensor(input_size[0], input_size[1], input_size[2])
        self.gradTO_confident = lg.Tensor(input_size[1], input_size[2])
        self.response = lg.Tensor(response_size[0], response_size[1], response_size[2])
        self.mode = mode  # memory or speed
        self.gpu_chunck_size_1 = gpu_chunck_size_1
        self.gpu_chunck_size_2 = gpu_chunck_size_2
        self.tensor_target_mrfnorm = lg.repeatTensor(target_mrfnorm, 1, self.gpu_chunck_size_2,
                                                     input_size[2] - (kW - 1))

        if self.mode == 'speed':
            if self.backend == 'cudnn':
                self.target_mrf = self.target_mrf.cuda()
                self.target_mrfnorm = self.target_mrfnorm.cuda()
                self.tensor_target_mrfnorm = self.tensor_target_mrfnorm.cuda()
                self.gradTO = self.gradTO.cuda()
                self.gradTO_confident = self.gradTO_confident.cuda()
                self.response = self.response.cuda()
            else:
                self.target_mrf = self.target_mrf.cl()
                self.target_mrfnorm = self.target_mrfnorm.cl()
                self.tensor_target_mrfnorm = self.tensor_target_mrfnorm.cl()
                self.gradTO = self.gradTO.cl()
                self.gradTO_confident = self.gradTO_confident.cl()
                self.response = self.response.cl()

    def updateOutput(self, input):
        input = makeContiguous(self, input)[0]
        self.output = input.clone()
        return self.output

    def updateGradInput(self, input, gradOutput):
        input = makeContiguous(self, input)[0]
        self.gradTO = self.gradTO.fill(0)
        self.gradTO_confident = self.gradTO_confident.fill(0) + 1e-10
        source_mrf, x, y = computeMRFnoTensor(input.float(), self.kW, 1, -1 if self.mode == 'memory' else 1,
                                              self.backend)
        source_mrfnorm = lg.Tensor(source_mrf.size()[0])
        if self.mode == 'speed':
            if self.backend == 'cudnn':
                source_mrfnorm = lg.sqrt(lg.sum(lg.cmul(source_mrf, source_mrf), 1)).resize(1, y.nElement(),
                                                                                              x.nElement())
            else:
                for i_source in range(source_mrf.size()[0]):
                    source_mrfnorm[i_source] = math.sqrt(lg.sum(lg.cmul(source_mrf[i_source], source_mrf[i_source])))
                source_mrfnorm = source_mrfnorm.resize(1, y.nElement(), x.nElement())
        else:
            source_mrfnorm = lg.sqrt(lg.sum(lg.cmul(source_mrf, source_mrf), 1)).resize(1, y.nElement(),
                                                                                          x.nElement())
        tensor_source_mrfnorm = lg.repeatTensor(source_mrfnorm, self.gpu_chunck_size_1, 1, 1)
        if self.gpu >= 0:
            if self.backend == 'cudnn':
                tensor_source_mrfnorm = tensor_source_mrfnorm.cuda()
            else:
                tensor_source_mrfnorm = tensor_source_mrfnorm.cl()
        nOutputPlane_all = self.nOutputPlane  # hacked for memory safety
        num_chunk = math.ceil(nOutputPlane_all / self.gpu_chunck_size_1)

        for i_chunk in range(num_chunk):
            i_start = i_chunk * self.gpu_chunck_size_1
            i_end = min(i_start + self.gpu_chunck_size_1 - 1, nOutputPlane_all - 1)

            self.weight = self.target_mrf[i_start:i_end + 1, 0:self.target_mrf.size()[1]]

            if self.mode == 'memory':
                if self.gpu >= 0:
                    if self.backend == 'cudnn':
                        self.weight = self.weight.cuda()
                    else:
                        self.weight = self.weight.cl()
            self.nOutputPlane = i_end - i_start + 1

            subBias = self.bias.sub(i_start, i_end)
            if self.gpu < 0:
                self.finput = lg.Tensor()
                self.fgradInput = lg.Tensor()

            input.THNN.SpatialConvolutionMM_updateOutput(
                input.cdata(),
                self.output.cdata(),
                self.weight.cdata(),
                subBias.cdata(),
                self.finput.cdata(),
                self.fgradInput.cdata(),
                self.kW, self.kH,
                self.dW, self.dH,
                self.padW, self.padH
            )
            temp = self.output

            # normalize w.r.t source_mrfnorm
            if i_chunk < num_chunk - 1:
                temp = temp.cdiv(tensor_source_mrfnorm)
            else:
                temp = temp.cdiv(tensor_source_mrfnorm[0:i_end - i_start + 1, 0:temp.size()[1], 0:temp.size()[2]])

            if self.mode == 'memory':
                temp = temp.float()
            self.response[i_start:i_end + 1, 0:self.response.size()[1], 0:self.response.size()[2]] = temp

        num_chunk_2 = math.ceil(self.response.size()[1] / self.gpu_chunck_size_2)
        for i_chunk_2 in range(num_chunk_2):
            i_start = i_chunk_2 * self.gpu_chunck_size_2
            i_end = min(i_start + self.gpu_chunck_size_2 - 1, self.response.size()[1] - 1)
            if i_chunk_2 < num_chunk_2 - 1:
                self.response[0:self.response.size()[0], i_start:i_end + 1, 0:self.response.size()[2]] = \
                    self.response[0:self.response.size()[0], i_start:i_end + 1,
                                  0:self.response.size()[2]].cdiv(self.tensor_target_mrfnorm)
            else:
                self.response[0:self.response.size()[0], i_start:i_end + 1, 0:self.response.size()[2]] = \
                    self.response[0:self.response.size()[0], i_start:i_end + 1, 0:self.response.size()[2]].cdiv(
                        self.tensor_target_mrfnorm[0:self.response.size()[0], 0:i_end - i_start + 1,
                                                   0:self.response.size()[2]])

        max_response, max_id = lg.max(self.response, 0)

        source_mrf = source_mrf.resize(source_mrf.size()[0], self.nInputPlane, self.kW, self.kH)
        self.target_mrf = self.target_mrf.resize(self.target_mrf.size()[0], self.nInputPlane, self.kW, self.kH)
        for i_patch in range(self.source_x.nElement()):
            sel_response = max_response[0][self.source_y[i_patch]][self.source_x[i_patch]]
            if sel_response >= self.threshold_conf:
                sel_idx = max_id[0][self.source_y[i_patch]][self.source_x[i_patch]]
                source_idx = self.source_y[i_patch] * x.nElement() + self.source_x[i_patch]
                self.gradTO[0:self.nInputPlane, self.source_y[i_patch]:self.source_y[i_patch] + self.kH,
                            self.source_x[i_patch]:self.source_x[i_patch] + self.kW].add(
                    self.target_mrf[sel_idx] - source_mrf[source_idx])
                self.gradTO_confident[self.source_y[i_patch]:self.source_y[i_patch] + self.kH,
                                      self.source_x[i_patch]:self.source_x[i_patch] + self.kW].add(1)
        self.gradTO.cdiv(lg.repeatTensor(self.gradTO_confident, self.nInputPlane, 1, 1))
        self.nOutputPlane = nOutputPlane_all
        self.target_mrf = self.target_mrf.resize(self.target_mrf.size()[0], self.nInputPlane * self.kW * self.kH)

        if gradOutput.size()[0] == input.size()[0]:
            if self.gpu >= 0:
                if self.backend == 'cudnn':
                    self.gradInput = gradOutput.clone() + self.gradTO.cuda() * self.strength * (-1)
                else:
                    self.gradInput = gradOutput.clone() + self.gradTO.cl() * self.strength * (-1)
            else:
                self.gradInput = gradOutput.clone() + self.gradTO * self.strength * (-1)
        else:
            self.gradInput = self.gradTO * self.strength * (-1)

        source_mrf = None
        source_mrfnorm = None
        tensor_source_mrfnorm = None
        return self.gradInput

    def type(self, type=None, tensorCache=None):
        self.finput = lg.Tensor()
        self.fgradInput = lg.Tensor()
        return super().type(type, tensorCache)


def makeContiguous(self, input, gradOutput=None):
    if not input.isContiguous():
        print('not contiguous, make it so')
        self._input = self._input if getattr(self, '_input', None) is not None else input.new()
        self._input.resizeAs(input).copy(input)
        input = self._input
    if gradOutput is not None:
        if not gradOutput.isContiguous():
            self._gradOutput = self._gradOutput if getattr(self, '_gradOutput', None) is not None \
                else gradOutput.new()
            self._gradOutput.resizeAs(gradOutput).copy(gradOutput)
            gradOutput = self._gradOutput
    return input, gradOutput
