#include "socialrx/model/outcomes.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <utility>

#include "socialrx/core/error.hpp"

namespace socialrx {

namespace {

constexpr const char* kTable = "assessments";
constexpr std::int32_t kUnrated = std::numeric_limits<std::int32_t>::min();

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

std::string item_name(const Framework& framework, std::int32_t item) {
  const Indicator& indicator = framework.indicators[item];
  if (indicator.domain < 0) return indicator.id;
  return framework.domains[indicator.domain].id + "." + indicator.id;
}

std::optional<double> percent_of(std::int64_t change, std::int64_t base) {
  if (base == 0) return std::nullopt;
  return 100.0 * static_cast<double>(change) / static_cast<double>(base);
}

class Rows {
 public:
  explicit Rows(const AssessmentsView& view) : view_(view) {}

  std::int64_t at(std::size_t row) const {
    return view_.source_row.empty() ? static_cast<std::int64_t>(row) : view_.source_row[row];
  }
  [[noreturn]] void fail(const char* column, std::size_t row, const std::string& why) const {
    throw InputError(kTable, column, at(row), why);
  }

 private:
  const AssessmentsView& view_;
};

void validate(const Framework& framework, const AssessmentsView& a, std::int32_t clients) {
  const std::size_t rows = a.rows();
  require_rows(kTable, "date", a.date, rows);
  require_rows(kTable, "timepoint", a.timepoint, rows);
  require_rows(kTable, "item", a.item, rows);
  require_rows(kTable, "value", a.value, rows);
  require_rows_if_given(kTable, "source_row", a.source_row, rows);
  if (clients < 0) throw InputError("clients", "", kNoRow, "a negative number of clients");
  const Rows where(a);
  const auto items = static_cast<std::int32_t>(framework.indicators.size());
  const Scale& scale = framework.scale;
  for (std::size_t row = 0; row < rows; ++row) {
    if (a.client[row] < 0 || a.client[row] >= clients)
      where.fail("client_id", row,
                 "client index " + std::to_string(a.client[row]) + " is not in the clients table");
    if (a.date[row] == kNoDate) where.fail("date", row, "missing date");
    if (a.timepoint[row] >= kTimepoints)
      where.fail("timepoint", row,
                 "unknown timepoint code " + std::to_string(a.timepoint[row]) +
                     " (0 baseline, 1 review, 2 final)");
    if (a.item[row] < 0 || a.item[row] >= items)
      where.fail(
          "item", row,
          "unknown item code " + std::to_string(a.item[row]) + " for framework " + framework.id);
    if (!scale.contains(a.value[row]))
      where.fail("value", row,
                 "value " + number(a.value[row]) + " of '" + item_name(framework, a.item[row]) +
                     "' is not a step of the " + framework.id + " scale " +
                     std::to_string(scale.min) + ".." + std::to_string(scale.max));
  }
}

// Walks the clients one at a time and hands each paired client's ratings on the baseline and
// follow-up dates to a callback, as steps (value - scale.min; kUnrated where not rated).
class PairedRatings {
 public:
  PairedRatings(const Framework& framework, const AssessmentsView& a, std::int32_t clients)
      : framework_(framework), a_(a), clients_(clients) {
    validate(framework, a, clients);
    offsets_.assign(static_cast<std::size_t>(clients) + 1, 0);
    for (std::int32_t client : a.client) ++offsets_[client + 1];
    for (std::size_t c = 0; c < static_cast<std::size_t>(clients); ++c)
      offsets_[c + 1] += offsets_[c];
    order_.resize(a.rows());
    std::vector<std::size_t> next(offsets_.begin(), offsets_.end() - 1);
    for (std::size_t row = 0; row < a.rows(); ++row) order_[next[a.client[row]]++] = row;
    pre_.assign(framework.indicators.size(), kUnrated);
    post_.assign(framework.indicators.size(), kUnrated);
  }

  // body(pre, post) for every paired client; `excluded` counts the others.
  template <class Body>
  void for_each(OutcomeExclusions& excluded, Body&& body) {
    for (std::int32_t client = 0; client < clients_; ++client) {
      const std::size_t begin = offsets_[client];
      const std::size_t end = offsets_[client + 1];
      if (begin == end) {
        ++excluded.not_assessed;
        continue;
      }
      Days baseline = kNoDate;
      Days follow_up = kNoDate;
      for (std::size_t k = begin; k < end; ++k) {
        const std::size_t row = order_[k];
        const Days date = a_.date[row];
        if (a_.timepoint[row] == static_cast<std::uint8_t>(Timepoint::baseline)) {
          if (baseline == kNoDate || date < baseline) baseline = date;
        } else if (follow_up == kNoDate || date > follow_up) {
          follow_up = date;
        }
      }
      if (follow_up == kNoDate) {
        ++excluded.baseline_only;
      } else if (baseline == kNoDate) {
        ++excluded.follow_up_only;
      } else if (follow_up <= baseline) {
        ++excluded.follow_up_not_after_baseline;
      } else {
        ++excluded.paired;
        collect(begin, end, baseline, follow_up);
        body(std::as_const(pre_), std::as_const(post_));
        for (std::int32_t item : touched_) pre_[item] = post_[item] = kUnrated;
        touched_.clear();
      }
    }
  }

 private:
  void collect(std::size_t begin, std::size_t end, Days baseline, Days follow_up) {
    const Rows where(a_);
    for (std::size_t k = begin; k < end; ++k) {
      const std::size_t row = order_[k];
      const bool at_baseline = a_.timepoint[row] == static_cast<std::uint8_t>(Timepoint::baseline);
      if (a_.date[row] != (at_baseline ? baseline : follow_up)) continue;
      const std::int32_t item = a_.item[row];
      std::int32_t& rating = (at_baseline ? pre_ : post_)[item];
      if (rating != kUnrated)
        where.fail("item", row,
                   "a second " + std::string(at_baseline ? "baseline" : "follow-up") +
                       " rating of '" + item_name(framework_, item) + "' for the client on " +
                       format_iso_date(a_.date[row]));
      rating = static_cast<std::int32_t>(a_.value[row]) - framework_.scale.min;
      touched_.push_back(item);
    }
  }

  const Framework& framework_;
  const AssessmentsView& a_;
  std::int32_t clients_;
  std::vector<std::size_t> offsets_;  // rows of client c: order_[offsets_[c] .. offsets_[c+1])
  std::vector<std::size_t> order_;
  std::vector<std::int32_t> pre_;
  std::vector<std::int32_t> post_;
  std::vector<std::int32_t> touched_;
};

// A domain's step from the steps of its rated indicators; kUnrated when none is rated.
std::int32_t derive(DomainRule rule, const std::vector<std::int32_t>& members,
                    const std::vector<std::int32_t>& ratings) {
  std::int32_t derived = kUnrated;
  std::int64_t sum = 0;
  std::int64_t rated = 0;
  for (std::int32_t item : members) {
    const std::int32_t rating = ratings[item];
    if (rating == kUnrated) continue;
    ++rated;
    sum += rating;
    if (derived == kUnrated || (rule == DomainRule::worst && rating < derived) ||
        (rule == DomainRule::best && rating > derived))
      derived = rating;
  }
  if (rule == DomainRule::mean_rounded_down && rated > 0)
    derived = static_cast<std::int32_t>(sum / rated);  // steps are >= 0: truncation is floor
  return derived;
}

// a / b > c / d for counts with b, d > 0, exactly.
bool greater_share(std::int64_t a, std::int64_t b, std::int64_t c, std::int64_t d) {
  return a * d > c * b;
}

}  // namespace

std::optional<double> IndicatorChange::net_improved() const {
  return percent_of(improved - worsened, paired);
}

DomainOutcomes domain_outcomes(const Framework& framework, const AssessmentsView& assessments,
                               std::int32_t clients, std::optional<DomainRule> rule) {
  if (framework.kind != FrameworkKind::domains)
    throw InputError("framework", "kind", kNoRow, framework.id + " is not a domain framework");
  DomainOutcomes out;
  out.rule = rule.value_or(framework.rule);
  if (std::find(framework.rules.begin(), framework.rules.end(), out.rule) == framework.rules.end())
    throw InputError(
        "framework", "rule", kNoRow,
        std::string(name_of(out.rule)) + " is not a rule " + framework.id + " declares");
  const auto steps = static_cast<std::int32_t>(framework.scale.steps());  // <= kMaxScaleSteps
  out.steps = steps;
  out.domains.resize(framework.domains.size());
  for (auto& domain : out.domains) domain.transitions.assign(std::size_t(steps) * steps, 0);
  out.indicators.resize(framework.indicators.size());

  std::vector<std::vector<std::int32_t>> members(framework.domains.size());
  for (std::size_t i = 0; i < framework.indicators.size(); ++i)
    members[framework.indicators[i].domain].push_back(static_cast<std::int32_t>(i));
  for (const char* needed : {"not_managing", "managing"})
    if (!framework.threshold(needed))
      throw InputError("framework", "thresholds", kNoRow,
                       framework.id + " has no threshold '" + needed + "'");
  const Threshold& not_managing = *framework.threshold("not_managing");
  const Threshold& managing = *framework.threshold("managing");
  const double lowest = framework.scale.min;

  PairedRatings ratings(framework, assessments, clients);
  ratings.for_each(out.excluded, [&](const auto& pre, const auto& post) {
    for (std::size_t d = 0; d < members.size(); ++d) {
      const std::int32_t before = derive(out.rule, members[d], pre);
      const std::int32_t after = derive(out.rule, members[d], post);
      DomainOutcome& domain = out.domains[d];
      if (before == kUnrated || after == kUnrated) {
        domain.rated_baseline_only += before != kUnrated;
        domain.rated_follow_up_only += after != kUnrated;
        continue;
      }
      ++domain.clients;
      ++domain.transitions[std::size_t(before) * steps + after];
      domain.not_managing_pre += not_managing.contains(before + lowest);
      domain.not_managing_post += not_managing.contains(after + lowest);
      domain.managing_pre += managing.contains(before + lowest);
      domain.managing_post += managing.contains(after + lowest);
    }
    for (std::size_t i = 0; i < pre.size(); ++i) {
      if (pre[i] == kUnrated || post[i] == kUnrated) continue;
      IndicatorChange& change = out.indicators[i];
      ++change.paired;
      change.improved += post[i] > pre[i];
      change.worsened += post[i] < pre[i];
    }
  });

  for (std::size_t d = 0; d < members.size(); ++d) {
    DomainOutcome& domain = out.domains[d];
    domain.pct_reduction_not_managing =
        percent_of(domain.not_managing_pre - domain.not_managing_post, domain.not_managing_pre);
    domain.pct_increase_managing =
        percent_of(domain.managing_post - domain.managing_pre, domain.managing_pre);
    for (std::int32_t item : members[d]) {  // in listed order: the first wins a tie
      const IndicatorChange& change = out.indicators[item];
      if (change.paired == 0) continue;
      const std::int32_t best = domain.greatest_improvement;
      if (best < 0 || greater_share(change.improved - change.worsened, change.paired,
                                    out.indicators[best].improved - out.indicators[best].worsened,
                                    out.indicators[best].paired))
        domain.greatest_improvement = item;
    }
  }
  return out;
}

QuestionnaireOutcomes questionnaire_outcomes(const Framework& framework,
                                             const AssessmentsView& assessments,
                                             std::int32_t clients) {
  if (framework.kind != FrameworkKind::questionnaire)
    throw InputError("framework", "kind", kNoRow, framework.id + " is not a questionnaire");
  const auto items = static_cast<std::int32_t>(framework.indicators.size());
  const bool summed = framework.scoring == Scoring::sum;
  QuestionnaireOutcomes out;
  out.scores.resize(summed ? 1 : items);
  if (!summed)
    for (std::int32_t i = 0; i < items; ++i) out.scores[i].item = i;
  out.thresholds.resize(framework.thresholds.size());
  std::vector<double> sum_pre(out.scores.size());
  std::vector<double> sum_post(out.scores.size());

  auto score = [&](std::int32_t raw_steps) {
    if (framework.conversion.empty())  // in double: items x min can pass 2^31
      return double(raw_steps) + double(items) * framework.scale.min;
    return framework.conversion[raw_steps];
  };
  auto record = [&](std::size_t s, double before, double after) {
    ++out.scores[s].clients;
    sum_pre[s] += before;
    sum_post[s] += after;
    for (std::size_t t = 0; t < framework.thresholds.size(); ++t) {
      const Threshold& threshold = framework.thresholds[t];
      if (threshold.item != out.scores[s].item) continue;
      ++out.thresholds[t].clients;
      out.thresholds[t].pre += threshold.contains(before);
      out.thresholds[t].post += threshold.contains(after);
    }
  };

  PairedRatings ratings(framework, assessments, clients);
  ratings.for_each(out.excluded, [&](const auto& pre, const auto& post) {
    const bool complete_pre = std::find(pre.begin(), pre.end(), kUnrated) == pre.end();
    const bool complete_post = std::find(post.begin(), post.end(), kUnrated) == post.end();
    out.excluded.incomplete_baseline += !complete_pre;
    out.excluded.incomplete_follow_up += complete_pre && !complete_post;
    if (summed) {
      if (!complete_pre || !complete_post) return;
      std::int32_t raw_pre = 0;
      std::int32_t raw_post = 0;
      for (std::int32_t i = 0; i < items; ++i) {
        raw_pre += pre[i];
        raw_post += post[i];
      }
      record(0, score(raw_pre), score(raw_post));
      return;
    }
    for (std::int32_t i = 0; i < items; ++i)
      if (pre[i] != kUnrated && post[i] != kUnrated)
        record(i, pre[i] + framework.scale.min, post[i] + framework.scale.min);
  });

  for (std::size_t s = 0; s < out.scores.size(); ++s) {
    const std::int64_t n = out.scores[s].clients;
    if (n == 0) continue;
    out.scores[s].mean_pre = sum_pre[s] / static_cast<double>(n);
    out.scores[s].mean_post = sum_post[s] / static_cast<double>(n);
  }
  for (auto& threshold : out.thresholds)
    threshold.pct_fewer = percent_of(threshold.pre - threshold.post, threshold.pre);
  return out;
}

}  // namespace socialrx
