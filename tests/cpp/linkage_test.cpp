#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "linkage/sha256.hpp"
#include "socialrx/core/error.hpp"
#include "socialrx/linkage/nhs_numbers.hpp"

namespace {

using socialrx::NhsIntegers;
using socialrx::NhsText;
using socialrx::detail::HmacSha256;
using socialrx::detail::sha256;

std::span<const std::uint8_t> bytes_of(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string hex(std::span<const std::uint8_t> bytes) {
  std::string out;
  for (std::uint8_t byte : bytes) {
    char pair[3];
    std::snprintf(pair, sizeof pair, "%02x", byte);
    out += pair;
  }
  return out;
}

// The examples of FIPS 180-4's example document (NIST, SHA256.pdf): "abc", the 448-bit
// message that pads into two blocks, and a million 'a's; the empty message's digest and a
// 112-byte message (two blocks of data) agree with Python's hashlib.
TEST(Sha256, NistExamples) {
  EXPECT_EQ(hex(sha256(bytes_of("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(sha256(bytes_of(""))),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex(sha256(bytes_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hex(sha256(bytes_of(std::string(1'000'000, 'a')))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(hex(sha256(bytes_of("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                                "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"))),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha256, ExtensionsGiveThePortableState) {
#if defined(__x86_64__)
  if (!socialrx::detail::has_sha_extensions()) GTEST_SKIP() << "no SHA extensions";
  std::mt19937_64 random(7);
  for (int trial = 0; trial < 1000; ++trial) {
    std::array<std::uint8_t, 64> block;
    for (auto& byte : block) byte = static_cast<std::uint8_t>(random());
    socialrx::detail::Sha256State portable, extensions;
    for (auto& word : portable) word = static_cast<std::uint32_t>(random());
    extensions = portable;
    socialrx::detail::sha256_compress_portable(portable, block.data());
    socialrx::detail::sha256_compress_extensions(extensions, block.data());
    ASSERT_EQ(portable, extensions) << "trial " << trial;
  }
#else
  GTEST_SKIP() << "not x86-64";
#endif
}

std::string hmac_hex(const std::string& key, const std::string& message) {
  const HmacSha256 hmac(bytes_of(key));
  return hex(hmac.digest(bytes_of(message)));
}

// RFC 4231 section 4, HMAC-SHA-256 of test cases 1-4, 6 and 7 (5 truncates the output).
TEST(HmacSha256, Rfc4231) {
  EXPECT_EQ(hmac_hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hmac_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hmac_hex(std::string(20, '\xaa'), std::string(50, '\xdd')),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  std::string key4;
  for (char byte = 1; byte <= 25; ++byte) key4 += byte;
  EXPECT_EQ(hmac_hex(key4, std::string(50, '\xcd')),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  const std::string long_key(131, '\xaa');
  EXPECT_EQ(hmac_hex(long_key, "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(hmac_hex(long_key,
                     "This is a test using a larger than block-size key and a larger than "
                     "block-size data. The key needs to be hashed before being used by the HMAC "
                     "algorithm."),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

// Strings laid out as Arrow lays out a string column.
template <class Offset = std::int32_t>
struct TextColumn {
  std::vector<Offset> offsets{0};
  std::string data;
  explicit TextColumn(const std::vector<std::string>& rows) {
    for (const std::string& row : rows) {
      data += row;
      offsets.push_back(static_cast<Offset>(data.size()));
    }
  }
  NhsText<Offset> chunk(socialrx::Validity validity = {}) const {
    return {offsets, {data.data(), data.size()}, validity};
  }
};

template <class Chunk>
std::vector<bool> checked(const std::vector<Chunk>& chunks, std::size_t rows) {
  std::unique_ptr<bool[]> valid(new bool[rows]);
  socialrx::check_nhs_numbers<Chunk>(chunks, {valid.get(), rows});
  return std::vector<bool>(valid.get(), valid.get() + rows);
}

// 943 476 591 weighted 10..2: 90+36+24+28+42+30+20+27+2 = 299 = 27 * 11 + 2, check 11 - 2 = 9.
// 401 023 213: 40+0+8+0+12+15+8+3+6 = 92 = 8 * 11 + 4, check 7. 123 456 789: 210 = 19 * 11 + 1,
// check 10, so no number starts so. 000 000 000: 0, check 11, read as 0.
TEST(NhsNumbers, CheckDigitAndLayout) {
  const TextColumn text({"9434765919", "943 476 5919", "943-476-5919", "\t9434765919\r\n",
                         "9434765918", "1234567890", "1234567899", "0000000000", "4010232137",
                         "943476591", "94347659190", "\v9434765919", "9434765919.", ""});
  EXPECT_EQ(checked(std::vector{text.chunk()}, 14),
            (std::vector<bool>{true, true, true, true, false, false, false, true, true, false,
                               false, false, false, false}));
  const TextColumn<std::int64_t> large({"9434765919", "9434765918"});
  EXPECT_EQ(checked(std::vector{large.chunk()}, 2), (std::vector<bool>{true, false}));
  const std::vector<std::int64_t> numbers = {9434765919,  4010232137,  9434765918,
                                             -9434765919, 99434765919, 0};
  EXPECT_EQ(checked(std::vector{NhsIntegers{numbers, {}}}, 6),
            (std::vector<bool>{true, true, false, false, false, true}));
}

// Arrow's bitmap, least significant bit first, read from bit 3 (a slice starting at row 3):
// 0b1011'0000 leaves rows 0 and 3 of the slice missing.
TEST(NhsNumbers, ValidityBitmapWithOffset) {
  const TextColumn text({"9434765919", "9434765919", "9434765919", "9434765919", "9434765919"});
  const std::vector<std::uint8_t> bits = {0b1011'0000};
  EXPECT_EQ(checked(std::vector{text.chunk({bits, 3})}, 5),
            (std::vector<bool>{false, true, true, false, true}));
}

TEST(NhsNumbers, OffsetsOutsideTheDataAreRefused) {
  TextColumn text({"9434765919"});
  text.offsets[1] = 11;
  EXPECT_THROW(checked(std::vector{text.chunk()}, 1), socialrx::InputError);
}

template <class Chunk>
std::vector<std::int64_t> pseudonyms_of(const std::vector<Chunk>& chunks, std::size_t rows,
                                        const std::vector<std::uint8_t>& key, unsigned threads) {
  std::vector<std::int64_t> out(rows);
  std::unique_ptr<bool[]> valid(new bool[rows]);
  socialrx::pseudonymise_nhs_numbers<Chunk>(chunks, key, out, {valid.get(), rows}, threads);
  return out;
}

// The pseudonym of 9434765919 under the key 0, 1, ..., 31, by Python's hmac module:
// int.from_bytes(hmac.digest(key, b"9434765919", "sha256")[:8], "big") & (2**63 - 1).
TEST(NhsNumbers, PseudonymAsPythonsHmacGivesIt) {
  std::vector<std::uint8_t> key(32);
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i);
  constexpr std::int64_t kExpected = 6727357698015352332;
  const TextColumn text({"943 476 5919", "9434765918", "9434765919"});
  EXPECT_EQ(pseudonyms_of(std::vector{text.chunk()}, 3, key, 1),
            (std::vector<std::int64_t>{kExpected, 0, kExpected}));
  const std::vector<std::int64_t> numbers = {9434765919};
  EXPECT_EQ(pseudonyms_of(std::vector{NhsIntegers{numbers, {}}}, 1, key, 1),
            std::vector<std::int64_t>{kExpected});
}

// Many rows over several chunks, numbers repeated: the same pseudonyms for any thread count,
// each the digest of its own row's number (the once-per-number hashing changes nothing).
TEST(NhsNumbers, SameForAnyThreadCountAndAsRowByRow) {
  std::mt19937_64 random(11);
  std::vector<std::int64_t> people(5'000);
  for (auto& person : people) person = static_cast<std::int64_t>(random() % 10'000'000'000);
  std::vector<std::int64_t> rows(300'000);
  for (auto& row : rows) row = people[random() % people.size()];
  const std::vector<std::uint8_t> key(40, 0x5a);
  const std::vector<NhsIntegers> chunks = {{std::span(rows).first(1'000), {}},
                                           {std::span(rows).subspan(1'000, 0), {}},
                                           {std::span(rows).subspan(1'000), {}}};
  const auto one = pseudonyms_of(chunks, rows.size(), key, 1);
  EXPECT_EQ(pseudonyms_of(chunks, rows.size(), key, 3), one);
  EXPECT_EQ(pseudonyms_of(chunks, rows.size(), key, 0), one);
  const HmacSha256 hmac(key);
  std::size_t valid = 0;
  for (std::size_t row = 0; row < rows.size(); row += 997) {
    if (checked(std::vector{NhsIntegers{std::span(rows).subspan(row, 1), {}}}, 1)[0]) {
      char text[11];
      std::snprintf(text, sizeof text, "%010lld", static_cast<long long>(rows[row]));
      const auto digest = hmac.digest(bytes_of(text));
      std::uint64_t first = 0;
      for (std::size_t byte = 0; byte < 8; ++byte) first = first << 8 | digest[byte];
      EXPECT_EQ(one[row], static_cast<std::int64_t>(first & ~(std::uint64_t{1} << 63)))
          << "row " << row;
      ++valid;
    } else {
      EXPECT_EQ(one[row], 0) << "row " << row;
    }
  }
  EXPECT_GT(valid, 10u);  // about 1 in 11 random numbers has a valid check digit
}

}  // namespace
