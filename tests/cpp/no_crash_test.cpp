// Inputs a fuzzer found to crash, wrap or allocate without bound: each now gives the right
// answer or an InputError naming where the bad value is.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "detail/id_index.hpp"
#include "socialrx/cost/avoidance.hpp"
#include "socialrx/evaluate/did.hpp"
#include "socialrx/evaluate/matching.hpp"
#include "socialrx/model/disclosure.hpp"
#include "socialrx/model/framework.hpp"
#include "socialrx/model/support.hpp"
#include "socialrx/risk/model.hpp"
#include "socialrx/synth/synthetic.hpp"
#include "socialrx/utilisation/windows.hpp"

namespace socialrx {
namespace {

constexpr std::int64_t kLowest = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kHighest = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kTwoTo62 = std::int64_t{1} << 62;
constexpr auto kAE = static_cast<std::uint8_t>(EventKind::ae_attendance);

template <class Call>
std::string input_error(Call&& call) {
  try {
    call();
  } catch (const InputError& error) {
    return error.what();
  }
  return "no error";
}

// --- ids at both ends of int64 --------------------------------------------------------------

struct ExtremeIds {
  std::vector<std::int64_t> client_id{kLowest, kHighest};
  std::vector<Days> referral{990, 990};
  std::vector<Days> index{1000, 1000};
  std::vector<std::int64_t> other{0};
  std::vector<std::int64_t> person{kLowest, kHighest, kHighest, 0};
  std::vector<Days> date{900, 1100, 1101, 900};
  std::vector<std::uint8_t> kind{kAE, kAE, kAE, kAE};

  UtilisationRequest request(bool per_person) const {
    UtilisationRequest r;
    r.clients = {client_id, referral, index, {}};
    r.events = {person, date, kind};
    r.other_ids = other;
    r.data_start = 0;
    r.data_end = 2000;
    r.windows = {183};
    r.per_person = per_person;
    r.threads = 1;
    return r;
  }
};

TEST(NoCrash, IdsFromInt64MinToMaxAreCounted) {
  const UtilisationResult result = count_utilisation(ExtremeIds().request(false));
  EXPECT_EQ(result.count(0, 0, EventKind::ae_attendance, Side::pre), 1);
  EXPECT_EQ(result.count(0, 0, EventKind::ae_attendance, Side::post), 2);
  EXPECT_EQ(result.events_of_other_people, 1);
}

TEST(NoCrash, IdsFromInt64MinToMaxAreCountedPerPerson) {
  const UtilisationResult result = count_utilisation(ExtremeIds().request(true));
  EXPECT_EQ(result.count(0, 0, EventKind::ae_attendance, Side::pre), 1);  // person 0: INT64_MIN
  EXPECT_EQ(result.count(0, 1, EventKind::ae_attendance, Side::post), 2);
}

TEST(NoCrash, ClientIdInt64MaxBeforeAnotherIdIsCounted) {
  // The check that client ids run in row order must not compute INT64_MAX + 1.
  ExtremeIds ids;
  ids.client_id = {kHighest, 5};
  ids.person = {kHighest, 5, 5, 0};
  const UtilisationResult result = count_utilisation(ids.request(false));
  EXPECT_EQ(result.count(0, 0, EventKind::ae_attendance, Side::pre), 1);
  EXPECT_EQ(result.count(0, 0, EventKind::ae_attendance, Side::post), 2);
}

TEST(NoCrash, DataRangeBeyond1900To2100IsRefused) {
  // The plan keeps a byte per day of the range: a range of a million years would be gigabytes.
  const ExtremeIds ids;  // the request's columns point into it
  UtilisationRequest r = ids.request(false);
  r.data_end = r.data_start + 73'415;
  r.windows = {889'089'290};
  EXPECT_NE(input_error([&] { count_utilisation(r); }).find("longer than 73414 days"),
            std::string::npos);
  r.data_end = r.data_start + 73'414;
  EXPECT_EQ(input_error([&] { count_utilisation(r); }), "no error");
}

TEST(NoCrash, IdIndexFindsBothEndsOfInt64) {
  const std::vector<std::int64_t> ids{kHighest, 7, kLowest};
  const detail::IdIndex index("clients", "client_id", ids);
  EXPECT_EQ(index.find(kLowest), 2);
  EXPECT_EQ(index.find(kHighest), 0);
  EXPECT_EQ(index.find(8), detail::IdIndex::kAbsent);
}

// --- JSON numbers -----------------------------------------------------------------------------

std::string framework_with_scale(const std::string& min, const std::string& max) {
  return R"({"id": "fw", "name": "F", "kind": "domains", "scale": {"min": )" + min +
         R"(, "max": )" + max + R"(}, "rule": "worst",
    "thresholds": [{"id": "not_managing", "max": 0}, {"id": "managing", "min": 2}],
    "domains": [{"id": "d", "name": "D", "indicators": [{"id": "i", "text": "I"}]}]})";
}

TEST(NoCrash, ScaleBoundsAreRangeChecked) {
  const auto load = [](const std::string& min, const std::string& max) {
    return input_error([&] { framework_from_json(framework_with_scale(min, max), "fw"); });
  };
  EXPECT_EQ(load("-2147483648", "2147483647"),
            "fw.scale.min: must be a whole number from -1000000 to 1000000, got -2147483648");
  // get<int>() used to read this as 10.
  EXPECT_EQ(load("0", "4294967306"),
            "fw.scale.max: must be a whole number from -1000000 to 1000000, got 4294967306");
  // 713 MB of transitions from 1.4 KB of JSON, before.
  EXPECT_EQ(load("0", "20000000"),
            "fw.scale.max: must be a whole number from -1000000 to 1000000, got 20000000");
  EXPECT_EQ(load("0", "101"), "fw.scale.max: a scale has at most 101 steps, got 102");
  EXPECT_EQ(framework_from_json(framework_with_scale("-50", "50"), "fw").scale.steps(), 101);
}

TEST(NoCrash, NumbersBeyondDoubleAreMalformedJson) {
  const std::string framework =
      input_error([] { framework_from_json(framework_with_scale("0", "1e400"), "fw"); });
  EXPECT_EQ(framework.rfind("fw: malformed JSON: ", 0), 0u) << framework;
  const std::string tariff = input_error([] {
    tariff_from_json(R"({"name": "t", "price_year": "2023/24", "unit_costs": {"ae_attendance":
                         {"pence": 1e400, "source": "s"}}})",
                     "t.json");
  });
  EXPECT_EQ(tariff.rfind("t.json: malformed JSON: ", 0), 0u) << tariff;
  const std::string model = input_error([] { parse_model(R"({"intercept": 1e400})"); });
  EXPECT_EQ(model.rfind("model: not valid JSON: ", 0), 0u) << model;
}

TEST(NoCrash, ModelDecilesAreRangeChecked) {
  const std::string model = R"({"name": "m", "kind": "logistic", "intercept": 0,
    "features": [{"name": "dep", "source": "deprivation", "column": "imd_decile",
                  "deciles": [4294967297]}],
    "coefficients": {"dep": 1}})";
  // get<int>() used to read 4294967297 as 1.
  EXPECT_EQ(input_error([&] { parse_model(model); }),
            "model.features[0].deciles: must be a whole number from 1 to 10, got 4294967297");
}

TEST(NoCrash, PenceAboveInt64AreRefused) {
  EXPECT_EQ(input_error([] {
              tariff_from_json(R"({"name": "t", "price_year": "2023/24", "unit_costs":
                {"ae_attendance": {"pence": 9223372036854775808, "source": "s"}}})",
                               "t.json");
            }),
            "t.json.unit_costs.ae_attendance.pence: must be a whole number from 0 to "
            "9223372036854775807, got 9223372036854775808");
}

// --- money ------------------------------------------------------------------------------------

TEST(NoCrash, SupportSpendOverflowNamesTheRow) {
  const std::vector<std::int32_t> client{0, 0};
  const std::vector<Days> date{10, 11};
  const std::vector<std::uint8_t> kind(2,
                                       static_cast<std::uint8_t>(InterventionKind::contact_phone));
  const std::vector<std::int32_t> organisation(2, kNoOrganisation);
  const std::vector<std::uint8_t> sector(2, kNoSector);
  const std::vector<Pence> cost{kTwoTo62, kTwoTo62};
  const std::vector<Days> referral{0}, index{5};
  const InterventionsView in{client, date, kind, organisation, sector, cost};
  const SupportClients clients{referral, index, {}, {}, 1};
  // Two interventions of 2^62 pence: a spend of -2^63 before.
  EXPECT_EQ(input_error([&] { summarise_support(in, clients, {}); }),
            "interventions.cost_pence row 1: the total 4611686018427387904 + 4611686018427387904 "
            "does not fit in a 64-bit whole number");
}

TEST(NoCrash, AvoidedCostOverflowNamesTheKind) {
  const std::vector<std::int64_t> client_id{1};
  const std::vector<Days> referral{990}, index{1000};
  const std::vector<std::int64_t> person(97, 1);
  const std::vector<Days> date(97, 900);
  const std::vector<std::uint8_t> kind(97, kAE);
  UtilisationRequest r;
  r.clients = {client_id, referral, index, {}};
  r.events = {person, date, kind};
  r.data_start = 0;
  r.data_end = 2000;
  r.windows = {183};
  r.threads = 1;
  const UtilisationResult counts = count_utilisation(r);
  Tariff tariff;
  tariff.unit_costs[kAE] = UnitCost{kTwoTo62, "s"};
  // 97 x 2^62 = 4.47e20 pence: reported as 2^62 before.
  EXPECT_EQ(input_error([&] { cost_avoidance(counts, tariff); }),
            "tariff.ae_attendance: the product 97 x 4611686018427387904 does not fit in a 64-bit "
            "whole number");
  tariff.unit_costs[kAE] = UnitCost{1'000, "s"};
  EXPECT_EQ(cost_avoidance(counts, tariff).total(0), 97'000);
}

TEST(NoCrash, NetSavingOverflowIsRefused) {
  EXPECT_EQ(input_error([] { net_saving(kLowest, 1, 1); }),
            "net_saving.service_cost_pence: the difference -9223372036854775808 - 1 does not fit "
            "in a 64-bit whole number");
}

TEST(NoCrash, DidMoneyOverflowNamesTheKind) {
  const std::vector<std::int64_t> counts = [] {
    std::vector<std::int64_t> c(2 * kEventKinds * 2, 0);
    c[(0 * kEventKinds + kAE) * 2] = 2;  // person 0's A&E before: 2 x 2^62 pence
    return c;
  }();
  const std::vector<std::int64_t> included{1, 1};
  const std::vector<std::int32_t> treated{0}, control{1}, set{0};
  const std::vector<double> weight{1.0};
  DidRequest request;
  request.people = {1, 2, counts, included};
  request.sets = {treated, control, set, weight};
  request.unit_cost[kAE] = kTwoTo62;
  EXPECT_EQ(input_error([&] { DidBootstrap bootstrap(request); }),
            "tariff.ae_attendance: the product 2 x 4611686018427387904 does not fit in a 64-bit "
            "whole number");
}

TEST(NoCrash, DisclosureTotalsAndSidesAreChecked) {
  const std::vector<std::int64_t> big{kTwoTo62, kTwoTo62};
  EXPECT_EQ(input_error([&] { disclose_series(big); }),
            "counts.count: the total does not fit in a 64-bit whole number");
  // 2^32 x 2^32 wrapped to 0 cells, matching no counts, and the totals were written past the end.
  const std::size_t side = std::size_t{1} << 32;
  EXPECT_EQ(input_error([&] { disclose_table({}, side, side); }),
            "counts: a table has at most 1000000 rows and columns, got 4294967296 x 4294967296");
}

// --- row order never changes a result ---------------------------------------------------------

NearestNeighbourRequest tied(const std::vector<double>& treated, const std::vector<double>& control,
                             const std::vector<std::int64_t>& treated_id,
                             const std::vector<std::int64_t>& control_id) {
  NearestNeighbourRequest r;
  r.treated_logit = treated;
  r.control_logit = control;
  r.treated_id = treated_id;
  r.control_id = control_id;
  r.threads = 1;
  return r;
}

TEST(NoCrash, EqualLogitsGoToTheSmallerId) {
  const std::vector<double> client{0.0}, three{0.0, 0.0, 0.0};
  const std::vector<std::int64_t> client_id{1}, ids{30, 10, 20};
  auto r = tied(client, three, client_id, ids);
  r.k = 2;
  EXPECT_EQ(nearest_neighbours(r).control, (std::vector<std::int32_t>{1, 2}));  // ids 10, 20
}

TEST(NoCrash, EqualLogitsBelowTheClientGoToTheSmallerIdToo) {
  // Walking down from the client's logit meets id 7 first; id 3 is taken.
  const std::vector<double> client{1.0}, below{0.5, 0.5};
  const std::vector<std::int64_t> client_id{1}, ids{7, 3};
  for (bool replace : {false, true}) {
    auto r = tied(client, below, client_id, ids);
    r.replace = replace;
    EXPECT_EQ(nearest_neighbours(r).control, (std::vector<std::int32_t>{1})) << replace;
    r.k = 2;
    EXPECT_EQ(nearest_neighbours(r).control, (std::vector<std::int32_t>{1, 0})) << replace;
  }
}

TEST(NoCrash, TiedClientsTakeTurnsByIdNotRow) {
  // One patient for two clients of equal logit: the client with id 2 (row 1) gets it.
  const std::vector<double> clients{0.0, 0.0}, one{0.1};
  const std::vector<std::int64_t> client_ids{5, 2}, id{9};
  const Matching m = nearest_neighbours(tied(clients, one, client_ids, id));
  EXPECT_EQ(m.set_treated, (std::vector<std::int32_t>{1}));
  EXPECT_EQ(m.status[0], MatchStatus::no_match_within_caliper);
}

TEST(NoCrash, ShuffledComparisonGivesTheSamePairs) {
  const std::vector<double> clients{0.2, 0.0, 0.1}, controls{0.1, 0.0, 0.1, 0.2, 0.0, 0.1};
  const std::vector<std::int64_t> client_ids{100, 101, 102}, ids{5, 4, 3, 2, 1, 0};
  const std::vector<double> reversed(controls.rbegin(), controls.rend());
  const std::vector<std::int64_t> reversed_ids(ids.rbegin(), ids.rend());
  const auto pairs = [&](const std::vector<double>& logit, const std::vector<std::int64_t>& id) {
    const Matching m = nearest_neighbours(tied(clients, logit, client_ids, id));
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    for (std::size_t s = 0; s < m.sets(); ++s)
      out.emplace_back(client_ids[m.set_treated[s]], id[m.control[m.set_begin[s]]]);
    return out;
  };
  // By hand: client 100 (0.2) takes id 2; 102 (0.1) takes id 0, the smallest of 0, 3, 5; 101
  // (0.0) takes id 1, the smaller of 1 and 4.
  const std::vector<std::pair<std::int64_t, std::int64_t>> expected{{100, 2}, {101, 1}, {102, 0}};
  EXPECT_EQ(pairs(controls, ids), expected);
  EXPECT_EQ(pairs(reversed, reversed_ids), expected);
}

// Three sets (A&E pre, post per person), given in two orders: estimates and intervals agree.
TEST(NoCrash, BootstrapDoesNotDependOnTheSetsOrder) {
  const std::int64_t ae[7][2] = {{4, 1}, {2, 2}, {5, 2}, {3, 2}, {2, 0}, {1, 3}, {4, 4}};
  std::vector<std::int64_t> counts(7 * kEventKinds * 2, 0);
  for (std::size_t p = 0; p < 7; ++p)
    for (std::size_t side = 0; side < 2; ++side)
      counts[(p * kEventKinds + kAE) * 2 + side] = ae[p][side];
  const std::vector<std::int64_t> included(7, 1);
  const auto run = [&](const std::vector<std::int32_t>& treated,
                       const std::vector<std::int32_t>& control,
                       const std::vector<std::int32_t>& set, const std::vector<double>& weight) {
    DidRequest request;
    request.people = {1, 7, counts, included};
    request.sets = {treated, control, set, weight};
    request.unit_cost[kAE] = 15'000;
    request.seed = 11;
    DidBootstrap bootstrap(request);
    bootstrap.run(200, 1);
    return std::make_pair(bootstrap.estimates()[0].outcomes[kAE].did, bootstrap.intervals(0.9));
  };
  const auto [did, intervals] = run({0, 1, 2}, {3, 4, 5, 6}, {0, 1, 1, 2}, {1.0, 0.5, 0.5, 1.0});
  const auto [did_again, again] = run({2, 0, 1}, {6, 3, 4, 5}, {0, 1, 2, 2}, {1.0, 1.0, 0.5, 0.5});
  EXPECT_DOUBLE_EQ(did, -5.0 / 3.0);
  EXPECT_EQ(did_again, did);
  for (std::size_t o = 0; o < kDidOutcomes; ++o) {
    EXPECT_EQ(again.did[0][o].low, intervals.did[0][o].low) << o;
    EXPECT_EQ(again.did[0][o].high, intervals.did[0][o].high) << o;
  }
}

// --- memory ---------------------------------------------------------------------------------

// SOCIALRX_MEMORY_LIMIT_BYTES for the test's lifetime.
class MemoryLimit {
 public:
  explicit MemoryLimit(const char* bytes) { setenv("SOCIALRX_MEMORY_LIMIT_BYTES", bytes, 1); }
  ~MemoryLimit() { unsetenv("SOCIALRX_MEMORY_LIMIT_BYTES"); }
  MemoryLimit(const MemoryLimit&) = delete;
  MemoryLimit& operator=(const MemoryLimit&) = delete;
};

template <class Call>
std::string memory_error(Call&& call) {
  try {
    call();
  } catch (const NotEnoughMemory& error) {
    return error.what();
  }
  return "no error";
}

TEST(NoCrash, CountingThatWillNotFitIsRefusedSayingWhatItNeeds) {
  const ExtremeIds ids;
  {
    const MemoryLimit limit("1000");
    const std::string message = memory_error([&] { count_utilisation(ids.request(true)); });
    EXPECT_EQ(message.rfind("counting utilisation needs about ", 0), 0u) << message;
    EXPECT_NE(message.find(" of memory, and 1000 bytes is available"), std::string::npos)
        << message;
  }
  EXPECT_EQ(count_utilisation(ids.request(true)).count(0, 1, EventKind::ae_attendance, Side::post),
            2);
}

TEST(NoCrash, BootstrapReplicatesAreBounded) {
  const std::vector<std::int64_t> counts(2 * kEventKinds * 2, 1), included{1, 1};
  const std::vector<std::int32_t> treated{0}, control{1}, set{0};
  const std::vector<double> weight{1.0};
  DidRequest request;
  request.people = {1, 2, counts, included};
  request.sets = {treated, control, set, weight};
  DidBootstrap bootstrap(request);
  EXPECT_EQ(input_error([&] { bootstrap.run(std::int64_t{1} << 40); }),
            "bootstrap.replicates: must be from 0 to 4294967296, got 1099511627776");
  const MemoryLimit limit("1000000");
  // 2^32 replicates x 22 values (11 outcomes, DiD and DiD %) x 8 bytes.
  EXPECT_EQ(memory_error([&] { bootstrap.run(DidBootstrap::kMaxReplicates); }),
            "the bootstrap needs about 755914.2 MB of memory, and 1.0 MB is available");
  EXPECT_EQ(bootstrap.replicates(), 0);
}

TEST(NoCrash, SyntheticServicesAreBoundedBySizeAndMemory) {
  SyntheticConfig config;
  config.n_clients = 1000;
  config.n_comparison = kHighest;
  config.data_start = 0;
  config.data_end = 2000;
  EXPECT_EQ(input_error([&] { generate_service(config); }),
            "synthetic.n_comparison: at most 2147483647 comparison patients");
  config.n_comparison = 1000;
  const MemoryLimit limit("1000000");
  // 2,000 people x 2 x 64 events x 13 bytes.
  EXPECT_EQ(memory_error([&] { generate_service(config); }),
            "the synthetic service needs about 3.3 MB of memory, and 1.0 MB is available");
}

}  // namespace
}  // namespace socialrx
