#pragma once
// A matched comparison group for referred clients, drawn from non-referred patients:
// pseudo index dates for the patients, propensity scores by logistic regression, 1:k
// nearest-neighbour matching on the logit of the score within a caliper, and covariate
// balance as standardised mean differences (SMDs).
//
// Matching is on the logit (linear predictor) of the propensity score. A comparison patient
// is within the caliper when |logit_t - logit_c| <= caliper (inclusive). Without replacement
// the matching is greedy, clients taken in descending logit (the hardest to match first; ties
// by the smaller id), each taking its k nearest still-available patients; with replacement
// every client takes its k nearest, so the order does not matter. Among equally near patients
// the one with the smaller logit, then the smaller id, is taken first. Ties break on ids, not
// rows, so that shuffling either table never changes the matched pairs; without ids the row
// stands in for the id. A client with fewer than k patients in the caliper keeps those it has;
// one with none is unmatched, with the reason.
#include <cstdint>
#include <limits>
#include <vector>

#include "socialrx/core/columns.hpp"
#include "socialrx/core/dates.hpp"
#include "socialrx/risk/fit.hpp"

namespace socialrx {

// Each comparison patient's pseudo index date: one of `donor_dates` (the referred clients'
// index dates, so that calendar time matches) drawn uniformly by a counter-based generator
// keyed on (seed, patient id). A patient's date depends on neither the row order, the other
// patients, the donors' order nor the thread count. Ids need not be unique here.
std::vector<Days> pseudo_index_dates(Column<std::int64_t> patient_id, Column<Days> donor_dates,
                                     std::uint64_t seed, unsigned threads = 0);

enum class MatchStatus : std::uint8_t {
  matched = 0,
  no_match_within_caliper = 1,
  no_comparison_in_stratum = 2,
};

inline constexpr double kNoCaliper = std::numeric_limits<double>::infinity();

struct NearestNeighbourRequest {
  Column<double> treated_logit;
  Column<double> control_logit;
  Column<std::int32_t> treated_stratum;  // exact matching: both given (one code a row) or neither
  Column<std::int32_t> control_stratum;
  Column<std::int64_t> treated_id;  // person ids that break ties: both given or neither
  Column<std::int64_t> control_id;
  std::size_t k = 1;
  double caliper = kNoCaliper;  // absolute width on the logit scale
  bool replace = false;
  unsigned threads = 0;  // used with replacement; the result does not depend on it
};

// Matched sets in treated row order; a set's controls nearest first.
struct Matching {
  std::vector<std::int32_t> set_treated;  // [set] treated row
  std::vector<std::int64_t> set_begin;    // [set + 1] offsets into control
  std::vector<std::int32_t> control;      // control rows
  std::vector<MatchStatus> status;        // [treated row]

  std::size_t sets() const { return set_treated.size(); }
};

Matching nearest_neighbours(const NearestNeighbourRequest& request);

// Matching weights (average effect on the treated): a matched client 1, a control the sum over
// its sets of 1 / (controls in the set), everyone else 0. Treated rows first, then controls.
std::vector<double> matching_weights(const Matching& matching, std::size_t controls);

// SMD = (mean_t - mean_c) / sqrt((var_t + var_c) / 2) per column of x, whose first
// `treated_rows` rows are treated and the rest controls. Before: unweighted over all rows;
// after: weighted by `weight` (rows of weight 0 left out). Weighted variances are
// sum w (x - m)^2 / (W - sum w^2 / W), the sample variance when all weights are 1. With both
// variances 0 the SMD is 0 for equal means and +-infinity otherwise.
struct Balance {
  std::vector<double> treated_mean_before, control_mean_before, smd_before;
  std::vector<double> treated_mean_after, control_mean_after, smd_after;
};

Balance covariate_balance(RowMajor<double> x, std::size_t treated_rows, Column<double> weight,
                          unsigned threads = 0);

struct PropensityMatchRequest {
  RowMajor<double> x;  // covariates of eligible people: treated rows first
  std::size_t treated_rows = 0;
  Column<std::int32_t> stratum;  // optional exact-matching stratum per row of x
  // Optional person id per row of x: ties break on it, and the model is fitted over the rows
  // in id order (clients, then patients), so that the pairs never depend on the row order.
  Column<std::int64_t> id;
  std::size_t k = 1;
  double caliper_sd = 0.2;  // in SDs of the logit; kNoCaliper for none
  bool replace = false;
  unsigned threads = 0;
};

struct PropensityMatch {
  LogisticFit fit;              // treated (1) against controls (0) on x
  std::vector<double> logit;    // per row of x
  double logit_sd = 0;          // sqrt((var_t + var_c) / 2) of the logit
  double caliper = kNoCaliper;  // absolute: caliper_sd * logit_sd
  Matching matching;
  std::vector<double> weight;  // per row of x, see matching_weights
  Balance balance;
};

// Fits the propensity model (fit_logistic, no penalty), matches and measures balance.
// InputError for bad sizes, k < 1, a caliper that is not positive, and whatever the fit
// reports (collinear covariates, separation).
PropensityMatch propensity_match(const PropensityMatchRequest& request);

}  // namespace socialrx
