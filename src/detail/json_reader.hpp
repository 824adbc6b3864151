#pragma once
// Reading a JSON document of ours (tariff, outcome framework, code map, model) with errors
// that name the document and the key: "tariff.json.unit_costs.ae_attendance.pence: must be a
// whole number of pence". nlohmann's own exceptions never escape.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "socialrx/core/error.hpp"

namespace socialrx::detail {

class JsonReader {
 public:
  using json = nlohmann::json;

  explicit JsonReader(std::string_view origin) : origin_(origin) {}

  json parse(std::string_view text) const {
    try {
      return json::parse(text);
    } catch (const json::exception& error) {  // a syntax error, or a number such as 1e400
      fail("", std::string("malformed JSON: ") + error.what());
    }
  }

  [[noreturn]] void fail(const std::string& key, const std::string& why) const {
    throw InputError(origin_, key, kNoRow, why);
  }

  // Keys are written path + key, path ending in "." ("scale." + "min").
  const json& member(const json& object, const char* key, const std::string& path) const {
    if (!object.is_object() || !object.contains(key)) fail(path + key, "is required");
    return object.at(key);
  }

  std::string text(const json& object, const char* key, const std::string& path) const {
    const json& value = member(object, key, path);
    if (!value.is_string()) fail(path + key, "must be a string");
    return value.get<std::string>();
  }

  // A value already in hand, named by its whole key.
  std::string text(const json& value, const std::string& key) const {
    if (!value.is_string()) fail(key, "must be a string");
    return value.get<std::string>();
  }

  std::string optional_text(const json& object, const char* key, const std::string& path) const {
    return object.contains(key) ? text(object, key, path) : std::string();
  }

  // A whole number in [lo, hi], read at full width: a value out of range is refused, never
  // wrapped into the range.
  std::int64_t whole(const json& value, const std::string& key, std::int64_t lo,
                     std::int64_t hi) const {
    const auto out_of_range = [&] {
      fail(key, "must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) +
                    ", got " + value.dump());
    };
    if (!value.is_number_integer()) out_of_range();
    // Ids and sums above 2^63 arrive unsigned: read as signed they would wrap negative.
    if (value.is_number_unsigned() &&
        value.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
      out_of_range();
    const auto number = value.get<std::int64_t>();
    if (number < lo || number > hi) out_of_range();
    return number;
  }

  std::int64_t whole(const json& object, const char* key, const std::string& path, std::int64_t lo,
                     std::int64_t hi) const {
    return whole(member(object, key, path), path + key, lo, hi);
  }

  std::optional<double> optional_number(const json& object, const char* key,
                                        const std::string& path) const {
    if (!object.contains(key)) return std::nullopt;
    const json& value = object.at(key);
    if (!value.is_number()) fail(path + key, "must be a number");
    return value.get<double>();
  }

  const json& array(const json& object, const char* key, const std::string& path) const {
    const json& value = member(object, key, path);
    if (!value.is_array() || value.empty()) fail(path + key, "must be a non-empty list");
    return value;
  }

 private:
  std::string origin_;
};

}  // namespace socialrx::detail
