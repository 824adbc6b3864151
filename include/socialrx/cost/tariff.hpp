#pragma once
// Unit costs per event kind, in pence at one price year, with an index to reprice them.
//
// JSON: {"name": "...", "price_year": "2023/24",
//        "unit_costs": {"ae_attendance": {"pence": 14000, "source": "..."}, ...},
//        "uprating": {"source": "...", "index": {"2022/23": 96.3, "2023/24": 100.0}}}
#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "socialrx/core/money.hpp"
#include "socialrx/model/event_kinds.hpp"

namespace socialrx {

struct UnitCost {
  Pence pence = 0;
  std::string source;
};

struct Tariff {
  std::string name;
  std::string price_year;  // NHS financial year, "2023/24"
  std::array<std::optional<UnitCost>, kEventKinds> unit_costs;
  std::string uprating_source;
  std::map<std::string, double, std::less<>> uprating_index;  // price year -> index

  const std::optional<UnitCost>& unit_cost(EventKind kind) const {
    return unit_costs[static_cast<std::size_t>(kind)];
  }
};

// InputError naming `origin` and the offending key for anything malformed.
Tariff tariff_from_json(std::string_view text, std::string_view origin = "tariff");

// The same tariff at another price year: pence x index(to) / index(from), rounded half away
// from zero. Both years must be in the tariff's uprating index.
Tariff reprice(const Tariff& tariff, std::string_view to_year);

}  // namespace socialrx
