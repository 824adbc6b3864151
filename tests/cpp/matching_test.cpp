#include "socialrx/evaluate/matching.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace socialrx {
namespace {

// Controls of each set, by treated row.
std::map<std::int32_t, std::vector<std::int32_t>> sets(const Matching& m) {
  std::map<std::int32_t, std::vector<std::int32_t>> out;
  for (std::size_t s = 0; s < m.sets(); ++s)
    out[m.set_treated[s]] = {m.control.begin() + m.set_begin[s],
                             m.control.begin() + m.set_begin[s + 1]};
  return out;
}

// Clients at logits 0.0, 0.1, 2.0; controls at 0.05, 0.12, 0.5, 1.0. With caliper 0.3:
// client 0 (gaps .05 .12 .5 1) and client 1 (gaps .05 .02 .4 .9) both want controls 0 and 1;
// client 2's nearest, control 3, is 1.0 away: unmatched.
struct Tiny {
  std::vector<double> treated{0.0, 0.1, 2.0};
  std::vector<double> control{0.05, 0.12, 0.5, 1.0};
  NearestNeighbourRequest request(std::size_t k, bool replace) const {
    NearestNeighbourRequest r;
    r.treated_logit = treated;
    r.control_logit = control;
    r.k = k;
    r.caliper = 0.3;
    r.replace = replace;
    r.threads = 1;
    return r;
  }
};

TEST(NearestNeighbours, WithoutReplacementIsGreedyFromTheHighestLogit) {
  const Tiny t;
  const Matching m = nearest_neighbours(t.request(1, false));
  // Client 2 (highest) finds nothing; client 1 takes control 1 (.02), client 0 then control 0.
  EXPECT_EQ(sets(m), (std::map<std::int32_t, std::vector<std::int32_t>>{{0, {0}}, {1, {1}}}));
  EXPECT_EQ(m.status[2], MatchStatus::no_match_within_caliper);
  EXPECT_EQ(m.status[0], MatchStatus::matched);
}

TEST(NearestNeighbours, WithReplacementControlsAreShared) {
  const Tiny t;
  const Matching m = nearest_neighbours(t.request(2, true));
  // Client 0: 0 (.05), 1 (.12); client 1: 1 (.02), 0 (.05); control 2 (.5 and .4) is outside.
  EXPECT_EQ(sets(m), (std::map<std::int32_t, std::vector<std::int32_t>>{{0, {0, 1}}, {1, {1, 0}}}));
  const std::vector<double> w = matching_weights(m, t.control.size());
  EXPECT_EQ(w, (std::vector<double>{1, 1, 0, 1, 1, 0, 0}));
}

TEST(NearestNeighbours, WithoutReplacementTheSecondClientGoesFurther) {
  const Tiny t;
  const Matching m = nearest_neighbours(t.request(2, false));
  // Client 1 first takes controls 1 and 0; client 0 has only 2 (.5) and 3 left: beyond 0.3.
  EXPECT_EQ(sets(m), (std::map<std::int32_t, std::vector<std::int32_t>>{{1, {1, 0}}}));
  EXPECT_EQ(m.status[0], MatchStatus::no_match_within_caliper);
  NearestNeighbourRequest wide = t.request(2, false);
  wide.caliper = 0.6;
  // Client 2 still finds nothing; client 0 gets control 2 (.5), control 3 (1.0) stays out.
  EXPECT_EQ(sets(nearest_neighbours(wide)),
            (std::map<std::int32_t, std::vector<std::int32_t>>{{0, {2}}, {1, {1, 0}}}));
}

TEST(NearestNeighbours, EqualGapsTakeTheSmallerLogitFirst) {
  const std::vector<double> treated{1.0}, control{1.5, 0.5};
  NearestNeighbourRequest r;
  r.treated_logit = treated;
  r.control_logit = control;
  const Matching m = nearest_neighbours(r);
  EXPECT_EQ(m.control, (std::vector<std::int32_t>{1}));
}

TEST(NearestNeighbours, ExactStrataAreNeverCrossed) {
  const std::vector<double> treated{0.0, 0.0, 0.0}, control{0.0, 5.0, 0.01};
  const std::vector<std::int32_t> treated_stratum{1, 2, 7}, control_stratum{2, 1, 1};
  NearestNeighbourRequest r;
  r.treated_logit = treated;
  r.control_logit = control;
  r.treated_stratum = treated_stratum;
  r.control_stratum = control_stratum;
  r.k = 2;
  r.replace = true;
  const Matching m = nearest_neighbours(r);
  // Stratum 1 holds controls 2 (.01) and 1 (5.0): no caliper, so both; stratum 2: control 0.
  EXPECT_EQ(sets(m), (std::map<std::int32_t, std::vector<std::int32_t>>{{0, {2, 1}}, {1, {0}}}));
  EXPECT_EQ(m.status[2], MatchStatus::no_comparison_in_stratum);
}

TEST(NearestNeighbours, ThreadCountDoesNotChangeTheSets) {
  std::vector<double> treated(50'000), control(200'000);
  std::uint64_t state = 7;
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(state >> 11) * 0x1.0p-53;
  };
  for (double& v : treated) v = next();
  for (double& v : control) v = next() * 1.2;
  for (bool replace : {false, true}) {
    NearestNeighbourRequest r;
    r.treated_logit = treated;
    r.control_logit = control;
    r.k = 3;
    r.caliper = 1e-4;
    r.replace = replace;
    r.threads = 1;
    const Matching one = nearest_neighbours(r);
    r.threads = 2;
    const Matching two = nearest_neighbours(r);
    EXPECT_EQ(one.control, two.control);
    EXPECT_EQ(one.set_treated, two.set_treated);
    EXPECT_GT(one.sets(), 0u);
  }
}

TEST(NearestNeighbours, BadInputNamesTheColumn) {
  const std::vector<double> treated{std::nan("")}, control{0.0};
  NearestNeighbourRequest r;
  r.treated_logit = treated;
  r.control_logit = control;
  try {
    nearest_neighbours(r);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.column(), "logit");
    EXPECT_EQ(e.row(), 0);
  }
  const std::vector<double> fine{0.0};
  r.treated_logit = fine;
  r.k = 0;
  EXPECT_THROW(nearest_neighbours(r), InputError);
}

TEST(PseudoIndexDates, DrawnFromTheDonorsIndependentlyOfOrderAndThreads) {
  std::vector<std::int64_t> ids(100'000);
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = 10'000'000 + static_cast<std::int64_t>(i);
  const std::vector<Days> donors{18000, 18100, 18200, 18300};
  const std::vector<Days> reordered{18300, 18000, 18200, 18100};
  const auto one = pseudo_index_dates(ids, donors, 5, 1);
  EXPECT_EQ(one, pseudo_index_dates(ids, reordered, 5, 2));
  EXPECT_NE(one, pseudo_index_dates(ids, donors, 6, 1));
  std::map<Days, int> seen;
  for (Days d : one) ++seen[d];
  ASSERT_EQ(seen.size(), 4u);
  for (const auto& [day, count] : seen) EXPECT_NEAR(count, 25'000, 600) << day;
  // A patient's date does not depend on the other patients.
  const std::vector<std::int64_t> last{ids.back()};
  EXPECT_EQ(pseudo_index_dates(last, donors, 5)[0], one.back());
  EXPECT_THROW(pseudo_index_dates(ids, std::vector<Days>{}, 5), InputError);
}

TEST(Balance, StandardisedMeanDifferenceByHand) {
  // Treated x = 1, 2, 3 (mean 2, var 1); controls 0, 0, 2, 6 (mean 2, var 8) before;
  // after, weights 1, 1, 1 and 0, 0.5, 0.5, 1: controls 0, 2, 6 weighted .5 .5 1.
  const std::vector<double> x{1, 2, 3, 0, 0, 2, 6};
  const std::vector<double> w{1, 1, 1, 0, 0.5, 0.5, 1};
  const Balance b = covariate_balance({x.data(), 7, 1}, 3, w);
  EXPECT_DOUBLE_EQ(b.smd_before[0], 0.0);
  // Weighted control mean (0 + 1 + 6) / 2 = 3.5; squares .5*12.25 + .5*2.25 + 1*6.25 = 13.5;
  // W = 2, sum w^2 = 1.5, so variance 13.5 / (2 - .75) = 10.8.
  EXPECT_DOUBLE_EQ(b.control_mean_after[0], 3.5);
  EXPECT_DOUBLE_EQ(b.smd_after[0], (2.0 - 3.5) / std::sqrt((1.0 + 10.8) / 2));
}

TEST(PropensityMatch, CoefficientsAreThoseOfFitLogistic) {
  // Two covariates, 6 clients then 10 controls, overlapping so the fit converges.
  const std::vector<double> x{3, 1, 2, 0, 4, 1, 1, 1, 2, 1, 3, 0, 0, 0, 1, 0,
                              2, 1, 0, 1, 1, 1, 3, 0, 0, 0, 1, 0, 2, 0, 0, 1};
  const RowMajor<double> view{x.data(), 16, 2};
  PropensityMatchRequest r;
  r.x = view;
  r.treated_rows = 6;
  r.caliper_sd = kNoCaliper;
  const PropensityMatch m = propensity_match(r);
  std::vector<double> y(16, 0.0);
  std::fill_n(y.begin(), 6, 1.0);
  const LogisticFit fit = fit_logistic(view, y);
  EXPECT_EQ(m.fit.coefficients, fit.coefficients);
  EXPECT_EQ(m.fit.intercept, fit.intercept);
  for (std::size_t i = 0; i < 16; ++i)
    EXPECT_NEAR(m.logit[i],
                fit.intercept + fit.coefficients[0] * x[2 * i] + fit.coefficients[1] * x[2 * i + 1],
                1e-12);
  EXPECT_EQ(m.matching.sets(), 6u);  // no caliper: everyone finds someone among 10
  EXPECT_THROW(propensity_match({view, 0}), InputError);
}

}  // namespace
}  // namespace socialrx
