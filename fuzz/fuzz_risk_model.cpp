// Risk model JSON: parsed; a model that parses is written back and must parse again to the
// same text, and is scored and explained on a row of zeros and a row of ones.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "accept_input_errors.hpp"
#include "socialrx/risk/model.hpp"

namespace {

void check_round_trip(const socialrx::Model& model) {
  const std::string written = socialrx::model_to_json(model);
  socialrx::Model reread;
  try {
    reread = socialrx::parse_model(written);
  } catch (const socialrx::InputError&) {
    socialrx::fuzz::broken("a model the library wrote parses again");
  }
  if (socialrx::model_to_json(reread) != written)
    socialrx::fuzz::broken("a model written, read and written again is the same text");
}

void score_two_rows(const socialrx::Model& model) {
  std::vector<double> x(model.size(), 0.0);
  x.resize(2 * model.size(), 1.0);
  const socialrx::RowMajor<double> rows{x.data(), 2, model.size()};
  std::vector<double> scores(2);
  socialrx::score(model, rows, scores, 1);
  socialrx::explain(model, rows, model.size(), 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  socialrx::fuzz::accept_input_errors([&] {
    const socialrx::Model model = socialrx::parse_model(socialrx::fuzz::as_text(data, size));
    check_round_trip(model);
    score_two_rows(model);
  });
  return 0;
}
