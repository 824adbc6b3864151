// Windowed utilisation counting over unsorted events: the kernel behind utilisation and cost
// avoidance. Reports events per second; compare thread counts within one run.
#include <benchmark/benchmark.h>

#include <map>
#include <random>

#include "socialrx/utilisation/windows.hpp"

namespace socialrx {
namespace {

struct Population {
  std::vector<std::int64_t> client_id, other_id, person;
  std::vector<Days> referral, index, date;
  std::vector<std::int32_t> group;
  std::vector<std::uint8_t> kind;
};

// Half clients, half comparison patients; events in random order over six years.
const Population& population(std::size_t people, std::size_t events) {
  static std::map<std::pair<std::size_t, std::size_t>, Population> cache;
  auto& p = cache[{people, events}];
  if (!p.person.empty()) return p;
  std::mt19937_64 random(42);
  const Days start = days_from_civil(2019, 4, 1), span = 6 * 365;
  for (std::size_t i = 0; i < people / 2; ++i) {
    p.client_id.push_back(static_cast<std::int64_t>(i) + 1);
    p.other_id.push_back(static_cast<std::int64_t>(i) + 10'000'001);
    const Days referral = start + static_cast<Days>(random() % span);
    p.referral.push_back(referral);
    p.index.push_back(random() % 4 ? referral + static_cast<Days>(random() % 30) : kNoDate);
    p.group.push_back(static_cast<std::int32_t>(random() % 43));
  }
  for (std::size_t e = 0; e < events; ++e) {
    const std::size_t who = random() % people;
    p.person.push_back(who < people / 2 ? p.client_id[who] : p.other_id[who - people / 2]);
    p.date.push_back(start + static_cast<Days>(random() % span));
    p.kind.push_back(static_cast<std::uint8_t>(random() % kEventKinds));
  }
  return p;
}

void BM_count_utilisation(benchmark::State& state) {
  const auto& p = population(static_cast<std::size_t>(state.range(0)),
                             static_cast<std::size_t>(state.range(1)));
  UtilisationRequest request;
  request.clients = {p.client_id, p.referral, p.index, {}};
  request.events = {p.person, p.date, p.kind};
  request.client_group = p.group;
  request.groups = 43;
  request.other_ids = p.other_id;
  request.data_start = days_from_civil(2019, 4, 1);
  request.data_end = request.data_start + 6 * 365;
  request.windows = {183, 365};
  request.threads = static_cast<unsigned>(state.range(2));
  for (auto _ : state) benchmark::DoNotOptimize(count_utilisation(request));
  state.SetItemsProcessed(state.iterations() * state.range(1));
  state.SetLabel("events/s = items_per_second");
}

// people, events, threads
BENCHMARK(BM_count_utilisation)
    ->Args({200'000, 2'000'000, 1})
    ->Args({2'000'000, 20'000'000, 1})
    ->Args({2'000'000, 20'000'000, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace socialrx
