#include "socialrx/linkage/nhs_numbers.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>
#include <vector>

#include "detail/parallel.hpp"
#include "linkage/sha256.hpp"
#include "socialrx/core/error.hpp"

namespace socialrx {
namespace detail {
namespace {

constexpr std::int64_t kNotValid = -1;
constexpr std::size_t kRowsPerChunk = std::size_t{1} << 16;
constexpr std::size_t kDigestsPerChunk = std::size_t{1} << 11;
constexpr int kDigits = 10;

// Modulus 11: the digits weighted 10, 9, ..., 2 and the check digit c satisfy
// c = 11 - (sum mod 11) (11 read as 0, 10: no valid number). Since 11 - w = -i (mod 11) for
// the weight w of the i-th digit, that is: the digits weighted 1, 2, ..., 10, check digit
// included, sum to a multiple of 11.
constexpr bool check_digit_holds(int weighted) {
  return weighted % 11 == 0;
}

constexpr std::uint64_t kBytes = 0x0101'0101'0101'0101;

// Whether the eight bytes of `word` are all ASCII digits: each has high nibble 3, and adding 6
// to its low nibble does not carry into it (0-9, not A-F).
constexpr bool all_digits(std::uint64_t word) {
  constexpr std::uint64_t high = 0xF0 * kBytes;
  return (word & high) == 0x30 * kBytes && ((word + 0x06 * kBytes) & high) == 0x30 * kBytes;
}

constexpr std::int64_t kNotTenDigits = -2;

// Text of exactly ten digits, eight at a time in one word (the first digit in the lowest
// byte: little-endian only); kNotTenDigits when the text holds anything else, to be read byte
// by byte.
std::int64_t ten_digits(const char* text) {
  std::uint64_t word;
  std::memcpy(&word, text, sizeof word);
  const auto ninth = static_cast<unsigned>(static_cast<unsigned char>(text[8]) - '0');
  const auto tenth = static_cast<unsigned>(static_cast<unsigned char>(text[9]) - '0');
  if (!all_digits(word) || ninth > 9 || tenth > 9) return kNotTenDigits;
  const std::uint64_t digits = word - 0x30 * kBytes;
  // Pairs, fours, then all eight: each step joins neighbouring lanes as high * base + low.
  std::uint64_t value = (digits * (10 * 256 + 1) >> 8) & 0x00FF'00FF'00FF'00FF;
  value = (value * (100 * 65'536 + 1) >> 16) & 0x0000'FFFF'0000'FFFF;
  value = value * (10'000 * (std::uint64_t{1} << 32) + 1) >> 32;
  // The check sum's weights 1..8 over the first eight digits: even and odd digits each in a
  // 16-bit lane, multiplied by their weights in reverse lane order so that the top lane
  // collects the sum (at most 9 * 20, no carry between lanes).
  constexpr std::uint64_t lanes = 0x00FF'00FF'00FF'00FF;
  const std::uint64_t odd_weights = 7 | 5ull << 16 | 3ull << 32 | 1ull << 48;
  const std::uint64_t even_weights = 8 | 6ull << 16 | 4ull << 32 | 2ull << 48;
  const auto weighted =
      static_cast<int>(((digits & lanes) * odd_weights >> 48) +
                       (((digits >> 8) & lanes) * even_weights >> 48) + 9 * ninth + 10 * tenth);
  const auto number = static_cast<std::int64_t>(value * 100 + ninth * 10 + tenth);
  return check_digit_holds(weighted) ? number : kNotValid;
}

// What the text reads by the rule of linkage.py: ten ASCII digits once spaces, tabs, line
// breaks and hyphens are dropped; the number when its check digit holds, kNotValid otherwise.
std::int64_t text_number(const char* text, const char* end) {
  if (std::endian::native == std::endian::little && end - text == kDigits) {
    const std::int64_t number = ten_digits(text);
    if (number != kNotTenDigits) return number;
  }
  std::int64_t number = 0;
  int digits = 0, weighted = 0;
  for (; text != end; ++text) {
    const auto byte = static_cast<unsigned char>(*text);
    const unsigned digit = byte - unsigned{'0'};
    if (digit < 10) {
      if (++digits > kDigits) return kNotValid;
      number = number * 10 + digit;
      weighted += digits * static_cast<int>(digit);
    } else if (byte != ' ' && byte != '-' && byte != '\t' && byte != '\n' && byte != '\r' &&
               byte != '\f') {
      return kNotValid;
    }
  }
  return digits == kDigits && check_digit_holds(weighted) ? number : kNotValid;
}

std::int64_t integer_number(std::int64_t number) {
  if (number < 0 || number > 9'999'999'999) return kNotValid;
  int weighted = 0;
  std::int64_t rest = number;
  for (int weight = kDigits; weight >= 1; --weight, rest /= 10)
    weighted += weight * static_cast<int>(rest % 10);
  return check_digit_holds(weighted) ? number : kNotValid;
}

template <class Offset>
std::size_t rows_of(const NhsText<Offset>& chunk) {
  return chunk.offsets.empty() ? 0 : chunk.offsets.size() - 1;
}
std::size_t rows_of(const NhsIntegers& chunk) {
  return chunk.numbers.size();
}

template <class Offset>
std::int64_t number_at(const NhsText<Offset>& chunk, std::size_t row) {
  const Offset begin = chunk.offsets[row], end = chunk.offsets[row + 1];
  if (begin < 0 || end < begin || static_cast<std::size_t>(end) > chunk.data.size())
    throw InputError("NHS numbers", "offsets", kNoRow, "text offsets outside the data buffer");
  return text_number(chunk.data.data() + begin, chunk.data.data() + end);
}
std::int64_t number_at(const NhsIntegers& chunk, std::size_t row) {
  return integer_number(chunk.numbers[row]);
}

// Rows of all chunks numbered on from one chunk to the next.
template <class Chunk>
class Rows {
 public:
  explicit Rows(std::span<const Chunk> chunks) : chunks_(chunks), starts_{0} {
    for (const Chunk& chunk : chunks) {
      const std::size_t rows = rows_of(chunk);
      const auto& bits = chunk.validity.bits;
      if (!bits.empty() && bits.size() * 8 < chunk.validity.offset + rows)
        throw InputError("NHS numbers", "validity", kNoRow, "bitmap shorter than its rows");
      starts_.push_back(starts_.back() + rows);
    }
  }

  std::size_t size() const { return starts_.back(); }

  // Calls row_number(row, number) for every row in [begin, end) with its valid number,
  // kNotValid where there is none.
  template <class Sink>
  void numbers(std::size_t begin, std::size_t end, Sink&& row_number) const {
    auto part = static_cast<std::size_t>(std::upper_bound(starts_.begin(), starts_.end(), begin) -
                                         starts_.begin() - 1);
    for (std::size_t row = begin; row < end; ++part) {
      const Chunk& chunk = chunks_[part];
      const std::size_t stop = std::min(end, starts_[part + 1]);
      for (std::size_t local = row - starts_[part]; row < stop; ++row, ++local)
        row_number(row, chunk.validity.present(local) ? number_at(chunk, local) : kNotValid);
    }
  }

 private:
  std::span<const Chunk> chunks_;
  std::vector<std::size_t> starts_;
};

template <class Chunk>
void valid_numbers(const Rows<Chunk>& rows, std::span<std::int64_t> numbers, unsigned threads) {
  for_each_chunk(
      rows.size(), kRowsPerChunk, threads, [&](std::size_t, std::size_t begin, std::size_t end) {
        rows.numbers(begin, end,
                     [&](std::size_t row, std::int64_t number) { numbers[row] = number; });
      });
}

// Distinct numbers (34 bits: below 10^10) by open addressing, each with its position in order
// of first appearance (30 bits: there are fewer than 10^9 valid NHS numbers), in one word.
class DistinctNumbers {
 public:
  DistinctNumbers() { resize(std::size_t{1} << 12); }

  // Replaces each number by its position among the distinct ones (kNotValid stays).
  void positions(std::span<std::int64_t> numbers) {
    constexpr std::size_t kAhead = 16;  // rows whose slots are fetched before they are needed
    Table table = view();  // in registers: the stores to the rows would make members reload
    for (std::size_t row = 0; row < numbers.size(); ++row) {
      if (row + kAhead < numbers.size())
        __builtin_prefetch(table.slots + table.slot_of(numbers[row + kAhead]));
      const std::int64_t number = numbers[row];
      if (number == kNotValid) continue;
      std::int64_t at = table.find(number);
      if (at == kNotValid) {
        at = add(number);
        table = view();
      }
      numbers[row] = at;
    }
  }

  const std::vector<std::int64_t>& in_order() const { return in_order_; }

 private:
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};
  static constexpr int kNumberBits = 34;

  struct Table {
    std::uint64_t* slots;
    std::size_t mask;
    int shift;

    std::size_t slot_of(std::int64_t number) const {
      return static_cast<std::size_t>(
          (static_cast<std::uint64_t>(number) * 0x9E3779B97F4A7C15ull) >> shift);
    }

    std::int64_t find(std::int64_t number) const {
      for (std::size_t slot = slot_of(number);; slot = (slot + 1) & mask) {
        const std::uint64_t entry = slots[slot];
        if (entry == kEmpty) return kNotValid;
        if ((entry & ((std::uint64_t{1} << kNumberBits) - 1)) == static_cast<std::uint64_t>(number))
          return static_cast<std::int64_t>(entry >> kNumberBits);
      }
    }

    void place(std::int64_t number, std::uint64_t at) const {
      std::size_t slot = slot_of(number);
      while (slots[slot] != kEmpty) slot = (slot + 1) & mask;
      slots[slot] = at << kNumberBits | static_cast<std::uint64_t>(number);
    }
  };

  Table view() { return {slots_.data(), slots_.size() - 1, shift_}; }

  std::int64_t add(std::int64_t number) {
    const auto at = static_cast<std::int64_t>(in_order_.size());
    in_order_.push_back(number);
    if (2 * in_order_.size() > slots_.size())
      resize(2 * slots_.size());
    else
      view().place(number, static_cast<std::uint64_t>(at));
    return at;
  }

  void resize(std::size_t size) {
    slots_.assign(size, kEmpty);
    shift_ = 64 - std::countr_zero(size);
    const Table table = view();
    for (std::size_t at = 0; at < in_order_.size(); ++at) table.place(in_order_[at], at);
  }

  std::vector<std::uint64_t> slots_;
  std::vector<std::int64_t> in_order_;
  int shift_ = 64;
};

// The pseudonym of a valid number: its ten digits as ASCII through the HMAC, the digest's
// first eight bytes big-endian with the top bit cleared.
std::int64_t pseudonym(const HmacSha256& hmac, std::int64_t number) {
  std::array<std::uint8_t, kDigits> text;
  for (int at = kDigits - 1; at >= 0; --at, number /= 10)
    text[static_cast<std::size_t>(at)] = static_cast<std::uint8_t>('0' + number % 10);
  const Sha256Digest digest = hmac.digest(text);
  std::uint64_t first = 0;
  for (std::size_t byte = 0; byte < 8; ++byte) first = first << 8 | digest[byte];
  return static_cast<std::int64_t>(first & ~(std::uint64_t{1} << 63));
}

void require_outputs(std::size_t rows, std::size_t valid, std::size_t pseudonyms) {
  if (valid != rows || pseudonyms != rows)
    throw InputError("NHS numbers", "", kNoRow,
                     "outputs of " + std::to_string(valid) + " and " + std::to_string(pseudonyms) +
                         " rows for " + std::to_string(rows) + " rows");
}

}  // namespace
}  // namespace detail

template <class Chunk>
void check_nhs_numbers(std::span<const Chunk> chunks, std::span<bool> valid, unsigned threads) {
  const detail::Rows<Chunk> rows(chunks);
  detail::require_outputs(rows.size(), valid.size(), rows.size());
  detail::for_each_chunk(rows.size(), detail::kRowsPerChunk, threads,
                         [&](std::size_t, std::size_t begin, std::size_t end) {
                           rows.numbers(begin, end, [&](std::size_t row, std::int64_t number) {
                             valid[row] = number != detail::kNotValid;
                           });
                         });
}

template <class Chunk>
void pseudonymise_nhs_numbers(std::span<const Chunk> chunks, std::span<const std::uint8_t> key,
                              std::span<std::int64_t> pseudonyms, std::span<bool> valid,
                              unsigned threads) {
  const detail::HmacSha256 hmac(key);
  const detail::Rows<Chunk> rows(chunks);
  detail::require_outputs(rows.size(), valid.size(), pseudonyms.size());
  // Each row's number, then its position among the distinct numbers, in the output itself.
  detail::valid_numbers(rows, pseudonyms, threads);
  detail::DistinctNumbers distinct;
  distinct.positions(pseudonyms);
  // Hashed once per distinct number (a patient has many rows; the digest is the costly part).
  const std::vector<std::int64_t>& numbers = distinct.in_order();
  std::vector<std::int64_t> of_distinct(numbers.size() + 1, 0);  // the last: not valid
  detail::for_each_chunk(numbers.size(), detail::kDigestsPerChunk, threads,
                         [&](std::size_t, std::size_t begin, std::size_t end) {
                           for (std::size_t at = begin; at < end; ++at)
                             of_distinct[at] = detail::pseudonym(hmac, numbers[at]);
                         });
  const auto none = static_cast<std::int64_t>(numbers.size());
  detail::for_each_chunk(
      pseudonyms.size(), detail::kRowsPerChunk, threads,
      [&](std::size_t, std::size_t begin, std::size_t end) {
        for (std::size_t row = begin; row < end; ++row) {
          const std::int64_t at = pseudonyms[row];
          valid[row] = at != detail::kNotValid;
          pseudonyms[row] =
              of_distinct[static_cast<std::size_t>(at == detail::kNotValid ? none : at)];
        }
      });
}

template void check_nhs_numbers(std::span<const NhsText<std::int32_t>>, std::span<bool>, unsigned);
template void check_nhs_numbers(std::span<const NhsText<std::int64_t>>, std::span<bool>, unsigned);
template void check_nhs_numbers(std::span<const NhsIntegers>, std::span<bool>, unsigned);
template void pseudonymise_nhs_numbers(std::span<const NhsText<std::int32_t>>,
                                       std::span<const std::uint8_t>, std::span<std::int64_t>,
                                       std::span<bool>, unsigned);
template void pseudonymise_nhs_numbers(std::span<const NhsText<std::int64_t>>,
                                       std::span<const std::uint8_t>, std::span<std::int64_t>,
                                       std::span<bool>, unsigned);
template void pseudonymise_nhs_numbers(std::span<const NhsIntegers>, std::span<const std::uint8_t>,
                                       std::span<std::int64_t>, std::span<bool>, unsigned);

}  // namespace socialrx
