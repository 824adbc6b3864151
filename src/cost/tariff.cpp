#include "socialrx/cost/tariff.hpp"

#include <cmath>

#include "detail/json_reader.hpp"

namespace socialrx {

namespace {

using detail::JsonReader;
using json = JsonReader::json;

UnitCost parse_unit_cost(const JsonReader& in, const json& entry, const std::string& path) {
  return {in.whole(entry, "pence", path, 0, INT64_MAX), in.text(entry, "source", path)};
}

void parse_uprating(const JsonReader& in, const json& document, Tariff& tariff) {
  if (!document.contains("uprating")) return;
  const json& uprating = document.at("uprating");
  tariff.uprating_source = in.text(uprating, "source", "uprating.");
  const json& index = in.member(uprating, "index", "uprating.");
  if (!index.is_object()) in.fail("uprating.index", "must map price years to numbers");
  for (const auto& [year, value] : index.items()) {
    if (!value.is_number() || !(value.get<double>() > 0))
      in.fail("uprating.index." + year, "must be a positive number");
    tariff.uprating_index.emplace(year, value.get<double>());
  }
}

}  // namespace

Tariff tariff_from_json(std::string_view text, std::string_view origin) {
  const JsonReader in(origin);
  const json document = in.parse(text);
  Tariff tariff;
  tariff.name = in.text(document, "name", "");
  tariff.price_year = in.text(document, "price_year", "");
  const json& costs = in.member(document, "unit_costs", "");
  if (!costs.is_object()) in.fail("unit_costs", "must map event kinds to unit costs");
  for (const auto& [kind_name, entry] : costs.items()) {
    const auto kind = event_kind_from_name(kind_name);
    if (!kind) in.fail("unit_costs." + kind_name, "is not an event kind");
    tariff.unit_costs[static_cast<std::size_t>(*kind)] =
        parse_unit_cost(in, entry, "unit_costs." + kind_name + ".");
  }
  parse_uprating(in, document, tariff);
  return tariff;
}

Tariff reprice(const Tariff& tariff, std::string_view to_year) {
  auto index_of = [&](std::string_view year) {
    const auto found = tariff.uprating_index.find(year);
    if (found == tariff.uprating_index.end())
      JsonReader(tariff.name)
          .fail("uprating.index", "has no index for price year " + std::string(year));
    return static_cast<long double>(found->second);
  };
  const long double factor = index_of(to_year) / index_of(tariff.price_year);
  Tariff repriced = tariff;
  repriced.price_year = std::string(to_year);
  for (std::size_t k = 0; k < kEventKinds; ++k) {
    auto& cost = repriced.unit_costs[k];
    if (!cost) continue;
    const long double pence = std::roundl(static_cast<long double>(cost->pence) * factor);
    // 2^63 is exact in long double; anything at or above it has no int64.
    if (!(pence < 0x1p63L))
      JsonReader(tariff.name)
          .fail("unit_costs." + std::string(kEventKindNames[k]) + ".pence",
                "repriced to " + std::string(to_year) + " it does not fit in 64 bits");
    cost->pence = static_cast<Pence>(pence);
  }
  return repriced;
}

}  // namespace socialrx
