#pragma once
// Support given to clients: contacts, length of support, outward referrals by organisation and
// sector, spend by kind in exact pence, and personal health budgets against a per-client cap.
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "socialrx/core/columns.hpp"
#include "socialrx/core/dates.hpp"
#include "socialrx/core/money.hpp"

namespace socialrx {

enum class InterventionKind : std::uint8_t {
  contact_phone,
  contact_visit,
  accompanied_activity,
  outward_referral,
  group,
  grant,
  voucher,
  personal_health_budget,
  spot_purchase,
  // Pandemic-era support (seed 004): volunteers' deliveries, food bank referrals, befriending
  // and helpline calls.
  food_delivery,
  medication_delivery,
  food_bank_referral,
  befriending_call,
  helpline_call,
};
inline constexpr std::size_t kInterventionKinds = 14;
inline constexpr std::array<std::string_view, kInterventionKinds> kInterventionKindNames{
    "contact_phone",
    "contact_visit",
    "accompanied_activity",
    "outward_referral",
    "group",
    "grant",
    "voucher",
    "personal_health_budget",
    "spot_purchase",
    "food_delivery",
    "medication_delivery",
    "food_bank_referral",
    "befriending_call",
    "helpline_call"};

enum class Sector : std::uint8_t { voluntary, statutory, private_, community };
inline constexpr std::size_t kSectors = 4;
inline constexpr std::array<std::string_view, kSectors> kSectorNames{"voluntary", "statutory",
                                                                     "private", "community"};

// Organisation and sector may be missing on any kind but an outward referral, which must say
// where the client was referred to.
inline constexpr std::uint8_t kNoSector = 255;
inline constexpr std::int32_t kNoOrganisation = -1;

inline constexpr Pence kPersonalHealthBudgetCap = 10'000;  // £100 per client (the seed service)
inline constexpr Days kSixMonths = 183;                    // window_days_from_months(6)

struct InterventionsView {
  Column<std::int32_t> client;  // the client's row in the clients table
  Column<Days> date;
  Column<std::uint8_t> kind;          // an InterventionKind
  Column<std::int32_t> organisation;  // 0..organisations-1, or kNoOrganisation
  Column<std::uint8_t> sector;        // a Sector, or kNoSector
  Column<Pence> cost_pence;           // >= 0

  std::size_t rows() const { return client.size(); }
};

// The clients columns support needs, and an optional grouping of them (reporting period by
// index date, practice, ...): every per-group figure is over the clients in that group.
struct SupportClients {
  Column<Days> referral_date;
  Column<Days> index_date;      // kNoDate: never connected
  Column<Days> discharge_date;  // optional: empty, or kNoDate while support goes on
  Column<std::int32_t> group;   // optional: empty puts every client in group 0
  std::int32_t groups = 1;

  std::size_t rows() const { return referral_date.size(); }
};

// How a client's length of support was measured.
enum class SupportEnd : std::uint8_t {
  not_connected,        // no index date: no length
  discharged,           // discharge date - index date
  last_intervention,    // not discharged: last intervention dated on or after index - index date
  no_support_recorded,  // connected, not discharged, nothing on or after the index date: no length
};
inline constexpr std::size_t kSupportEnds = 4;
inline constexpr std::array<std::string_view, kSupportEnds> kSupportEndNames{
    "not_connected", "discharged", "last_intervention", "no_support_recorded"};
inline constexpr Days kNoLength = -1;

struct SupportOptions {
  std::int32_t organisations = 0;  // organisation codes run 0..organisations-1
  Pence phb_cap_pence = kPersonalHealthBudgetCap;
};

struct SupportSummary {
  std::int32_t groups = 1;
  std::int32_t organisations = 0;
  // Per client row.
  std::vector<std::int64_t> contacts;  // contact_phone + contact_visit, on any date
  std::vector<Days> length_days;       // kNoLength where support_end has no length
  std::vector<SupportEnd> support_end;
  std::vector<Pence> phb_pence;            // personal health budget spend
  std::vector<std::int32_t> phb_breaches;  // client rows with phb_pence > cap, ascending
  // Outward referrals: [group][organisation] and [group][sector].
  std::vector<std::int64_t> referrals_by_organisation;
  std::vector<std::int64_t> referrals_by_sector;
  // Spend: [group][kind]: interventions, distinct clients, and their cost.
  std::vector<std::int64_t> interventions_by_kind;
  std::vector<std::int64_t> clients_by_kind;
  std::vector<Pence> pence_by_kind;
};

// Checks every row first: unknown client rows, interventions dated before the client's
// referral, unknown kinds, organisations and sectors, an outward referral without both, and
// negative costs are InputErrors naming table "interventions", the column and the row; a
// discharge before the index date names "clients".
SupportSummary summarise_support(const InterventionsView& interventions,
                                 const SupportClients& clients, const SupportOptions& options);

// The row in clients_id (the clients table's ids) of each id; a repeated id in clients_id is
// an InputError naming clients.client_id, an id in no clients table one naming
// `table`.client_id and the row.
std::vector<std::int32_t> client_rows(Column<std::int64_t> clients_id,
                                      Column<std::int64_t> client_id, const char* table);

}  // namespace socialrx
