#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "socialrx/core/error.hpp"
#include "socialrx/synth/synthetic.hpp"
#include "socialrx/utilisation/windows.hpp"

namespace socialrx {
namespace {

SyntheticConfig small(std::uint64_t seed = 1, unsigned threads = 1) {
  SyntheticConfig config;
  config.n_clients = 1500;  // with the comparison pool: three chunks of people
  config.n_comparison = 1500;
  config.seed = seed;
  config.threads = threads;
  return config;
}

TEST(Synthetic, SameSeedGivesTheSameTablesForAnyThreadCount) {
  const auto one = generate_service(small(7, 1));
  const auto three = generate_service(small(7, 3));
  EXPECT_EQ(one.clients.client_id, three.clients.client_id);
  EXPECT_EQ(one.clients.index_date, three.clients.index_date);
  EXPECT_EQ(one.clients.referral_reasons, three.clients.referral_reasons);
  EXPECT_EQ(one.comparison.birth_year, three.comparison.birth_year);
  EXPECT_EQ(one.events.person_id, three.events.person_id);
  EXPECT_EQ(one.events.date, three.events.date);
  EXPECT_EQ(one.events.kind, three.events.kind);
  EXPECT_EQ(one.assessments.value, three.assessments.value);
  EXPECT_EQ(one.interventions.cost_pence, three.interventions.cost_pence);
  EXPECT_EQ(one.feedback.stars, three.feedback.stars);
  EXPECT_GT(one.events.date.size(), 100'000u);
}

TEST(Synthetic, DifferentSeedsGiveDifferentTables) {
  const auto a = generate_service(small(1));
  const auto b = generate_service(small(2));
  EXPECT_NE(a.clients.referral_date, b.clients.referral_date);
  EXPECT_NE(a.events.date.size(), b.events.date.size());
}

TEST(Synthetic, IdsAreDistinctAndEventsInsideTheData) {
  const auto s = generate_service(small());
  ASSERT_EQ(s.clients.client_id.size(), 1500u);
  ASSERT_EQ(s.comparison.patient_id.size(), 1500u);
  EXPECT_EQ(s.clients.client_id.front(), 1);
  EXPECT_EQ(s.clients.client_id.back(), 1500);
  EXPECT_EQ(s.comparison.patient_id.front(), 10'000'000);
  EXPECT_EQ(s.comparison.patient_id.back(), 10'001'499);
  const std::set<std::int64_t> clients(s.clients.client_id.begin(), s.clients.client_id.end());
  const std::set<std::int64_t> others(s.comparison.patient_id.begin(),
                                      s.comparison.patient_id.end());
  std::set<std::int64_t> people;
  for (std::size_t row = 0; row < s.events.date.size(); ++row) {
    ASSERT_GE(s.events.date[row], s.config.data_start);
    ASSERT_LE(s.events.date[row], s.config.data_end);
    ASSERT_LT(s.events.kind[row], kEventKinds);
    people.insert(s.events.person_id[row]);
  }
  for (std::int64_t id : people) ASSERT_TRUE(clients.count(id) + others.count(id) == 1) << id;
}

TEST(Synthetic, ClientDatesAndStatusAgree) {
  const auto s = generate_service(small());
  const auto& c = s.clients;
  for (std::size_t row = 0; row < c.client_id.size(); ++row) {
    const bool connected = c.index_date[row] != kNoDate;
    EXPECT_EQ(connected, c.status[row] == 1) << row;
    if (!connected) {
      EXPECT_EQ(c.discharge_date[row], kNoDate);
      continue;
    }
    EXPECT_GE(c.index_date[row] - c.referral_date[row], 0);
    EXPECT_LE(c.index_date[row] - c.referral_date[row], 30);
    if (c.discharge_date[row] != kNoDate) {
      EXPECT_GE(c.discharge_date[row] - c.index_date[row], 30);
      EXPECT_LE(c.discharge_date[row] - c.index_date[row], 183);
      EXPECT_LE(c.discharge_date[row], s.config.data_end);
    }
    EXPECT_EQ(s.practice_locality[c.practice[row]], c.locality[row]);
  }
}

TEST(Synthetic, DemographicsMatchTheServiceProfile) {
  SyntheticConfig config = small();
  config.n_clients = 6000;
  const auto s = generate_service(config);
  const auto& c = s.clients;
  const double n = static_cast<double>(c.client_id.size());
  double connected = 0, female = 0, old = 0, young = 0, carers = 0;
  for (std::size_t row = 0; row < c.client_id.size(); ++row) {
    const int age =
        static_cast<int>(civil_from_days(c.referral_date[row]).year()) - c.birth_year[row];
    connected += c.index_date[row] != kNoDate;
    female += c.sex[row] == 0;
    old += age >= 64;
    young += age <= 23;
    carers += c.carer[row];
    ASSERT_GE(age, 16);
  }
  EXPECT_NEAR(connected / n, 0.72, 0.03);
  EXPECT_NEAR(female / n, 0.58, 0.03);
  EXPECT_NEAR(old / n, 0.60, 0.03);
  EXPECT_NEAR(young / n, 0.03, 0.01);
  EXPECT_NEAR(carers / n, 0.29, 0.03);
}

// Not-managing share of a domain (its worst indicator) at baseline and final.
struct DomainCounts {
  double nm_before = 0, nm_after = 0, m_before = 0, m_after = 0;
};

TEST(Synthetic, Dudley7DomainsImproveAsCalibrated) {
  SyntheticConfig config = small();
  config.n_clients = 6000;
  const auto s = generate_service(config);
  const auto& a = s.assessments;
  // client -> timepoint -> item -> value, dudley7 only.
  std::map<std::int64_t, std::map<int, std::array<int, 15>>> ratings;
  for (std::size_t row = 0; row < a.client_id.size(); ++row)
    if (a.instrument[row] == 0)
      ratings[a.client_id[row]][a.timepoint[row]][a.item[row]] = static_cast<int>(a.value[row]);
  std::array<DomainCounts, 7> domains{};
  std::array<double, 15> item_nm_before{}, item_nm_after{};
  for (const auto& [id, by_time] : ratings) {
    if (!by_time.count(2)) continue;
    const auto& before = by_time.at(0);
    const auto& after = by_time.at(2);
    for (std::size_t d = 0; d < 7; ++d) {
      int worst_before = 2, worst_after = 2;
      for (std::size_t i = synth::kDomainFirstItem[d]; i < synth::kDomainFirstItem[d + 1]; ++i) {
        worst_before = std::min(worst_before, before[i]);
        worst_after = std::min(worst_after, after[i]);
        item_nm_before[i] += before[i] == 0;
        item_nm_after[i] += after[i] == 0;
      }
      domains[d].nm_before += worst_before == 0;
      domains[d].nm_after += worst_after == 0;
      domains[d].m_before += worst_before == 2;
      domains[d].m_after += worst_after == 2;
    }
  }
  const std::array<double, 7> nm_reduction{81, 82, 76, 80, 82, 83, 72};
  const std::array<double, 7> m_increase{48, 29, 58, 35, 24, 24, 10};
  for (std::size_t d = 0; d < 7; ++d) {
    const auto& c = domains[d];
    EXPECT_NEAR(100 * (c.nm_before - c.nm_after) / c.nm_before, nm_reduction[d], 8) << d;
    EXPECT_NEAR(100 * (c.m_after - c.m_before) / c.m_before, m_increase[d], 8) << d;
    // The first indicator of the domain has the largest reduction in not managing.
    const std::size_t first = synth::kDomainFirstItem[d];
    auto reduction = [&](std::size_t i) { return 1 - item_nm_after[i] / item_nm_before[i]; };
    for (std::size_t i = first + 1; i < synth::kDomainFirstItem[d + 1]; ++i)
      EXPECT_GT(reduction(first), reduction(i)) << synth::kItems[i];
  }
}

// A&E per included client in the 12 months before and after index.
double ae_post_over_pre(const SyntheticService& s) {
  UtilisationRequest request;
  request.clients = {s.clients.client_id, s.clients.referral_date, s.clients.index_date,
                     s.clients.discharge_date};
  request.events = {s.events.person_id, s.events.date, s.events.kind};
  request.other_ids = s.comparison.patient_id;
  request.data_start = s.config.data_start;
  request.data_end = s.config.data_end;
  request.windows = {365};
  const auto result = count_utilisation(request);
  return static_cast<double>(result.count(0, 0, EventKind::ae_attendance, Side::post)) /
         static_cast<double>(result.count(0, 0, EventKind::ae_attendance, Side::pre));
}

TEST(Synthetic, ClientsRegressToTheMeanAndTheEffectAddsToIt) {
  SyntheticConfig config = small();
  config.n_clients = 4000;
  const double none = ae_post_over_pre(generate_service(config));
  config.true_effect = 0.3;
  const double effect = ae_post_over_pre(generate_service(config));
  EXPECT_LT(none, 0.8);  // a fall with no effect at all
  EXPECT_GT(none, 0.5);
  // The same seed draws the same events; the effect removes 30% of those after index.
  EXPECT_NEAR(effect / none, 0.7, 0.03);
}

TEST(Synthetic, PersonalHealthBudgetsStayWithinTheCap) {
  const auto s = generate_service(small());
  std::map<std::int64_t, Pence> budget;
  const auto& t = s.interventions;
  for (std::size_t row = 0; row < t.client_id.size(); ++row) {
    if (t.kind[row] == 7) budget[t.client_id[row]] += t.cost_pence[row];
    if (t.kind[row] <= 4) EXPECT_EQ(t.cost_pence[row], 0);
    EXPECT_EQ(t.sector[row], s.organisation_sector[t.organisation[row]]);
  }
  EXPECT_GT(budget.size(), 100u);
  for (const auto& [id, pence] : budget) EXPECT_LE(pence, synth::kPersonalHealthBudgetCap) << id;
}

TEST(Synthetic, RejectsImpossibleConfigs) {
  auto message = [](SyntheticConfig config) {
    try {
      generate_service(config);
    } catch (const InputError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  SyntheticConfig config;
  config.n_clients = -1;
  EXPECT_EQ(message(config), "synthetic.n_clients: must not be negative, got -1");
  config = {};
  config.n_comparison = -5;
  EXPECT_EQ(message(config), "synthetic.n_comparison: must not be negative, got -5");
  config = {};
  config.true_effect = 1.0;
  EXPECT_EQ(message(config), "synthetic.true_effect: must be in [0, 1), got 1.000000");
  config = {};
  config.data_end = days_from_civil(2019, 1, 1);
  EXPECT_EQ(message(config),
            "synthetic.data_end: data_end 2019-01-01 is before data_start 2019-04-01");
  config = {};
  config.n_clients = 10'000'000;
  EXPECT_EQ(message(config),
            "synthetic.n_clients: at most 9999999 clients (comparison ids start at 10000000)");
}

}  // namespace
}  // namespace socialrx
