#include "socialrx/core/embedded.hpp"

#include "socialrx/core/error.hpp"

namespace socialrx {

std::string_view embedded_file(std::string_view key) {
  const auto& files = embedded_files();
  if (const auto found = files.find(key); found != files.end()) return found->second;
  std::string known;
  for (const auto& [name, text] : files) known += (known.empty() ? "" : ", ") + name;
  throw InputError("embedded data", "", kNoRow,
                   "no file '" + std::string(key) + "' (have: " + known + ")");
}

}  // namespace socialrx
