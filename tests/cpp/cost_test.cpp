#include <gtest/gtest.h>

#include "socialrx/core/embedded.hpp"
#include "socialrx/cost/avoidance.hpp"

namespace socialrx {
namespace {

constexpr const char* kTariff = R"({
  "name": "test", "price_year": "2023/24",
  "unit_costs": {"ae_attendance": {"pence": 14000, "source": "test A&E"},
                 "emergency_admission": {"pence": 187850, "source": "test admission"}},
  "uprating": {"source": "test index", "index": {"2022/23": 95.0, "2023/24": 100.0, "2024/25": 103.0}}
})";

// Two groups, one window: group 0 had 40 A&E before and 25 after, 8 admissions before and 4
// after; group 1 used more after than before.
UtilisationResult counts() {
  UtilisationResult r;
  r.windows = {365};
  r.groups = 2;
  r.counts.assign(2 * kEventKinds * 2, 0);
  r.clients_included = {10, 5};
  auto set = [&](std::int32_t group, EventKind kind, std::int64_t pre, std::int64_t post) {
    const std::size_t cell = (group * kEventKinds + static_cast<std::size_t>(kind)) * 2;
    r.counts[cell] = pre;
    r.counts[cell + 1] = post;
  };
  set(0, EventKind::ae_attendance, 40, 25);
  set(0, EventKind::emergency_admission, 8, 4);
  set(1, EventKind::ae_attendance, 3, 5);
  set(1, EventKind::gp_surgery, 12, 9);  // unpriced in this tariff
  return r;
}

TEST(Tariff, ParsesUnitCostsAndSources) {
  const Tariff tariff = tariff_from_json(kTariff);
  EXPECT_EQ(tariff.price_year, "2023/24");
  EXPECT_EQ(tariff.unit_cost(EventKind::emergency_admission)->pence, 187850);
  EXPECT_EQ(tariff.unit_cost(EventKind::ae_attendance)->source, "test A&E");
  EXPECT_FALSE(tariff.unit_cost(EventKind::gp_surgery));
}

TEST(Tariff, RepricesRoundingHalfAwayFromZero) {
  const Tariff later = reprice(tariff_from_json(kTariff), "2024/25");
  EXPECT_EQ(later.price_year, "2024/25");
  EXPECT_EQ(later.unit_cost(EventKind::ae_attendance)->pence, 14420);         // 140 x 1.03
  EXPECT_EQ(later.unit_cost(EventKind::emergency_admission)->pence, 193486);  // 1934.8550 -> .86
  const Tariff earlier = reprice(tariff_from_json(kTariff), "2022/23");
  EXPECT_EQ(earlier.unit_cost(EventKind::ae_attendance)->pence, 13300);
  EXPECT_THROW(reprice(tariff_from_json(kTariff), "2030/31"), InputError);
}

TEST(Tariff, RejectsMalformedDocumentsNamingTheKey) {
  auto message = [](const char* text) {
    try {
      tariff_from_json(text, "my.json");
    } catch (const InputError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(
      message(
          R"({"name": "x", "price_year": "2023/24", "unit_costs": {"teleport": {"pence": 1, "source": "s"}}})"),
      "my.json.unit_costs.teleport: is not an event kind");
  EXPECT_EQ(
      message(
          R"({"name": "x", "price_year": "2023/24", "unit_costs": {"ae_attendance": {"pence": 1.5, "source": "s"}}})"),
      "my.json.unit_costs.ae_attendance.pence: must be a whole number from 0 to "
      "9223372036854775807, got 1.5");
  EXPECT_EQ(message(R"({"name": "x", "unit_costs": {}})"), "my.json.price_year: is required");
  EXPECT_EQ(message("{not json").rfind("my.json: malformed JSON", 0), 0u);
}

TEST(Tariff, EmbeddedExampleLoads) {
  const Tariff tariff = tariff_from_json(embedded_file("tariffs/example_2023-24.json"));
  for (const auto& cost : tariff.unit_costs) EXPECT_TRUE(cost.has_value());
}

TEST(CostAvoidance, IsExactPencePerKindAndGroup) {
  const CostAvoidance avoided = cost_avoidance(counts(), tariff_from_json(kTariff));
  EXPECT_EQ(avoided.at(0, 0, EventKind::ae_attendance), 15 * 14000);
  EXPECT_EQ(avoided.at(0, 0, EventKind::emergency_admission), 4 * 187850);
  EXPECT_EQ(avoided.at(0, 1, EventKind::ae_attendance), -2 * 14000);  // use rose: negative
  EXPECT_FALSE(avoided.at(0, 1, EventKind::gp_surgery));
  EXPECT_EQ(avoided.total(0, 0), 210000 + 751400);
  EXPECT_EQ(avoided.total(0), 210000 + 751400 - 28000);
  ASSERT_EQ(avoided.unpriced_with_events.size(), 1u);
  EXPECT_EQ(avoided.unpriced_with_events[0], EventKind::gp_surgery);
}

TEST(NetSaving, ReportsGrossCostAndNetApart) {
  // The Integrated Plus report's hospital and GP avoidance: 809,705 + 89,915 pounds.
  const NetSaving saving = net_saving(80970500 + 8991500, 45269800, 2720);
  EXPECT_EQ(saving.gross, 89962000);
  EXPECT_EQ(saving.net, 44692200);
  EXPECT_EQ(saving.gross_per_patient, 33074);  // 33074.26
  EXPECT_EQ(saving.net_per_patient, 16431);    // 16430.96
  EXPECT_FALSE(net_saving(0, 0, 0).net_per_patient);
  EXPECT_THROW(net_saving(0, -1, 1), InputError);
}

}  // namespace
}  // namespace socialrx
