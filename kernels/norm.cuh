// Normalization (LayerNorm, BatchNorm): the per-element parts. The statistics of each group of
// elements normalized together (its mean, and rstd = 1 / sqrt(var + eps)) and the two group
// means of the backward are reductions, computed before the launch; each element receives
// those of its group broadcast.
#pragma once
#include "common.cuh"

namespace gg {

// y = xhat * w + b with xhat = (x - mean) * rstd.
template <typename T> GG_HD T norm_fwd(T x, T mean, T rstd, T w, T b) {
  return (x - mean) * rstd * w + b;
}

// d loss / d x of the normalization, given gw = (d loss / d y) * w and the group means
// mg = mean(gw) and mgx = mean(gw * xhat): rstd * (gw - mg - xhat * mgx).
template <typename T> GG_HD T norm_bwd(T xhat, T gw, T rstd, T mg, T mgx) {
  return rstd * (gw - mg - xhat * mgx);
}

}  // namespace gg
