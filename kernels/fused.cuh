// Fused passes: softmax-cross-entropy backward and the optimizer updates.
#pragma once
#include "common.cuh"

namespace gg {

// d loss / d logit for one element: (softmax - smoothed one-hot) * scale.
// lse is the row's log-sum-exp, is_target whether this column is the row's class,
// eps the label smoothing, ncls the number of classes.
template <typename T>
GG_HD T softmax_xent_bwd(T x, T lse, bool is_target, T scale, T eps, T ncls) {
  T p = exp(x - lse);
  T target = (is_target ? T(1) - eps : T(0)) + eps / ncls;
  return (p - target) * scale;
}

// SGD with weight decay, momentum, dampening and Nesterov (PyTorch's rule). Updates p and buf.
// `first` is true on the first step with momentum, where buf starts as the gradient.
template <typename T>
GG_HD void sgd_update(T& p, T& buf, T g, T lr, T wd, T momentum, T dampening, bool nesterov,
                      bool first) {
  if (wd != T(0)) g = g + wd * p;  // not 0 * p: an inf parameter would give NaN
  if (momentum != T(0)) {
    buf = first ? g : momentum * buf + (T(1) - dampening) * g;
    g = nesterov ? g + momentum * buf : buf;
  }
  p = p - lr * g;
}

// Adam (decoupled == false: L2 added to the gradient) and AdamW (decoupled == true).
// bc1 = 1 - beta1^t, bc2_sqrt = sqrt(1 - beta2^t). Updates p, m (exp_avg), v (exp_avg_sq).
template <typename T>
GG_HD void adam_update(T& p, T& m, T& v, T g, T lr, T beta1, T beta2, T eps, T wd, T bc1,
                       T bc2_sqrt, bool decoupled) {
  if (decoupled) {
    p = p * (T(1) - lr * wd);
  } else if (wd != T(0)) {
    g = g + wd * p;
  }
  m = beta1 * m + (T(1) - beta1) * g;
  v = beta2 * v + (T(1) - beta2) * g * g;
  p = p - (lr / bc1) * m / (sqrt(v) / bc2_sqrt + eps);
}

// Adam/AdamW with amsgrad: as adam_update, but the denominator uses vmax (max_exp_avg_sq), the
// running maximum of v. Updates p, m, v and vmax.
template <typename T>
GG_HD void adam_amsgrad_update(T& p, T& m, T& v, T& vmax, T g, T lr, T beta1, T beta2, T eps,
                               T wd, T bc1, T bc2_sqrt, bool decoupled) {
  if (decoupled) {
    p = p * (T(1) - lr * wd);
  } else if (wd != T(0)) {
    g = g + wd * p;
  }
  m = beta1 * m + (T(1) - beta1) * g;
  v = beta2 * v + (T(1) - beta2) * g * g;
  vmax = vmax > v ? vmax : v;
  p = p - (lr / bc1) * m / (sqrt(vmax) / bc2_sqrt + eps);
}

// RMSprop (PyTorch's rule). v is square_avg, buf the momentum buffer (used when
// use_momentum), gavg the gradient average (used when centered, updated as a lerp).
template <typename T>
GG_HD void rmsprop_update(T& p, T& v, T& buf, T& gavg, T g, T lr, T alpha, T eps, T wd,
                          T momentum, bool use_momentum, bool centered) {
  if (wd != T(0)) g = g + wd * p;
  v = alpha * v + (T(1) - alpha) * g * g;
  T avg;
  if (centered) {
    gavg = gavg + (T(1) - alpha) * (g - gavg);
    avg = sqrt(v - gavg * gavg) + eps;
  } else {
    avg = sqrt(v) + eps;
  }
  if (use_momentum) {
    buf = momentum * buf + g / avg;
    p = p - lr * buf;
  } else {
    p = p - lr * (g / avg);
  }
}

// Adagrad: clr = lr / (1 + (step - 1) * lr_decay) is computed on the host. acc is the state
// `sum`, the running sum of squared gradients.
template <typename T>
GG_HD void adagrad_update(T& p, T& acc, T g, T clr, T wd, T eps) {
  if (wd != T(0)) g = g + wd * p;
  acc = acc + g * g;
  p = p - clr * (g / (sqrt(acc) + eps));
}

}  // namespace gg
