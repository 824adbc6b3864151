// Windowed utilisation counting over unsorted events: the kernel behind utilisation and cost
// avoidance. Reports events per second; compare thread counts within one run.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <map>
#include <random>

#include "detail/parallel.hpp"
#include "socialrx/utilisation/windows.hpp"

namespace socialrx {
namespace {

struct Population {
  std::vector<std::int64_t> client_id, other_id, person;
  std::vector<Days> referral, index, date;
  std::vector<std::int64_t> ticks;  // the dates as nanoseconds since 1970, at any time of day
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
    p.ticks.push_back(std::int64_t{p.date.back()} * 86'400'000'000'000 +
                      static_cast<std::int64_t>(random() % 86'400'000'000'000));
  }
  return p;
}
// The benchmark's population: range(0) people, range(1) events.
const Population& population(const benchmark::State& state) {
  return population(static_cast<std::size_t>(state.range(0)),
                    static_cast<std::size_t>(state.range(1)));
}

void BM_count_utilisation(benchmark::State& state) {
  const auto& p = population(state);
  UtilisationRequest request;
  request.clients = {p.client_id, p.referral, p.index, {}};
  request.events = {p.person, p.date, p.kind};
  // 43 groups (practices), or one group (the whole service).
  const bool by_practice = state.range(3) > 1;
  request.client_group = by_practice ? Column<std::int32_t>(p.group) : Column<std::int32_t>{};
  request.groups = by_practice ? 43 : 1;
  request.other_ids = p.other_id;
  request.data_start = days_from_civil(2019, 4, 1);
  request.data_end = request.data_start + 6 * 365;
  request.windows = {183, 365};
  request.threads = static_cast<unsigned>(state.range(2));
  if (state.range(4)) {  // the dates as datetime64[ns] ticks, as they come from pandas
    request.events.date = {};
    request.event_ticks = p.ticks;
    request.ticks_per_day = 86'400'000'000'000;
  }
  for (auto _ : state) benchmark::DoNotOptimize(count_utilisation(request));
  state.SetItemsProcessed(state.iterations() * state.range(1));
  state.SetLabel("events/s = items_per_second");
}

// people, events, threads, groups, dates as ticks
BENCHMARK(BM_count_utilisation)
    ->Args({200'000, 2'000'000, 1, 43, 0})
    ->Args({2'000'000, 20'000'000, 1, 43, 0})
    ->Args({2'000'000, 20'000'000, 2, 43, 0})
    ->Args({2'000'000, 20'000'000, 1, 1, 0})
    ->Args({2'000'000, 20'000'000, 2, 1, 0})
    ->Args({2'000'000, 20'000'000, 2, 1, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Per person (the matching's look-back counts): the comparison patients as the counted
// people, the clients counted apart, three look-back windows.
void BM_count_per_person(benchmark::State& state) {
  const auto& p = population(state);
  UtilisationRequest request;
  request.clients = {p.other_id, p.referral, p.referral, {}};
  request.events = {p.person, p.date, p.kind};
  request.per_person = true;
  request.other_ids = p.client_id;
  request.data_start = days_from_civil(2019, 4, 1);
  request.data_end = request.data_start + 6 * 365;
  request.windows = {365, 730, 1095};
  request.threads = static_cast<unsigned>(state.range(2));
  for (auto _ : state) benchmark::DoNotOptimize(count_utilisation(request));
  state.SetItemsProcessed(state.iterations() * state.range(1));
}
BENCHMARK(BM_count_per_person)
    ->Args({2'000'000, 20'000'000, 1})
    ->Args({2'000'000, 20'000'000, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The peer to compare with in the same run: the same events' ids looked up in a plain
// table of 8-byte entries, one per person (clients then comparison), and summed; no
// validation, no windows. What the memory system allows a loop that must touch every event.
void BM_bare_lookup(benchmark::State& state) {
  const auto& p = population(state);
  const std::size_t half = p.client_id.size();
  std::vector<std::int64_t> table(2 * half);
  for (std::size_t i = 0; i < table.size(); ++i) table[i] = static_cast<std::int64_t>(i % 7);
  const std::int64_t other_min = p.other_id.front();
  for (auto _ : state) {
    std::int64_t sum = 0;
    for (std::int64_t id : p.person) {
      const std::int64_t position = id >= other_min ? id - other_min + half : id - 1;
      sum += table[static_cast<std::size_t>(position)];
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * state.range(1));
}
BENCHMARK(BM_bare_lookup)
    ->Args({2'000'000, 20'000'000})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The floor for any kernel that looks each event's id up: the kernel's own table shape (a client
// in 2 bytes, 2 MB for a million; a comparison patient's id to one entry past them), positions
// by arithmetic, the entries summed; nothing else, on 1 or 2 threads.
void BM_packed_lookup(benchmark::State& state) {
  const auto& p = population(state);
  const std::uint64_t clients = p.client_id.size();
  std::vector<std::uint16_t> table(clients + 1);
  for (std::size_t i = 0; i < table.size(); ++i) table[i] = static_cast<std::uint16_t>(i * 7919);
  const auto threads = static_cast<unsigned>(state.range(2));
  for (auto _ : state) {
    std::vector<std::uint64_t> sums(threads);
    detail::for_each_chunk(p.person.size(), p.person.size() / threads + 1, threads,
                           [&](std::size_t chunk, std::size_t begin, std::size_t end) {
                             std::uint64_t sum = 0;
                             for (std::size_t e = begin; e < end; ++e) {
                               const std::uint64_t position =
                                   static_cast<std::uint64_t>(p.person[e]) - 1;
                               sum += table[std::min(position, clients)];
                             }
                             sums[chunk] = sum;
                           });
    benchmark::DoNotOptimize(sums);
  }
  state.SetItemsProcessed(state.iterations() * state.range(1));
}
BENCHMARK(BM_packed_lookup)
    ->Args({2'000'000, 20'000'000, 1})
    ->Args({2'000'000, 20'000'000, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace socialrx
