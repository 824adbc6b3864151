#pragma once
// What fewer (or more) events after the index date are worth: (pre - post) x unit cost,
// exact in pence, negative when use rose.
#include <optional>
#include <vector>

#include "socialrx/cost/tariff.hpp"
#include "socialrx/utilisation/windows.hpp"

namespace socialrx {

struct CostAvoidance {
  std::size_t windows = 0;
  std::int32_t groups = 1;
  std::vector<std::optional<Pence>> avoided;    // [window][group][kind]; nullopt: kind unpriced
  std::vector<EventKind> unpriced_with_events;  // kinds with events but no unit cost

  const std::optional<Pence>& at(std::size_t window, std::int32_t group, EventKind kind) const {
    return avoided[(window * groups + group) * kEventKinds + static_cast<std::size_t>(kind)];
  }
  // Sum over priced kinds.
  Pence total(std::size_t window, std::int32_t group) const;
  Pence total(std::size_t window) const;
};

CostAvoidance cost_avoidance(const UtilisationResult& utilisation, const Tariff& tariff);

// Gross avoidance, the service's cost and their difference are always reported apart.
struct NetSaving {
  Pence gross = 0;
  Pence service_cost = 0;
  Pence net = 0;
  std::int64_t patients = 0;
  std::optional<Pence> gross_per_patient;  // nullopt when there are no patients
  std::optional<Pence> net_per_patient;
};

NetSaving net_saving(Pence gross, Pence service_cost, std::int64_t patients);

}  // namespace socialrx
