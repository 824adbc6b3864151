#pragma once
// Difference-in-differences over matched sets, per event kind and in money, with bootstrap
// percentile intervals.
//
// A matched set is one treated client and one or more comparison patients (controls), each
// with a weight (1/k for k controls per set; a control matched into several sets appears once
// per set). In a window, a set counts when the data cover the client's window and at least one
// of its controls' windows; a control whose window is not covered is left out of its set and
// the set's weights are renormalised over the controls left. With S sets counting:
//
//   change_t(s)   = post - pre of the set's client
//   change_c(s)   = sum_r w_r (post_r - pre_r) / sum_r w_r over the set's controls
//   DiD           = (1/S) sum_s [change_t(s) - change_c(s)]          per treated client
//   DiD %         = 100 x DiD / counterfactual post, where the counterfactual post per client
//                   = treated pre + mean change_c: the share of the events the clients would
//                   have had without the service that they did not have (what a true effect
//                   "removes e of every kind" is, so synthetic truth -e reads -100e)
//   DiD % of pre  = 100 x DiD / treated pre, comparable with the naive % change
//
// DiD equals the interaction coefficient of a weighted least-squares fit of
// y ~ treated + post + treated:post on the long data (one row per person and side; treated
// rows weigh 1, control rows their renormalised weight). Money is sum_kind DiD_kind x unit
// cost over the priced kinds; per-person money is exact integer pence.
//
// Bootstrap: replicate b resamples S sets with replacement from the sets counting in each
// window, with a counter-based random stream keyed by (seed, b, window); so replicates do not
// depend on the thread count or on how the replicates are split into batches. The sets are
// resampled (and summed) in a canonical order, ascending by their values: the order of the
// sets, and so of the clients' rows, changes neither the estimates nor the intervals.
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "socialrx/core/columns.hpp"
#include "socialrx/core/money.hpp"
#include "socialrx/model/event_kinds.hpp"
#include "socialrx/utilisation/windows.hpp"

namespace socialrx {

// The outcomes estimated: each event kind, then money (pence, over the priced kinds).
inline constexpr std::size_t kDidOutcomes = kEventKinds + 1;
inline constexpr std::size_t kDidMoney = kEventKinds;

// Per-person counts as count_utilisation(per_person = true) returns them.
struct PersonCountsView {
  std::size_t windows = 0;
  std::size_t people = 0;
  Column<std::int64_t> counts;    // [person][kind][pre, post][window]
  Column<std::int64_t> included;  // [window][person]: 1 when the data cover the window, else 0
};

// A view of count_utilisation's result (counted per person); the result must outlive it.
inline PersonCountsView person_counts(const UtilisationResult& result) {
  return {result.windows.size(), static_cast<std::size_t>(result.groups), result.counts,
          result.clients_included};
}

// Rows refer to people in PersonCountsView. A client is in one set; a control row may repeat
// a person (matching with replacement).
struct MatchedSetsView {
  Column<std::int32_t> treated_person;  // [set]
  Column<std::int32_t> control_person;  // [control row]
  Column<std::int32_t> control_set;     // [control row]: 0 .. sets - 1
  Column<double> control_weight;        // [control row]: finite, > 0
};

struct DidRequest {
  PersonCountsView people;
  MatchedSetsView sets;
  std::array<std::optional<Pence>, kEventKinds> unit_cost{};  // nullopt: not in the money
  std::uint64_t seed = 1;
};

struct DidEstimate {
  double treated_pre = 0, treated_post = 0;  // per client
  double control_pre = 0, control_post = 0;  // per client: set means of the controls
  double did = 0;                            // per client
  double did_pct = 0;                        // NaN when the counterfactual post is not > 0
  double did_pct_of_pre = 0;                 // NaN when treated_pre is 0
};

struct DidWindow {
  std::int64_t sets = 0;                    // sets counting in the window
  std::int64_t controls = 0;                // control rows counting in those sets
  std::int64_t sets_client_censored = 0;    // the client's window is not covered
  std::int64_t sets_controls_censored = 0;  // no control's window is covered
  std::int64_t controls_censored = 0;       // control rows left out of sets that count
  std::array<DidEstimate, kDidOutcomes> outcomes{};
  // Sum over the sets of the money DiD, rounded to whole pence: exact when every set's
  // control-change is whole pence (one control per set, or equal counts).
  Pence did_pence_total = 0;
};

struct DidInterval {
  double low = 0, high = 0;  // NaN when a replicate leaves the statistic undefined
};

// Percentile intervals, [window][outcome].
struct DidIntervals {
  double level = 0;
  std::int64_t replicates = 0;
  std::vector<std::array<DidInterval, kDidOutcomes>> did;
  std::vector<std::array<DidInterval, kDidOutcomes>> did_pct;
};

// Validates the request (InputError naming table, column and row) and computes the point
// estimates; run() adds bootstrap replicates in batches, intervals() summarises them.
class DidBootstrap {
 public:
  explicit DidBootstrap(const DidRequest& request);

  const std::vector<DidWindow>& estimates() const { return estimates_; }
  bool priced() const { return priced_; }  // whether any kind has a unit cost

  // Adds replicates [replicates(), replicates() + count), on up to `threads` threads; count
  // at most kMaxReplicates a call, and NotEnoughMemory when the draws would not fit.
  void run(std::int64_t count, unsigned threads = 0);
  static constexpr std::int64_t kMaxReplicates = std::int64_t{1} << 32;
  std::int64_t replicates() const { return replicates_; }

  // Linear interpolation between order statistics (numpy's default) at (1 -/+ level) / 2.
  DidIntervals intervals(double level) const;

 private:
  // Per window, one row per set that counts: [set][outcome][did, counterfactual post].
  std::vector<std::vector<double>> set_rows_;
  std::vector<DidWindow> estimates_;
  // [replicate][window][outcome][did, did %]
  std::vector<double> draws_;
  std::int64_t replicates_ = 0;
  std::uint64_t seed_;
  bool priced_ = false;
};

}  // namespace socialrx
