#include "socialrx/model/support.hpp"

#include <algorithm>
#include <string>

#include "detail/checked.hpp"
#include "detail/id_index.hpp"
#include "socialrx/core/error.hpp"

namespace socialrx {

namespace {

constexpr const char* kTable = "interventions";

[[noreturn]] void bad_row(const char* column, std::size_t row, const std::string& problem) {
  throw InputError(kTable, column, static_cast<std::int64_t>(row), problem);
}

void validate(const InterventionsView& in, const SupportClients& clients,
              const SupportOptions& options) {
  const std::size_t rows = in.rows();
  require_rows(kTable, "date", in.date, rows);
  require_rows(kTable, "kind", in.kind, rows);
  require_rows(kTable, "organisation", in.organisation, rows);
  require_rows(kTable, "sector", in.sector, rows);
  require_rows(kTable, "cost_pence", in.cost_pence, rows);
  require_rows("clients", "index_date", clients.index_date, clients.rows());
  require_rows_if_given("clients", "discharge_date", clients.discharge_date, clients.rows());
  require_rows_if_given("clients", "group", clients.group, clients.rows());
  if (clients.groups < 1) throw InputError("clients", "group", kNoRow, "at least one group");
  if (options.organisations < 0)
    throw InputError(kTable, "organisation", kNoRow, "a negative number of organisations");
  if (options.phb_cap_pence < 0)
    throw InputError("support", "phb_cap_pence", kNoRow, "the cap must be >= 0 pence");

  for (std::size_t row = 0; row < clients.group.size(); ++row)
    if (clients.group[row] < 0 || clients.group[row] >= clients.groups)
      throw InputError("clients", "group", static_cast<std::int64_t>(row),
                       "group code " + std::to_string(clients.group[row]) + " outside 0.." +
                           std::to_string(clients.groups - 1));
  for (std::size_t row = 0; row < clients.discharge_date.size(); ++row) {
    const Days index = clients.index_date[row], discharge = clients.discharge_date[row];
    if (index != kNoDate && discharge != kNoDate && discharge < index)
      throw InputError("clients", "discharge_date", static_cast<std::int64_t>(row),
                       "discharge " + format_iso_date(discharge) + " is before index date " +
                           format_iso_date(index));
  }

  const auto client_count = static_cast<std::int64_t>(clients.rows());
  for (std::size_t row = 0; row < rows; ++row) {
    const std::int32_t client = in.client[row];
    if (client < 0 || client >= client_count)
      bad_row("client_id", row, "client row " + std::to_string(client) + " is in no clients table");
    const Days date = in.date[row];
    if (date == kNoDate) bad_row("date", row, "missing date");
    if (date < clients.referral_date[client])
      bad_row("date", row,
              "dated " + format_iso_date(date) + ", before the client's referral on " +
                  format_iso_date(clients.referral_date[client]));
    if (in.kind[row] >= kInterventionKinds)
      bad_row("kind", row, "unknown kind code " + std::to_string(in.kind[row]));
    const std::int32_t organisation = in.organisation[row];
    if (organisation != kNoOrganisation &&
        (organisation < 0 || organisation >= options.organisations))
      bad_row("organisation", row, "unknown organisation code " + std::to_string(organisation));
    const std::uint8_t sector = in.sector[row];
    if (sector != kNoSector && sector >= kSectors)
      bad_row("sector", row, "unknown sector code " + std::to_string(sector));
    if (in.kind[row] == static_cast<std::uint8_t>(InterventionKind::outward_referral)) {
      if (organisation == kNoOrganisation)
        bad_row("organisation", row, "an outward referral needs the organisation referred to");
      if (sector == kNoSector)
        bad_row("sector", row, "an outward referral needs the sector referred to");
    }
    if (in.cost_pence[row] < 0)
      bad_row("cost_pence", row, "negative cost " + std::to_string(in.cost_pence[row]));
  }
}

}  // namespace

SupportSummary summarise_support(const InterventionsView& in, const SupportClients& clients,
                                 const SupportOptions& options) {
  validate(in, clients, options);
  const std::size_t n = clients.rows();
  const auto group_of = [&](std::int32_t client) {
    return clients.group.empty() ? 0 : static_cast<std::size_t>(clients.group[client]);
  };
  const auto groups = static_cast<std::size_t>(clients.groups);
  const auto organisations = static_cast<std::size_t>(options.organisations);

  SupportSummary out;
  out.groups = clients.groups;
  out.organisations = options.organisations;
  out.contacts.assign(n, 0);
  out.phb_pence.assign(n, 0);
  out.referrals_by_organisation.assign(groups * organisations, 0);
  out.referrals_by_sector.assign(groups * kSectors, 0);
  out.interventions_by_kind.assign(groups * kInterventionKinds, 0);
  out.clients_by_kind.assign(groups * kInterventionKinds, 0);
  out.pence_by_kind.assign(groups * kInterventionKinds, 0);
  std::vector<std::uint16_t> kinds_seen(n, 0);  // bit k: the client had an intervention of kind k
  std::vector<Days> last(n, kNoDate);

  for (std::size_t row = 0; row < in.rows(); ++row) {
    const std::int32_t client = in.client[row];
    const std::size_t kind = in.kind[row];
    const std::size_t cell = group_of(client) * kInterventionKinds + kind;
    const detail::Origin cost{kTable, "cost_pence", static_cast<std::int64_t>(row)};
    ++out.interventions_by_kind[cell];
    out.pence_by_kind[cell] =
        detail::checked_add(out.pence_by_kind[cell], in.cost_pence[row], cost);
    kinds_seen[client] |= static_cast<std::uint16_t>(1u << kind);
    last[client] = std::max(last[client], in.date[row]);
    switch (static_cast<InterventionKind>(kind)) {
      case InterventionKind::contact_phone:
      case InterventionKind::contact_visit:
        ++out.contacts[client];
        break;
      case InterventionKind::outward_referral:
        ++out.referrals_by_organisation[group_of(client) * organisations + in.organisation[row]];
        ++out.referrals_by_sector[group_of(client) * kSectors + in.sector[row]];
        break;
      case InterventionKind::personal_health_budget:
        out.phb_pence[client] =
            detail::checked_add(out.phb_pence[client], in.cost_pence[row], cost);
        break;
      default:
        break;
    }
  }

  out.length_days.assign(n, kNoLength);
  out.support_end.assign(n, SupportEnd::not_connected);
  for (std::size_t client = 0; client < n; ++client) {
    for (std::size_t kind = 0; kind < kInterventionKinds; ++kind)
      out.clients_by_kind[group_of(static_cast<std::int32_t>(client)) * kInterventionKinds +
                          kind] += kinds_seen[client] >> kind & 1u;
    if (out.phb_pence[client] > options.phb_cap_pence)
      out.phb_breaches.push_back(static_cast<std::int32_t>(client));
    const Days index = clients.index_date[client];
    if (index == kNoDate) continue;
    const Days discharge =
        clients.discharge_date.empty() ? kNoDate : clients.discharge_date[client];
    if (discharge != kNoDate) {
      out.support_end[client] = SupportEnd::discharged;
      out.length_days[client] = discharge - index;
    } else if (last[client] != kNoDate && last[client] >= index) {
      out.support_end[client] = SupportEnd::last_intervention;
      out.length_days[client] = last[client] - index;
    } else {
      out.support_end[client] = SupportEnd::no_support_recorded;
    }
  }
  return out;
}

std::vector<std::int32_t> client_rows(Column<std::int64_t> clients_id,
                                      Column<std::int64_t> client_id, const char* table) {
  const detail::IdIndex clients("clients", "client_id", clients_id);
  std::vector<std::int32_t> rows(client_id.size());
  for (std::size_t row = 0; row < client_id.size(); ++row) {
    rows[row] = clients.find(client_id[row]);
    if (rows[row] == detail::IdIndex::kAbsent)
      throw InputError(table, "client_id", static_cast<std::int64_t>(row),
                       "client id " + std::to_string(client_id[row]) + " is in no clients table");
  }
  return rows;
}

}  // namespace socialrx
