#pragma once
// NHS numbers read in place from Arrow columns: checked (ten digits, Modulus 11) and, with a
// key, turned into keyed pseudonyms, HMAC-SHA256 over the ten digits as ASCII; the first eight
// bytes of the digest, big-endian with the top bit cleared, make a positive int64. Each
// distinct number is hashed once. The key is read during the call and kept nowhere.
#include <cstddef>
#include <cstdint>
#include <span>

namespace socialrx {

// Arrow's validity bitmap: row i is present when bit (offset + i) is set, least significant bit
// first; no bitmap means every row is present.
struct Validity {
  std::span<const std::uint8_t> bits;
  std::size_t offset = 0;

  bool present(std::size_t row) const {
    if (bits.empty()) return true;
    const std::size_t bit = offset + row;
    return (bits[bit >> 3] >> (bit & 7)) & 1;
  }
};

// A chunk of an Arrow text column (string: int32 offsets, large_string: int64): row i is
// data[offsets[i], offsets[i + 1]), so offsets has one entry more than the rows and starts at
// the chunk's own offset. Spaces, tabs, line breaks and hyphens in the text are ignored.
template <class Offset>
struct NhsText {
  std::span<const Offset> offsets;
  std::span<const char> data;
  Validity validity;
};

// A chunk of an int64 column: a number outside 0 .. 9,999,999,999 is not an NHS number.
struct NhsIntegers {
  std::span<const std::int64_t> numbers;
  Validity validity;
};

// Whether each row of the chunks, in order, is a valid NHS number (missing: not).
template <class Chunk>
void check_nhs_numbers(std::span<const Chunk> chunks, std::span<bool> valid, unsigned threads = 0);

// As check_nhs_numbers, and each valid row's pseudonym under `key` (0 where not valid).
// Identical for any thread count.
template <class Chunk>
void pseudonymise_nhs_numbers(std::span<const Chunk> chunks, std::span<const std::uint8_t> key,
                              std::span<std::int64_t> pseudonyms, std::span<bool> valid,
                              unsigned threads = 0);

}  // namespace socialrx
