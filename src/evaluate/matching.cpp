#include "socialrx/evaluate/matching.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numeric>
#include <string>
#include <utility>

#include "detail/parallel.hpp"

namespace socialrx {

namespace {

constexpr std::size_t kChunk = 1 << 14;

// splitmix64's finaliser: a bijection of 64 bits whose outputs for consecutive inputs look
// independent, so hashing (seed, id) gives each patient its own draw.
constexpr std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Unbiased enough for any n below 2^32 (bias < n / 2^64): the high half of a 128-bit product.
std::size_t draw_below(std::uint64_t bits, std::size_t n) {
  return static_cast<std::size_t>((static_cast<unsigned __int128>(bits) * n) >> 64);
}

void validate_matching(const NearestNeighbourRequest& r) {
  const bool strata = !r.treated_stratum.empty() || !r.control_stratum.empty();
  if (strata) {
    require_rows("clients", "stratum", r.treated_stratum, r.treated_logit.size());
    require_rows("comparison", "stratum", r.control_stratum, r.control_logit.size());
  }
  if (!r.treated_id.empty() || !r.control_id.empty()) {
    require_rows("clients", "id", r.treated_id, r.treated_logit.size());
    require_rows("comparison", "id", r.control_id, r.control_logit.size());
  }
  require_finite("clients", "logit", r.treated_logit);
  require_finite("comparison", "logit", r.control_logit);
  if (r.k < 1) throw InputError("match", "k", kNoRow, "at least one match per client is needed");
  if (!(r.caliper > 0)) throw InputError("match", "caliper", kNoRow, "must be positive (or none)");
  if (r.treated_logit.size() >= INT32_MAX || r.control_logit.size() >= INT32_MAX)
    throw InputError("match", "logit", kNoRow, "more than 2^31 people");
}

// A double's bits as an unsigned key in the same order (-0 taken as +0; no NaNs here).
std::uint64_t ordered_bits(double x) {
  const auto bits = std::bit_cast<std::uint64_t>(x + 0.0);
  return bits >> 63 ? ~bits : bits | std::uint64_t{1} << 63;
}

// `row` reordered by key[row], rows of equal keys kept in their order in `row`: a
// least-significant-digit radix sort, 16 bits a pass (stable), skipping passes whose digit is
// the same for every row: a few linear passes, not n log n comparisons.
std::vector<std::int32_t> sort_by_key(const std::vector<std::uint64_t>& key_of_row,
                                      std::vector<std::int32_t> row) {
  constexpr unsigned kDigitBits = 16;
  const std::size_t n = row.size();
  std::vector<std::uint64_t> key(n), key_out(n);
  for (std::size_t i = 0; i < n; ++i) key[i] = key_of_row[row[i]];
  std::vector<std::int32_t> row_out(n);
  std::vector<std::size_t> place(std::size_t{1} << kDigitBits);
  for (unsigned shift = 0; shift < 64; shift += kDigitBits) {
    const auto digit = [&](std::size_t i) { return key[i] >> shift & (place.size() - 1); };
    std::fill(place.begin(), place.end(), 0);
    for (std::size_t i = 0; i < n; ++i) ++place[digit(i)];
    if (n == 0 || place[digit(0)] == n) continue;
    std::exclusive_scan(place.begin(), place.end(), place.begin(), std::size_t{0});
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t to = place[digit(i)]++;
      key_out[to] = key[i];
      row_out[to] = row[i];
    }
    key.swap(key_out);
    row.swap(row_out);
  }
  return row;
}

// Rows in ascending order of their ids (as signed numbers), or in row order without ids.
std::vector<std::int32_t> rows_by_id(Column<std::int64_t> id, std::size_t rows) {
  std::vector<std::int32_t> row(rows);
  std::iota(row.begin(), row.end(), 0);
  if (id.empty()) return row;
  std::vector<std::uint64_t> key(rows);
  std::transform(id.begin(), id.end(), key.begin(), [](std::int64_t x) {
    return static_cast<std::uint64_t>(x) ^ std::uint64_t{1} << 63;
  });
  return sort_by_key(key, std::move(row));
}

// Controls sorted by (stratum, logit, id); each stratum a contiguous range.
struct SortedControls {
  std::vector<std::int32_t> row;      // [position] control row
  std::vector<double> logit;          // [position]
  std::vector<std::int32_t> stratum;  // distinct strata, ascending
  std::vector<std::int64_t> begin;    // [stratum + 1] positions

  explicit SortedControls(const NearestNeighbourRequest& r) {
    const bool strata = !r.control_stratum.empty();
    auto stratum_of = [&](std::int32_t i) { return strata ? r.control_stratum[i] : 0; };
    std::vector<std::uint64_t> key(r.control_logit.size());
    std::transform(r.control_logit.begin(), r.control_logit.end(), key.begin(), ordered_bits);
    row = sort_by_key(key, rows_by_id(r.control_id, key.size()));
    if (strata)  // stable: by logit, then id, within a stratum
      std::stable_sort(row.begin(), row.end(), [&](std::int32_t a, std::int32_t b) {
        return stratum_of(a) < stratum_of(b);
      });
    logit.reserve(row.size());
    for (std::size_t p = 0; p < row.size(); ++p) {
      logit.push_back(r.control_logit[row[p]]);
      if (p == 0 || stratum_of(row[p]) != stratum.back()) {
        stratum.push_back(stratum_of(row[p]));
        begin.push_back(static_cast<std::int64_t>(p));
      }
    }
    begin.push_back(static_cast<std::int64_t>(row.size()));
  }

  // The [begin, end) positions of a stratum; empty when it has no controls.
  std::pair<std::int64_t, std::int64_t> range(std::int32_t code) const {
    const auto it = std::lower_bound(stratum.begin(), stratum.end(), code);
    if (it == stratum.end() || *it != code) return {0, 0};
    const std::size_t s = static_cast<std::size_t>(it - stratum.begin());
    return {begin[s], begin[s + 1]};
  }
};

// Which sorted positions are still available (matching without replacement): "next available
// at or after p" and "at or before p" as union-find with path compression, so that taking a
// control and skipping over taken ones costs amortised near-constant time. Positions are
// shifted by one so that -1 (none to the left) has a slot.
class Availability {
 public:
  Availability(std::size_t n, bool removable) : removable_(removable) {
    if (!removable) return;
    right_.resize(n + 2);
    left_.resize(n + 2);
    std::iota(right_.begin(), right_.end(), 0);
    std::iota(left_.begin(), left_.end(), 0);
  }
  std::int64_t at_or_after(std::int64_t p) { return removable_ ? find(right_, p + 1) - 1 : p; }
  std::int64_t at_or_before(std::int64_t p) { return removable_ ? find(left_, p + 1) - 1 : p; }
  void take(std::int64_t p) {
    if (!removable_) return;
    right_[p + 1] = p + 2;
    left_[p + 1] = p;
  }

 private:
  static std::int64_t find(std::vector<std::int64_t>& parent, std::int64_t p) {
    std::int64_t root = p;
    while (parent[root] != root) root = parent[root];
    while (parent[p] != root) p = std::exchange(parent[p], root);
    return root;
  }
  std::vector<std::int64_t> right_, left_;
  bool removable_;
};

// The available positions left of the split, nearest logit first. Walking down from the
// split would meet a run of equal logits at its largest id; this takes the runs downwards and
// each run upwards, so that of equal logits the smaller id comes first, as on the right.
class LeftWalk {
 public:
  LeftWalk(const SortedControls& sorted, Availability& available, std::int64_t begin,
           std::int64_t split)
      : sorted_(sorted), available_(available), begin_(begin) {
    enter(available_.at_or_before(split - 1));
  }
  std::int64_t position() const { return next_; }  // below begin when there is none
  // To the next position once position() is taken (or, with replacement, passed).
  void advance() {
    const std::int64_t next = available_.at_or_after(next_ + 1);
    if (next <= run_last_) {
      next_ = next;
    } else {
      enter(available_.at_or_before(run_first_ - 1));
    }
  }

 private:
  void enter(std::int64_t last) {
    next_ = run_last_ = last;
    if (last < begin_) return;
    const auto first = sorted_.logit.begin();
    run_first_ = std::lower_bound(first + begin_, first + last, sorted_.logit[last]) - first;
    next_ = available_.at_or_after(run_first_);
  }

  const SortedControls& sorted_;
  Availability& available_;
  std::int64_t begin_, next_ = 0, run_first_ = 0, run_last_ = 0;
};

// The k nearest available controls of one client within the caliper, nearest first, taking
// the left (smaller logit) one of two equally near, and of equal logits the smaller id.
// Returns how many were found.
std::size_t nearest(double target, std::pair<std::int64_t, std::int64_t> range,
                    const SortedControls& sorted, Availability& available, std::size_t k,
                    double caliper, std::int32_t* out) {
  const auto [begin, end] = range;
  const auto first = sorted.logit.begin();
  const std::int64_t split = std::lower_bound(first + begin, first + end, target) - first;
  std::int64_t right = available.at_or_after(split);
  LeftWalk left(sorted, available, begin, split);
  std::size_t found = 0;
  while (found < k) {
    const bool has_left = left.position() >= begin, has_right = right < end;
    if (!has_left && !has_right) break;
    const double left_gap = has_left ? target - sorted.logit[left.position()] : kNoCaliper;
    const double right_gap = has_right ? sorted.logit[right] - target : kNoCaliper;
    const bool take_left = left_gap <= right_gap;
    const double gap = take_left ? left_gap : right_gap;
    if (!(gap <= caliper)) break;
    const std::int64_t p = take_left ? left.position() : right;
    out[found++] = sorted.row[p];
    available.take(p);
    if (take_left) {
      left.advance();
    } else {
      right = available.at_or_after(p + 1);
    }
  }
  return found;
}

double smd(double mean_t, double var_t, double mean_c, double var_c) {
  const double difference = mean_t - mean_c;
  const double pooled = std::sqrt((var_t + var_c) / 2);
  if (pooled > 0) return difference / pooled;
  if (difference == 0) return 0.0;
  return std::copysign(std::numeric_limits<double>::infinity(), difference);
}

// Sums of `width` numbers over rows [begin, end), in fixed chunks added in chunk order: the
// same result for any thread count.
template <class AddRow>
std::vector<double> chunked_sums(std::size_t begin, std::size_t end, std::size_t width,
                                 unsigned threads, AddRow&& add_row) {
  const std::size_t chunks = (end - begin + kChunk - 1) / kChunk;
  std::vector<double> partial(chunks * width, 0.0);
  detail::for_each_chunk(end - begin, kChunk, threads,
                         [&](std::size_t c, std::size_t from, std::size_t to) {
                           for (std::size_t i = begin + from; i < begin + to; ++i)
                             add_row(i, &partial[c * width]);
                         });
  std::vector<double> total(width, 0.0);
  for (std::size_t c = 0; c < chunks; ++c)
    for (std::size_t j = 0; j < width; ++j) total[j] += partial[c * width + j];
  return total;
}

// Weighted means and variances of every column over rows [begin, end), rows of weight 0 left
// out (NaN means when there are none). Two passes, each reading x row by row as it is stored.
struct Moments {
  std::vector<double> mean, variance;
};
Moments moments(RowMajor<double> x, std::size_t begin, std::size_t end, Column<double> weight,
                unsigned threads) {
  auto weight_of = [&](std::size_t i) { return weight.empty() ? 1.0 : weight[i]; };
  // [weight total, total of squared weights, weighted sum of each column]
  const std::vector<double> sums =
      chunked_sums(begin, end, x.cols + 2, threads, [&](std::size_t i, double* out) {
        const double w = weight_of(i);
        if (w == 0) return;
        out[0] += w;
        out[1] += w * w;
        for (std::size_t j = 0; j < x.cols; ++j) out[2 + j] += w * x.row(i)[j];
      });
  const double total = sums[0], total_squared = sums[1];
  Moments m{std::vector<double>(sums.begin() + 2, sums.end()), {}};
  for (double& mean : m.mean) mean /= total;
  m.variance = chunked_sums(begin, end, x.cols, threads, [&](std::size_t i, double* out) {
    const double w = weight_of(i);
    if (w == 0) return;
    for (std::size_t j = 0; j < x.cols; ++j) {
      const double d = x.row(i)[j] - m.mean[j];
      out[j] += w * d * d;
    }
  });
  const double denominator = total - total_squared / total;
  for (double& variance : m.variance) variance = denominator > 0 ? variance / denominator : 0.0;
  return m;
}

}  // namespace

std::vector<Days> pseudo_index_dates(Column<std::int64_t> patient_id, Column<Days> donor_dates,
                                     std::uint64_t seed, unsigned threads) {
  for (std::size_t row = 0; row < donor_dates.size(); ++row)
    if (donor_dates[row] == kNoDate)
      throw InputError("clients", "index_date", static_cast<std::int64_t>(row),
                       "a donor index date is missing");
  if (donor_dates.empty() && !patient_id.empty())
    throw InputError("clients", "index_date", kNoRow,
                     "no client has an index date to give the comparison patients");
  std::vector<Days> donors(donor_dates.begin(), donor_dates.end());
  std::sort(donors.begin(), donors.end());
  std::vector<Days> out(patient_id.size());
  const std::uint64_t key = mix64(mix64(seed) ^ 0x70736575646F6964ull);  // "pseudoid"
  detail::for_each_chunk(
      out.size(), kChunk, threads, [&](std::size_t, std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i)
          out[i] = donors[draw_below(mix64(key + static_cast<std::uint64_t>(patient_id[i])),
                                     donors.size())];
      });
  return out;
}

Matching nearest_neighbours(const NearestNeighbourRequest& r) {
  validate_matching(r);
  const std::size_t treated = r.treated_logit.size();
  const bool strata = !r.treated_stratum.empty();
  const SortedControls sorted(r);
  Availability available(sorted.row.size(), !r.replace);

  // Up to k controls per client in a [client][k] scratch, then compacted in row order.
  std::vector<std::int32_t> chosen(treated * r.k);
  std::vector<std::uint32_t> found(treated, 0);
  Matching m;
  m.status.assign(treated, MatchStatus::matched);
  auto match_one = [&](std::size_t t, Availability& pool) {
    const auto range = sorted.range(strata ? r.treated_stratum[t] : 0);
    if (range.first == range.second) {
      m.status[t] = MatchStatus::no_comparison_in_stratum;
      return;
    }
    found[t] = static_cast<std::uint32_t>(
        nearest(r.treated_logit[t], range, sorted, pool, r.k, r.caliper, &chosen[t * r.k]));
    if (found[t] == 0) m.status[t] = MatchStatus::no_match_within_caliper;
  };
  if (r.replace) {  // clients independent of one another: any split gives the same sets
    detail::for_each_chunk(treated, kChunk, r.threads,
                           [&](std::size_t, std::size_t begin, std::size_t end) {
                             Availability everyone(0, false);
                             for (std::size_t t = begin; t < end; ++t) match_one(t, everyone);
                           });
  } else {
    std::vector<std::int32_t> order(treated);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) {
      if (r.treated_logit[a] != r.treated_logit[b]) return r.treated_logit[a] > r.treated_logit[b];
      return r.treated_id.empty() ? a < b : r.treated_id[a] < r.treated_id[b];
    });
    for (std::int32_t t : order) match_one(static_cast<std::size_t>(t), available);
  }

  m.set_begin.push_back(0);
  for (std::size_t t = 0; t < treated; ++t) {
    if (found[t] == 0) continue;
    m.set_treated.push_back(static_cast<std::int32_t>(t));
    m.control.insert(m.control.end(), chosen.begin() + t * r.k,
                     chosen.begin() + t * r.k + found[t]);
    m.set_begin.push_back(static_cast<std::int64_t>(m.control.size()));
  }
  return m;
}

std::vector<double> matching_weights(const Matching& matching, std::size_t controls) {
  const std::size_t treated = matching.status.size();
  std::vector<double> weight(treated + controls, 0.0);
  for (std::size_t s = 0; s < matching.sets(); ++s) {
    weight[matching.set_treated[s]] = 1.0;
    const auto begin = matching.set_begin[s], end = matching.set_begin[s + 1];
    const double share = 1.0 / static_cast<double>(end - begin);
    for (auto i = begin; i < end; ++i) weight[treated + matching.control[i]] += share;
  }
  return weight;
}

Balance covariate_balance(RowMajor<double> x, std::size_t treated_rows, Column<double> weight,
                          unsigned threads) {
  if (treated_rows > x.rows)
    throw InputError("balance", "treated_rows", kNoRow, "more treated rows than rows");
  require_rows("balance", "weight", weight, x.rows);
  const Moments t0 = moments(x, 0, treated_rows, {}, threads);
  const Moments c0 = moments(x, treated_rows, x.rows, {}, threads);
  const Moments t1 = moments(x, 0, treated_rows, weight, threads);
  const Moments c1 = moments(x, treated_rows, x.rows, weight, threads);
  Balance b{t0.mean, c0.mean, {}, t1.mean, c1.mean, {}};
  for (std::size_t j = 0; j < x.cols; ++j) {
    b.smd_before.push_back(smd(t0.mean[j], t0.variance[j], c0.mean[j], c0.variance[j]));
    b.smd_after.push_back(smd(t1.mean[j], t1.variance[j], c1.mean[j], c1.variance[j]));
  }
  return b;
}

namespace {

// The fit, the matching and the balance, over the rows in the order given.
PropensityMatch match_rows(const PropensityMatchRequest& r) {
  PropensityMatch out;
  std::vector<double> y(r.x.rows, 0.0);
  std::fill_n(y.begin(), r.treated_rows, 1.0);
  out.fit = fit_logistic(r.x, y, {.threads = r.threads});
  out.logit.resize(r.x.rows);
  detail::for_each_chunk(r.x.rows, kChunk, r.threads,
                         [&](std::size_t, std::size_t begin, std::size_t end) {
                           for (std::size_t i = begin; i < end; ++i) {
                             double eta = out.fit.intercept;
                             for (std::size_t j = 0; j < r.x.cols; ++j)
                               eta += out.fit.coefficients[j] * r.x.row(i)[j];
                             out.logit[i] = eta;
                           }
                         });

  const Column<double> logit(out.logit);
  const Column<double> treated = logit.first(r.treated_rows);
  const Column<double> controls = logit.subspan(r.treated_rows);
  const RowMajor<double> logit_column{out.logit.data(), out.logit.size(), 1};
  out.logit_sd =
      std::sqrt((moments(logit_column, 0, r.treated_rows, {}, r.threads).variance[0] +
                 moments(logit_column, r.treated_rows, r.x.rows, {}, r.threads).variance[0]) /
                2);
  out.caliper = r.caliper_sd == kNoCaliper ? kNoCaliper : r.caliper_sd * out.logit_sd;

  NearestNeighbourRequest nn;
  nn.treated_logit = treated;
  nn.control_logit = controls;
  if (!r.stratum.empty()) {
    nn.treated_stratum = r.stratum.first(r.treated_rows);
    nn.control_stratum = r.stratum.subspan(r.treated_rows);
  }
  if (!r.id.empty()) {
    nn.treated_id = r.id.first(r.treated_rows);
    nn.control_id = r.id.subspan(r.treated_rows);
  }
  nn.k = r.k;
  // A logit constant within rounding (sd 0) still matches equal logits.
  nn.caliper = out.caliper > 0 ? out.caliper : std::numeric_limits<double>::min();
  nn.replace = r.replace;
  nn.threads = r.threads;
  out.matching = nearest_neighbours(nn);
  out.weight = matching_weights(out.matching, controls.size());
  out.balance = covariate_balance(r.x, r.treated_rows, out.weight, r.threads);
  return out;
}

// Clients in id order, then comparison patients in id order.
std::vector<std::int32_t> id_order(const PropensityMatchRequest& r) {
  std::vector<std::int32_t> order = rows_by_id(r.id.first(r.treated_rows), r.treated_rows);
  const auto first_control = static_cast<std::int32_t>(r.treated_rows);
  for (std::int32_t row : rows_by_id(r.id.subspan(r.treated_rows), r.x.rows - r.treated_rows))
    order.push_back(first_control + row);
  return order;
}

// A result over the rows in `order` told of the rows as given: per-row values back in place,
// the sets naming the given rows, in treated row order.
PropensityMatch in_given_order(const PropensityMatch& sorted,
                               const std::vector<std::int32_t>& order, std::size_t treated_rows) {
  PropensityMatch out = sorted;
  for (std::size_t p = 0; p < order.size(); ++p) {
    out.logit[order[p]] = sorted.logit[p];
    out.weight[order[p]] = sorted.weight[p];
  }
  const Matching& m = sorted.matching;
  Matching& given = out.matching;
  for (std::size_t t = 0; t < treated_rows; ++t) given.status[order[t]] = m.status[t];
  std::vector<std::size_t> sets(m.sets());
  std::iota(sets.begin(), sets.end(), std::size_t{0});
  std::sort(sets.begin(), sets.end(), [&](std::size_t a, std::size_t b) {
    return order[m.set_treated[a]] < order[m.set_treated[b]];
  });
  given.set_treated.clear();
  given.control.clear();
  given.set_begin.assign(1, 0);
  const auto first_control = static_cast<std::int32_t>(treated_rows);
  for (std::size_t s : sets) {
    given.set_treated.push_back(order[m.set_treated[s]]);
    for (auto i = m.set_begin[s]; i < m.set_begin[s + 1]; ++i)
      given.control.push_back(order[treated_rows + m.control[i]] - first_control);
    given.set_begin.push_back(static_cast<std::int64_t>(given.control.size()));
  }
  return out;
}

}  // namespace

PropensityMatch propensity_match(const PropensityMatchRequest& r) {
  if (r.treated_rows == 0 || r.treated_rows >= r.x.rows)
    throw InputError("match", "x", kNoRow,
                     "needs at least one client and one comparison patient (" +
                         std::to_string(r.treated_rows) + " clients of " +
                         std::to_string(r.x.rows) + " rows)");
  require_rows_if_given("match", "stratum", r.stratum, r.x.rows);
  require_rows_if_given("match", "id", r.id, r.x.rows);
  if (!(r.caliper_sd > 0))
    throw InputError("match", "caliper", kNoRow, "must be positive (or none)");

  if (r.x.rows >= INT32_MAX) throw InputError("match", "x", kNoRow, "more than 2^31 people");
  if (r.id.empty()) return match_rows(r);
  // The fit sums over rows in row order, and its last bits decide between patients equally
  // near in exact arithmetic: over the rows put in id order, the pairs are the same whatever
  // order the rows came in.
  const std::vector<std::int32_t> order = id_order(r);
  std::vector<double> x;
  x.reserve(r.x.rows * r.x.cols);
  std::vector<std::int32_t> stratum;
  std::vector<std::int64_t> id;
  for (std::int32_t row : order) {
    x.insert(x.end(), r.x.row(row), r.x.row(row) + r.x.cols);
    id.push_back(r.id[row]);
    if (!r.stratum.empty()) stratum.push_back(r.stratum[row]);
  }
  PropensityMatchRequest sorted = r;
  sorted.x = {x.data(), r.x.rows, r.x.cols};
  sorted.stratum = stratum;
  sorted.id = id;
  return in_given_order(match_rows(sorted), order, r.treated_rows);
}

}  // namespace socialrx
