// Comorbidity flagging and scoring over a long diagnoses table (10 codes per patient, dotted and
// undotted, some matching nothing). Reports codes per second; compare thread counts in one run.
#include <benchmark/benchmark.h>

#include <map>
#include <random>

#include "socialrx/risk/comorbidity.hpp"

namespace socialrx {
namespace {

struct Diagnoses {
  std::vector<std::int32_t> patient;
  std::vector<std::int64_t> offsets{0};
  std::vector<char> data;
};

const Diagnoses& diagnoses(std::size_t patients) {
  static std::map<std::size_t, Diagnoses> cache;
  auto& d = cache[patients];
  if (!d.patient.empty()) return d;
  std::vector<std::string> pool{"R69", "Z00.0", "S72.0", "J18.9"};
  for (const char* name : {"charlson_quan2005", "elixhauser_quan2005"}) {
    const auto& map = ComorbidityMap::builtin(name);
    for (std::size_t c = 0; c < map.size(); ++c)
      for (const auto& code : map.codes(c)) {
        pool.push_back(code);
        pool.push_back(code.substr(0, 3) + "." + code.substr(3) + "9");
      }
  }
  std::mt19937_64 random(42);
  for (std::size_t row = 0; row < patients * 10; ++row) {
    const std::string& code = pool[random() % pool.size()];
    d.patient.push_back(static_cast<std::int32_t>(row / 10));
    d.data.insert(d.data.end(), code.begin(), code.end());
    d.offsets.push_back(static_cast<std::int64_t>(d.data.size()));
  }
  return d;
}

void BM_charlson_and_elixhauser(benchmark::State& state) {
  const auto patients = static_cast<std::size_t>(state.range(0));
  const auto threads = static_cast<unsigned>(state.range(1));
  const auto& d = diagnoses(patients);
  const DiagnosisColumns columns{
      d.patient, {d.offsets, d.data, {}, 0}, {}, static_cast<std::int32_t>(patients)};
  const auto& charlson = ComorbidityMap::builtin("charlson_quan2005");
  const auto& elixhauser = ComorbidityMap::builtin("elixhauser_quan2005");
  for (auto _ : state) {
    const auto c = flag_comorbidities(charlson, columns, threads);
    benchmark::DoNotOptimize(
        score_comorbidities(charlson, c.patients, charlson.weights("quan2011"), true, threads));
    const auto e = flag_comorbidities(elixhauser, columns, threads);
    benchmark::DoNotOptimize(score_comorbidities(
        elixhauser, e.patients, elixhauser.weights("van_walraven"), true, threads));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(d.patient.size()));
  state.SetLabel("codes/s = items_per_second (each code scored twice)");
}
BENCHMARK(BM_charlson_and_elixhauser)
    ->Args({1'000'000, 1})
    ->Args({1'000'000, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace socialrx
