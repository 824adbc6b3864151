#include "socialrx/model/framework.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>

#include "detail/json_reader.hpp"
#include "socialrx/core/embedded.hpp"
#include "socialrx/core/error.hpp"

namespace socialrx {

namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 3> kRuleNames{"worst", "best", "mean_rounded_down"};

using Reader = detail::JsonReader;

DomainRule parse_rule(const Reader& in, const json& value, const std::string& key) {
  if (!value.is_string()) in.fail(key, "must be a string");
  const auto rule = domain_rule_from_name(value.get<std::string>());
  if (!rule)
    in.fail(key, "unknown rule '" + value.get<std::string>() +
                     "' (expected worst, best or mean_rounded_down)");
  return *rule;
}

Scale parse_scale(const Reader& in, const json& document) {
  const json& object = in.member(document, "scale", "");
  const auto bound = [&](const char* key) {
    return static_cast<int>(in.whole(object, key, "scale.", -kScaleBound, kScaleBound));
  };
  Scale scale{bound("min"), bound("max"), {}};
  if (scale.max <= scale.min) in.fail("scale.max", "must be above scale.min");
  if (scale.steps() > kMaxScaleSteps)
    in.fail("scale.max", "a scale has at most " + std::to_string(kMaxScaleSteps) + " steps, got " +
                             std::to_string(scale.steps()));
  scale.labels.resize(static_cast<std::size_t>(scale.steps()));
  if (!object.contains("labels")) return scale;
  const json& labels = object.at("labels");
  if (!labels.is_object()) in.fail("scale.labels", "must map steps to labels");
  for (const auto& [step, label] : labels.items()) {
    const std::string key = "scale.labels." + step;
    std::size_t used = 0;
    int value = 0;
    try {
      value = std::stoi(step, &used);
    } catch (const std::exception&) {
    }
    if (used != step.size() || step.empty() || value < scale.min || value > scale.max)
      in.fail(key, "is not a step of the scale");
    if (!label.is_string()) in.fail(key, "must be a string");
    scale.labels[value - scale.min] = label.get<std::string>();
  }
  return scale;
}

void check_unique(const Reader& in, const std::vector<std::string>& ids, const std::string& key) {
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i].empty() || ids[i].find('.') != std::string::npos)
      in.fail(key, "id '" + ids[i] + "' must be non-empty and contain no '.'");
    for (std::size_t j = 0; j < i; ++j)
      if (ids[i] == ids[j]) in.fail(key, "repeats the id '" + ids[i] + "'");
  }
}

void parse_domains(const Reader& in, const json& document, Framework& framework) {
  const json& domains = in.array(document, "domains", "");
  std::vector<std::string> domain_ids;
  for (std::size_t d = 0; d < domains.size(); ++d) {
    const std::string path = "domains[" + std::to_string(d) + "].";
    framework.domains.push_back(
        {in.text(domains[d], "id", path), in.text(domains[d], "name", path)});
    domain_ids.push_back(framework.domains.back().id);
    const json& indicators = in.array(domains[d], "indicators", path);
    std::vector<std::string> indicator_ids;
    for (std::size_t i = 0; i < indicators.size(); ++i) {
      const std::string at = path + "indicators[" + std::to_string(i) + "].";
      framework.indicators.push_back({in.text(indicators[i], "id", at),
                                      in.text(indicators[i], "text", at),
                                      static_cast<std::int32_t>(d), true});
      indicator_ids.push_back(framework.indicators.back().id);
    }
    check_unique(in, indicator_ids, path + "indicators");
  }
  check_unique(in, domain_ids, "domains");

  framework.rule = parse_rule(in, in.member(document, "rule", ""), "rule");
  framework.rules = {framework.rule};
  if (document.contains("rules")) {
    const json& rules = document.at("rules");
    if (!rules.is_array()) in.fail("rules", "must be a list of rule names");
    for (std::size_t r = 0; r < rules.size(); ++r) {
      const DomainRule rule = parse_rule(in, rules[r], "rules[" + std::to_string(r) + "]");
      if (std::find(framework.rules.begin(), framework.rules.end(), rule) == framework.rules.end())
        framework.rules.push_back(rule);
    }
  }
}

void parse_items(const Reader& in, const json& document, Framework& framework) {
  const json& items = in.array(document, "items", "");
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string path = "items[" + std::to_string(i) + "].";
    framework.indicators.push_back(
        {in.text(items[i], "id", path), in.text(items[i], "text", path)});
    ids.push_back(framework.indicators.back().id);
  }
  check_unique(in, ids, "items");

  const json& scoring = in.member(document, "scoring", "");
  const std::string method = in.text(scoring, "method", "scoring.");
  if (method == "per_item") {
    framework.scoring = Scoring::per_item;
    return;
  }
  if (method != "sum") in.fail("scoring.method", "must be 'sum' or 'per_item'");
  framework.scoring = Scoring::sum;
  if (!scoring.contains("conversion")) return;
  const json& conversion = scoring.at("conversion");
  framework.conversion_source = in.text(conversion, "source", "scoring.conversion.");
  const json& table = in.member(conversion, "table", "scoring.conversion.");
  if (!table.is_object()) in.fail("scoring.conversion.table", "must map raw sums to scores");
  // Bounded scales keep these far inside int64 for any item count a file can hold, and the
  // table at most (kMaxScaleSteps - 1) entries an item.
  const auto n = static_cast<std::int64_t>(items.size());
  const std::int64_t lowest = n * framework.scale.min;
  const std::int64_t highest = n * framework.scale.max;
  framework.conversion.assign(static_cast<std::size_t>(highest - lowest + 1), std::nan(""));
  for (const auto& [raw, score] : table.items()) {
    const std::string key = "scoring.conversion.table." + raw;
    std::size_t used = 0;
    std::int64_t sum = lowest - 1;
    try {
      sum = std::stoll(raw, &used);
    } catch (const std::exception&) {
    }
    if (used != raw.size() || sum < lowest || sum > highest)
      in.fail(key, "is not a raw sum between " + std::to_string(lowest) + " and " +
                       std::to_string(highest));
    if (!score.is_number()) in.fail(key, "must be a number");
    framework.conversion[sum - lowest] = score.get<double>();
  }
  for (std::size_t s = 0; s < framework.conversion.size(); ++s)
    if (std::isnan(framework.conversion[s]))
      in.fail(
          "scoring.conversion.table",
          "has no score for the raw sum " + std::to_string(lowest + static_cast<std::int64_t>(s)));
}

void parse_thresholds(const Reader& in, const json& document, Framework& framework) {
  if (!document.contains("thresholds")) return;
  const json& thresholds = document.at("thresholds");
  if (!thresholds.is_array()) in.fail("thresholds", "must be a list");
  std::vector<std::string> ids;
  for (std::size_t t = 0; t < thresholds.size(); ++t) {
    const std::string path = "thresholds[" + std::to_string(t) + "].";
    Threshold threshold{in.text(thresholds[t], "id", path),
                        in.optional_text(thresholds[t], "label", path),
                        in.optional_text(thresholds[t], "source", path),
                        Threshold::kScore,
                        in.optional_number(thresholds[t], "min", path),
                        in.optional_number(thresholds[t], "max", path)};
    if (!threshold.min && !threshold.max) in.fail(path + "min", "a threshold needs min or max");
    if (thresholds[t].contains("item")) {
      if (framework.kind != FrameworkKind::questionnaire)
        in.fail(path + "item", "only questionnaire thresholds apply to one item");
      const std::string item = in.text(thresholds[t], "item", path);
      for (std::size_t i = 0; i < framework.indicators.size(); ++i)
        if (framework.indicators[i].id == item) threshold.item = static_cast<std::int32_t>(i);
      if (threshold.item == Threshold::kScore)
        in.fail(path + "item", "unknown item '" + item + "'");
    } else if (framework.kind == FrameworkKind::questionnaire &&
               framework.scoring == Scoring::per_item) {
      in.fail(path + "item", "is required: items scored one by one have no total score");
    }
    ids.push_back(threshold.id);
    framework.thresholds.push_back(std::move(threshold));
  }
  check_unique(in, ids, "thresholds");
}

}  // namespace

std::string_view name_of(DomainRule rule) {
  return kRuleNames[static_cast<std::size_t>(rule)];
}

std::optional<DomainRule> domain_rule_from_name(std::string_view name) {
  for (std::size_t r = 0; r < kRuleNames.size(); ++r)
    if (kRuleNames[r] == name) return static_cast<DomainRule>(r);
  return std::nullopt;
}

bool Scale::contains(double value) const {
  return value >= min && value <= max && value == std::floor(value);
}

const Threshold* Framework::threshold(std::string_view wanted) const {
  for (const auto& threshold : thresholds)
    if (threshold.id == wanted) return &threshold;
  return nullptr;
}

Framework framework_from_json(std::string_view text, std::string_view origin) {
  const Reader in{origin};
  const json document = in.parse(text);
  if (!document.is_object()) in.fail("", "a framework must be a JSON object");
  Framework framework;
  framework.id = in.text(document, "id", "");
  if (framework.id.empty() || framework.id.find('.') != std::string::npos)
    in.fail("id", "must be non-empty and contain no '.'");
  framework.name = in.text(document, "name", "");
  framework.source = in.optional_text(document, "source", "");
  const std::string kind = in.text(document, "kind", "");
  if (kind != "domains" && kind != "questionnaire")
    in.fail("kind", "must be 'domains' or 'questionnaire'");
  framework.kind = kind == "domains" ? FrameworkKind::domains : FrameworkKind::questionnaire;
  framework.scale = parse_scale(in, document);
  if (framework.kind == FrameworkKind::domains) {
    parse_domains(in, document, framework);
  } else {
    parse_items(in, document, framework);
  }
  parse_thresholds(in, document, framework);
  if (framework.kind == FrameworkKind::domains)
    for (const char* needed : {"not_managing", "managing"})
      if (!framework.threshold(needed))
        in.fail("thresholds",
                std::string("a domain framework needs the threshold '") + needed + "'");
  return framework;
}

Framework embedded_framework(std::string_view name) {
  const std::string key = "frameworks/" + std::string(name) + ".json";
  return framework_from_json(embedded_file(key), key);
}

std::int32_t resolve_item(Framework& framework, std::string_view item) {
  const std::size_t dot = item.find('.');
  auto find = [&](std::string_view id, std::int32_t domain) {
    for (std::size_t i = 0; i < framework.indicators.size(); ++i)
      if (framework.indicators[i].domain == domain && framework.indicators[i].id == id)
        return static_cast<std::int32_t>(i);
    return kUnknownItem;
  };
  if (framework.kind == FrameworkKind::questionnaire) {
    const bool prefixed = dot != std::string_view::npos && item.substr(0, dot) == framework.id;
    return find(prefixed ? item.substr(dot + 1) : item, -1);
  }
  if (dot == std::string_view::npos) return kUnknownItem;
  const std::string_view domain_id = item.substr(0, dot);
  const std::string_view indicator_id = item.substr(dot + 1);
  for (std::size_t d = 0; d < framework.domains.size(); ++d) {
    if (framework.domains[d].id != domain_id) continue;
    const auto domain = static_cast<std::int32_t>(d);
    if (const std::int32_t found = find(indicator_id, domain); found != kUnknownItem) return found;
    if (indicator_id.empty()) return kUnknownItem;
    framework.indicators.push_back(
        {std::string(indicator_id), std::string(indicator_id), domain, false});
    return static_cast<std::int32_t>(framework.indicators.size() - 1);
  }
  return kUnknownItem;
}

}  // namespace socialrx
