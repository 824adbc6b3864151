#pragma once
// What the processor offers beyond the x86-64 baseline the library is built for: the kernels
// that have an AVX-512 loop check once, at run time, and fall back to their scalar loop.

namespace socialrx::detail {

inline bool has_avx512() {
#if defined(__x86_64__)
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                          __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
  return has;
#else
  return false;
#endif
}

}  // namespace socialrx::detail
