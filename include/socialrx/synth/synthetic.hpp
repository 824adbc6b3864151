#pragma once
// A synthetic social prescribing service with a known true effect: clients, a comparison pool
// of non-referred patients, their health-service use, and the service's own records
// (assessments, interventions, feedback).
//
// Clients are referred *because* their recent use was high: each person has a persistent rate
// (gamma frailty) and a transient shock per half-year, and clients have a crisis in the year
// before referral that fades afterwards. With true_effect = 0 their use still falls after the
// index date (regression to the mean); a true effect e removes a share e of every kind of event
// of connected clients in the 12 months after index. Some comparison patients have a crisis of
// their own around a random date, so that matching can find high users to compare with.
//
// Output is a pure function of the config: the same seed gives the same tables for any thread
// count (each person draws from their own counter-based random streams, and people are
// generated in fixed chunks that are concatenated in order).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "socialrx/core/dates.hpp"
#include "socialrx/core/money.hpp"
#include "socialrx/model/event_kinds.hpp"

namespace socialrx {

// Labels of the categorical columns: a column holds the position of its label here.
namespace synth {

inline constexpr std::array<std::string_view, 2> kSexes{"female", "male"};
inline constexpr std::array<std::string_view, 5> kLocalities{
    "Brierley Hill", "Dudley and Netherton", "Halesowen", "Stourbridge",
    "Sedgley, Coseley and Gornal"};
inline constexpr std::array<std::string_view, 5> kReferralSources{"gp", "mdt", "mental_health",
                                                                  "self", "other"};
// Bit r of a client's referral_reasons is set when referred for kReferralReasons[r].
inline constexpr std::array<std::string_view, 8> kReferralReasons{"isolation",
                                                                  "long_term_condition",
                                                                  "depression_anxiety",
                                                                  "finance",
                                                                  "housing",
                                                                  "carer",
                                                                  "bereavement",
                                                                  "other"};
inline constexpr std::array<std::string_view, 4> kStatuses{"referred", "connected", "declined",
                                                           "unable_to_contact"};
inline constexpr std::array<std::string_view, 3> kTimepoints{"baseline", "review", "final"};
inline constexpr std::array<std::string_view, 3> kInstruments{"dudley7", "swemwbs", "ons4"};

// Items of every instrument in one list: dudley7 (0..14, "<domain>.<indicator>", the first
// indicator of each domain improves most), swemwbs (15..21), ons4 (22..25).
inline constexpr std::array<std::string_view, 26> kItems{"finance.enough_money",
                                                         "finance.manage_debts",
                                                         "finance.claiming_benefits",
                                                         "physical_health.long_term_conditions",
                                                         "physical_health.active",
                                                         "mental_health.optimistic",
                                                         "mental_health.coping",
                                                         "social_contact.face_to_face",
                                                         "social_contact.not_lonely",
                                                         "housing.keep_up_rent",
                                                         "housing.home_suitable",
                                                         "safety.people_to_contact",
                                                         "safety.safe_at_home",
                                                         "learning.happy_retirement",
                                                         "learning.learning_new",
                                                         "q1",
                                                         "q2",
                                                         "q3",
                                                         "q4",
                                                         "q5",
                                                         "q6",
                                                         "q7",
                                                         "life_satisfaction",
                                                         "worthwhile",
                                                         "happiness",
                                                         "anxiety"};
inline constexpr std::uint8_t kFirstSwemwbsItem = 15;
inline constexpr std::uint8_t kFirstOns4Item = 22;

// The seven dudley7 domains and where their indicators start in kItems (one past the end last).
inline constexpr std::array<std::string_view, 7> kDomains{
    "finance", "physical_health", "mental_health", "social_contact",
    "housing", "safety",          "learning"};
inline constexpr std::array<std::uint8_t, 8> kDomainFirstItem{0, 3, 5, 7, 9, 11, 13, 15};

inline constexpr std::array<std::string_view, 9> kInterventionKinds{
    "contact_phone", "contact_visit", "accompanied_activity",   "outward_referral", "group",
    "grant",         "voucher",       "personal_health_budget", "spot_purchase"};
inline constexpr std::array<std::string_view, 4> kSectors{"voluntary", "statutory", "private",
                                                          "community"};
inline constexpr std::array<std::string_view, 3> kImpacts{"none", "some", "significant"};

inline constexpr std::int32_t kPractices = 43;
inline constexpr std::int64_t kFirstClientId = 1;
inline constexpr std::int64_t kFirstComparisonId = 10'000'000;
inline constexpr Pence kPersonalHealthBudgetCap = 10'000;  // pence per client

}  // namespace synth

struct SyntheticConfig {
  std::int64_t n_clients = 3000;
  std::int64_t n_comparison = 30000;
  std::uint64_t seed = 1;
  double true_effect = 0.0;  // share of connected clients' events removed in 12 months after index
  Days data_start = days_from_civil(2019, 4, 1);
  Days data_end = days_from_civil(2025, 3, 31);
  unsigned threads = 0;        // 0: all hardware threads; the output does not depend on it
  double connect_rate = 0.72;  // share of referrals that connect (get an index date)
};

// The model the tables were drawn from, so that estimates can be checked against it.
struct SyntheticTruth {
  double true_effect = 0.0;
  Days effect_days = 365;  // (index, index + effect_days] is affected
  // Per person-year at frailty 1, age 55 and decile 5.5 (bed days: with emergency admissions).
  std::array<double, kEventKinds> annual_rate{};
  double mean_bed_days = 0.0;  // per emergency admission
  double client_frailty_shape = 0.0, client_frailty_mean = 0.0;
  double comparison_frailty_shape = 0.0, comparison_frailty_mean = 0.0;
  Days shock_period_days = 0;  // one log-normal shock per period
  double shock_sigma = 0.0;
  double crisis_log_mean = 0.0;          // added to log rates in the year before the anchor
  std::array<double, 2> crisis_fade{};   // share of the crisis left in the two periods after
  double comparison_crisis_share = 0.0;  // comparison patients with a crisis of their own
  double connect_rate = 0.0;
};

struct SyntheticClients {
  std::vector<std::int64_t> client_id;
  std::vector<Days> referral_date;
  std::vector<Days> index_date;      // kNoDate: never connected
  std::vector<Days> discharge_date;  // kNoDate: never connected or still supported at data_end
  std::vector<std::int32_t> birth_year;
  std::vector<std::uint8_t> sex;                 // synth::kSexes
  std::vector<std::int32_t> practice;            // SyntheticService::practices
  std::vector<std::int32_t> locality;            // synth::kLocalities
  std::vector<std::uint8_t> referral_source;     // synth::kReferralSources
  std::vector<std::uint64_t> referral_reasons;   // bit set over synth::kReferralReasons
  std::vector<std::uint8_t> carer;               // 0 / 1
  std::vector<std::uint8_t> status;              // synth::kStatuses
  std::vector<std::int32_t> deprivation_decile;  // 1 = most deprived
};

struct SyntheticComparison {
  std::vector<std::int64_t> patient_id;
  std::vector<std::int32_t> birth_year;
  std::vector<std::uint8_t> sex;
  std::vector<std::int32_t> practice;
  std::vector<std::int32_t> locality;
  std::vector<std::int32_t> deprivation_decile;
};

// Not sorted by person or date.
struct SyntheticEvents {
  std::vector<std::int64_t> person_id;
  std::vector<Days> date;
  std::vector<std::uint8_t> kind;  // EventKind
};

struct SyntheticAssessments {
  std::vector<std::int64_t> client_id;
  std::vector<Days> date;
  std::vector<std::uint8_t> timepoint;   // synth::kTimepoints
  std::vector<std::uint8_t> instrument;  // synth::kInstruments
  std::vector<std::uint8_t> item;        // synth::kItems
  std::vector<double> value;
};

struct SyntheticInterventions {
  std::vector<std::int64_t> client_id;
  std::vector<Days> date;
  std::vector<std::uint8_t> kind;          // synth::kInterventionKinds
  std::vector<std::int32_t> organisation;  // SyntheticService::organisations
  std::vector<std::uint8_t> sector;        // synth::kSectors
  std::vector<Pence> cost_pence;
};

struct SyntheticFeedback {
  std::vector<std::int64_t> client_id;
  std::vector<Days> date;
  std::vector<std::uint8_t> stars;                  // 1..5
  std::vector<std::uint8_t> impact;                 // synth::kImpacts
  std::vector<std::uint8_t> connected_to_services;  // 0 / 1
};

// A table's columns with their names, in table order: the one list for code that treats every
// column alike (joining the generator's chunks, handing the tables to Python).
template <class Column>
struct NamedColumn {
  const char* name;
  Column& column;
};
template <class Column>
NamedColumn<Column> named(const char* name, Column& column) {
  return {name, column};
}
inline auto named_columns(SyntheticClients& t) {
  return std::tuple{named("client_id", t.client_id),
                    named("referral_date", t.referral_date),
                    named("index_date", t.index_date),
                    named("discharge_date", t.discharge_date),
                    named("birth_year", t.birth_year),
                    named("sex", t.sex),
                    named("practice", t.practice),
                    named("locality", t.locality),
                    named("referral_source", t.referral_source),
                    named("referral_reasons", t.referral_reasons),
                    named("carer", t.carer),
                    named("status", t.status),
                    named("deprivation_decile", t.deprivation_decile)};
}
inline auto named_columns(SyntheticComparison& t) {
  return std::tuple{named("patient_id", t.patient_id),
                    named("birth_year", t.birth_year),
                    named("sex", t.sex),
                    named("practice", t.practice),
                    named("locality", t.locality),
                    named("deprivation_decile", t.deprivation_decile)};
}
inline auto named_columns(SyntheticEvents& t) {
  return std::tuple{named("person_id", t.person_id), named("date", t.date), named("kind", t.kind)};
}
inline auto named_columns(SyntheticAssessments& t) {
  return std::tuple{named("client_id", t.client_id), named("date", t.date),
                    named("timepoint", t.timepoint), named("instrument", t.instrument),
                    named("item", t.item),           named("value", t.value)};
}
inline auto named_columns(SyntheticInterventions& t) {
  return std::tuple{named("client_id", t.client_id), named("date", t.date),
                    named("kind", t.kind),           named("organisation", t.organisation),
                    named("sector", t.sector),       named("cost_pence", t.cost_pence)};
}
inline auto named_columns(SyntheticFeedback& t) {
  return std::tuple{named("client_id", t.client_id), named("date", t.date), named("stars", t.stars),
                    named("impact", t.impact),
                    named("connected_to_services", t.connected_to_services)};
}

// Every generated table (the generator builds one per chunk of people, then joins them).
struct SyntheticTables {
  SyntheticClients clients;
  SyntheticComparison comparison;
  SyntheticEvents events;
  SyntheticAssessments assessments;
  SyntheticInterventions interventions;
  SyntheticFeedback feedback;
};

struct SyntheticService : SyntheticTables {
  SyntheticConfig config;
  SyntheticTruth truth;
  std::vector<std::string> practices;           // "P81001".."P81043"
  std::vector<std::int32_t> practice_locality;  // [practice] -> synth::kLocalities
  std::vector<std::string> organisations;
  std::vector<std::uint8_t> organisation_sector;  // [organisation] -> synth::kSectors
};

// InputError for a config that cannot be generated (negative sizes, true_effect outside
// [0, 1), data_end before data_start, ...).
void validate(const SyntheticConfig& config);

SyntheticService generate_service(const SyntheticConfig& config);

}  // namespace socialrx
