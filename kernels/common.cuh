// gpugrad kernel math: small templated functions that compile for the device (NVRTC through
// CuPy, or nvcc) and for the host (g++ or nvcc), so the CUDA math is testable without a GPU.
#pragma once

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define GG_HD __host__ __device__ __forceinline__
#else
#include <cmath>
#define GG_HD inline
using std::erf;
using std::exp;
using std::log1p;
using std::tanh;
using std::sqrt;
#endif

namespace gg {

// The type arithmetic is done in: float for float16 and float32, double for double.
template <typename T> struct opmath { typedef float type; };
template <> struct opmath<double> { typedef double type; };

}  // namespace gg
