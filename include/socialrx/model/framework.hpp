#pragma once
// Outcome frameworks: the instrument an assessment item belongs to, its rating scale, how a
// domain's rating is derived from its indicators and which ratings count as thresholds.
//
// JSON (data/frameworks/*.json are the shipped examples):
//   {"id": "dudley7", "name": "...", "source": "...", "kind": "domains",
//    "scale": {"min": 0, "max": 2, "labels": {"0": "not managing", ...}},
//    "rule": "worst", "rules": ["worst", "best", "mean_rounded_down"],
//    "thresholds": [{"id": "not_managing", "max": 0}, {"id": "managing", "min": 2}],
//    "domains": [{"id": "finance", "name": "Finance",
//                 "indicators": [{"id": "enough_money", "text": "I have enough money ..."}]}]}
//   {"id": "swemwbs", "kind": "questionnaire", "scale": {...}, "items": [{"id": "q1", ...}],
//    "scoring": {"method": "sum", "conversion": {"source": "...", "table": {"7": 7.0, ...}}},
//    "thresholds": [{"id": "poor_wellbeing", "max": 17.0}]}
//   {"id": "ons4", "kind": "questionnaire", ..., "scoring": {"method": "per_item"},
//    "thresholds": [{"id": "high_anxiety", "item": "anxiety", "min": 6}]}
// Scales are whole steps min..max, at most kMaxScaleSteps of them (0..100 fits), with min and
// max within +-kScaleBound: each domain's transition table has steps^2 cells, and a bound on
// the steps keeps what a framework file can make the library allocate proportional to the
// file's size. A domain framework must declare the thresholds
// not_managing and managing on the domain rating; a questionnaire threshold applies to the
// score, or with "item" to one item.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace socialrx {

enum class FrameworkKind : std::uint8_t { domains, questionnaire };

// How a domain's rating follows from its indicators rated on one date.
enum class DomainRule : std::uint8_t { worst, best, mean_rounded_down };

std::string_view name_of(DomainRule rule);
std::optional<DomainRule> domain_rule_from_name(std::string_view name);

// sum: all items answered, summed and optionally converted; per_item: items stand alone.
enum class Scoring : std::uint8_t { sum, per_item };

inline constexpr int kMaxScaleSteps = 101;
inline constexpr int kScaleBound = 1'000'000;

struct Scale {
  int min = 0;
  int max = 0;
  std::vector<std::string> labels;  // [value - min]; empty where the step has no label

  // In 64 bits: a hand-made Scale{INT_MIN, INT_MAX} must not wrap.
  std::int64_t steps() const { return std::int64_t{max} - min + 1; }
  // A whole step between min and max (NaN is not).
  bool contains(double value) const;
};

// Inclusive bounds; an absent bound is open.
struct Threshold {
  static constexpr std::int32_t kScore = -1;

  std::string id;
  std::string label;
  std::string source;
  std::int32_t item = kScore;  // questionnaire item index, or kScore
  std::optional<double> min;
  std::optional<double> max;

  bool contains(double value) const { return (!min || value >= *min) && (!max || value <= *max); }
};

struct Domain {
  std::string id;
  std::string name;
};

struct Indicator {
  std::string id;
  std::string text;
  std::int32_t domain = -1;  // index into Framework::domains; -1 in questionnaires
  bool listed = true;        // false: met in the data, not in the framework (see resolve_item)
};

struct Framework {
  std::string id;
  std::string name;
  std::string source;
  FrameworkKind kind = FrameworkKind::domains;
  Scale scale;
  std::vector<Domain> domains;
  // Flattened: domain by domain in the order listed; unlisted indicators are appended, so the
  // listed ones keep their index. Questionnaire items are indicators without a domain.
  std::vector<Indicator> indicators;
  std::vector<Threshold> thresholds;

  DomainRule rule = DomainRule::worst;
  std::vector<DomainRule> rules;  // the rules a caller may choose; includes `rule`

  Scoring scoring = Scoring::per_item;
  std::vector<double> conversion;  // [raw sum - items x scale.min]; empty: the raw sum
  std::string conversion_source;

  // nullptr when there is no threshold of that id.
  const Threshold* threshold(std::string_view id) const;
};

// InputError naming `origin` and the offending key for anything malformed.
Framework framework_from_json(std::string_view text, std::string_view origin = "framework");

// A framework compiled into the library: "dudley7", "swemwbs", "ons4".
Framework embedded_framework(std::string_view name);

inline constexpr std::int32_t kUnknownItem = -1;

// The indicator index of an assessment item. Domain frameworks take "<domain>.<indicator>";
// an indicator the framework does not list, in a known domain, is appended to `framework`
// (listed = false) and used. Questionnaires take "<item>" or "<framework id>.<item>".
// kUnknownItem for an unknown domain or questionnaire item.
std::int32_t resolve_item(Framework& framework, std::string_view item);

}  // namespace socialrx
