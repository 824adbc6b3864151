#include "socialrx/model/support.hpp"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cstdint>
#include <random>
#include <vector>

#include "socialrx/model/disclosure.hpp"
#include "socialrx/model/feedback.hpp"

namespace socialrx {
namespace {

using K = InterventionKind;
using S = Sector;
constexpr Days kDay = 19'450;  // 2023-04-03

// Interventions built row by row for hand-worked cases.
struct Interventions {
  std::vector<std::int32_t> client;
  std::vector<Days> date;
  std::vector<std::uint8_t> kind;
  std::vector<std::int32_t> organisation;
  std::vector<std::uint8_t> sector;
  std::vector<Pence> cost;

  void add(std::int32_t c, Days d, K k, std::int32_t org = kNoOrganisation,
           std::uint8_t sec = kNoSector, Pence pence = 0) {
    client.push_back(c);
    date.push_back(d);
    kind.push_back(static_cast<std::uint8_t>(k));
    organisation.push_back(org);
    sector.push_back(sec);
    cost.push_back(pence);
  }
  void refer(std::int32_t c, std::int32_t org, S sec) {
    add(c, kDay + 5, K::outward_referral, org, static_cast<std::uint8_t>(sec));
  }
  InterventionsView view() const { return {client, date, kind, organisation, sector, cost}; }
};

// Four clients, all referred on kDay:
//   0: connected kDay, discharged kDay + 90;  1: connected kDay + 10, still supported;
//   2: never connected;                       3: connected kDay + 2, nothing recorded since.
struct Clients {
  std::vector<Days> referral{kDay, kDay, kDay, kDay};
  std::vector<Days> index{kDay, kDay + 10, kNoDate, kDay + 2};
  std::vector<Days> discharge{kDay + 90, kNoDate, kNoDate, kNoDate};
  std::vector<std::int32_t> group;
  std::int32_t groups = 1;
  SupportClients view() const { return {referral, index, discharge, group, groups}; }
};

TEST(Support, TenOutwardReferralsSixVoluntaryIsSixtyPercent) {
  Interventions in;
  const S sectors[10] = {S::voluntary, S::voluntary, S::statutory, S::voluntary, S::private_,
                         S::voluntary, S::community, S::voluntary, S::statutory, S::voluntary};
  for (int i = 0; i < 10; ++i) in.refer(i % 2, i % 3, sectors[i]);
  const auto out = summarise_support(in.view(), Clients{}.view(), {3, kPersonalHealthBudgetCap});
  EXPECT_EQ(out.referrals_by_sector, (std::vector<std::int64_t>{6, 2, 1, 1}));
  EXPECT_EQ(out.referrals_by_organisation, (std::vector<std::int64_t>{4, 3, 3}));
  EXPECT_DOUBLE_EQ(100.0 * out.referrals_by_sector[0] / 10, 60.0);
  EXPECT_EQ(out.interventions_by_kind[static_cast<int>(K::outward_referral)], 10);
  EXPECT_EQ(out.clients_by_kind[static_cast<int>(K::outward_referral)], 2);
}

TEST(Support, PersonalHealthBudgetOverTheCapBreachesAtTheCapDoesNot) {
  Interventions in;
  in.add(0, kDay + 1, K::personal_health_budget, 0, kNoSector, 6000);
  in.add(0, kDay + 9, K::personal_health_budget, 0, kNoSector, 4000);  // 10000: at the cap
  in.add(1, kDay + 20, K::personal_health_budget, 0, kNoSector, 10001);
  in.add(3, kDay + 20, K::grant, 0, kNoSector, 50000);  // not a budget
  const auto out = summarise_support(in.view(), Clients{}.view(), {1, 10'000});
  EXPECT_EQ(out.phb_pence, (std::vector<Pence>{10000, 10001, 0, 0}));
  EXPECT_EQ(out.phb_breaches, (std::vector<std::int32_t>{1}));
  const auto raised = summarise_support(in.view(), Clients{}.view(), {1, 10'001});
  EXPECT_TRUE(raised.phb_breaches.empty());
  const auto budget = static_cast<int>(K::personal_health_budget);
  EXPECT_EQ(out.pence_by_kind[budget], 20001);
  EXPECT_EQ(out.interventions_by_kind[budget], 3);
  EXPECT_EQ(out.clients_by_kind[budget], 2);
  EXPECT_EQ(out.pence_by_kind[static_cast<int>(K::grant)], 50000);
}

TEST(Support, ContactsAndLengthOfSupport) {
  Interventions in;
  in.add(0, kDay, K::contact_phone);
  in.add(0, kDay + 3, K::contact_visit);
  in.add(0, kDay + 120, K::contact_phone);       // after discharge: a contact, not a longer support
  in.add(0, kDay + 4, K::accompanied_activity);  // not a contact
  in.add(1, kDay + 40, K::contact_visit);
  in.add(1, kDay + 70, K::group, 1, static_cast<std::uint8_t>(S::community));
  in.add(2, kDay + 1, K::contact_phone);  // an attempt: never connected
  in.add(3, kDay + 1, K::contact_phone);  // before the index date
  const auto out = summarise_support(in.view(), Clients{}.view(), {2, kPersonalHealthBudgetCap});
  EXPECT_EQ(out.contacts, (std::vector<std::int64_t>{3, 1, 1, 1}));
  EXPECT_EQ(out.length_days, (std::vector<Days>{90, 60, kNoLength, kNoLength}));
  EXPECT_EQ(out.support_end,
            (std::vector<SupportEnd>{SupportEnd::discharged, SupportEnd::last_intervention,
                                     SupportEnd::not_connected, SupportEnd::no_support_recorded}));
}

TEST(Support, FiguresSplitByClientGroup) {
  Clients clients;
  clients.group = {0, 1, 1, 0};
  clients.groups = 2;
  Interventions in;
  in.refer(0, 0, S::voluntary);
  in.refer(1, 0, S::statutory);
  in.refer(2, 1, S::statutory);
  in.add(1, kDay + 8, K::voucher, 1, kNoSector, 750);
  const auto out = summarise_support(in.view(), clients.view(), {2, kPersonalHealthBudgetCap});
  EXPECT_EQ(out.referrals_by_sector, (std::vector<std::int64_t>{1, 0, 0, 0, 0, 2, 0, 0}));
  EXPECT_EQ(out.referrals_by_organisation, (std::vector<std::int64_t>{1, 0, 1, 1}));
  EXPECT_EQ(out.pence_by_kind[kInterventionKinds + static_cast<int>(K::voucher)], 750);
  EXPECT_EQ(out.pence_by_kind[static_cast<int>(K::voucher)], 0);
}

void expect_error(const Interventions& in, const Clients& clients, const char* table,
                  const char* column, std::int64_t row) {
  try {
    summarise_support(in.view(), clients.view(), {2, kPersonalHealthBudgetCap});
    FAIL() << "expected an InputError at " << table << "." << column;
  } catch (const InputError& error) {
    EXPECT_EQ(error.table(), table);
    EXPECT_EQ(error.column(), column);
    EXPECT_EQ(error.row(), row);
  }
}

TEST(Support, BadRowsAreNamed) {
  Interventions good;
  good.add(0, kDay, K::contact_phone);
  good.add(1, kDay + 1, K::contact_phone);
  {
    auto in = good;
    in.add(2, kDay - 1, K::contact_phone);  // before the referral
    expect_error(in, Clients{}, "interventions", "date", 2);
  }
  {
    auto in = good;
    in.add(4, kDay, K::contact_phone);  // no client row 4
    expect_error(in, Clients{}, "interventions", "client_id", 2);
  }
  {
    auto in = good;
    in.add(0, kDay, K::grant, 0, kNoSector, -1);
    expect_error(in, Clients{}, "interventions", "cost_pence", 2);
  }
  {
    auto in = good;
    in.add(0, kDay, K::outward_referral, 1);  // no sector
    expect_error(in, Clients{}, "interventions", "sector", 2);
  }
  {
    auto in = good;
    in.add(0, kDay, K::outward_referral, kNoOrganisation, 0);
    expect_error(in, Clients{}, "interventions", "organisation", 2);
  }
  {
    auto in = good;
    in.kind[1] = kInterventionKinds;
    expect_error(in, Clients{}, "interventions", "kind", 1);
  }
  Clients early;
  early.discharge[0] = kDay - 1;
  early.referral[0] = kDay - 5;
  expect_error(good, early, "clients", "discharge_date", 0);
}

// The seed's 94% / 96% (of which 28%) / 79% on 100 answers, with unanswered questions besides.
TEST(Feedback, SeedSharesWithTheNumberWhoAnswered) {
  std::vector<std::uint8_t> stars, impact, connected;
  for (int i = 0; i < 100; ++i) {
    stars.push_back(i < 94 ? 4 + i % 2 : 1 + i % 3);
    impact.push_back(i < 27 ? 2 : i < 96 ? 1 : 0);
    connected.push_back(i < 79);
  }
  for (int i = 0; i < 3; ++i) {  // three more returned forms, each missing a different answer
    stars.push_back(i == 0 ? kNotAnswered : 5);
    impact.push_back(i == 1 ? kNotAnswered : 0);
    connected.push_back(i == 2 ? kNotAnswered : 0);
  }
  stars[101] = stars[102] = 3;  // keep 94 of them 4-5 stars: 94 of 102 answered
  const auto out = summarise_feedback({stars, impact, connected, {}, 1});
  const auto& s = out.at(0, FeedbackMeasure::four_or_five_stars);
  EXPECT_EQ(s.answered, 102);
  EXPECT_EQ(s.yes, 94);
  EXPECT_EQ(s.not_answered, 1);
  const auto& impacted = out.at(0, FeedbackMeasure::reported_impact);
  EXPECT_EQ(impacted.answered, 102);  // the two extra forms said "none"
  EXPECT_EQ(impacted.yes, 96);
  EXPECT_EQ(out.at(0, FeedbackMeasure::significant_impact).yes, 27);
  const auto& of_impact = out.at(0, FeedbackMeasure::significant_of_impact);
  EXPECT_EQ(of_impact.answered, 96);
  EXPECT_EQ(of_impact.not_answered, 1);
  EXPECT_EQ(std::lround(of_impact.percent()), 28);
  const auto& linked = out.at(0, FeedbackMeasure::connected_to_services);
  EXPECT_EQ(linked.answered, 102);
  EXPECT_EQ(linked.yes, 79);
}

TEST(Feedback, RatioIsUndefinedWithNoAnswersAndBadCodesAreNamed) {
  const std::vector<std::uint8_t> none{kNotAnswered};
  const auto out = summarise_feedback({none, none, none, {}, 1});
  EXPECT_TRUE(std::isnan(out.at(0, FeedbackMeasure::connected_to_services).percent()));
  const std::vector<std::uint8_t> stars{5, 0};
  const std::vector<std::uint8_t> ok{1, 1};
  try {
    summarise_feedback({stars, ok, ok, {}, 1});
    FAIL();
  } catch (const InputError& error) {
    EXPECT_EQ(error.column(), "stars");
    EXPECT_EQ(error.row(), 1);
  }
}

// A suppressed cell can be back-solved from the published cells and totals exactly when its
// unit vector lies in the row space of the line equations restricted to the suppressed cells.
std::vector<bool> recoverable(const Disclosed& d, std::size_t height, std::size_t width) {
  std::vector<std::size_t> hidden;
  for (std::size_t cell = 0; cell < d.disclosure.size(); ++cell)
    if (d.disclosure[cell] != Disclosure::published) hidden.push_back(cell);
  std::vector<bool> out(d.disclosure.size(), false);
  if (hidden.empty()) return out;
  Eigen::MatrixXd lines = Eigen::MatrixXd::Zero(height + width, hidden.size());
  for (std::size_t j = 0; j < hidden.size(); ++j) {
    lines(hidden[j] / width, j) = 1;
    lines(height + hidden[j] % width, j) = 1;
  }
  const auto rank = [](const Eigen::MatrixXd& m) {
    return Eigen::FullPivLU<Eigen::MatrixXd>(m).rank();
  };
  const auto base = rank(lines);
  for (std::size_t j = 0; j < hidden.size(); ++j) {
    Eigen::MatrixXd with(lines.rows() + 1, lines.cols());
    with << lines, Eigen::RowVectorXd::Unit(lines.cols(), j);
    out[hidden[j]] = rank(with) == base;
  }
  return out;
}

constexpr auto P = Disclosure::published, X = Disclosure::primary, Y = Disclosure::secondary;

TEST(Disclosure, TwoByThreeWithOneThree) {
  const std::vector<std::int64_t> counts{3, 10, 12, 8, 9, 20};
  const auto d = disclose_table(counts, 2, 3);
  //  3 10 12 | 25
  //  8  9 20 | 37
  // 11 19 32 | 62
  EXPECT_EQ(d.values, (std::vector<std::int64_t>{3, 10, 12, 25, 8, 9, 20, 37, 11, 19, 32, 62}));
  EXPECT_EQ(d.disclosure, (std::vector<Disclosure>{X, Y, P, P, Y, Y, P, P, P, P, P, P}));
  EXPECT_EQ(recoverable(d, 3, 4), std::vector<bool>(12, false));
}

TEST(Disclosure, ZeroIsPublishedAndASmallTotalIsSuppressed) {
  const std::vector<std::int64_t> counts{0, 7, 2, 0};
  const auto d = disclose_table(counts, 2, 2);
  // 0 7 | 7
  // 2 0 | 2   <- the row total 2 is itself small
  // 2 7 | 9
  EXPECT_EQ(d.disclosure[0], P);
  EXPECT_EQ(d.disclosure[3], X);
  EXPECT_EQ(d.disclosure[5], X);
  EXPECT_EQ(recoverable(d, 3, 3), std::vector<bool>(9, false));
}

TEST(Disclosure, ABridgeBetweenTwoProtectedBlocksIsClosed) {
  // Rows 0-1 x columns 0-1 and rows 2-3 x columns 2-3 are small blocks, each protected by the
  // line rule; the small (0, 2) joins them and could be solved by summing rows 0-1 minus
  // columns 0-1.
  const std::vector<std::int64_t> counts{1,  2,  3,  50,  //
                                         2,  1,  40, 60,  //
                                         70, 80, 1,  2,   //
                                         90, 30, 2,  1};
  const auto d = disclose_table(counts, 4, 4);
  EXPECT_EQ(d.disclosure[3 * 5 + 1], Y);  // 30: the smallest cell joining the two blocks
  EXPECT_EQ(recoverable(d, 5, 5), std::vector<bool>(25, false));
}

TEST(Disclosure, RandomTablesNeverGiveACellAway) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    const std::size_t rows = 1 + rng() % 5, columns = 1 + rng() % 5;
    std::vector<std::int64_t> counts(rows * columns);
    for (auto& count : counts) count = rng() % 3 == 0 ? rng() % 5 : rng() % 40;
    const auto d = disclose_table(counts, rows, columns);
    for (std::size_t cell = 0; cell < d.values.size(); ++cell) {
      const bool small = d.values[cell] > 0 && d.values[cell] < 5;
      EXPECT_EQ(small, d.disclosure[cell] == X);
    }
    EXPECT_EQ(recoverable(d, rows + 1, columns + 1), std::vector<bool>(d.values.size(), false))
        << "trial " << trial;
  }
}

TEST(Disclosure, SeriesWithATotal) {
  const std::vector<std::int64_t> one_small{3, 10, 12}, lone{3, 0, 0}, two_small{2, 2, 20};
  EXPECT_EQ(disclose_series(one_small).disclosure, (std::vector<Disclosure>{X, Y, P, P}));
  EXPECT_EQ(disclose_series(lone).disclosure, (std::vector<Disclosure>{X, P, P, X}));
  EXPECT_EQ(disclose_series(two_small).disclosure, (std::vector<Disclosure>{X, X, P, P}));
  EXPECT_EQ(disclose_series(one_small, 11).disclosure, (std::vector<Disclosure>{X, X, P, P}));
  const std::vector<std::int64_t> negative{1, -1};
  EXPECT_THROW(disclose_series(negative), InputError);
}

}  // namespace
}  // namespace socialrx
