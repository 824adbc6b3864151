#include "socialrx/cost/avoidance.hpp"

#include "detail/checked.hpp"
#include "socialrx/core/error.hpp"

namespace socialrx {

namespace {

// Each cell fits int64 (cost_avoidance checks it); their sum need not.
const detail::Origin kTotal{"cost_avoidance", "total"};

}  // namespace

Pence CostAvoidance::total(std::size_t window, std::int32_t group) const {
  __int128 sum = 0;
  for (std::size_t k = 0; k < kEventKinds; ++k)
    if (const auto& pence = at(window, group, static_cast<EventKind>(k))) sum += *pence;
  return detail::checked_narrow(sum, kTotal);
}

Pence CostAvoidance::total(std::size_t window) const {
  __int128 sum = 0;
  for (std::int32_t group = 0; group < groups; ++group) sum += total(window, group);
  return detail::checked_narrow(sum, kTotal);
}

CostAvoidance cost_avoidance(const UtilisationResult& utilisation, const Tariff& tariff) {
  CostAvoidance result;
  result.windows = utilisation.windows.size();
  result.groups = utilisation.groups;
  result.avoided.resize(result.windows * result.groups * kEventKinds);
  std::array<bool, kEventKinds> has_events{};
  for (std::size_t w = 0; w < result.windows; ++w)
    for (std::int32_t g = 0; g < result.groups; ++g)
      for (std::size_t k = 0; k < kEventKinds; ++k) {
        const auto kind = static_cast<EventKind>(k);
        const std::int64_t pre = utilisation.count(w, g, kind, Side::pre);
        const std::int64_t post = utilisation.count(w, g, kind, Side::post);
        has_events[k] = has_events[k] || pre != 0 || post != 0;
        if (const auto& unit = tariff.unit_cost(kind))
          result.avoided[(w * result.groups + g) * kEventKinds + k] =
              detail::checked_mul(pre - post, unit->pence, {"tariff", kEventKindNames[k]});
      }
  for (std::size_t k = 0; k < kEventKinds; ++k)
    if (has_events[k] && !tariff.unit_costs[k])
      result.unpriced_with_events.push_back(static_cast<EventKind>(k));
  return result;
}

NetSaving net_saving(Pence gross, Pence service_cost, std::int64_t patients) {
  if (service_cost < 0)
    throw InputError("net_saving", "service_cost_pence", kNoRow, "must not be negative");
  if (patients < 0) throw InputError("net_saving", "patients", kNoRow, "must not be negative");
  NetSaving saving{gross,
                   service_cost,
                   detail::checked_sub(gross, service_cost, {"net_saving", "service_cost_pence"}),
                   patients,
                   {},
                   {}};
  if (patients > 0) {
    saving.gross_per_patient = divide_rounded(gross, patients);
    saving.net_per_patient = divide_rounded(saving.net, patients);
  }
  return saving;
}

}  // namespace socialrx
