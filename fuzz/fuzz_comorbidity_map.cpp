// Comorbidity code-list JSON (the layout of data/risk/*.json): parsed, then every code it
// lists looked up (it matches its own category at least) and scored with every weight set,
// with and without the hierarchy.
#include <cstddef>
#include <cstdint>

#include "accept_input_errors.hpp"
#include "socialrx/risk/comorbidity.hpp"
#include "socialrx/risk/icd10.hpp"

namespace {

using namespace socialrx;

void score_listed_codes(const ComorbidityMap& map) {
  for (std::size_t category = 0; category < map.size(); ++category)
    for (const std::string& code : map.codes(category)) {
      const CategorySet flags = map.match(icd10::normalise(code).view());
      if (!flags.test(category)) fuzz::broken("a listed code matches its own category");
      for (const WeightSet& weights : map.weight_sets())
        for (const bool hierarchy : {false, true}) map.score_units(flags, weights, hierarchy);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::accept_input_errors(
      [&] { score_listed_codes(ComorbidityMap::parse(fuzz::as_text(data, size), "map")); });
  return 0;
}
