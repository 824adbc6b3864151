#include "socialrx/risk/lace.hpp"

#include <string>

#include "detail/parallel.hpp"

namespace socialrx {

LaceVariant lace_variant_from_name(std::string_view name) {
  for (std::size_t v = 0; v < kLaceVariantNames.size(); ++v)
    if (kLaceVariantNames[v] == name) return static_cast<LaceVariant>(v);
  throw InputError("lace", "variant", kNoRow,
                   "unknown variant '" + std::string(name) + "' (known: van_walraven, uk)");
}

std::vector<std::int8_t> lace(const LaceInputs& in, LaceVariant, unsigned threads) {
  // The variant names the input definitions; the point table is the same for both.
  const std::size_t rows = in.length_of_stay_days.size();
  require_rows("admissions", "acute", in.acute, rows);
  require_rows("admissions", "charlson", in.charlson, rows);
  require_rows("admissions", "ae_visits", in.ae_visits, rows);
  require_non_negative("admissions", "length_of_stay_days", in.length_of_stay_days);
  require_non_negative("admissions", "charlson", in.charlson);
  require_non_negative("admissions", "ae_visits", in.ae_visits);
  for (std::size_t row = 0; row < rows; ++row)
    if (in.acute[row] > 1)
      throw InputError("admissions", "acute", static_cast<std::int64_t>(row),
                       "must be 0 or 1, got " + std::to_string(in.acute[row]));
  std::vector<std::int8_t> scores(rows);
  detail::for_each_chunk(
      rows, 1 << 16, threads, [&](std::size_t, std::size_t begin, std::size_t end) {
        for (std::size_t row = begin; row < end; ++row)
          scores[row] =
              static_cast<std::int8_t>(lace_score(in.length_of_stay_days[row], in.acute[row] != 0,
                                                  in.charlson[row], in.ae_visits[row]));
      });
  return scores;
}

}  // namespace socialrx
