"""CuPy RawKernels for 2-D convolution, max and average pooling, LogSoftMax and ClassNLLCriterion: one launch where the
generic path needs one per kernel offset (or, LogSoftMax, six forward and four backward; ClassNLL, a label
range read and four operations forward, three backward).

``conv_kernels`` and ``pool_kernels`` call these for CuPy arrays with 2-D
spatial data (``(N, C, H, W)``) of float32/float64; everything else, and every
array when the environment sets ``LEGONN_GENERIC_KERNELS=1``, takes the
generic NumPy/CuPy path. Adjoint passes are written as gathers (each thread
owns one input element and sums what reads it), so no atomics are needed and
results are deterministic. Layouts are those of the generic functions:
columns ``(C, kH, kW, N, oH, oW)``, argmax = winning offset ``kh * kW + kw``.
LogSoftMax runs one thread per row of a (rows, classes) batch, for up to ``LOG_SOFTMAX_MAX_CLASSES``
classes (beyond that the generic path's reductions spread a row over threads). ClassNLLCriterion's forward
reduces a batch in one block (through shared memory) and returns the range of its labels with the loss, so the
criterion reads the device once per forward; its backward reads nothing for labels a forward checked.

``elementwise`` builds the CuPy ElementwiseKernels of modules' CUDA twins and recurrent steps.
"""
import functools
import os
import threading

import numpy as np

from .backend import cupy, is_cupy_array

_THREADS = 256

_SOURCE = r'''
typedef %(T)s T;

extern "C" __global__ void im2col(const T* x, T* cols, long long total, int C, int H, int W, int N,
                                  int kH, int kW, int oH, int oW, int sH, int sW, int pH, int pW,
                                  int dH, int dW) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
       i += (long long)blockDim.x * gridDim.x) {
    long long r = i;
    int ow = r %% oW; r /= oW;
    int oh = r %% oH; r /= oH;
    int n = r %% N; r /= N;
    int kw = r %% kW; r /= kW;
    int kh = r %% kH; r /= kH;
    int c = (int)r;
    int h = oh * sH - pH + kh * dH;
    int w = ow * sW - pW + kw * dW;
    cols[i] = (h >= 0 && h < H && w >= 0 && w < W) ? x[(((long long)n * C + c) * H + h) * W + w] : (T)0;
  }
}

/* The adjoint passes' inverse of a window (col2im, max_pool_backward): along one axis, the output position whose
   window tap k (taps d apart, after padding pad, windows s apart) reads input position p; -1 when there is none
   (p + pad - k d is negative, falls between two window starts, or starts a window at or past out_size). */
__device__ inline int legonn_window_origin(int p, int pad, int k, int d, int s, int out_size) {
  const int q = p + pad - k * d;
  if (q < 0 || q %% s != 0) return -1;
  return q / s < out_size ? q / s : -1;
}

extern "C" __global__ void col2im(const T* cols, T* out, long long total, int C, int H, int W, int N,
                                  int kH, int kW, int oH, int oW, int sH, int sW, int pH, int pW,
                                  int dH, int dW) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
       i += (long long)blockDim.x * gridDim.x) {
    long long r = i;
    int w = r %% W; r /= W;
    int h = r %% H; r /= H;
    int c = r %% C; r /= C;
    int n = (int)r;
    T sum = 0;
    for (int kh = 0; kh < kH; ++kh) {
      const int oh = legonn_window_origin(h, pH, kh, dH, sH, oH);
      if (oh < 0) continue;
      for (int kw = 0; kw < kW; ++kw) {
        const int ow = legonn_window_origin(w, pW, kw, dW, sW, oW);
        if (ow < 0) continue;
        sum += cols[((((long long)c * kH + kh) * kW + kw) * N + n) * oH * (long long)oW + (long long)oh * oW + ow];
      }
    }
    out[i] = sum;
  }
}

extern "C" __global__ void max_pool_forward(const T* x, T* out, int* argmax, T lowest, long long total,
                                            int H, int W, int kH, int kW, int oH, int oW, int sH, int sW,
                                            int pH, int pW, int dH, int dW) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
       i += (long long)blockDim.x * gridDim.x) {
    int ow = i %% oW;
    int oh = (i / oW) %% oH;
    long long plane = i / ((long long)oW * oH);
    const T* src = x + plane * H * (long long)W;
    T best = lowest;
    int arg = kH * kW;   /* no winner (THNN's -1): a window of NaNs and -infs passes no gradient */
    for (int kh = 0; kh < kH; ++kh) {
      int h = oh * sH - pH + kh * dH;
      if (h < 0 || h >= H) continue;
      for (int kw = 0; kw < kW; ++kw) {
        int w = ow * sW - pW + kw * dW;
        if (w < 0 || w >= W) continue;
        T v = src[h * (long long)W + w];
        if (v > best) {   /* as THNN and THCUNN: a NaN never wins */
          best = v;
          arg = kh * kW + kw;
        }
      }
    }
    out[i] = best;
    argmax[i] = arg;
  }
}

extern "C" __global__ void max_pool_backward(const T* grad_out, const int* argmax, T* out, long long total,
                                             int H, int W, int kH, int kW, int oH, int oW, int sH, int sW,
                                             int pH, int pW, int dH, int dW) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
       i += (long long)blockDim.x * gridDim.x) {
    int w = i %% W;
    int h = (i / W) %% H;
    long long plane = i / ((long long)W * H);
    long long base = plane * oH * (long long)oW;
    T sum = 0;
    for (int kh = 0; kh < kH; ++kh) {
      const int oh = legonn_window_origin(h, pH, kh, dH, sH, oH);
      if (oh < 0) continue;
      for (int kw = 0; kw < kW; ++kw) {
        const int ow = legonn_window_origin(w, pW, kw, dW, sW, oW);
        if (ow < 0) continue;
        long long o = base + (long long)oh * oW + ow;
        if (argmax[o] == kh * kW + kw) sum += grad_out[o];
      }
    }
    out[i] = sum;
  }
}

/* Average pooling's window along one axis (SpatialAveragePooling.c): output position o's window clipped to the
   input, [*first, *last), and its divisor's factor: the window clipped to the padded input with count_include_pad,
   else the input elements in it; at least 1 (pool_kernels.avg_pool_divisor's). */
__device__ inline int legonn_avg_extent(int o, int k, int s, int p, int size, int include_pad, int* first,
                                        int* last) {
  const int start = o * s - p;
  const int end = start + k < size + p ? start + k : size + p;
  *first = start > 0 ? start : 0;
  *last = end < size ? end : size;
  const int extent = include_pad ? end - start : *last - *first;
  return extent > 1 ? extent : 1;
}

/* Window sums over their divisors; the padding adds nothing (the generic path adds its zeros). */
extern "C" __global__ void avg_pool_forward(const T* x, T* out, long long total, int H, int W, int kH, int kW,
                                            int oH, int oW, int sH, int sW, int pH, int pW, int include_pad) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
       i += (long long)blockDim.x * gridDim.x) {
    int ow = i %% oW;
    int oh = (i / oW) %% oH;
    const T* src = x + i / ((long long)oW * oH) * H * (long long)W;
    int h0, h1, w0, w1;
    const int divisor = legonn_avg_extent(oh, kH, sH, pH, H, include_pad, &h0, &h1)
                        * legonn_avg_extent(ow, kW, sW, pW, W, include_pad, &w0, &w1);
    T sum = 0;
    for (int h = h0; h < h1; ++h)
      for (int w = w0; w < w1; ++w) sum += src[h * (long long)W + w];
    out[i] = sum / (T)divisor;
  }
}

/* Each input element gathers the gradient over the divisor of every window reading it, in the kernel offsets'
   order (the generic path's order of accumulation). */
extern "C" __global__ void avg_pool_backward(const T* grad_out, T* out, long long total, int H, int W, int kH,
                                             int kW, int oH, int oW, int sH, int sW, int pH, int pW,
                                             int include_pad) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
       i += (long long)blockDim.x * gridDim.x) {
    int w = i %% W;
    int h = (i / W) %% H;
    const T* go = grad_out + i / ((long long)W * H) * oH * (long long)oW;
    T sum = 0;
    int first, last;
    for (int kh = 0; kh < kH; ++kh) {
      const int oh = legonn_window_origin(h, pH, kh, 1, sH, oH);
      if (oh < 0) continue;
      const int rows = legonn_avg_extent(oh, kH, sH, pH, H, include_pad, &first, &last);
      for (int kw = 0; kw < kW; ++kw) {
        const int ow = legonn_window_origin(w, pW, kw, 1, sW, oW);
        if (ow < 0) continue;
        sum += go[(long long)oh * oW + ow] / (T)(rows * legonn_avg_extent(ow, kW, sW, pW, W, include_pad, &first,
                                                                          &last));
      }
    }
    out[i] = sum;
  }
}

/* The threads of a one-block launch (_THREADS): the length of its shared arrays. */
#define LEGONN_BLOCK 256

/* The lowest and highest of n >= 1 indices read through a stride, in one block: each thread strides over its
   share, then the block reduces through shared memory (labels, a LookupTable's indices: a few thousand). */
extern "C" __global__ void index_bounds(const long long* idx, long long n, long long step, long long* bounds) {
  __shared__ long long lows[LEGONN_BLOCK], highs[LEGONN_BLOCK];
  const unsigned k = threadIdx.x;
  long long lo = idx[0], hi = idx[0];
  for (long long i = k; i < n; i += blockDim.x) {
    const long long v = idx[i * step];
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
  lows[k] = lo;
  highs[k] = hi;
  __syncthreads();
  for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {   /* blockDim.x is a power of two */
    if (k < half) {
      lows[k] = lows[k + half] < lows[k] ? lows[k + half] : lows[k];
      highs[k] = highs[k + half] > highs[k] ? highs[k + half] : highs[k];
    }
    __syncthreads();
  }
  if (k == 0) {
    bounds[0] = lows[0];
    bounds[1] = highs[0];
  }
}

/* ClassNLLCriterion's forward in one block, labels read through a stride (a column of them included). Rows
   labelled `ignore` are skipped; a label outside [0, cols) adds nothing and is reported on the host from the
   range. result = {loss, total weight, rows kept, lowest kept label, highest kept label}. */
extern "C" __global__ void class_nll_forward(const T* x, const long long* labels, long long step, const T* weights,
                                             int weighted, long long rows, int cols, long long ignore,
                                             int size_average, double* result) {
  __shared__ double sums[LEGONN_BLOCK], totals[LEGONN_BLOCK], kept[LEGONN_BLOCK];
  __shared__ long long lows[LEGONN_BLOCK], highs[LEGONN_BLOCK];
  const unsigned k = threadIdx.x;
  double sum = 0, total = 0, n = 0;
  long long lo = 0x7fffffffffffffffLL, hi = -0x7fffffffffffffffLL - 1;
  for (long long r = k; r < rows; r += blockDim.x) {
    const long long t = labels[r * step];
    if (t == ignore) continue;
    lo = t < lo ? t : lo;
    hi = t > hi ? t : hi;
    n += 1;
    if (t < 0 || t >= cols) continue;
    const double w = weighted ? (double)weights[t] : 1.0;
    sum += w * (double)x[r * cols + t];
    total += w;
  }
  sums[k] = sum;
  totals[k] = total;
  kept[k] = n;
  lows[k] = lo;
  highs[k] = hi;
  __syncthreads();
  for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {   /* blockDim.x is a power of two */
    if (k < half) {
      sums[k] += sums[k + half];
      totals[k] += totals[k + half];
      kept[k] += kept[k + half];
      lows[k] = lows[k + half] < lows[k] ? lows[k + half] : lows[k];
      highs[k] = highs[k + half] > highs[k] ? highs[k + half] : highs[k];
    }
    __syncthreads();
  }
  if (k == 0) {
    result[0] = -sums[0] / (size_average && totals[0] != 0 ? totals[0] : 1.0);
    result[1] = totals[0];
    result[2] = kept[0];
    result[3] = (double)lows[0];
    result[4] = (double)highs[0];
  }
}

/* ClassNLLCriterion's gradInput, an element per thread. Every block first sums the total weight of the labels
   itself (a batch of labels is short, and the grid small), so no forward's result is needed. */
extern "C" __global__ void class_nll_backward(const long long* labels, long long step, const T* weights, int weighted,
                                              long long rows, int cols, long long ignore, int size_average, T* grad) {
  __shared__ double totals[LEGONN_BLOCK];
  const unsigned k = threadIdx.x;
  double total = 0;
  for (long long r = k; r < rows; r += blockDim.x) {
    const long long t = labels[r * step];
    if (t != ignore && t >= 0 && t < cols) total += weighted ? (double)weights[t] : 1.0;
  }
  totals[k] = total;
  __syncthreads();
  for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
    if (k < half) totals[k] += totals[k + half];
    __syncthreads();
  }
  const double scale = -1.0 / (size_average && totals[0] != 0 ? totals[0] : 1.0);
  const long long count = rows * cols;
  for (long long i = blockIdx.x * (long long)blockDim.x + k; i < count; i += (long long)blockDim.x * gridDim.x) {
    const long long r = i / cols;
    const long long c = i - r * cols;
    const long long t = labels[r * step];
    // THNN writes nothing when the total weight is not positive (all ignored, or negative class weights)
    grad[i] = (totals[0] > 0 && t == c && t != ignore) ? (T)(weighted ? (double)weights[c] * scale : scale) : (T)0;
  }
}

/* JoinTable along one dimension, both ways, for up to 4 pieces: the joined array is `rows` contiguous rows of
   `width` elements (the dimensions before the joined one are the rows); piece k is `rows` rows of w_k
   contiguous elements, l_k apart. join_rows gathers the pieces into `joined`, split_rows scatters it to them.
   legonn_place finds where element i of the joined rows lies: its piece (*k) and its offset in that piece. */
__device__ inline long long legonn_place(long long i, long long width, long long w0, long long w1, long long w2,
                                         long long l0, long long l1, long long l2, long long l3, int* k) {
  const long long r = i / width;
  long long c = i - r * width;
  long long ld = l0;
  *k = 0;
  if (c >= w0) { c -= w0; ld = l1; *k = 1;
    if (c >= w1) { c -= w1; ld = l2; *k = 2;
      if (c >= w2) { c -= w2; ld = l3; *k = 3; } } }
  return r * ld + c;
}

template <typename P> __device__ inline P legonn_pick(int k, P p0, P p1, P p2, P p3) {
  return k == 0 ? p0 : k == 1 ? p1 : k == 2 ? p2 : p3;
}

extern "C" __global__ void join_rows(const T* p0, const T* p1, const T* p2, const T* p3, long long w0, long long w1,
                                     long long w2, long long l0, long long l1, long long l2, long long l3,
                                     long long rows, long long width, T* joined) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < rows * width;
       i += (long long)blockDim.x * gridDim.x) {
    int k;
    const long long at = legonn_place(i, width, w0, w1, w2, l0, l1, l2, l3, &k);
    joined[i] = legonn_pick(k, p0, p1, p2, p3)[at];
  }
}

extern "C" __global__ void split_rows(const T* joined, T* p0, T* p1, T* p2, T* p3, long long w0, long long w1,
                                      long long w2, long long l0, long long l1, long long l2, long long l3,
                                      long long rows, long long width) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < rows * width;
       i += (long long)blockDim.x * gridDim.x) {
    int k;
    const long long at = legonn_place(i, width, w0, w1, w2, l0, l1, l2, l3, &k);
    legonn_pick(k, p0, p1, p2, p3)[at] = joined[i];
  }
}

/* Batch normalisation, a block per feature (features grid-strided over the blocks), on (B, C, S) contiguous data:
   THNN's CPU arithmetic (BatchNormalization.c), the per-feature sums in double over the block's threads.
   legonn_block_sum gives every thread of the block the sum of their v (buf: LEGONN_BLOCK doubles of shared
   memory, free again on return); legonn_feature_at is the flat index of the i-th of a feature's n = B S values. */
__device__ inline double legonn_block_sum(double v, double* buf) {
  const unsigned k = threadIdx.x;
  buf[k] = v;
  __syncthreads();
  for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {   /* blockDim.x is a power of two */
    if (k < half) buf[k] += buf[k + half];
    __syncthreads();
  }
  const double total = buf[0];
  __syncthreads();
  return total;
}

__device__ inline long long legonn_feature_at(long long i, long long c, long long C, long long S) {
  return ((i / S) * C + c) * S + i %% S;
}

/* updateOutput. With `train` the batch's mean ((T) sum / n) and invstd ((T) (1 / sqrt(var_sum / n + eps)), 0 for a
   constant feature when eps is 0) are used, kept in save_mean/save_std, and move the running estimates (in double);
   else the running estimates are used (invstd in double, rounded once) and kept there. */
extern "C" __global__ void batch_norm_forward(const T* x, const T* weight, const T* bias, int affine, long long B,
                                              long long C, long long S, int train, double eps, double momentum,
                                              T* running_mean, T* running_var, T* save_mean, T* save_std, T* out) {
  __shared__ double sums[LEGONN_BLOCK];
  const long long n = B * S;
  for (long long c = blockIdx.x; c < C; c += gridDim.x) {
    T mean, invstd;
    if (train) {
      double sum = 0, squares = 0;
      for (long long i = threadIdx.x; i < n; i += blockDim.x) sum += (double)x[legonn_feature_at(i, c, C, S)];
      mean = (T)legonn_block_sum(sum, sums) / (T)n;
      for (long long i = threadIdx.x; i < n; i += blockDim.x) {
        const T d = x[legonn_feature_at(i, c, C, S)] - mean;
        squares += (double)(d * d);
      }
      squares = legonn_block_sum(squares, sums);
      invstd = (squares == 0 && eps == 0) ? (T)0 : (T)(1 / sqrt(squares / n + eps));
      if (threadIdx.x == 0) {
        running_mean[c] = (T)(momentum * (double)mean + (1 - momentum) * (double)running_mean[c]);
        running_var[c] = (T)(momentum * (squares / (n - 1)) + (1 - momentum) * (double)running_var[c]);
      }
    } else {
      mean = running_mean[c];
      invstd = (T)(1 / sqrt((double)running_var[c] + eps));
    }
    if (threadIdx.x == 0) {
      save_mean[c] = mean;
      save_std[c] = invstd;
    }
    const T w = affine ? weight[c] : (T)1, b = affine ? bias[c] : (T)0;
    for (long long i = threadIdx.x; i < n; i += blockDim.x) {
      const long long at = legonn_feature_at(i, c, C, S);
      out[at] = ((x[at] - mean) * invstd) * w + b;
    }
  }
}

/* The gradients, from the sums of gradOutput and of (x - mean) gradOutput (double): with `input_gradient`,
   gradInput = (go - sum / n - (x - mean) proj) * invstd * w in double (proj = (T) dotp * invstd * invstd / n),
   rounded once, or outside training go * invstd * w; with `parameter_gradients` (and affine),
   gradWeight += scale dotp invstd and gradBias += scale sum, in double. invstd is `spread` itself, or with
   `spread_is_var` (T) (1 / sqrt(spread + eps)). gradInput may be gradOutput's memory: a feature's values are all
   summed before any of its gradients is written. */
extern "C" __global__ void batch_norm_backward(const T* x, const T* grad_out, const T* mean, const T* spread,
                                               int spread_is_var, double eps, const T* weight, int affine,
                                               long long B, long long C, long long S, int train, int input_gradient,
                                               T* grad_in, int parameter_gradients, double scale, T* grad_weight,
                                               T* grad_bias) {
  __shared__ double sums[LEGONN_BLOCK];
  const long long n = B * S;
  for (long long c = blockIdx.x; c < C; c += gridDim.x) {
    const T m = mean[c];
    const T invstd = spread_is_var ? (T)(1 / sqrt((double)spread[c] + eps)) : spread[c];
    double total = 0, dotp = 0;
    for (long long i = threadIdx.x; i < n; i += blockDim.x) {
      const long long at = legonn_feature_at(i, c, C, S);
      const T g = grad_out[at];
      total += (double)g;
      dotp += (double)((x[at] - m) * g);
    }
    total = legonn_block_sum(total, sums);
    dotp = legonn_block_sum(dotp, sums);
    if (parameter_gradients && affine && threadIdx.x == 0) {
      grad_weight[c] = (T)((double)grad_weight[c] + scale * dotp * (double)invstd);
      grad_bias[c] = (T)((double)grad_bias[c] + scale * total);
    }
    if (!input_gradient) continue;
    const T w = affine ? weight[c] : (T)1;
    const T proj = (T)dotp * invstd * invstd / (T)n;
    const double grad_mean = total / n;
    for (long long i = threadIdx.x; i < n; i += blockDim.x) {
      const long long at = legonn_feature_at(i, c, C, S);
      grad_in[at] = train ? (T)(((double)grad_out[at] - grad_mean - (double)((x[at] - m) * proj)) * (double)invstd
                                * (double)w)
                          : grad_out[at] * invstd * w;
    }
  }
}

/* NVRTC compiles these without headers: expf/exp and logf/log by name, not C++ overloads on T */
__device__ inline float legonn_exp(float v) { return expf(v); }
__device__ inline double legonn_exp(double v) { return exp(v); }
__device__ inline float legonn_log(float v) { return logf(v); }
__device__ inline double legonn_log(double v) { return log(v); }

extern "C" __global__ void log_softmax_forward(const T* x, T* y, long long rows, int cols) {
  for (long long r = blockIdx.x * (long long)blockDim.x + threadIdx.x; r < rows;
       r += (long long)blockDim.x * gridDim.x) {
    const T* in = x + r * cols;
    T* out = y + r * cols;
    T top = in[0];
    for (int j = 1; j < cols; ++j) top = (in[j] > top || in[j] != in[j]) ? in[j] : top;   /* NaN wins, as max */
    T sum = 0;
    for (int j = 0; j < cols; ++j) sum += legonn_exp(in[j] - top);
    const T norm = top + legonn_log(sum);
    for (int j = 0; j < cols; ++j) out[j] = in[j] - norm;
  }
}

extern "C" __global__ void log_softmax_backward(const T* grad_out, const T* y, T* out, long long rows, int cols) {
  for (long long r = blockIdx.x * (long long)blockDim.x + threadIdx.x; r < rows;
       r += (long long)blockDim.x * gridDim.x) {
    const T* g = grad_out + r * cols;
    const T* logp = y + r * cols;
    T sum = 0;
    for (int j = 0; j < cols; ++j) sum += g[j];
    for (int j = 0; j < cols; ++j) out[r * cols + j] = g[j] - legonn_exp(logp[j]) * sum;
  }
}
'''

_CTYPES = {np.dtype(np.float32): 'float', np.dtype(np.float64): 'double'}


def enabled():
    return os.environ.get('LEGONN_GENERIC_KERNELS', '') in ('', '0')


def supports(dtype):
    return np.dtype(dtype) in _CTYPES


def device_floats(*arrays):
    """Whether ``arrays`` are CuPy arrays of one float32/float64 type (what the kernels and cuBLAS take)."""
    first = arrays[0]
    return is_cupy_array(first) and first.dtype in _CTYPES and \
        all(is_cupy_array(x) and x.dtype == first.dtype for x in arrays[1:])


def takes(*arrays):
    """Whether legonn's kernels run on ``arrays``: ``device_floats`` and not turned off."""
    return device_floats(*arrays) and enabled()


# name -> (in_params, out_params, body) of every ElementwiseKernel legonn declares (tests compile each with nvcc)
ELEMENTWISE = {}


def declare(name, in_params, out_params, body):
    """Declare the ElementwiseKernel ``legonn_<name>`` and return its launcher (built on first use)."""
    ELEMENTWISE[name] = (in_params, out_params, body)

    def launch(*args, **kwargs):
        return elementwise(name, in_params, out_params, body)(*args, **kwargs)
    return launch


@functools.lru_cache(maxsize=None)
def elementwise(name, in_params, out_params, body):
    """The CuPy ElementwiseKernel ``legonn_<name>``, built once."""
    return cupy().ElementwiseKernel(in_params, out_params, body, 'legonn_' + name)


@functools.lru_cache(maxsize=None)
def _module(dtype):
    return cupy().RawModule(code=_SOURCE % {'T': _CTYPES[np.dtype(dtype)]})


_INT32_MAX = 2 ** 31 - 1


def _checked(kernel, ksize, stride, pad, dilation, *operands):
    """The gateway to the RawKernels, which trust every size they are given: raise ValueError/TypeError
    unless the geometry is integral (kernel sizes, strides and dilations positive, pads non-negative, all
    within int32) and each operand ``(name, array, shape, dtype, written)`` has that shape and dtype, every
    size within int32, and is C-contiguous when the kernel writes it (the kernels index it linearly)."""
    where = f"cuda_kernels.{kernel}"
    for what, values, low in (('kernel size', ksize, 1), ('stride', stride, 1), ('pad', pad, 0),
                              ('dilation', dilation, 1)):
        if any(not isinstance(v, (int, np.integer)) or not low <= v <= _INT32_MAX for v in values):
            raise ValueError(f"{where}: {what} must be integers >= {low}, got {tuple(values)}")
    for name, arr, shape, dtype, written in operands:
        if tuple(arr.shape) != tuple(shape):
            raise ValueError(f"{where}: {name} must have shape {tuple(shape)}, got {tuple(arr.shape)}")
        if arr.dtype != dtype:
            raise TypeError(f"{where}: {name} must be {np.dtype(dtype)}, got {arr.dtype}")
        if any(d > _INT32_MAX for d in arr.shape):
            raise ValueError(f"{where}: {name} has a dimension beyond int32, shape {tuple(arr.shape)}")
        if written and not arr.flags.c_contiguous:
            raise ValueError(f"{where}: {name} must be C-contiguous (the kernel writes it linearly)")


def _contiguous(a):
    """``a`` when C-contiguous (asked of its flags: a kernel's operands usually are, and a CuPy call that returns
    its argument still costs the host microseconds), else a contiguous copy."""
    return a if a.flags.c_contiguous else cupy().ascontiguousarray(a)


def _launch(name, dtype, total, args, max_blocks=65535, threads=_THREADS):
    if total == 0:
        return
    blocks = min((total + threads - 1) // threads, max_blocks)
    _module(dtype).get_function(name)((blocks,), (threads,), args)


def _feature_threads(n):
    """Threads of a batch-normalisation block for features of ``n`` values: a power of two from 32 (a warp) to
    256 (``LEGONN_BLOCK``), about four values a thread, so that a small feature's reductions wait on no idle
    threads (which the host simulator would also run, barrier by barrier)."""
    threads = 32
    while threads < _THREADS and 4 * threads < n:
        threads *= 2
    return threads


def _dims(arr, kernel):
    if arr.ndim != 4:
        raise ValueError(f"cuda_kernels.{kernel}: expected (N, C, H, W) data, got shape {tuple(arr.shape)}")
    return arr.shape


def _geometry(ksize, stride, pad, dilation, counts):
    """The int32 arguments every kernel ends with: kH kW oH oW sH sW pH pW dH dW."""
    i32 = np.int32
    return (i32(ksize[0]), i32(ksize[1]), i32(counts[0]), i32(counts[1]), i32(stride[0]), i32(stride[1]),
            i32(pad[0]), i32(pad[1]), i32(dilation[0]), i32(dilation[1]))


def im2col(x, ksize, stride, pad, dilation, counts, out):
    """Fill ``out`` (C, kH, kW, N, oH, oW) with the zero-padded windows of ``x`` (N, C, H, W)."""
    n, c, h, w = _dims(x, 'im2col')
    _checked('im2col', ksize, stride, pad, dilation, ('out', out, (c,) + tuple(ksize) + (n,) + tuple(counts), x.dtype,
                                                      True))
    x = _contiguous(x)
    _launch('im2col', x.dtype, out.size, (x, out, np.int64(out.size), np.int32(c), np.int32(h), np.int32(w),
                                          np.int32(n)) + _geometry(ksize, stride, pad, dilation, counts))
    return out


def col2im(cols, spatial, ksize, stride, pad, dilation, counts, out):
    """``out`` (N, C, H, W, C-contiguous) = the sum, at each pixel, of the columns that read it."""
    n, c = _dims(out, 'col2im')[:2]
    _checked('col2im', ksize, stride, pad, dilation, ('out', out, (n, c) + tuple(spatial), out.dtype, True),
             ('cols', cols, (c,) + tuple(ksize) + (n,) + tuple(counts), out.dtype, False))
    cols = _contiguous(cols)
    _launch('col2im', out.dtype, out.size, (cols, out, np.int64(out.size), np.int32(c), np.int32(spatial[0]),
                                            np.int32(spatial[1]), np.int32(n))
            + _geometry(ksize, stride, pad, dilation, counts))
    return out


def max_pool_forward(x, ksize, stride, pad, dilation, out, argmax):
    """Window maxima of ``x`` (N, C, H, W) into ``out`` and the winning offsets into ``argmax`` (int32)."""
    n, c, h, w = _dims(x, 'max_pool_forward')
    sizes = (n, c) + tuple(out.shape[2:])
    _checked('max_pool_forward', ksize, stride, pad, dilation, ('out', out, sizes, x.dtype, True),
             ('argmax', argmax, sizes, np.int32, True))
    x = _contiguous(x)
    lowest = x.dtype.type(-np.inf)   # passed in: NVRTC has no INFINITY macro without headers
    _launch('max_pool_forward', x.dtype, out.size,
            (x, out, argmax, lowest, np.int64(out.size), np.int32(h), np.int32(w))
            + _geometry(ksize, stride, pad, dilation, out.shape[2:]))
    return out, argmax


def max_pool_backward(grad_out, argmax, ksize, stride, pad, dilation, out):
    """``out`` (N, C, H, W) = the sum of the gradients of the windows each element won."""
    n, c, h, w = _dims(out, 'max_pool_backward')
    sizes = (n, c) + tuple(grad_out.shape[2:])
    _checked('max_pool_backward', ksize, stride, pad, dilation, ('out', out, out.shape, out.dtype, True),
             ('grad_out', grad_out, sizes, out.dtype, False), ('argmax', argmax, sizes, np.int32, False))
    grad_out = _contiguous(grad_out)
    _launch('max_pool_backward', out.dtype, out.size,
            (grad_out, argmax, out, np.int64(out.size), np.int32(h), np.int32(w))
            + _geometry(ksize, stride, pad, dilation, grad_out.shape[2:]))
    return out


def avg_pool_forward(x, ksize, stride, pad, count_include_pad, out):
    """Window means of ``x`` (N, C, H, W) into ``out`` with SpatialAveragePooling.c's divisors
    (``pool_kernels.avg_pool_divisor``)."""
    n, c, h, w = _dims(x, 'avg_pool_forward')
    _checked('avg_pool_forward', ksize, stride, pad, (1, 1), ('out', out, (n, c) + tuple(out.shape[2:]), x.dtype, True))
    x = _contiguous(x)
    _launch('avg_pool_forward', x.dtype, out.size, (x, out, np.int64(out.size), np.int32(h), np.int32(w))
            + _geometry(ksize, stride, pad, (1, 1), out.shape[2:])[:8] + (np.int32(bool(count_include_pad)),))
    return out


def avg_pool_backward(grad_out, ksize, stride, pad, count_include_pad, out):
    """``out`` (N, C, H, W) = the sum, at each element, of the gradients of the windows reading it over their
    divisors."""
    n, c, h, w = _dims(out, 'avg_pool_backward')
    _checked('avg_pool_backward', ksize, stride, pad, (1, 1), ('out', out, out.shape, out.dtype, True),
             ('grad_out', grad_out, (n, c) + tuple(grad_out.shape[2:]), out.dtype, False))
    grad_out = _contiguous(grad_out)
    _launch('avg_pool_backward', out.dtype, out.size, (grad_out, out, np.int64(out.size), np.int32(h), np.int32(w))
            + _geometry(ksize, stride, pad, (1, 1), grad_out.shape[2:])[:8] + (np.int32(bool(count_include_pad)),))
    return out


LOG_SOFTMAX_MAX_CLASSES = 4096
# one block of _THREADS reads them all (256 reads a thread at most): longer arrays take CuPy's min and max
INDEX_BOUNDS_MAX = 1 << 16
_bounds = threading.local()


def _index_step(indices):
    """The distance in elements between neighbours of ``indices`` when it is contiguous or a 1-D view with a
    positive stride (a column of labels), else None."""
    if indices.flags.c_contiguous:
        return 1
    if indices.ndim == 1 and indices.strides[0] > 0 and indices.strides[0] % indices.itemsize == 0:
        return indices.strides[0] // indices.itemsize
    return None


def index_bounds_applies(indices):
    """Whether the index_bounds kernel takes ``indices``: a CuPy int64 array of 1 to INDEX_BOUNDS_MAX elements,
    contiguous or a 1-D strided view, kernels enabled."""
    return enabled() and is_cupy_array(indices) and indices.dtype == np.int64 and \
        0 < indices.size <= INDEX_BOUNDS_MAX and _index_step(indices) is not None


def index_bounds(indices):
    """[min, max] of ``indices`` (see index_bounds_applies) as a 2-element device array, in one launch; the array
    is this thread's, rewritten by its next call."""
    if not index_bounds_applies(indices):
        raise ValueError(f"cuda_kernels.index_bounds: expected an int64 CuPy array of 1 to {INDEX_BOUNDS_MAX} "
                         f"elements, contiguous or 1-D, got {indices.dtype} of shape {tuple(indices.shape)} and "
                         f"strides {indices.strides}")
    bounds = getattr(_bounds, 'array', None)
    if bounds is None:   # one per thread, reused: its caller reads it back before the next call
        bounds = _bounds.array = cupy().empty(2, np.int64)
    _launch('index_bounds', np.dtype(np.float32), _THREADS,   # _THREADS elements: one block
            (indices, np.int64(indices.size), np.int64(_index_step(indices)), bounds))
    return bounds


def class_nll_applies(x, labels, weights, ignore):
    """Whether the ClassNLL kernels take log-probabilities ``x`` (rows, classes) with ``labels`` (an int64 per row,
    contiguous or a 1-D strided view), ``weights`` (None, or a contiguous vector of ``x``'s type) and the int64
    ``ignore`` label, kernels enabled."""
    return takes(x) and x.ndim == 2 and 0 < x.shape[1] <= _INT32_MAX and _class_nll_operands_fit(x, labels, weights,
                                                                                              ignore)


def _class_nll_operands_fit(batch, labels, weights, ignore):
    """Whether ``labels``, ``weights`` and ``ignore`` are what the ClassNLL kernels take with the (rows, classes)
    ``batch``."""
    rows, cols = batch.shape
    return is_cupy_array(labels) and labels.dtype == np.int64 and labels.size == rows and \
        _index_step(labels) is not None and \
        (weights is None or is_cupy_array(weights) and weights.dtype == batch.dtype and
         tuple(weights.shape) == (cols,) and weights.flags.c_contiguous) and \
        isinstance(ignore, (int, np.integer)) and not isinstance(ignore, bool) and -2 ** 63 <= ignore < 2 ** 63


def _class_nll_arguments(kernel, batch, labels, weights, ignore, size_average):
    """The arguments both ClassNLL kernels share, after checking ``labels``, ``weights`` and ``ignore`` against
    ``batch`` (the kernel's (rows, classes) operand, passed again for absent weights: an unread array of type T)."""
    x_shape, dtype = batch.shape, batch.dtype
    if not _class_nll_operands_fit(batch, labels, weights, ignore):
        raise ValueError(f"cuda_kernels.{kernel}: expected {x_shape[0]} int64 labels (contiguous or 1-D), "
                         f"{x_shape[1]} {np.dtype(dtype)} class weights or None and an int64 ignore label, got "
                         f"labels {getattr(labels, 'dtype', type(labels).__name__)} "
                         f"{tuple(getattr(labels, 'shape', ()))}, weights "
                         f"{None if weights is None else (weights.dtype, tuple(weights.shape))}, ignore {ignore!r}")
    return (labels, np.int64(_index_step(labels)), batch if weights is None else weights,
            np.int32(weights is not None), np.int64(x_shape[0]), np.int32(x_shape[1]), np.int64(ignore),
            np.int32(bool(size_average)))


def class_nll_forward(x, labels, weights, ignore, size_average, result):
    """ClassNLLCriterion's loss of ``x`` (rows, classes) in one launch: ``result`` (5 float64) = loss, total weight,
    rows not ignored, and the lowest and highest of their labels (labels outside the classes add nothing: the caller
    raises from that range)."""
    if not is_cupy_array(result) or result.shape != (5,) or result.dtype != np.float64 or \
            not result.flags.c_contiguous:
        raise ValueError(f"cuda_kernels.class_nll_forward: result must be 5 contiguous float64, got {result.dtype} "
                         f"{tuple(result.shape)}")
    if not takes(x) or x.ndim != 2:
        raise ValueError(f"cuda_kernels.class_nll_forward: expected a (rows, classes) float CuPy array, got "
                         f"{type(x).__name__} {getattr(x, 'dtype', '')} {tuple(getattr(x, 'shape', ()))}")
    args = _class_nll_arguments('class_nll_forward', x, labels, weights, ignore, size_average)
    x = _contiguous(x)
    _launch('class_nll_forward', x.dtype, _THREADS, (x,) + args + (result,))   # _THREADS elements: one block
    return result


CLASS_NLL_BACKWARD_BLOCKS = 64   # each block sums the labels' weights again: a few blocks, striding over the rest


def class_nll_backward(labels, weights, ignore, size_average, grad):
    """ClassNLLCriterion's gradInput into ``grad`` (rows, classes, C-contiguous), in one launch."""
    if not takes(grad) or grad.ndim != 2 or not grad.flags.c_contiguous:
        raise ValueError("cuda_kernels.class_nll_backward: grad must be a C-contiguous (rows, classes) float CuPy "
                         "array (the kernel writes it linearly)")
    args = _class_nll_arguments('class_nll_backward', grad, labels, weights, ignore, size_average)
    _launch('class_nll_backward', grad.dtype, grad.size, args + (grad,), CLASS_NLL_BACKWARD_BLOCKS)
    return grad


JOIN_PIECES_MAX = 4


def _piece_rows(a, d):
    """``a`` as rows for join_rows/split_rows when split at dimension ``d``: (rows, row width, row stride) with
    the dimensions from ``d`` on contiguous and those before it one uniform stride apart, else None."""
    item, shape, strides = a.itemsize, a.shape, a.strides
    if any(s % item for s in strides):
        return None
    width, expected = 1, 1
    for n, s in zip(reversed(shape[d:]), reversed(strides[d:])):
        if n > 1 and s != expected * item:
            return None
        width *= n
        expected = width
    lead = [(n, s // item) for n, s in zip(shape[:d], strides[:d]) if n > 1]
    for (_, s0), (n1, s1) in zip(lead, lead[1:]):
        if s0 != s1 * n1:
            return None
    if lead and lead[-1][1] < width:
        return None
    rows = 1
    for n, _ in lead:
        rows *= n
    return rows, width, lead[-1][1] if lead else width


def join_applies(joined, pieces, d):
    """Whether join_rows/split_rows take ``joined`` (C-contiguous) and its 1 to 4 ``pieces`` along dimension ``d``:
    CuPy floats of one type, each piece laid out as rows (see _piece_rows), kernels enabled."""
    return 1 < len(pieces) <= JOIN_PIECES_MAX and takes(joined, *pieces) and joined.flags.c_contiguous and \
        all(_piece_rows(p, d) is not None for p in pieces)


def _join_arguments(kernel, joined, pieces, d):
    """The pieces (padded to four with the first), their widths (the first three) and row strides, the rows and the
    joined width, after checking them against ``joined``."""
    if not join_applies(joined, pieces, d):
        raise ValueError(f"cuda_kernels.{kernel}: expected a C-contiguous float CuPy array and 2 to "
                         f"{JOIN_PIECES_MAX} pieces of its type laid out as rows along dimension {d}, got "
                         f"{len(pieces)} pieces")
    rows, width, _ = _piece_rows(joined, d)
    layouts = [_piece_rows(p, d) for p in pieces]
    if any(r != rows for r, _, _ in layouts) or sum(w for _, w, _ in layouts) != width:
        raise ValueError(f"cuda_kernels.{kernel}: pieces of {[(r, w) for r, w, _ in layouts]} rows and widths "
                         f"do not make {rows} rows of {width}")
    padded = list(pieces) + [pieces[0]] * (JOIN_PIECES_MAX - len(pieces))
    widths = [w for _, w, _ in layouts] + [0] * (JOIN_PIECES_MAX - len(pieces))
    strides = [ld for _, _, ld in layouts] + [0] * (JOIN_PIECES_MAX - len(pieces))
    return padded, [np.int64(w) for w in widths[:3]] + [np.int64(ld) for ld in strides], np.int64(rows), \
        np.int64(width)


def join_rows(pieces, joined, d):
    """``joined`` (C-contiguous) = ``pieces`` joined along dimension ``d``, in one launch (see join_applies)."""
    padded, sizes, rows, width = _join_arguments('join_rows', joined, pieces, d)
    _launch('join_rows', joined.dtype, joined.size, (*padded, *sizes, rows, width, joined))
    return joined


def split_rows(joined, pieces, d):
    """Each of ``pieces`` = its part of ``joined`` (C-contiguous) along dimension ``d``, in one launch."""
    padded, sizes, rows, width = _join_arguments('split_rows', joined, pieces, d)
    _launch('split_rows', joined.dtype, joined.size, (joined, *padded, *sizes, rows, width))
    return pieces


def log_softmax_applies(x):
    """Whether the LogSoftMax kernels take ``x``: a CuPy (rows, classes) batch of a supported type, classes
    within LOG_SOFTMAX_MAX_CLASSES, kernels enabled."""
    return takes(x) and x.ndim == 2 and 0 < x.shape[1] <= LOG_SOFTMAX_MAX_CLASSES


def _rows_checked(kernel, like, *operands):
    """Each operand ``(name, array, written)`` of ``like``'s shape and type; written ones C-contiguous."""
    for name, arr, written in operands:
        if tuple(arr.shape) != tuple(like.shape) or arr.dtype != like.dtype or arr.ndim != 2:
            raise ValueError(f"cuda_kernels.{kernel}: {name} must be a {like.dtype} array of shape "
                             f"{tuple(like.shape)}, got {arr.dtype} {tuple(arr.shape)}")
        if written and not arr.flags.c_contiguous:
            raise ValueError(f"cuda_kernels.{kernel}: {name} must be C-contiguous (the kernel writes it by rows)")
    if like.shape[1] > _INT32_MAX:
        raise ValueError(f"cuda_kernels.{kernel}: {like.shape[1]} classes is beyond int32")


def log_softmax_forward(x, out):
    """``out`` = log softmax of each row of ``x`` (rows, classes)."""
    _rows_checked('log_softmax_forward', x, ('out', out, True))
    x = _contiguous(x)
    _launch('log_softmax_forward', x.dtype, x.shape[0], (x, out, np.int64(x.shape[0]), np.int32(x.shape[1])))
    return out


def log_softmax_backward(grad_out, y, out):
    """``out`` = LogSoftMax's gradInput: grad_out - exp(y) * (the row sums of grad_out)."""
    _rows_checked('log_softmax_backward', y, ('grad_out', grad_out, False), ('out', out, True))
    grad_out, y = _contiguous(grad_out), _contiguous(y)
    _launch('log_softmax_backward', y.dtype, y.shape[0], (grad_out, y, out, np.int64(y.shape[0]),
                                                          np.int32(y.shape[1])))
    return out

def batch_norm_applies(x):
    """Whether the batch-normalisation kernels take ``x``: CuPy data of a supported type, kernels enabled."""
    return takes(x)


def _readable(a):
    """A CuPy operand the batch-normalisation kernels read, C-contiguous (they index it linearly); others as they
    are, for ``_features_checked`` to refuse."""
    return _contiguous(a) if is_cupy_array(a) else a


def _features_checked(kernel, x, *operands):
    """``x`` (B, C, S) of a supported type; each operand ``(name, array, whole)`` None or a C-contiguous array of x's
    type shaped as ``x`` (``whole``) or (C,)."""
    if not takes(x) or x.ndim != 3:
        raise ValueError(f"cuda_kernels.{kernel}: expected (B, C, S) float CuPy data, got {type(x).__name__} "
                         f"{getattr(x, 'dtype', '')} {tuple(getattr(x, 'shape', ()))}")
    for name, arr, whole in operands:
        shape = tuple(x.shape) if whole else (x.shape[1],)
        if arr is not None and (not is_cupy_array(arr) or arr.dtype != x.dtype or tuple(arr.shape) != shape or
                                not arr.flags.c_contiguous):
            raise ValueError(f"cuda_kernels.{kernel}: {name} must be a C-contiguous {x.dtype} CuPy array of shape "
                             f"{shape}, got {type(arr).__name__} {getattr(arr, 'dtype', '')} "
                             f"{tuple(getattr(arr, 'shape', ()))}")


def batch_norm_forward(x, weight, bias, train, eps, momentum, running_mean, running_var, save_mean, save_std, out):
    """BatchNormalization's updateOutput of ``x`` (B, C, S) into ``out`` in one launch: with ``train`` the batch's
    statistics (kept in save_mean/save_std, moving running_mean/running_var), else the running estimates (kept
    in save_mean/save_std). ``weight`` and ``bias`` are (C,) or both None."""
    x, weight, bias = _readable(x), _readable(weight), _readable(bias)
    _features_checked('batch_norm_forward', x, ('out', out, True), ('weight', weight, False), ('bias', bias, False),
                      ('running_mean', running_mean, False), ('running_var', running_var, False),
                      ('save_mean', save_mean, False), ('save_std', save_std, False))
    affine = weight is not None
    B, C, S = x.shape
    threads = _feature_threads(B * S)
    # absent parameters: x stands in, an unread array of type T
    _launch('batch_norm_forward', x.dtype, C * threads,
            (x, weight if affine else x, bias if affine else x, np.int32(affine), np.int64(B), np.int64(C),
             np.int64(S), np.int32(bool(train)), np.float64(eps), np.float64(momentum), running_mean, running_var,
             save_mean, save_std, out), threads=threads)
    return out


def batch_norm_backward(x, grad_out, mean, spread, spread_is_var, eps, weight, train, grad_in, scale, grad_weight,
                        grad_bias):
    """BatchNormalization's gradients in one launch, from ``x`` and ``grad_out`` (B, C, S) and the forward's
    ``mean`` and invstd (``spread``; with ``spread_is_var`` the running variance it comes from): gradInput into
    ``grad_in`` unless None, and ``scale`` times the parameter gradients added into ``grad_weight`` and
    ``grad_bias`` unless they are None. ``weight`` is (C,) or None."""
    x, grad_out, mean, spread, weight = (_readable(a) for a in (x, grad_out, mean, spread, weight))
    _features_checked('batch_norm_backward', x, ('gradOutput', grad_out, True), ('gradInput', grad_in, True),
                      ('mean', mean, False), ('spread', spread, False), ('weight', weight, False),
                      ('gradWeight', grad_weight, False), ('gradBias', grad_bias, False))
    affine, params = weight is not None, grad_weight is not None and grad_bias is not None
    B, C, S = x.shape
    threads = _feature_threads(B * S)
    _launch('batch_norm_backward', x.dtype, C * threads,
            (x, grad_out, mean, spread, np.int32(bool(spread_is_var)), np.float64(eps), weight if affine else x,
             np.int32(affine), np.int64(B), np.int64(C), np.int64(S), np.int32(bool(train)),
             np.int32(grad_in is not None), x if grad_in is None else grad_in, np.int32(params),
             np.float64(scale), grad_weight if params else x, grad_bias if params else x), threads=threads)
    return grad_in
