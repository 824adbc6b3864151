#pragma once
// Comorbidity indices over long-format diagnoses (one row per patient and code): Charlson and
// Elixhauser (Quan 2005 ICD-10 maps), the NHS SHMI Charlson variant and the Hospital Frailty
// Risk Score. Code lists and weights are data (data/risk/*.json), compiled once into a lookup.
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "socialrx/core/columns.hpp"

namespace socialrx {

// HFRS has 109 categories; Charlson and Elixhauser fit in the first word.
inline constexpr std::size_t kMaxCategories = 128;

// The categories one code, or one patient, has.
struct CategorySet {
  static constexpr std::size_t kWords = kMaxCategories / 64;
  std::array<std::uint64_t, kWords> words{};

  void set(std::size_t category) noexcept { words[category / 64] |= bit(category); }
  void reset(std::size_t category) noexcept { words[category / 64] &= ~bit(category); }
  bool test(std::size_t category) const noexcept { return words[category / 64] & bit(category); }
  bool any() const noexcept {
    for (const auto word : words)
      if (word) return true;
    return false;
  }
  std::size_t count() const noexcept {
    std::size_t n = 0;
    for (const auto word : words) n += static_cast<std::size_t>(std::popcount(word));
    return n;
  }
  CategorySet& operator|=(const CategorySet& other) noexcept {
    for (std::size_t w = 0; w < kWords; ++w) words[w] |= other.words[w];
    return *this;
  }
  // Calls f(category) for each category present, in ascending order.
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t w = 0; w < kWords; ++w)
      for (std::uint64_t word = words[w]; word; word &= word - 1)
        f(w * 64 + static_cast<std::size_t>(std::countr_zero(word)));
  }
  friend bool operator==(const CategorySet&, const CategorySet&) = default;

 private:
  static constexpr std::uint64_t bit(std::size_t category) noexcept {
    return std::uint64_t{1} << (category % 64);
  }
};

// Points per category, held as exact integers: `units_per_point` is 1 for whole-number
// weights and 10 for HFRS points with one decimal, so sums never round.
struct WeightSet {
  std::string name;
  std::vector<std::int64_t> units;  // by category
  std::int64_t units_per_point = 1;
  std::optional<std::int64_t> min_units;  // SHMI: a summed score below 0 becomes 0
};

class ComorbidityMap {
 public:
  // Reads a map in the layout of data/risk/*.json: `categories` with `codes` (or, for HFRS,
  // `codes` with `points`), `weights`, optional `hierarchy` pairs and `clamp_min`. Errors
  // name `origin` and the key at fault.
  static ComorbidityMap parse(std::string_view json_text, std::string_view origin);

  // The maps compiled into the library: charlson_quan2005, charlson_shmi,
  // elixhauser_quan2005, hfrs. Parsed once, on first use.
  static const ComorbidityMap& builtin(std::string_view name);
  static std::vector<std::string> builtin_names();

  const std::string& origin() const noexcept { return origin_; }
  std::size_t size() const noexcept { return ids_.size(); }
  const std::vector<std::string>& ids() const noexcept { return ids_; }
  const std::vector<std::string>& names() const noexcept { return names_; }
  const std::vector<std::string>& codes(std::size_t category) const { return codes_.at(category); }
  // (greater, lesser): when the greater is present the lesser is not scored.
  const std::vector<std::pair<std::size_t, std::size_t>>& hierarchy() const noexcept {
    return hierarchy_;
  }
  const std::vector<WeightSet>& weight_sets() const noexcept { return weight_sets_; }
  // InputError naming the unknown set and the known ones.
  const WeightSet& weights(std::string_view name) const;

  // Categories with an entry that prefixes this normalised code (see icd10::normalise).
  CategorySet match(std::string_view normalised) const noexcept;

  // The flags a score counts: all of them, or with the hierarchy's lesser categories removed.
  CategorySet counted(const CategorySet& flags, bool hierarchy) const noexcept;
  std::int64_t score_units(const CategorySet& flags, const WeightSet& weights,
                           bool hierarchy) const noexcept;

 private:
  // Entries longer than their three-character category, kept beside it. The characters after
  // the first three are packed one per byte, so a prefix test is one mask and compare.
  struct Longer {
    std::uint64_t packed = 0, mask = 0;
    CategorySet categories;
  };
  struct Node {
    CategorySet categories;  // of the three-character entry itself
    std::vector<Longer> longer;
  };

  void add_entry(const std::string& code, std::size_t category, const std::string& key);

  std::string origin_;
  std::vector<std::string> ids_, names_;
  std::vector<std::vector<std::string>> codes_;
  std::vector<std::pair<std::size_t, std::size_t>> hierarchy_;
  std::vector<WeightSet> weight_sets_;
  // A dense table over the three-character category (letter, then two letters or digits)
  // holding 1 + the node's position, 0 for none: one load for most codes.
  std::vector<std::uint16_t> slots_;
  std::vector<Node> nodes_;
};

// Code strings in Arrow's string layout: string i is data[offsets[i], offsets[i + 1]). With a
// validity bitmap, a clear bit (counting from validity_offset) is a null.
struct CodeStrings {
  Column<std::int64_t> offsets;
  Column<char> data;
  Column<std::uint8_t> validity;
  std::int64_t validity_offset = 0;

  std::size_t size() const noexcept { return offsets.empty() ? 0 : offsets.size() - 1; }
  bool null(std::size_t i) const noexcept {
    if (validity.empty()) return false;
    const auto bit = static_cast<std::size_t>(validity_offset) + i;
    return !((validity[bit / 8] >> (bit % 8)) & 1);
  }
  std::string_view at(std::size_t i) const noexcept {
    return {data.data() + offsets[i], static_cast<std::size_t>(offsets[i + 1] - offsets[i])};
  }
};

// The diagnoses table, long format. Patients are row positions 0..patients-1 (the caller maps
// its ids). Codes are either one string per row or, with code_index, a table of distinct
// strings (a categorical column's categories) that rows point into; a negative index is null.
struct DiagnosisColumns {
  Column<std::int32_t> patient;
  CodeStrings codes;
  Column<std::int32_t> code_index;
  std::int32_t patients = 0;
};

struct ComorbidityFlags {
  std::vector<CategorySet> patients;  // categories present, before any hierarchy
  std::int64_t codes_ignored = 0;     // null, empty or an NA marker
  std::int64_t codes_unmatched = 0;   // a code in no category: reported, not an error
  std::int64_t codes_matched = 0;
};

// Flags every patient's categories. Identical for any thread count (0: all hardware threads).
ComorbidityFlags flag_comorbidities(const ComorbidityMap& map, const DiagnosisColumns& diagnoses,
                                    unsigned threads = 0);

// Summed weights per patient, in the weight set's units.
std::vector<std::int64_t> score_comorbidities(const ComorbidityMap& map,
                                              std::span<const CategorySet> flags,
                                              const WeightSet& weights, bool hierarchy,
                                              unsigned threads = 0);

// Hospital Frailty Risk Score bands (Gilbert 2018): low < 5, intermediate 5 to 15 inclusive,
// high > 15 points.
enum class FrailtyBand : std::uint8_t { low, intermediate, high };
inline constexpr std::array<std::string_view, 3> kFrailtyBandNames{"low", "intermediate", "high"};

constexpr FrailtyBand frailty_band(std::int64_t units, std::int64_t units_per_point) {
  if (units < 5 * units_per_point) return FrailtyBand::low;
  if (units <= 15 * units_per_point) return FrailtyBand::intermediate;
  return FrailtyBand::high;
}

}  // namespace socialrx
