#include <benchmark/benchmark.h>

#include "socialrx/synth/synthetic.hpp"

namespace {

// About 10 million events: 3,000 clients and 165,000 comparison patients over six years.
void BM_generate(benchmark::State& state) {
  socialrx::SyntheticConfig config;
  config.n_comparison = 165'000;
  config.threads = static_cast<unsigned>(state.range(0));
  std::size_t events = 0;
  for (auto _ : state) {
    const auto service = socialrx::generate_service(config);
    events = service.events.person_id.size();
    benchmark::DoNotOptimize(service.events.date.data());
  }
  state.counters["events"] = static_cast<double>(events);
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(events) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_generate)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
