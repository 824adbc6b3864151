// ICD-10 normaliser: any bytes give an undotted upper-case code of at most kMaxLength
// letters and digits, normalising it again changes nothing, and every built-in comorbidity
// map can look it up and score it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "accept_input_errors.hpp"
#include "socialrx/risk/comorbidity.hpp"
#include "socialrx/risk/icd10.hpp"

namespace {

using namespace socialrx;

void check_normal_form(std::string_view code) {
  if (code.size() > icd10::kMaxLength) fuzz::broken("a code keeps at most kMaxLength characters");
  for (const char c : code)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
      fuzz::broken("a code holds only upper-case letters and digits");
  if (icd10::normalise(code).view() != code) fuzz::broken("normalising twice changes nothing");
}

void score_in_every_map(std::string_view code) {
  for (const std::string& name : ComorbidityMap::builtin_names()) {
    const ComorbidityMap& map = ComorbidityMap::builtin(name);
    const CategorySet flags = map.match(code);
    flags.for_each([&](std::size_t category) {
      if (category >= map.size()) fuzz::broken("a match is a category of the map");
    });
    for (const WeightSet& weights : map.weight_sets())
      for (const bool hierarchy : {false, true}) map.score_units(flags, weights, hierarchy);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view recorded = fuzz::as_text(data, size);
  const icd10::Code code = icd10::normalise(recorded);
  check_normal_form(code.view());
  if (icd10::normalised(recorded) != (code.missing() ? std::string_view() : code.view()))
    fuzz::broken("normalised() is the normal form, empty when missing");
  score_in_every_map(code.view());
  return 0;
}
