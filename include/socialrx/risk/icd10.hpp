#pragma once
// ICD-10 codes as recorded ("F00.1", " f00.1 ", "G35X", "I21.0†") reduced to the undotted
// upper-case form the code lists use, without allocating: the comorbidity engines call this
// once per diagnosis row.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace socialrx::icd10 {

// Longer codes keep their first kMaxLength characters: no code list entry is that long, so
// matching is unaffected.
inline constexpr std::size_t kMaxLength = 15;

class Code {
 public:
  std::string_view view() const noexcept { return {chars_.data(), size_}; }
  // Empty after normalisation, or a marker a spreadsheet or data frame writes for a blank.
  bool missing() const noexcept;

 private:
  friend constexpr Code normalise(std::string_view recorded) noexcept;
  std::array<char, kMaxLength> chars_{};
  std::uint8_t size_ = 0;
};

namespace detail {
// Byte -> its upper-case form if an ASCII letter or digit, else 0 (dropped).
inline constexpr std::array<char, 256> kKept = [] {
  std::array<char, 256> kept{};
  for (int c = '0'; c <= '9'; ++c) kept[c] = static_cast<char>(c);
  for (int c = 'A'; c <= 'Z'; ++c) kept[c] = kept[c - 'A' + 'a'] = static_cast<char>(c);
  return kept;
}();
}  // namespace detail

// Keeps ASCII letters (upper-cased) and digits and drops everything else: dots, spaces,
// dagger and asterisk marks (in any encoding), dashes. Then drops trailing X padding beyond
// the three-character category (G35X -> G35, but X59 stays X59).
constexpr Code normalise(std::string_view recorded) noexcept {
  Code code;
  for (const char c : recorded) {
    const char kept = detail::kKept[static_cast<unsigned char>(c)];
    if (kept == 0 || code.size_ == kMaxLength) continue;
    code.chars_[code.size_++] = kept;
  }
  while (code.size_ > 3 && code.chars_[code.size_ - 1] == 'X') --code.size_;
  return code;
}

inline bool Code::missing() const noexcept {
  const std::string_view text = view();
  return text.empty() || text == "NA" || text == "NAN" || text == "NULL" || text == "NONE";
}

// The normalised text, empty for a missing code: for callers outside the hot loops.
std::string normalised(std::string_view recorded);

}  // namespace socialrx::icd10
