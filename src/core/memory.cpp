#include "detail/memory.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>

#include "socialrx/core/error.hpp"

namespace socialrx::detail {

namespace {

// A whole number of bytes from the start of a file's text ("max" or nothing: nullopt).
std::optional<std::uint64_t> bytes_in(const std::string& path) {
  std::ifstream file(path);
  std::uint64_t bytes = 0;
  if (file >> bytes) return bytes;
  return std::nullopt;
}

// The cgroup v2 directory of this process: "0::/path" in /proc/self/cgroup.
std::string cgroup_directory() {
  std::ifstream file("/proc/self/cgroup");
  for (std::string line; std::getline(file, line);)
    if (line.rfind("0::", 0) == 0) return "/sys/fs/cgroup" + line.substr(3);
  return "/sys/fs/cgroup";
}

std::optional<std::uint64_t> cgroup_room() {
  const std::string directory = cgroup_directory();
  const auto limit = bytes_in(directory + "/memory.max");  // "max" when unlimited
  if (!limit) return std::nullopt;
  const std::uint64_t used = bytes_in(directory + "/memory.current").value_or(0);
  return *limit > used ? *limit - used : 0;
}

std::optional<std::uint64_t> meminfo_available() {
  std::ifstream file("/proc/meminfo");
  for (std::string key; file >> key;) {
    std::uint64_t kilobytes = 0;
    if (!(file >> kilobytes)) return std::nullopt;
    if (key == "MemAvailable:") return kilobytes * 1024;
    file.ignore(64, '\n');
  }
  return std::nullopt;
}

std::optional<std::uint64_t> configured_limit() {
  const char* text = std::getenv("SOCIALRX_MEMORY_LIMIT_BYTES");
  if (text == nullptr || *text == '\0') return std::nullopt;
  char* end = nullptr;
  const std::uint64_t bytes = std::strtoull(text, &end, 10);
  return *end == '\0' ? std::optional(bytes) : std::nullopt;
}

// "512 bytes", "3.2 MB", "7516.2 MB": precise enough to compare, and to set a limit by.
std::string readable(std::uint64_t bytes) {
  if (bytes < 1'000'000) return std::to_string(bytes) + " bytes";
  const std::uint64_t tenths = (bytes + 50'000) / 100'000;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " MB";
}

}  // namespace

std::optional<std::uint64_t> available_memory() {
  std::optional<std::uint64_t> least;
  for (const auto& room : {cgroup_room(), meminfo_available(), configured_limit()})
    if (room) least = least ? std::min(*least, *room) : *room;
  return least;
}

void require_memory(const char* job, std::uint64_t bytes) {
  const auto available = available_memory();
  if (available && bytes > *available)
    throw NotEnoughMemory(std::string(job) + " needs about " + readable(bytes) +
                          " of memory, and " + readable(*available) + " is available");
}

}  // namespace socialrx::detail
