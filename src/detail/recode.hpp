#pragma once
// Category codes as pandas and Arrow hold them (indices into the column's own list of labels,
// -1 for missing) to our codes, through a table from the column's labels to ours.
#include <atomic>
#include <cstdint>
#include <span>
#include <type_traits>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "detail/cpu.hpp"
#include "detail/parallel.hpp"
#include "socialrx/core/columns.hpp"

namespace socialrx::detail {

inline constexpr std::uint8_t kUnmapped = 255;  // a label with no code of ours

// Arrow's int32 dictionary indices of up to 32 labels (an event kind column), 16 rows at a
// time: the table held in two registers, the unmapped rows marked as the scalar loop marks
// them. Returns the rows done (a multiple of 16); `bad` tells whether any was unmapped. A
// table lookup a row was 6% of counting a Dask task's events from Parquet.
inline constexpr std::size_t kVectorTable = 32;
#if defined(__x86_64__)
[[gnu::target("avx512f,avx512vl,avx512bw")]] inline std::size_t recode_avx512(
    const std::int32_t* codes, std::size_t rows, std::span<const std::uint8_t> ours,
    std::uint8_t* out, bool& bad) {
  alignas(64) std::int32_t table[kVectorTable];
  for (std::size_t i = 0; i < kVectorTable; ++i) table[i] = i < ours.size() ? ours[i] : kUnmapped;
  const __m512i low = _mm512_load_si512(table), high = _mm512_load_si512(table + 16);
  const __m512i size = _mm512_set1_epi32(static_cast<std::int32_t>(ours.size()));
  const __m512i unmapped = _mm512_set1_epi32(kUnmapped);
  __mmask16 any = 0;
  std::size_t row = 0;
  for (; row + 16 <= rows; row += 16) {
    const __m512i code = _mm512_loadu_si512(codes + row);
    const __mmask16 known = _mm512_cmplt_epu32_mask(code, size);  // -1: past the table
    const __m512i mapped =
        _mm512_mask_mov_epi32(unmapped, known, _mm512_permutex2var_epi32(low, code, high));
    any |= _mm512_cmpeq_epi32_mask(mapped, unmapped);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + row), _mm512_cvtepi32_epi8(mapped));
  }
  bad = any != 0;
  return row;
}
#endif

// out[row] = ours[codes[row]] for rows [begin, end); whether any row was unmapped.
template <class Code>
bool recode_rows(Column<Code> codes, std::span<const std::uint8_t> ours,
                 std::span<std::uint8_t> out, std::size_t begin, std::size_t end) {
  bool bad = false;
#if defined(__x86_64__)
  if constexpr (std::is_same_v<Code, std::int32_t>)
    if (ours.size() <= kVectorTable && has_avx512())
      begin += recode_avx512(codes.data() + begin, end - begin, ours, out.data() + begin, bad);
#endif
  for (std::size_t row = begin; row < end; ++row) {
    const auto code = static_cast<std::make_unsigned_t<Code>>(codes[row]);  // -1: past the table
    const std::uint8_t mapped = code < ours.size() ? ours[code] : kUnmapped;
    bad |= mapped == kUnmapped;
    out[row] = mapped;
  }
  return bad;
}

// out[row] = ours[codes[row]], in parallel. Returns the first row whose code is missing or
// maps to kUnmapped (its out value is then kUnmapped), or kNoRow when every row maps.
template <class Code>
std::int64_t recode(Column<Code> codes, std::span<const std::uint8_t> ours,
                    std::span<std::uint8_t> out, unsigned threads = 0) {
  if (out.size() != codes.size())
    throw std::invalid_argument("recode: output length differs from the codes'");
  std::atomic<bool> any_bad{false};
  for_each_chunk(codes.size(), 1 << 20, threads,
                 [&](std::size_t, std::size_t begin, std::size_t end) {
                   if (recode_rows(codes, ours, out, begin, end)) any_bad = true;
                 });
  if (!any_bad) return kNoRow;
  for (std::size_t row = 0; row < out.size(); ++row)
    if (out[row] == kUnmapped) return static_cast<std::int64_t>(row);
  return kNoRow;
}

}  // namespace socialrx::detail
