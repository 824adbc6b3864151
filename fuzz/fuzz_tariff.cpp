// Tariff JSON: parsed, then repriced to every year of its own uprating index (the pence
// times index arithmetic is where a hostile file could overflow) and to a year it lacks.
#include <cstddef>
#include <cstdint>

#include "accept_input_errors.hpp"
#include "socialrx/cost/tariff.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace socialrx;
  fuzz::accept_input_errors([&] {
    const Tariff tariff = tariff_from_json(fuzz::as_text(data, size));
    for (const auto& year : tariff.uprating_index)
      fuzz::accept_input_errors([&] { reprice(tariff, year.first); });
    fuzz::accept_input_errors([&] { reprice(tariff, "1900/01"); });
  });
  return 0;
}
