#pragma once
// Counter-based random streams: a stream is a pure function of its key (seed, person,
// replicate, ...), so results do not depend on which thread or chunk draws them.
// Samplers built on it are written out by hand: std:: distributions differ between
// standard libraries.
#include <cstdint>

namespace socialrx {

inline constexpr std::uint64_t kGoldenGamma = 0x9E3779B97F4A7C15ull;

// splitmix64's finaliser: a bijection whose outputs for consecutive inputs look independent.
constexpr std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A stream key from a seed and any number of counters.
template <class... Counters>
constexpr std::uint64_t stream_key(std::uint64_t seed, Counters... counters) {
  std::uint64_t key = mix64(seed);
  ((key = mix64(key + static_cast<std::uint64_t>(counters) * kGoldenGamma)), ...);
  return key;
}

// splitmix64 from a key.
class CounterRng {
 public:
  explicit constexpr CounterRng(std::uint64_t key) : state_(key) {}

  constexpr std::uint64_t next() {
    state_ += kGoldenGamma;
    return mix64(state_);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  bool chance(double p) { return uniform() < p; }

  // Uniform on [0, n) without modulo bias (Lemire 2019: multiply, reject the short slice).
  std::uint64_t below(std::uint64_t n) {
    unsigned __int128 product = static_cast<unsigned __int128>(next()) * n;
    if (static_cast<std::uint64_t>(product) < n) {
      const std::uint64_t threshold = -n % n;
      while (static_cast<std::uint64_t>(product) < threshold)
        product = static_cast<unsigned __int128>(next()) * n;
    }
    return static_cast<std::uint64_t>(product >> 64);
  }

 private:
  std::uint64_t state_;
};

}  // namespace socialrx
