#include "socialrx/evaluate/did.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace socialrx {
namespace {

constexpr auto kAE = static_cast<std::size_t>(EventKind::ae_attendance);
constexpr auto kGP = static_cast<std::size_t>(EventKind::gp_surgery);

// Per-person counts in the layout count_utilisation(per_person) returns.
struct People {
  std::size_t windows, people;
  std::vector<std::int64_t> counts, included;

  People(std::size_t windows, std::size_t people)
      : windows(windows),
        people(people),
        counts(windows * people * kEventKinds * 2, 0),
        included(windows * people, 1) {}
  void set(std::size_t window, std::size_t person, std::size_t kind, std::int64_t pre,
           std::int64_t post) {
    counts[((person * kEventKinds + kind) * 2) * windows + window] = pre;
    counts[((person * kEventKinds + kind) * 2 + 1) * windows + window] = post;
  }
  PersonCountsView view() const { return {windows, people, counts, included}; }
};

struct Sets {
  std::vector<std::int32_t> treated, control, set;
  std::vector<double> weight;
  MatchedSetsView view() const { return {treated, control, set, weight}; }
};

// Three sets, worked by hand (A&E pre -> post):
//   set 0: client 0  4 -> 1, control 3  3 -> 2 (weight 1)       d = -3 - (-1) = -2
//   set 1: client 1  2 -> 2, controls 4  2 -> 0, 5  1 -> 3 (1/2)  d =  0 - 0     =  0
//   set 2: client 2  5 -> 2, control 6  4 -> 4                  d = -3 - 0     = -3
// DiD = -5/3 per client; counterfactual post = treated pre + control change = (3 + 2 + 5) / 3.
struct HandWorked {
  People people{1, 7};
  Sets sets{{0, 1, 2}, {3, 4, 5, 6}, {0, 1, 1, 2}, {1.0, 0.5, 0.5, 1.0}};
  HandWorked() {
    const std::int64_t ae[7][2] = {{4, 1}, {2, 2}, {5, 2}, {3, 2}, {2, 0}, {1, 3}, {4, 4}};
    for (std::size_t p = 0; p < 7; ++p) people.set(0, p, kAE, ae[p][0], ae[p][1]);
    people.set(0, 0, kGP, 10, 10);  // priced at nothing: money is A&E alone
  }
  DidRequest request() const {
    DidRequest r;
    r.people = people.view();
    r.sets = sets.view();
    r.unit_cost[kAE] = 15'000;
    r.unit_cost[kGP] = 0;
    return r;
  }
};

TEST(Did, HandWorkedThreeSets) {
  const HandWorked h;
  const DidBootstrap did(h.request());
  const DidWindow& w = did.estimates()[0];
  EXPECT_EQ(w.sets, 3);
  EXPECT_EQ(w.controls, 4);
  const DidEstimate& ae = w.outcomes[kAE];
  EXPECT_DOUBLE_EQ(ae.treated_pre, 11.0 / 3);
  EXPECT_DOUBLE_EQ(ae.treated_post, 5.0 / 3);
  EXPECT_DOUBLE_EQ(ae.control_pre, (3 + 1.5 + 4) / 3);
  EXPECT_DOUBLE_EQ(ae.control_post, (2 + 1.5 + 4) / 3);
  EXPECT_DOUBLE_EQ(ae.did, -5.0 / 3);
  EXPECT_DOUBLE_EQ(ae.did_pct, -50.0);
  EXPECT_DOUBLE_EQ(ae.did_pct_of_pre, -500.0 / 11);
  EXPECT_DOUBLE_EQ(w.outcomes[kDidMoney].did, -5.0 / 3 * 15'000);
  EXPECT_EQ(w.did_pence_total, -75'000);
  EXPECT_DOUBLE_EQ(w.outcomes[kGP].did_pct_of_pre, 0.0);
  EXPECT_DOUBLE_EQ(w.outcomes[kGP].did, 0.0);
}

TEST(Did, OneSetGivesADegenerateInterval) {
  HandWorked h;
  h.sets = {{0}, {3}, {0}, {1.0}};
  DidBootstrap did(h.request());
  did.run(50, 2);
  const DidIntervals ci = did.intervals(0.9);
  EXPECT_EQ(ci.replicates, 50);
  EXPECT_DOUBLE_EQ(ci.did[0][kAE].low, -2.0);
  EXPECT_DOUBLE_EQ(ci.did[0][kAE].high, -2.0);
}

TEST(Did, CensoringDropsSetsAndRenormalisesControls) {
  HandWorked h;
  h.people.included[0] = 0;  // client 0: set 0 drops out
  h.people.included[5] = 0;  // control 5: control 4 carries set 1 alone, change -2
  const DidBootstrap did(h.request());
  const DidWindow& w = did.estimates()[0];
  EXPECT_EQ(w.sets, 2);
  EXPECT_EQ(w.controls, 2);
  EXPECT_EQ(w.sets_client_censored, 1);
  EXPECT_EQ(w.sets_controls_censored, 0);
  EXPECT_EQ(w.controls_censored, 1);
  EXPECT_DOUBLE_EQ(w.outcomes[kAE].did, (2.0 + -3.0) / 2);  // set 1: 0 - (-2), set 2: -3

  h.people.included[6] = 0;  // set 2's only control
  const DidBootstrap without(h.request());
  const DidWindow& v = without.estimates()[0];
  EXPECT_EQ(v.sets, 1);
  EXPECT_EQ(v.sets_controls_censored, 1);
}

TEST(Did, NoSetCountingGivesNaN) {
  HandWorked h;
  std::fill(h.people.included.begin(), h.people.included.end(), 0);
  DidBootstrap did(h.request());
  did.run(10, 1);
  EXPECT_EQ(did.estimates()[0].sets, 0);
  EXPECT_TRUE(std::isnan(did.estimates()[0].outcomes[kAE].did));
  EXPECT_TRUE(std::isnan(did.intervals(0.95).did[0][kAE].low));
}

// Many sets, two windows, random counts and weights.
struct Random {
  People people{2, 3000};
  Sets sets;
  explicit Random(unsigned seed) {
    std::mt19937 rng(seed);
    std::poisson_distribution<int> count(2.0);
    for (auto& c : people.counts) c = count(rng);
    for (auto& i : people.included) i = rng() % 10 != 0;
    for (std::int32_t s = 0; s < 1000; ++s) {
      sets.treated.push_back(s);
      for (std::int32_t j = 0; j < 2; ++j) {
        sets.control.push_back(1000 + 2 * s + j);
        sets.set.push_back(s);
        sets.weight.push_back(0.5 + (rng() % 3));
      }
    }
  }
  DidRequest request(std::uint64_t seed) const {
    DidRequest r;
    r.people = people.view();
    r.sets = sets.view();
    r.unit_cost[kAE] = 12'345;
    r.seed = seed;
    return r;
  }
};

void expect_same(const DidIntervals& a, const DidIntervals& b) {
  for (std::size_t w = 0; w < a.did.size(); ++w)
    for (std::size_t o = 0; o < kDidOutcomes; ++o) {
      EXPECT_EQ(a.did[w][o].low, b.did[w][o].low);
      EXPECT_EQ(a.did[w][o].high, b.did[w][o].high);
      EXPECT_EQ(a.did_pct[w][o].low, b.did_pct[w][o].low);
      EXPECT_EQ(a.did_pct[w][o].high, b.did_pct[w][o].high);
    }
}

TEST(Did, ReplicatesDoNotDependOnThreadsOrBatches) {
  const Random data(7);
  DidBootstrap one(data.request(3)), batched(data.request(3)), other_seed(data.request(4));
  one.run(400, 1);
  batched.run(1, 2);
  batched.run(150, 8);
  batched.run(249, 3);
  other_seed.run(400, 4);
  expect_same(one.intervals(0.95), batched.intervals(0.95));
  EXPECT_NE(one.intervals(0.95).did[0][kAE].low, other_seed.intervals(0.95).did[0][kAE].low);
}

TEST(Did, IntervalsSurroundTheEstimate) {
  const Random data(11);
  DidBootstrap did(data.request(1));
  did.run(500);
  const DidIntervals ci = did.intervals(0.95), narrow = did.intervals(0.5);
  for (std::size_t w = 0; w < 2; ++w) {
    const double estimate = did.estimates()[w].outcomes[kAE].did;
    EXPECT_LT(ci.did[w][kAE].low, estimate);
    EXPECT_GT(ci.did[w][kAE].high, estimate);
    EXPECT_LT(ci.did[w][kAE].low, narrow.did[w][kAE].low);
    EXPECT_GT(ci.did[w][kAE].high, narrow.did[w][kAE].high);
    // The money interval is the A&E one in pence, the only priced kind.
    EXPECT_NEAR(ci.did[w][kDidMoney].low, 12'345 * ci.did[w][kAE].low, 1e-6);
  }
}

TEST(Did, BadInputNamesTheCell) {
  const HandWorked h;
  auto fails = [&](auto change, const char* column, std::int64_t row) {
    HandWorked bad = h;
    change(bad);
    try {
      DidBootstrap did(bad.request());
      ADD_FAILURE() << "no error for " << column;
    } catch (const InputError& e) {
      EXPECT_EQ(e.column(), column) << e.what();
      EXPECT_EQ(e.row(), row) << e.what();
    }
  };
  fails([](HandWorked& b) { b.sets.weight[2] = 0; }, "weight", 2);
  fails([](HandWorked& b) { b.sets.weight[1] = NAN; }, "weight", 1);
  fails([](HandWorked& b) { b.sets.treated[2] = 0; }, "client", 2);
  fails([](HandWorked& b) { b.sets.control[0] = 1; }, "comparison", 0);
  fails([](HandWorked& b) { b.sets.control[3] = 7; }, "comparison", 3);
  fails([](HandWorked& b) { b.sets.set[3] = 1; }, "set", 2);  // set 2 left without a control
  fails([](HandWorked& b) { b.sets.set[0] = 3; }, "set", 0);
  fails([](HandWorked& b) { b.people.counts[5] = -1; }, "counts", 5);
  fails([](HandWorked& b) { b.people.included[2] = 2; }, "included", 2);
  fails([](HandWorked& b) { b.people.counts.pop_back(); }, "counts", kNoRow);
  fails([](HandWorked& b) { b.sets.weight.pop_back(); }, "weight", kNoRow);

  DidBootstrap did(h.request());
  EXPECT_THROW(did.intervals(1.0), InputError);
  EXPECT_THROW(did.run(-1), InputError);
}

}  // namespace
}  // namespace socialrx
