#include "socialrx/model/feedback.hpp"

#include <string>

#include "socialrx/core/error.hpp"

namespace socialrx {

namespace {

constexpr const char* kTable = "feedback";

void check_codes(const char* column, Column<std::uint8_t> values, std::uint8_t first,
                 std::uint8_t last) {
  for (std::size_t row = 0; row < values.size(); ++row)
    if (values[row] != kNotAnswered && (values[row] < first || values[row] > last))
      throw InputError(kTable, column, static_cast<std::int64_t>(row),
                       std::to_string(values[row]) + " outside " + std::to_string(first) + ".." +
                           std::to_string(last));
}

void count(Share& share, std::uint8_t answer, bool yes) {
  if (answer == kNotAnswered) {
    ++share.not_answered;
  } else {
    ++share.answered;
    share.yes += yes;
  }
}

}  // namespace

FeedbackSummary summarise_feedback(const FeedbackView& feedback) {
  const std::size_t rows = feedback.rows();
  require_rows(kTable, "impact", feedback.impact, rows);
  require_rows(kTable, "connected_to_services", feedback.connected_to_services, rows);
  require_rows_if_given(kTable, "group", feedback.group, rows);
  if (feedback.groups < 1) throw InputError(kTable, "group", kNoRow, "at least one group");
  check_codes("stars", feedback.stars, 1, 5);
  check_codes("impact", feedback.impact, 0, kImpacts - 1);
  check_codes("connected_to_services", feedback.connected_to_services, 0, 1);
  for (std::size_t row = 0; row < feedback.group.size(); ++row)
    if (feedback.group[row] < 0 || feedback.group[row] >= feedback.groups)
      throw InputError(kTable, "group", static_cast<std::int64_t>(row),
                       "group code " + std::to_string(feedback.group[row]) + " outside 0.." +
                           std::to_string(feedback.groups - 1));

  FeedbackSummary out;
  out.groups = feedback.groups;
  out.shares.resize(static_cast<std::size_t>(feedback.groups) * kFeedbackMeasures);
  for (std::size_t row = 0; row < rows; ++row) {
    Share* share =
        &out.shares[(feedback.group.empty() ? 0 : feedback.group[row]) * kFeedbackMeasures];
    const auto at = [&](FeedbackMeasure m) -> Share& { return share[static_cast<std::size_t>(m)]; };
    const std::uint8_t stars = feedback.stars[row];
    const std::uint8_t impact = feedback.impact[row];
    const std::uint8_t connected = feedback.connected_to_services[row];
    const bool any_impact =
        impact != kNotAnswered && impact != static_cast<std::uint8_t>(Impact::none);
    const bool significant = impact == static_cast<std::uint8_t>(Impact::significant);
    count(at(FeedbackMeasure::four_or_five_stars), stars, stars >= 4);
    count(at(FeedbackMeasure::reported_impact), impact, any_impact);
    count(at(FeedbackMeasure::significant_impact), impact, significant);
    // Over those reporting an impact: an answer of "none" is outside this denominator.
    if (impact == kNotAnswered || any_impact)
      count(at(FeedbackMeasure::significant_of_impact), impact, significant);
    count(at(FeedbackMeasure::connected_to_services), connected, connected == 1);
  }
  return out;
}

}  // namespace socialrx
