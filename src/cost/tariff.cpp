#include "socialrx/cost/tariff.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "socialrx/core/error.hpp"

namespace socialrx {

namespace {

using nlohmann::json;

[[noreturn]] void fail(std::string_view origin, const std::string& key, const std::string& why) {
  throw InputError(std::string(origin), key, kNoRow, why);
}

const json& member(const json& object, const char* key, std::string_view origin,
                   const std::string& path) {
  if (!object.is_object() || !object.contains(key)) fail(origin, path + key, "is required");
  return object.at(key);
}

std::string text_member(const json& object, const char* key, std::string_view origin,
                        const std::string& path = "") {
  const json& value = member(object, key, origin, path);
  if (!value.is_string()) fail(origin, path + key, "must be a string");
  return value.get<std::string>();
}

UnitCost parse_unit_cost(const json& entry, std::string_view origin, const std::string& path) {
  const json& pence = member(entry, "pence", origin, path);
  if (!pence.is_number_integer()) fail(origin, path + "pence", "must be a whole number of pence");
  if (pence.get<std::int64_t>() < 0) fail(origin, path + "pence", "must not be negative");
  return {pence.get<std::int64_t>(), text_member(entry, "source", origin, path)};
}

void parse_uprating(const json& document, std::string_view origin, Tariff& tariff) {
  if (!document.contains("uprating")) return;
  const json& uprating = document.at("uprating");
  tariff.uprating_source = text_member(uprating, "source", origin, "uprating.");
  const json& index = member(uprating, "index", origin, "uprating.");
  if (!index.is_object()) fail(origin, "uprating.index", "must map price years to numbers");
  for (const auto& [year, value] : index.items()) {
    if (!value.is_number() || !(value.get<double>() > 0))
      fail(origin, "uprating.index." + year, "must be a positive number");
    tariff.uprating_index.emplace(year, value.get<double>());
  }
}

}  // namespace

Tariff tariff_from_json(std::string_view text, std::string_view origin) {
  json document;
  try {
    document = json::parse(text);
  } catch (const json::parse_error& error) {
    fail(origin, "", std::string("malformed JSON: ") + error.what());
  }
  Tariff tariff;
  tariff.name = text_member(document, "name", origin);
  tariff.price_year = text_member(document, "price_year", origin);
  const json& costs = member(document, "unit_costs", origin, "");
  if (!costs.is_object()) fail(origin, "unit_costs", "must map event kinds to unit costs");
  for (const auto& [kind_name, entry] : costs.items()) {
    const auto kind = event_kind_from_name(kind_name);
    if (!kind) fail(origin, "unit_costs." + kind_name, "is not an event kind");
    tariff.unit_costs[static_cast<std::size_t>(*kind)] =
        parse_unit_cost(entry, origin, "unit_costs." + kind_name + ".");
  }
  parse_uprating(document, origin, tariff);
  return tariff;
}

Tariff reprice(const Tariff& tariff, std::string_view to_year) {
  auto index_of = [&](std::string_view year) {
    const auto found = tariff.uprating_index.find(year);
    if (found == tariff.uprating_index.end())
      fail(tariff.name, "uprating.index", "has no index for price year " + std::string(year));
    return static_cast<long double>(found->second);
  };
  const long double factor = index_of(to_year) / index_of(tariff.price_year);
  Tariff repriced = tariff;
  repriced.price_year = std::string(to_year);
  for (auto& cost : repriced.unit_costs)
    if (cost) cost->pence = std::llroundl(static_cast<long double>(cost->pence) * factor);
  return repriced;
}

}  // namespace socialrx
