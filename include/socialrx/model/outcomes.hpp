#pragma once
// Outcomes: how clients' ratings changed between baseline and follow-up.
//
// A client's baseline is the earliest date of a baseline assessment; the follow-up is the
// latest date of a review or final assessment. Only ratings on those two dates are used, and
// the client is paired only when the follow-up date is after the baseline date. Every
// assessed client who is not paired is counted by reason (OutcomeExclusions).
//
// Percentages are in percent (81.0, not 0.81) and nullopt where the base is zero:
//   % reduction in not managing = 100 (NM_pre - NM_post) / NM_pre
//   % increase in managing      = 100 (M_post - M_pre) / M_pre
//   % fewer over a threshold    = 100 (pre - post) / pre
#include <cstdint>
#include <optional>
#include <vector>

#include "socialrx/core/columns.hpp"
#include "socialrx/core/dates.hpp"
#include "socialrx/model/framework.hpp"

namespace socialrx {

enum class Timepoint : std::uint8_t { baseline = 0, review = 1, final = 2 };
inline constexpr std::uint8_t kTimepoints = 3;

// The rows of one instrument's assessments, long format.
struct AssessmentsView {
  Column<std::int32_t> client;  // row position in the clients table: 0..clients-1
  Column<Days> date;
  Column<std::uint8_t> timepoint;  // a Timepoint
  Column<std::int32_t> item;       // index into Framework::indicators
  Column<double> value;
  Column<std::int64_t> source_row;  // optional: the caller's row numbers, named in errors

  std::size_t rows() const { return client.size(); }
};

// Each client is counted once: not assessed, or under the first reason that applies.
struct OutcomeExclusions {
  std::int64_t not_assessed = 0;                  // no row for this instrument
  std::int64_t baseline_only = 0;                 // no review or final assessment
  std::int64_t follow_up_only = 0;                // no baseline assessment
  std::int64_t follow_up_not_after_baseline = 0;  // latest follow-up on or before the baseline
  std::int64_t paired = 0;                        // the rest: used
  // Paired clients whose questionnaire misses an item at baseline (or, complete at baseline,
  // at follow-up). Summed scores leave them out; items scored one by one still use them.
  std::int64_t incomplete_baseline = 0;
  std::int64_t incomplete_follow_up = 0;
};

struct DomainOutcome {
  std::int64_t clients = 0;  // paired clients with a domain rating on both dates
  std::int64_t not_managing_pre = 0;
  std::int64_t not_managing_post = 0;
  std::int64_t managing_pre = 0;
  std::int64_t managing_post = 0;
  std::optional<double> pct_reduction_not_managing;
  std::optional<double> pct_increase_managing;
  std::vector<std::int64_t> transitions;  // [baseline step][follow-up step], steps x steps
  // The indicator with the largest net share improved (IndicatorChange); the first listed on a
  // tie; -1 when no indicator of the domain was rated on both dates.
  std::int32_t greatest_improvement = -1;
  std::int64_t rated_baseline_only = 0;   // paired clients rated in the domain only at baseline
  std::int64_t rated_follow_up_only = 0;  // ... only at follow-up
};

// Over paired clients rated on the indicator on both dates.
struct IndicatorChange {
  std::int64_t paired = 0;
  std::int64_t improved = 0;  // follow-up rating above the baseline rating
  std::int64_t worsened = 0;

  // 100 (improved - worsened) / paired; nullopt when none are paired.
  std::optional<double> net_improved() const;
};

struct DomainOutcomes {
  DomainRule rule = DomainRule::worst;
  std::int32_t steps = 0;                   // the scale's steps: transitions are steps x steps
  std::vector<DomainOutcome> domains;       // [domain]
  std::vector<IndicatorChange> indicators;  // [indicator]
  OutcomeExclusions excluded;
};

// Validates the rows (InputError naming table "assessments", column and row) and computes
// the per-domain outcomes of a domain framework. `rule` must be one of the framework's
// declared rules; by default the framework's own.
DomainOutcomes domain_outcomes(const Framework& framework, const AssessmentsView& assessments,
                               std::int32_t clients, std::optional<DomainRule> rule = {});

struct ScoreChange {
  std::int32_t item = Threshold::kScore;  // the questionnaire score, or one item
  std::int64_t clients = 0;
  std::optional<double> mean_pre;  // nullopt without clients
  std::optional<double> mean_post;
};

struct ThresholdChange {
  std::int64_t clients = 0;
  std::int64_t pre = 0;  // clients within the threshold at baseline
  std::int64_t post = 0;
  std::optional<double> pct_fewer;
};

struct QuestionnaireOutcomes {
  std::vector<ScoreChange> scores;          // summed: the score; per item: one per item
  std::vector<ThresholdChange> thresholds;  // [framework threshold]
  OutcomeExclusions excluded;
};

// The same for a questionnaire: a summed score (converted when the framework has a
// conversion table) or each item on its own, and the share within each threshold.
QuestionnaireOutcomes questionnaire_outcomes(const Framework& framework,
                                             const AssessmentsView& assessments,
                                             std::int32_t clients);

}  // namespace socialrx
