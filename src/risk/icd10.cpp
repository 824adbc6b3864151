#include "socialrx/risk/icd10.hpp"

namespace socialrx::icd10 {

std::string normalised(std::string_view recorded) {
  const Code code = normalise(recorded);
  return code.missing() ? std::string() : std::string(code.view());
}

}  // namespace socialrx::icd10
