#pragma once
// SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) for keyed pseudonyms. HMAC keeps the hash
// states after the padded key's block (inner and outer), so a short message costs two
// compressions; those states are as secret as the key and are wiped when it goes.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace socialrx::detail {

using Sha256State = std::array<std::uint32_t, 8>;
using Sha256Digest = std::array<std::uint8_t, 32>;
inline constexpr std::size_t kSha256Block = 64;

// One block into the state (FIPS 180-4 6.2.2), by the processor's SHA extensions where it has
// them and the portable rounds otherwise: both give the same state.
void sha256_compress(Sha256State& state, const std::uint8_t* block);
void sha256_compress_portable(Sha256State& state, const std::uint8_t* block);
bool has_sha_extensions();
#if defined(__x86_64__)
void sha256_compress_extensions(Sha256State& state, const std::uint8_t* block);
#endif

Sha256Digest sha256(std::span<const std::uint8_t> message);

// Overwrites memory in a way the compiler may not drop as a dead store.
void wipe(void* memory, std::size_t bytes);

class HmacSha256 {
 public:
  explicit HmacSha256(std::span<const std::uint8_t> key);
  ~HmacSha256();
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;

  Sha256Digest digest(std::span<const std::uint8_t> message) const;

 private:
  Sha256State inner_{};
  Sha256State outer_{};
};

}  // namespace socialrx::detail
