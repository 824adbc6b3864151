#pragma once
// Reading a JSON document of ours (tariff, outcome framework, code map, model) with errors
// that name the document and the key: "tariff.json.unit_costs.ae_attendance.pence: must be a
// whole number of pence". nlohmann's own exceptions never escape.
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
    } catch (const json::parse_error& error) {
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

  int whole(const json& object, const char* key, const std::string& path) const {
    const json& value = member(object, key, path);
    if (!value.is_number_integer()) fail(path + key, "must be a whole number");
    return value.get<int>();
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
