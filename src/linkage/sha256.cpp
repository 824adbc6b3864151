// SHA-256 written from FIPS 180-4 (sections 4.1.2, 4.2.2, 5.1.1, 5.3.3, 6.2) and HMAC from
// RFC 2104; the SHA extensions' path follows Intel's description of SHA256RNDS2, SHA256MSG1
// and SHA256MSG2.
#include "linkage/sha256.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace socialrx::detail {
namespace {

// The first 32 bits of the fractional parts of the cube roots of the first 64 primes (4.2.2).
constexpr std::array<std::uint32_t, 64> kRound = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

// The first 32 bits of the fractional parts of the square roots of the first 8 primes (5.3.3).
constexpr Sha256State kInitial = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

constexpr std::uint8_t kInnerPad = 0x36, kOuterPad = 0x5c;

std::uint32_t big_endian_word(const std::uint8_t* bytes) {
  return std::uint32_t{bytes[0]} << 24 | std::uint32_t{bytes[1]} << 16 |
         std::uint32_t{bytes[2]} << 8 | std::uint32_t{bytes[3]};
}

std::uint32_t big_endian(std::uint32_t word) {
  return std::endian::native == std::endian::big ? word : __builtin_bswap32(word);
}
std::uint64_t big_endian(std::uint64_t word) {
  return std::endian::native == std::endian::big ? word : __builtin_bswap64(word);
}

// Continues from `state`, which has taken `done` bytes in whole blocks, over `message`, then
// pads (5.1.1: a 1 bit, zeros, the length in bits as 64 bits big-endian) and returns the digest.
Sha256Digest finish(Sha256State state, std::uint64_t done, std::span<const std::uint8_t> message) {
  std::size_t at = 0;
  for (; message.size() - at >= kSha256Block; at += kSha256Block)
    sha256_compress(state, message.data() + at);
  std::array<std::uint8_t, 2 * kSha256Block> tail{};
  const std::size_t rest = message.size() - at;
  if (rest != 0) std::memcpy(tail.data(), message.data() + at, rest);
  tail[rest] = 0x80;
  const std::size_t blocks = rest + 9 <= kSha256Block ? 1 : 2;
  // Whole big-endian words, not bytes: the compression's loads then find them in one store.
  const std::uint64_t bits = big_endian((done + message.size()) * 8);
  std::memcpy(tail.data() + blocks * kSha256Block - sizeof bits, &bits, sizeof bits);
  for (std::size_t block = 0; block < blocks; ++block)
    sha256_compress(state, tail.data() + block * kSha256Block);
  wipe(tail.data(), tail.size());
  Sha256Digest digest;
  for (std::size_t word = 0; word < 8; ++word) {
    const std::uint32_t bytes = big_endian(state[word]);
    std::memcpy(digest.data() + 4 * word, &bytes, sizeof bytes);
  }
  wipe(state.data(), sizeof state);
  return digest;
}

}  // namespace

void wipe(void* memory, std::size_t bytes) {
  std::memset(memory, 0, bytes);
  // The memory is declared read here, so the stores above are not dead.
  asm volatile("" : : "r"(memory) : "memory");
}

void sha256_compress_portable(Sha256State& state, const std::uint8_t* block) {
  using std::rotr;
  std::array<std::uint32_t, 64> w;  // the message schedule (6.2.2 step 1)
  for (std::size_t t = 0; t < 16; ++t) w[t] = big_endian_word(block + 4 * t);
  for (std::size_t t = 16; t < 64; ++t) {
    const std::uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
    const std::uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
    w[t] = s1 + w[t - 7] + s0 + w[t - 16];
  }
  auto [a, b, c, d, e, f, g, h] = state;
  for (std::size_t t = 0; t < 64; ++t) {
    const std::uint32_t big_s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
    const std::uint32_t choose = (e & f) ^ (~e & g);
    const std::uint32_t t1 = h + big_s1 + choose + kRound[t] + w[t];
    const std::uint32_t big_s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
    const std::uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
    const std::uint32_t t2 = big_s0 + majority;
    h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
  }
  const Sha256State rounds = {a, b, c, d, e, f, g, h};
  for (std::size_t i = 0; i < 8; ++i) state[i] += rounds[i];
  wipe(w.data(), sizeof w);  // a key's block passes through here
}

#if defined(__x86_64__)
bool has_sha_extensions() {
  static const bool has = __builtin_cpu_supports("sha") && __builtin_cpu_supports("sse4.1");
  return has;
}

// SHA256RNDS2 does two rounds on the state split as (A, B, E, F) and (C, D, G, H), lanes
// from high to low, with W + K of the two rounds in the low lanes of its third operand.
[[gnu::target("sha,sse4.1")]] void sha256_compress_extensions(Sha256State& state,
                                                              const std::uint8_t* block) {
  // From A B C D | E F G H (lanes low to high): pairs swapped, B A D C | F E H G, then halves
  // joined, F E B A | H G D C.
  const __m128i badc =
      _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<__m128i*>(&state[0])), 0xB1);
  const __m128i fehg =
      _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<__m128i*>(&state[4])), 0xB1);
  __m128i abef = _mm_unpacklo_epi64(fehg, badc);
  __m128i cdgh = _mm_unpackhi_epi64(fehg, badc);
  const __m128i abef_before = abef, cdgh_before = cdgh;
  // Each 32-bit lane reversed: the message words are big-endian.
  const __m128i big_endian = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
  __m128i w[4];  // w[i % 4]: the schedule's words 4i .. 4i + 3, lane j = word 4i + j
  for (std::size_t i = 0; i < 4; ++i)
    w[i] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16 * i)),
                            big_endian);
  for (std::size_t i = 0; i < 16; ++i) {
    if (i >= 4) {  // words 4i.. from words 4i-16.., 4i-15.. (sigma0), 4i-7.. and 4i-2.. (sigma1)
      const __m128i sum = _mm_add_epi32(_mm_sha256msg1_epu32(w[i % 4], w[(i + 1) % 4]),
                                        _mm_alignr_epi8(w[(i + 3) % 4], w[(i + 2) % 4], 4));
      w[i % 4] = _mm_sha256msg2_epu32(sum, w[(i + 3) % 4]);
    }
    __m128i wk = _mm_add_epi32(
        w[i % 4], _mm_loadu_si128(reinterpret_cast<const __m128i*>(kRound.data() + 4 * i)));
    cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
    wk = _mm_shuffle_epi32(wk, 0x0E);  // the upper two lanes down, for the next two rounds
    abef = _mm_sha256rnds2_epu32(abef, cdgh, wk);
  }
  abef = _mm_add_epi32(abef, abef_before);
  cdgh = _mm_add_epi32(cdgh, cdgh_before);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(&state[0]),
                   _mm_shuffle_epi32(_mm_unpackhi_epi64(abef, cdgh), 0xB1));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(&state[4]),
                   _mm_shuffle_epi32(_mm_unpacklo_epi64(abef, cdgh), 0xB1));
}

void sha256_compress(Sha256State& state, const std::uint8_t* block) {
  if (has_sha_extensions()) return sha256_compress_extensions(state, block);
  sha256_compress_portable(state, block);
}
#else
bool has_sha_extensions() {
  return false;
}
void sha256_compress(Sha256State& state, const std::uint8_t* block) {
  sha256_compress_portable(state, block);
}
#endif

Sha256Digest sha256(std::span<const std::uint8_t> message) {
  return finish(kInitial, 0, message);
}

// RFC 2104: a key longer than a block is hashed first; the key, zero-padded to a block, is
// XORed with 0x36 for the inner hash and 0x5c for the outer.
HmacSha256::HmacSha256(std::span<const std::uint8_t> key) {
  Sha256Digest hashed{};
  if (key.size() > kSha256Block) {
    hashed = sha256(key);
    key = hashed;
  }
  std::array<std::uint8_t, kSha256Block> inner_block, outer_block;
  for (std::size_t i = 0; i < kSha256Block; ++i) {
    const std::uint8_t byte = i < key.size() ? key[i] : 0;
    inner_block[i] = byte ^ kInnerPad;
    outer_block[i] = byte ^ kOuterPad;
  }
  inner_ = kInitial;
  outer_ = kInitial;
  sha256_compress(inner_, inner_block.data());
  sha256_compress(outer_, outer_block.data());
  wipe(hashed.data(), hashed.size());
  wipe(inner_block.data(), inner_block.size());
  wipe(outer_block.data(), outer_block.size());
}

HmacSha256::~HmacSha256() {
  wipe(inner_.data(), sizeof inner_);
  wipe(outer_.data(), sizeof outer_);
}

Sha256Digest HmacSha256::digest(std::span<const std::uint8_t> message) const {
  const Sha256Digest inner = finish(inner_, kSha256Block, message);
  return finish(outer_, kSha256Block, inner);
}

}  // namespace socialrx::detail
