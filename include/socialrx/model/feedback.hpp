#pragma once
// Client feedback: the share rating the service 4-5 stars, reporting an impact (and a
// significant one), and feeling connected to services, each with the number who answered.
// A missing answer is left out of that measure's denominator and counted as not answered.
#include <array>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "socialrx/core/columns.hpp"

namespace socialrx {

inline constexpr std::uint8_t kNotAnswered = 255;

enum class Impact : std::uint8_t { none, some, significant };
inline constexpr std::size_t kImpacts = 3;
inline constexpr std::array<std::string_view, kImpacts> kImpactNames{"none", "some", "significant"};

struct FeedbackView {
  Column<std::uint8_t> stars;                  // 1..5, or kNotAnswered
  Column<std::uint8_t> impact;                 // an Impact, or kNotAnswered
  Column<std::uint8_t> connected_to_services;  // 0 / 1, or kNotAnswered
  Column<std::int32_t> group;                  // optional: empty puts every row in group 0
  std::int32_t groups = 1;

  std::size_t rows() const { return stars.size(); }
};

// "96% report an impact (of which 28% significant)" reads two ways, so both are measured:
// significant_impact is over everyone who answered the impact question, and
// significant_of_impact over those reporting some or significant impact.
enum class FeedbackMeasure : std::uint8_t {
  four_or_five_stars,
  reported_impact,        // some or significant
  significant_impact,     // of all answering
  significant_of_impact,  // of those reporting an impact
  connected_to_services,
};
inline constexpr std::size_t kFeedbackMeasures = 5;
inline constexpr std::array<std::string_view, kFeedbackMeasures> kFeedbackMeasureNames{
    "four_or_five_stars", "reported_impact", "significant_impact", "significant_of_impact",
    "connected_to_services"};

struct Share {
  std::int64_t answered = 0;      // the denominator
  std::int64_t yes = 0;           // the numerator
  std::int64_t not_answered = 0;  // left out of the denominator

  // 100 x yes / answered; NaN when nobody answered.
  double percent() const { return answered > 0 ? 100.0 * yes / answered : std::nan(""); }
};

struct FeedbackSummary {
  std::int32_t groups = 1;
  std::vector<Share> shares;  // [group][FeedbackMeasure]

  const Share& at(std::int32_t group, FeedbackMeasure measure) const {
    return shares[static_cast<std::size_t>(group) * kFeedbackMeasures +
                  static_cast<std::size_t>(measure)];
  }
};

// Stars outside 1..5, impact codes outside Impact and connected values other than 0 / 1 (each
// unless kNotAnswered) are InputErrors naming table "feedback", the column and the row.
FeedbackSummary summarise_feedback(const FeedbackView& feedback);

}  // namespace socialrx
