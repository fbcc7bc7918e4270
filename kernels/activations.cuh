// Forward and backward of the activations. Backward rules take what forward saved:
// the output y for tanh, sigmoid and relu; the input x for gelu, leaky relu and softsign.
#pragma once
#include "common.cuh"

namespace gg {

template <typename T> GG_HD T tanh_fwd(T x) { return tanh(x); }
template <typename T> GG_HD T tanh_bwd(T y, T gy) { return gy * (T(1) - y * y); }

// exp of a non-positive number only: finite for every input, |x| = 1e4 included.
template <typename T> GG_HD T sigmoid_fwd(T x) {
  T e = exp(-(x < T(0) ? -x : x));
  return x >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
}
template <typename T> GG_HD T sigmoid_bwd(T y, T gy) { return gy * y * (T(1) - y); }

template <typename T> GG_HD T relu_fwd(T x) { return x > T(0) ? x : T(0); }
template <typename T> GG_HD T relu_bwd(T y, T gy) { return y <= T(0) ? T(0) : gy; }

template <typename T> GG_HD T leaky_relu_fwd(T x, T slope) { return x > T(0) ? x : x * slope; }
template <typename T> GG_HD T leaky_relu_bwd(T x, T gy, T slope) {
  return x > T(0) ? gy : gy * slope;
}

// GELU, exact: x * Phi(x) with Phi the standard normal CDF.
template <typename T> GG_HD T gelu_fwd(T x) {
  return T(0.5) * x * (T(1) + erf(x * T(0.70710678118654752440)));
}
template <typename T> GG_HD T gelu_bwd(T x, T gy) {
  T cdf = T(0.5) * (T(1) + erf(x * T(0.70710678118654752440)));
  T pdf = T(0.39894228040143267794) * exp(T(-0.5) * x * x);
  return gy * (cdf + x * pdf);
}

// GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
template <typename T> GG_HD T gelu_tanh_fwd(T x) {
  T inner = T(0.79788456080286535588) * (x + T(0.044715) * x * x * x);
  return T(0.5) * x * (T(1) + tanh(inner));
}
template <typename T> GG_HD T gelu_tanh_bwd(T x, T gy) {
  T x2 = x * x;
  T t = tanh(T(0.79788456080286535588) * (x + T(0.044715) * x2 * x));
  T dinner = T(0.79788456080286535588) * (T(1) + T(3) * T(0.044715) * x2);
  T sech2 = T(1) - t * t;  // 0 where tanh saturates: then the term is 0, not 0 * inf
  return gy * (T(0.5) * (T(1) + t) + (sech2 == T(0) ? T(0) : T(0.5) * x * sech2 * dinner));
}

// softsign: x / (1 + |x|); d/dx = 1 / (1 + |x|)^2.
template <typename T> GG_HD T softsign_fwd(T x) { return x / (T(1) + (x < T(0) ? -x : x)); }
template <typename T> GG_HD T softsign_bwd(T x, T gy) {
  T d = T(1) + (x < T(0) ? -x : x);
  return gy / (d * d);
}

}  // namespace gg
