// Logistic scoring of a population against the machine's streaming-read bandwidth: both read
// the same row-major rows x 32 matrix once, so the read is the limit the scoring is held to.
// Arguments: rows, threads. Compare bytes_per_second of the two cases.
// Also the IRLS fit (fit_logistic) on rows x 14, the size of a propensity model; arguments
// rows, threads.
#include <benchmark/benchmark.h>

#include <cmath>
#include <map>
#include <random>

#include "detail/parallel.hpp"
#include "socialrx/risk/fit.hpp"
#include "socialrx/risk/model.hpp"

namespace socialrx {
namespace {

constexpr std::size_t kFeatures = 32;

template <class T>
const std::vector<T>& features(std::size_t rows) {
  static std::map<std::size_t, std::vector<T>> cache;
  auto& x = cache[rows];
  if (x.empty()) {
    x.resize(rows * kFeatures);
    std::mt19937_64 random(7);
    std::normal_distribution<double> normal;
    for (auto& v : x) v = static_cast<T>(normal(random));
  }
  return x;
}

Model model() {
  Model m;
  m.name = "benchmark";
  m.kind = ModelKind::logistic;
  m.intercept = -2;
  for (std::size_t j = 0; j < kFeatures; ++j) {
    m.features.push_back({.name = "x" + std::to_string(j), .column = "x" + std::to_string(j)});
    m.coefficients.push_back(0.01 * static_cast<double>(j) - 0.15);
  }
  return m;
}

// The bandwidth limit: sum every value, in the same chunks and threads as the scoring.
void BM_streaming_read(benchmark::State& state) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  const auto& x = features<double>(rows);
  const auto threads = static_cast<unsigned>(state.range(1));
  const std::size_t chunk = (1 << 20) / sizeof(double);
  for (auto _ : state) {
    std::vector<double> sums((x.size() + chunk - 1) / chunk);
    detail::for_each_chunk(x.size(), chunk, threads,
                           [&](std::size_t c, std::size_t begin, std::size_t end) {
                             double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                             for (std::size_t i = begin; i + 4 <= end; i += 4)
                               s0 += x[i], s1 += x[i + 1], s2 += x[i + 2], s3 += x[i + 3];
                             sums[c] = (s0 + s1) + (s2 + s3);
                           });
    benchmark::DoNotOptimize(sums.data());
  }
  const auto bytes = static_cast<std::int64_t>(x.size() * sizeof(double));
  state.SetBytesProcessed(state.iterations() * bytes);
}

template <class T>
void BM_logistic_score(benchmark::State& state) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  const auto& x = features<T>(rows);
  const Model m = model();
  std::vector<double> out(rows);
  for (auto _ : state) {
    score(m, RowMajor<T>{x.data(), rows, kFeatures}, out, static_cast<unsigned>(state.range(1)));
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(x.size() * sizeof(T)));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(rows));
}

// rows x 14 normal features and 0/1 outcomes drawn from a logistic model on them.
struct FitData {
  static constexpr std::size_t kColumns = 14;
  std::vector<double> x, y;
};

const FitData& fit_data(std::size_t rows) {
  static std::map<std::size_t, FitData> cache;
  FitData& d = cache[rows];
  if (d.y.empty()) {
    std::mt19937_64 random(11);
    std::normal_distribution<double> normal;
    std::uniform_real_distribution<double> uniform;
    for (std::size_t i = 0; i < rows; ++i) {
      double eta = -1;
      for (std::size_t j = 0; j < FitData::kColumns; ++j) {
        d.x.push_back(normal(random));
        eta += (0.05 * static_cast<double>(j) - 0.3) * d.x.back();
      }
      d.y.push_back(uniform(random) < 1 / (1 + std::exp(-eta)));
    }
  }
  return d;
}

void BM_fit_logistic(benchmark::State& state) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  const FitData& d = fit_data(rows);
  for (auto _ : state) {
    const LogisticFit fit = fit_logistic(RowMajor<double>{d.x.data(), rows, FitData::kColumns}, d.y,
                                         {.threads = static_cast<unsigned>(state.range(1))});
    benchmark::DoNotOptimize(fit.intercept);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(rows));
}
BENCHMARK(BM_fit_logistic)
    ->ArgsProduct({{1'000'000}, {1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

#define SOCIALRX_SIZES \
  ArgsProduct({{1'000'000, 10'000'000}, {1, 0}})->Unit(benchmark::kMillisecond)->UseRealTime()
BENCHMARK(BM_streaming_read)->SOCIALRX_SIZES;
BENCHMARK(BM_logistic_score<double>)->SOCIALRX_SIZES;
BENCHMARK(BM_logistic_score<float>)->SOCIALRX_SIZES;

}  // namespace
}  // namespace socialrx
