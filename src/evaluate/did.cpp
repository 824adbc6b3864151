#include "socialrx/evaluate/did.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <utility>

#include "detail/checked.hpp"
#include "detail/memory.hpp"
#include "detail/parallel.hpp"
#include "socialrx/core/error.hpp"
#include "socialrx/core/random.hpp"

namespace socialrx {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kRow = 2 * kDidOutcomes;  // a set's [outcome][did, counterfactual post]
void validate(const DidRequest& request) {
  const PersonCountsView& people = request.people;
  const MatchedSetsView& sets = request.sets;
  if (people.windows == 0)
    throw InputError("utilisation", "counts", kNoRow, "at least one window is needed");
  require_rows("utilisation", "counts", people.counts,
               people.windows * people.people * kEventKinds * 2);
  require_rows("utilisation", "included", people.included, people.windows * people.people);
  require_non_negative("utilisation", "counts", people.counts);
  for (std::size_t i = 0; i < people.included.size(); ++i)
    if (people.included[i] != 0 && people.included[i] != 1)
      throw InputError("utilisation", "included", static_cast<std::int64_t>(i),
                       "expected 0 or 1, got " + std::to_string(people.included[i]));

  const std::size_t controls = sets.control_person.size();
  require_rows("matches", "set", sets.control_set, controls);
  require_rows("matches", "weight", sets.control_weight, controls);
  const auto n_people = static_cast<std::int64_t>(people.people);
  const auto n_sets = static_cast<std::int64_t>(sets.treated_person.size());
  auto check_person = [&](const char* column, Column<std::int32_t> values, std::size_t row) {
    if (values[row] < 0 || values[row] >= n_people)
      throw InputError(
          "matches", column, static_cast<std::int64_t>(row),
          "person " + std::to_string(values[row]) + " outside 0.." + std::to_string(n_people - 1));
  };
  // 1: a treated client, 2: a control; a person cannot be both, nor a client twice.
  std::vector<std::uint8_t> role(people.people, 0);
  for (std::size_t set = 0; set < sets.treated_person.size(); ++set) {
    check_person("client", sets.treated_person, set);
    if (std::exchange(role[sets.treated_person[set]], 1) != 0)
      throw InputError("matches", "client", static_cast<std::int64_t>(set),
                       "the client is in more than one matched set");
  }
  std::vector<std::uint8_t> has_control(sets.treated_person.size(), 0);
  for (std::size_t row = 0; row < controls; ++row) {
    const auto r = static_cast<std::int64_t>(row);
    check_person("comparison", sets.control_person, row);
    if (role[sets.control_person[row]] == 1)
      throw InputError("matches", "comparison", r, "the person is also a treated client");
    role[sets.control_person[row]] = 2;
    const std::int32_t set = sets.control_set[row];
    if (set < 0 || set >= n_sets)
      throw InputError("matches", "set", r,
                       "set " + std::to_string(set) + " outside 0.." + std::to_string(n_sets - 1));
    const double weight = sets.control_weight[row];
    if (!std::isfinite(weight) || weight <= 0)
      throw InputError("matches", "weight", r,
                       "a finite weight > 0 is required, got " + std::to_string(weight));
    has_control[set] = 1;
  }
  for (std::size_t set = 0; set < has_control.size(); ++set)
    if (!has_control[set])
      throw InputError("matches", "set", static_cast<std::int64_t>(set), "the set has no control");
  for (std::size_t k = 0; k < kEventKinds; ++k)
    if (request.unit_cost[k] && *request.unit_cost[k] < 0)
      throw InputError("tariff", std::string(kEventKindNames[k]), kNoRow, "negative unit cost");
}

// Money is summed in int64 over the sets; checked once here, on the largest count of each
// kind, so that the loops over sets need no checks.
void require_money_fits(const DidRequest& request) {
  const PersonCountsView& people = request.people;
  std::array<std::int64_t, kEventKinds> most{};
  for (std::size_t i = 0; i < people.counts.size(); ++i) {
    const std::size_t kind = i / (2 * people.windows) % kEventKinds;
    most[kind] = std::max(most[kind], people.counts[i]);
  }
  __int128 per_person = 0;
  for (std::size_t k = 0; k < kEventKinds; ++k)
    if (request.unit_cost[k]) {
      const detail::Origin origin{"tariff", kEventKindNames[k]};
      per_person += detail::checked_mul(most[k], *request.unit_cost[k], origin);
      detail::checked_narrow(per_person * static_cast<__int128>(request.sets.treated_person.size()),
                             origin);
    }
}

// The set rows in ascending order of their values: a canonical order, so that the resampled
// sets, and the sums' rounding, depend on which sets there are and not on the order the
// clients' rows came in.
void sort_set_rows(std::vector<double>& rows) {
  const std::size_t sets = rows.size() / kRow;
  std::vector<std::size_t> order(sets);
  std::iota(order.begin(), order.end(), std::size_t{0});
  const auto row = [&](std::size_t s) {
    return rows.begin() + static_cast<std::ptrdiff_t>(s * kRow);
  };
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::lexicographical_compare(row(a), row(a) + kRow, row(b), row(b) + kRow);
  });
  std::vector<double> sorted;
  sorted.reserve(rows.size());
  for (std::size_t s : order) sorted.insert(sorted.end(), row(s), row(s) + kRow);
  rows.swap(sorted);
}

// did and did % of every outcome from sums over S sets of a set row's values.
void statistics(const double* sums, std::int64_t sets, double* out) {
  for (std::size_t o = 0; o < kDidOutcomes; ++o) {
    const double did = sums[2 * o] / static_cast<double>(sets);
    const double counterfactual = sums[2 * o + 1] / static_cast<double>(sets);
    out[2 * o] = sets > 0 ? did : kNaN;
    out[2 * o + 1] = counterfactual > 0 ? 100.0 * did / counterfactual : kNaN;
  }
}

// One replicate of one window: `sets` draws with replacement from the window's set rows.
void resample(const std::vector<double>& rows, std::int64_t sets, CounterRng rng, double* out) {
  std::array<double, kRow> sums{};
  for (std::int64_t draw = 0; draw < sets; ++draw) {
    const double* row = rows.data() + rng.below(sets) * kRow;
    for (std::size_t j = 0; j < kRow; ++j) sums[j] += row[j];
  }
  statistics(sums.data(), sets, out);
}

// numpy's default ("linear") quantile of sorted values.
double quantile(const std::vector<double>& sorted, double q) {
  const double position = q * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, sorted.size() - 1);
  return sorted[below] + (position - static_cast<double>(below)) * (sorted[above] - sorted[below]);
}

}  // namespace

DidBootstrap::DidBootstrap(const DidRequest& request) : seed_(request.seed) {
  validate(request);
  require_money_fits(request);
  const PersonCountsView& people = request.people;
  const MatchedSetsView& sets = request.sets;
  const std::size_t n_sets = sets.treated_person.size();
  for (const auto& cost : request.unit_cost) priced_ = priced_ || cost.has_value();

  // Control rows grouped by set (counting sort, stable: the caller's order within a set).
  std::vector<std::size_t> first(n_sets + 1, 0);
  for (std::int32_t set : sets.control_set) ++first[set + 1];
  for (std::size_t s = 0; s < n_sets; ++s) first[s + 1] += first[s];
  std::vector<std::size_t> by_set(sets.control_person.size());
  std::vector<std::size_t> fill(first.begin(), first.end() - 1);
  for (std::size_t row = 0; row < by_set.size(); ++row) by_set[fill[sets.control_set[row]]++] = row;

  // A person's outcomes in a window as [outcome][pre, post]; money in exact pence.
  auto outcomes_of = [&](std::size_t window, std::int32_t person, std::int64_t* out) {
    const std::int64_t* counts =
        people.counts.data() + static_cast<std::size_t>(person) * kEventKinds * 2 * people.windows;
    out[2 * kDidMoney] = out[2 * kDidMoney + 1] = 0;
    for (std::size_t k = 0; k < kEventKinds; ++k)
      for (std::size_t side = 0; side < 2; ++side) {
        const std::int64_t count = counts[(2 * k + side) * people.windows + window];
        out[2 * k + side] = count;
        if (request.unit_cost[k]) out[2 * kDidMoney + side] += count * *request.unit_cost[k];
      }
  };

  set_rows_.resize(people.windows);
  estimates_.resize(people.windows);
  for (std::size_t w = 0; w < people.windows; ++w) {
    DidWindow& window = estimates_[w];
    std::vector<double>& rows = set_rows_[w];
    auto covered = [&](std::int32_t person) {
      return people.included[w * people.people + person] == 1;
    };
    std::array<std::int64_t, kRow> treated_sums{};
    std::array<double, kRow> control_sums{};
    std::int64_t treated[kRow], control[kRow];
    for (std::size_t s = 0; s < n_sets; ++s) {
      if (!covered(sets.treated_person[s])) {
        ++window.sets_client_censored;
        continue;
      }
      double weight_sum = 0;
      std::int64_t kept = 0;
      for (std::size_t i = first[s]; i < first[s + 1]; ++i)
        if (covered(sets.control_person[by_set[i]])) {
          weight_sum += sets.control_weight[by_set[i]];
          ++kept;
        }
      window.controls_censored += static_cast<std::int64_t>(first[s + 1] - first[s]) - kept;
      if (kept == 0) {
        ++window.sets_controls_censored;
        continue;
      }
      ++window.sets;
      window.controls += kept;
      std::array<double, kRow> control_mean{};
      for (std::size_t i = first[s]; i < first[s + 1]; ++i) {
        const std::size_t row = by_set[i];
        if (!covered(sets.control_person[row])) continue;
        outcomes_of(w, sets.control_person[row], control);
        const double share = sets.control_weight[row] / weight_sum;
        for (std::size_t j = 0; j < kRow; ++j)
          control_mean[j] += share * static_cast<double>(control[j]);
      }
      outcomes_of(w, sets.treated_person[s], treated);
      for (std::size_t o = 0; o < kDidOutcomes; ++o) {
        const auto pre = static_cast<double>(treated[2 * o]);
        const double control_change = control_mean[2 * o + 1] - control_mean[2 * o];
        rows.push_back(static_cast<double>(treated[2 * o + 1]) - pre - control_change);
        rows.push_back(pre + control_change);
      }
      for (std::size_t j = 0; j < kRow; ++j) {
        treated_sums[j] += treated[j];
        control_sums[j] += control_mean[j];
      }
    }

    sort_set_rows(rows);
    std::array<double, kRow> sums{};
    for (std::size_t i = 0; i < rows.size(); ++i) sums[i % kRow] += rows[i];
    std::array<double, kRow> point;
    statistics(sums.data(), window.sets, point.data());
    const double n = window.sets > 0 ? static_cast<double>(window.sets) : kNaN;
    for (std::size_t o = 0; o < kDidOutcomes; ++o) {
      DidEstimate& e = window.outcomes[o];
      e.treated_pre = static_cast<double>(treated_sums[2 * o]) / n;
      e.treated_post = static_cast<double>(treated_sums[2 * o + 1]) / n;
      e.control_pre = control_sums[2 * o] / n;
      e.control_post = control_sums[2 * o + 1] / n;
      e.did = point[2 * o];
      e.did_pct = point[2 * o + 1];
      e.did_pct_of_pre = e.treated_pre > 0 ? 100.0 * e.did / e.treated_pre : kNaN;
    }
    window.did_pence_total = std::llround(sums[2 * kDidMoney]);
  }
}

void DidBootstrap::run(std::int64_t count, unsigned threads) {
  if (count < 0 || count > kMaxReplicates)
    throw InputError(
        "bootstrap", "replicates", kNoRow,
        "must be from 0 to " + std::to_string(kMaxReplicates) + ", got " + std::to_string(count));
  const std::size_t windows = estimates_.size();
  const std::size_t stride = windows * kRow;
  detail::require_memory("the bootstrap",
                         static_cast<std::uint64_t>(replicates_ + count) * stride * sizeof(double));
  draws_.resize((replicates_ + count) * stride);
  const std::int64_t first = replicates_;
  // Each replicate writes its own slots, from a stream keyed by (seed, replicate, window):
  // the result depends on neither the chunking, the threads nor the batches.
  detail::for_each_chunk(static_cast<std::size_t>(count), 4, threads,
                         [&](std::size_t, std::size_t begin, std::size_t end) {
                           for (std::size_t i = begin; i < end; ++i) {
                             const std::uint64_t replicate = first + i;
                             for (std::size_t w = 0; w < windows; ++w)
                               resample(set_rows_[w], estimates_[w].sets,
                                        CounterRng(stream_key(seed_, replicate, w)),
                                        draws_.data() + replicate * stride + w * kRow);
                           }
                         });
  replicates_ += count;
}

DidIntervals DidBootstrap::intervals(double level) const {
  if (!(level > 0 && level < 1))
    throw InputError("bootstrap", "level", kNoRow,
                     "must be between 0 and 1, got " + std::to_string(level));
  const std::size_t windows = estimates_.size();
  DidIntervals out;
  out.level = level;
  out.replicates = replicates_;
  out.did.resize(windows);
  out.did_pct.resize(windows);
  std::vector<double> values(replicates_);
  for (std::size_t w = 0; w < windows; ++w)
    for (std::size_t j = 0; j < kRow; ++j) {
      for (std::int64_t b = 0; b < replicates_; ++b)
        values[b] = draws_[(b * windows + w) * kRow + j];
      DidInterval interval{kNaN, kNaN};
      if (replicates_ > 0 &&
          std::none_of(values.begin(), values.end(), [](double v) { return std::isnan(v); })) {
        std::sort(values.begin(), values.end());
        interval = {quantile(values, (1 - level) / 2), quantile(values, (1 + level) / 2)};
      }
      (j % 2 == 0 ? out.did : out.did_pct)[w][j / 2] = interval;
    }
  return out;
}

}  // namespace socialrx
