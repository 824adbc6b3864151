#pragma once
// Reference data compiled into the library (data/ in the source tree).
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace socialrx {

// Keyed by path under data/, e.g. "frameworks/dudley7.json".
const std::map<std::string, std::string_view, std::less<>>& embedded_files();

// The text of one embedded file; InputError naming the key when there is none.
std::string_view embedded_file(std::string_view key);

}  // namespace socialrx
