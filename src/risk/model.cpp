#include "socialrx/risk/model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>

#include "detail/cell_tally.hpp"
#include "detail/id_index.hpp"
#include "detail/json_reader.hpp"
#include "detail/parallel.hpp"

namespace socialrx {

namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 3> kModelKindNames{"linear", "logistic", "poisson"};
constexpr std::array<std::string_view, 6> kSourceNames{"column",   "comorbidity", "deprivation",
                                                       "age_band", "equals",      "event_count"};
// log(DBL_MAX): exp of anything larger is infinite.
constexpr double kMaxExpArgument = 709.782712893384;

const detail::JsonReader& reader() {
  static const detail::JsonReader model{"model"};
  return model;
}

[[noreturn]] void malformed(const std::string& key, const std::string& problem) {
  reader().fail(key, problem);
}

template <std::size_t N>
std::size_t pick(const std::array<std::string_view, N>& names, const std::string& value,
                 const std::string& key) {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == value) return i;
  std::string known;
  for (auto name : names) known += (known.empty() ? "" : ", ") + std::string(name);
  malformed(key, "unknown value '" + value + "' (known: " + known + ")");
}

const json& member(const json& object, const std::string& name, const std::string& key) {
  const auto found = object.find(name);
  if (found == object.end()) malformed(key, "is required");
  return *found;
}

std::string text(const json& object, const std::string& name, const std::string& key) {
  const json& value = member(object, name, key);
  if (!value.is_string()) malformed(key, "must be a string");
  return value.get<std::string>();
}

double number(const json& value, const std::string& key) {
  if (!value.is_number()) malformed(key, "must be a number");
  const double x = value.get<double>();
  if (!std::isfinite(x)) malformed(key, "must be finite");
  return x;
}

// Bound of an age band: a number, or null for an open end.
double bound(const json& value, double open, const std::string& key) {
  return value.is_null() ? open : number(value, key);
}

Feature parse_feature(const json& spec, const std::string& key) {
  if (!spec.is_object()) malformed(key, "must be an object");
  Feature f;
  f.name = text(spec, "name", key + ".name");
  if (f.name.empty()) malformed(key + ".name", "must not be empty");
  f.source = static_cast<FeatureSource>(
      pick(kSourceNames, text(spec, "source", key + ".source"), key + ".source"));
  const bool takes_column = f.source != FeatureSource::event_count;
  if (takes_column)
    f.column = spec.contains("column") || f.source != FeatureSource::age_band
                   ? text(spec, "column", key + ".column")
                   : "age";
  switch (f.source) {
    case FeatureSource::age_band: {
      const json& band = member(spec, "band", key + ".band");
      if (!band.is_array() || band.size() != 2) malformed(key + ".band", "must be [low, high]");
      f.low = bound(band[0], -INFINITY, key + ".band[0]");
      f.high = bound(band[1], INFINITY, key + ".band[1]");
      if (!(f.low < f.high)) malformed(key + ".band", "low must be below high");
      break;
    }
    case FeatureSource::deprivation:
      if (spec.contains("deciles")) {
        const json& deciles = spec["deciles"];
        if (!deciles.is_array() || deciles.empty()) malformed(key + ".deciles", "must be a list");
        for (const json& d : deciles)
          f.deciles.push_back(
              static_cast<std::int32_t>(reader().whole(d, key + ".deciles", 1, 10)));
      }
      break;
    case FeatureSource::equals:
      f.value = text(spec, "value", key + ".value");
      break;
    case FeatureSource::event_count: {
      const std::string kind = text(spec, "kind", key + ".kind");
      const auto found = event_kind_from_name(kind);
      if (!found) malformed(key + ".kind", "unknown event kind '" + kind + "'");
      f.kind = *found;
      f.lookback_days =
          static_cast<Days>(reader().whole(member(spec, "lookback_days", key + ".lookback_days"),
                                           key + ".lookback_days", 1, std::int64_t{100} * 366));
      break;
    }
    default:
      break;
  }
  const bool transformable = f.source == FeatureSource::column ||
                             f.source == FeatureSource::comorbidity ||
                             f.source == FeatureSource::event_count;
  const bool has_threshold = spec.contains("at_least"), has_transform = spec.contains("transform");
  if ((has_threshold || has_transform) && !transformable)
    malformed(key, "at_least and transform apply only to column, comorbidity and event_count");
  if (has_threshold && has_transform) malformed(key, "give at_least or transform, not both");
  if (has_threshold) {
    f.transform = Transform::at_least;
    f.threshold = number(spec["at_least"], key + ".at_least");
  }
  if (has_transform) {
    const std::string t = text(spec, "transform", key + ".transform");
    if (t == "log1p")
      f.transform = Transform::log1p;
    else if (t != "identity")
      malformed(key + ".transform", "unknown transform '" + t + "' (known: identity, log1p)");
  }
  return f;
}

}  // namespace

std::string_view name_of(ModelKind kind) {
  return kModelKindNames[static_cast<std::size_t>(kind)];
}
std::string_view name_of(FeatureSource source) {
  return kSourceNames[static_cast<std::size_t>(source)];
}

Model parse_model(std::string_view json_text) {
  json doc;
  try {
    doc = json::parse(json_text);
  } catch (const json::exception& error) {  // a syntax error, or a number such as 1e400
    malformed("", std::string("not valid JSON: ") + error.what());
  }
  if (!doc.is_object()) malformed("", "a model is a JSON object");
  Model model;
  model.name = text(doc, "name", "name");
  model.kind = static_cast<ModelKind>(pick(kModelKindNames, text(doc, "kind", "kind"), "kind"));
  if (doc.contains("outcome")) model.outcome = text(doc, "outcome", "outcome");
  if (doc.contains("description")) model.description = text(doc, "description", "description");
  model.intercept = number(member(doc, "intercept", "intercept"), "intercept");

  const json& features = member(doc, "features", "features");
  if (!features.is_array() || features.empty()) malformed("features", "must be a non-empty list");
  std::set<std::string> names;
  for (std::size_t i = 0; i < features.size(); ++i) {
    model.features.push_back(parse_feature(features[i], "features[" + std::to_string(i) + "]"));
    if (!names.insert(model.features.back().name).second)
      malformed("features[" + std::to_string(i) + "].name",
                "repeats the name '" + model.features.back().name + "'");
  }
  const json& coefficients = member(doc, "coefficients", "coefficients");
  if (!coefficients.is_object()) malformed("coefficients", "must map feature names to numbers");
  for (const auto& [name, value] : coefficients.items())
    if (!names.count(name)) malformed("coefficients." + name, "names no feature of the model");
  for (const Feature& f : model.features) {
    if (!coefficients.contains(f.name)) malformed("coefficients." + f.name, "is missing");
    model.coefficients.push_back(number(coefficients[f.name], "coefficients." + f.name));
  }
  return model;
}

std::string model_to_json(const Model& model) {
  json doc{{"name", model.name}, {"kind", name_of(model.kind)}, {"intercept", model.intercept}};
  if (!model.outcome.empty()) doc["outcome"] = model.outcome;
  if (!model.description.empty()) doc["description"] = model.description;
  json features = json::array(), coefficients = json::object();
  for (std::size_t j = 0; j < model.size(); ++j) {
    const Feature& f = model.features[j];
    json spec{{"name", f.name}, {"source", name_of(f.source)}};
    if (f.source != FeatureSource::event_count) spec["column"] = f.column;
    switch (f.source) {
      case FeatureSource::age_band:
        spec["band"] = {std::isinf(f.low) ? json(nullptr) : json(f.low),
                        std::isinf(f.high) ? json(nullptr) : json(f.high)};
        break;
      case FeatureSource::deprivation:
        if (!f.deciles.empty()) spec["deciles"] = f.deciles;
        break;
      case FeatureSource::equals:
        spec["value"] = f.value;
        break;
      case FeatureSource::event_count:
        spec["kind"] = name_of(f.kind);
        spec["lookback_days"] = f.lookback_days;
        break;
      default:
        break;
    }
    if (f.transform == Transform::at_least) spec["at_least"] = f.threshold;
    if (f.transform == Transform::log1p) spec["transform"] = "log1p";
    features.push_back(std::move(spec));
    coefficients[f.name] = model.coefficients[j];
  }
  doc["features"] = std::move(features);
  doc["coefficients"] = std::move(coefficients);
  return doc.dump(2);
}

// ------------------------------------------------------------------ feature matrix

namespace {

// Events of each event_count feature per patient, [row][event feature]: one pass over the
// events, each chunk's counted cells in a CellTally, then added up.
std::vector<std::int32_t> count_events(const Model& model, const PatientsView& patients,
                                       const EventsView& events,
                                       const std::vector<std::size_t>& event_features,
                                       unsigned threads) {
  const std::size_t m = event_features.size();
  std::vector<std::int32_t> counts(patients.rows * m, 0);
  if (m == 0) return counts;
  require_rows("patients", "patient_id", patients.patient_id, patients.rows);
  require_rows("patients", "as_of", patients.as_of, patients.rows);
  if (counts.size() > UINT32_MAX)
    throw InputError("patients", "patient_id", kNoRow,
                     "patients x event-count features must be under 2^32");
  for (std::size_t row = 0; row < patients.rows; ++row)
    if (patients.as_of[row] == kNoDate)
      throw InputError("patients", "as_of", static_cast<std::int64_t>(row),
                       "an as-of date is needed for the event counts");
  validate(events);
  const detail::IdIndex index("patients", "patient_id", patients.patient_id);
  const std::size_t chunk = detail::tally_chunk_rows(events.rows(), threads);
  std::vector<detail::CellTally> tallies((events.rows() + chunk - 1) / chunk,
                                         detail::CellTally(counts.size()));
  detail::for_each_chunk(
      events.rows(), chunk, threads, [&](std::size_t c, std::size_t begin, std::size_t end) {
        for (std::size_t row = begin; row < end; ++row) {
          check_event_row(events, row);
          const std::int32_t at = index.find(events.person_id[row]);
          if (at == detail::IdIndex::kAbsent)
            throw InputError(
                "events", "person_id", static_cast<std::int64_t>(row),
                "id " + std::to_string(events.person_id[row]) + " is not among the patients");
          const Days before = patients.as_of[at] - events.date[row];  // 1 = the day before
          for (std::size_t e = 0; e < m; ++e) {
            const Feature& f = model.features[event_features[e]];
            if (events.kind[row] == static_cast<std::uint8_t>(f.kind) && before >= 1 &&
                before <= f.lookback_days)
              tallies[c].add(static_cast<std::uint32_t>(static_cast<std::size_t>(at) * m + e));
          }
        }
      });
  detail::add_cell_tallies(tallies, counts.data(), threads);
  return counts;
}

Column<double> numbers(const PatientsView& patients, const Feature& f) {
  const auto found = patients.numbers.find(f.column);
  if (found == patients.numbers.end()) {
    const bool labelled = patients.labels.count(f.column) != 0;
    throw InputError("patients", f.column, kNoRow,
                     labelled ? "feature '" + f.name + "' needs numbers, the column holds labels"
                              : "missing: feature '" + f.name + "' needs this column");
  }
  require_rows("patients", f.column.c_str(), found->second, patients.rows);
  return found->second;
}

[[noreturn]] void bad_value(const Feature& f, std::size_t row, const std::string& problem) {
  throw InputError("patients", f.column, static_cast<std::int64_t>(row),
                   problem + " (feature '" + f.name + "')");
}

// Writes feature j of rows [begin, end) into the row-major matrix x.
void fill_feature(const Model& model, std::size_t j, Column<double> values,
                  const LabelColumn* labels, std::int32_t label_code,
                  const std::vector<std::int32_t>& counts, std::size_t count_slot,
                  std::size_t count_stride, std::size_t begin, std::size_t end, double* x) {
  const Feature& f = model.features[j];
  const std::size_t p = model.size();
  for (std::size_t row = begin; row < end; ++row) {
    double v;
    if (f.source == FeatureSource::event_count) {
      v = counts[row * count_stride + count_slot];
    } else if (f.source == FeatureSource::equals) {
      v = labels->codes[row] == label_code;
    } else {
      v = values[row];
      if (std::isnan(v)) bad_value(f, row, "missing value (NaN) where a number is required");
      if (f.source == FeatureSource::comorbidity && v < 0)
        bad_value(f, row, "negative comorbidity value " + std::to_string(v));
      if (f.source == FeatureSource::deprivation) {
        if (v < 1 || v > 10 || v != std::floor(v))
          bad_value(f, row, "deprivation decile must be 1-10, got " + std::to_string(v));
        if (!f.deciles.empty())
          v = std::find(f.deciles.begin(), f.deciles.end(), static_cast<std::int32_t>(v)) !=
              f.deciles.end();
      }
      if (f.source == FeatureSource::age_band) v = f.low <= v && v < f.high;
    }
    if (f.transform == Transform::at_least) v = v >= f.threshold;
    if (f.transform == Transform::log1p) {
      if (!(v > -1)) bad_value(f, row, "log1p needs a value above -1, got " + std::to_string(v));
      v = std::log1p(v);
    }
    x[row * p + j] = v;
  }
}

}  // namespace

std::vector<double> build_features(const Model& model, const PatientsView& patients,
                                   const EventsView& events, unsigned threads) {
  const std::size_t p = model.size();
  std::vector<std::size_t> event_features, count_slot(p, 0);
  for (std::size_t j = 0; j < p; ++j)
    if (model.features[j].source == FeatureSource::event_count) {
      count_slot[j] = event_features.size();
      event_features.push_back(j);
    }
  const auto counts = count_events(model, patients, events, event_features, threads);

  // Resolve every column once, so that a missing one fails before any work.
  std::vector<Column<double>> values(p);
  std::vector<const LabelColumn*> labels(p, nullptr);
  std::vector<std::int32_t> label_code(p, -1);
  for (std::size_t j = 0; j < p; ++j) {
    const Feature& f = model.features[j];
    if (f.source == FeatureSource::event_count) continue;
    if (f.source != FeatureSource::equals) {
      values[j] = numbers(patients, f);
      continue;
    }
    const auto found = patients.labels.find(f.column);
    if (found == patients.labels.end())
      throw InputError("patients", f.column, kNoRow,
                       "missing: feature '" + f.name + "' needs this column of labels");
    require_rows("patients", f.column.c_str(), found->second.codes, patients.rows);
    labels[j] = &found->second;
    const auto& categories = found->second.categories;
    const auto at = std::find(categories.begin(), categories.end(), f.value);
    // A label nobody has gives 0 for everyone, which is the right value, not an error.
    if (at != categories.end()) label_code[j] = static_cast<std::int32_t>(at - categories.begin());
  }

  std::vector<double> x(patients.rows * p);
  detail::for_each_chunk(
      patients.rows, 1 << 14, threads, [&](std::size_t, std::size_t begin, std::size_t end) {
        for (std::size_t j = 0; j < p; ++j)
          fill_feature(model, j, values[j], labels[j], label_code[j], counts, count_slot[j],
                       event_features.size(), begin, end, x.data());
      });
  return x;
}

// ------------------------------------------------------------------ scoring

namespace {

void require_shape(const Model& model, std::size_t cols, std::size_t rows, std::size_t out) {
  if (cols != model.size())
    throw InputError("features", "", kNoRow,
                     "has " + std::to_string(cols) + " columns but model '" + model.name +
                         "' has " + std::to_string(model.size()) + " features");
  if (out != rows)
    throw InputError("scores", "", kNoRow,
                     "has " + std::to_string(out) + " rows for " + std::to_string(rows));
}

// Four partial sums break the add chain; the order is fixed, so results are reproducible.
template <class T>
inline double dot(const T* x, const double* w, std::size_t p) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  std::size_t j = 0;
  for (; j + 4 <= p; j += 4) {
    s0 += static_cast<double>(x[j]) * w[j];
    s1 += static_cast<double>(x[j + 1]) * w[j + 1];
    s2 += static_cast<double>(x[j + 2]) * w[j + 2];
    s3 += static_cast<double>(x[j + 3]) * w[j + 3];
  }
  for (; j < p; ++j) s0 += static_cast<double>(x[j]) * w[j];
  return (s0 + s1) + (s2 + s3);
}

// Names the first non-finite feature of a row whose linear predictor is not finite.
template <class T>
[[noreturn]] void not_finite(const Model& model, RowMajor<T> x, std::size_t row) {
  for (std::size_t j = 0; j < x.cols; ++j)
    if (!std::isfinite(static_cast<double>(x.row(row)[j])))
      throw InputError(
          "features", model.features[j].name, static_cast<std::int64_t>(row),
          "a finite number is required, got " + std::to_string(static_cast<double>(x.row(row)[j])));
  throw InputError("features", "", static_cast<std::int64_t>(row),
                   "the linear predictor overflows (features too large for the coefficients)");
}

[[noreturn]] void rate_overflows(std::size_t row, double eta) {
  throw InputError("features", "", static_cast<std::int64_t>(row),
                   "the Poisson rate exp(" + std::to_string(eta) + ") overflows a double");
}

// Logistic: exp only ever of -|eta| <= 0, so it lies in (0, 1] and nothing overflows.
inline double sigmoid(double eta) {
  const double e = std::exp(-std::fabs(eta));
  return (eta >= 0 ? 1.0 : e) / (1.0 + e);
}

template <ModelKind kKind>
inline double inverse_link(double eta, std::size_t row) {
  if constexpr (kKind == ModelKind::logistic) return sigmoid(eta);
  if constexpr (kKind == ModelKind::poisson) {
    if (eta > kMaxExpArgument) rate_overflows(row, eta);
    return std::exp(eta);
  }
  return eta;
}

// The linear predictors of rows [begin, end) into out. Built twice, for AVX2 and for any
// x86-64, the better chosen when the program loads: the dot products vectorise four lanes
// wide. Contraction into FMA is off (see CMakeLists.txt), so both give the same bits. Rows a
// few ahead are fetched while one is scored: the dot products alone do not keep enough
// loads in flight to stream at the memory's speed. Nothing here throws (an exception cannot
// leave a function built this way).
template <class T>
[[gnu::target_clones("avx2", "default")]] void linear_predictors(const Model& model, RowMajor<T> x,
                                                                 double* out, std::size_t begin,
                                                                 std::size_t end) noexcept {
  const double* w = model.coefficients.data();
  constexpr std::size_t kAhead = 8, kLine = 64 / sizeof(T);
  for (std::size_t row = begin; row < end; ++row) {
    if (row + kAhead < end)
      for (std::size_t j = 0; j < x.cols; j += kLine) __builtin_prefetch(x.row(row + kAhead) + j);
    out[row] = model.intercept + dot(x.row(row), w, x.cols);
  }
}

template <ModelKind kKind, class T>
void score_rows(const Model& model, RowMajor<T> x, double* out, std::size_t begin,
                std::size_t end) {
  linear_predictors(model, x, out, begin, end);
  for (std::size_t row = begin; row < end; ++row) {
    const double eta = out[row];
    if (!std::isfinite(eta)) [[unlikely]]
      not_finite(model, x, row);
    out[row] = inverse_link<kKind>(eta, row);
  }
}

template <class T>
void score_any(const Model& model, RowMajor<T> x, std::span<double> out, unsigned threads) {
  require_shape(model, x.cols, x.rows, out.size());
  // Chunks of ~1 MB of features: large enough to stream, small enough to balance threads.
  const std::size_t chunk = std::max<std::size_t>(256, (1 << 20) / (sizeof(T) * x.cols + 1));
  detail::for_each_chunk(
      x.rows, chunk, threads, [&](std::size_t, std::size_t begin, std::size_t end) {
        switch (model.kind) {
          case ModelKind::linear:
            return score_rows<ModelKind::linear>(model, x, out.data(), begin, end);
          case ModelKind::logistic:
            return score_rows<ModelKind::logistic>(model, x, out.data(), begin, end);
          case ModelKind::poisson:
            return score_rows<ModelKind::poisson>(model, x, out.data(), begin, end);
        }
      });
}

double link_inverse(ModelKind kind, double eta, std::size_t row) {
  switch (kind) {
    case ModelKind::logistic:
      return inverse_link<ModelKind::logistic>(eta, row);
    case ModelKind::poisson:
      return inverse_link<ModelKind::poisson>(eta, row);
    default:
      return eta;
  }
}

}  // namespace

void score(const Model& model, RowMajor<double> x, std::span<double> out, unsigned threads) {
  score_any(model, x, out, threads);
}
void score(const Model& model, RowMajor<float> x, std::span<double> out, unsigned threads) {
  score_any(model, x, out, threads);
}

Explanation explain(const Model& model, RowMajor<double> x, std::size_t top, unsigned threads) {
  require_shape(model, x.cols, x.rows, x.rows);
  Explanation result;
  result.top = std::min(top, model.size());
  const std::size_t k = result.top, p = model.size();
  result.score.resize(x.rows);
  result.feature.resize(x.rows * k);
  result.contribution.resize(x.rows * k);
  detail::for_each_chunk(
      x.rows, 4096, threads, [&](std::size_t, std::size_t begin, std::size_t end) {
        std::vector<double> contribution(p);
        std::vector<std::int32_t> order(p);
        for (std::size_t row = begin; row < end; ++row) {
          const double* xi = x.row(row);
          const double eta = model.intercept + dot(xi, model.coefficients.data(), p);
          if (!std::isfinite(eta)) [[unlikely]]
            not_finite(model, x, row);
          result.score[row] = link_inverse(model.kind, eta, row);
          for (std::size_t j = 0; j < p; ++j) contribution[j] = xi[j] * model.coefficients[j];
          std::iota(order.begin(), order.end(), 0);
          std::partial_sort(order.begin(), order.begin() + k, order.end(),
                            [&](std::int32_t a, std::int32_t b) {
                              return contribution[a] > contribution[b] ||
                                     (contribution[a] == contribution[b] && a < b);
                            });
          for (std::size_t r = 0; r < k; ++r) {
            result.feature[row * k + r] = order[r];
            result.contribution[row * k + r] = contribution[order[r]];
          }
        }
      });
  return result;
}

std::vector<std::int64_t> top_k_per_group(Column<std::int32_t> group, std::int32_t groups,
                                          Column<double> score, Column<std::int64_t> id,
                                          std::size_t k) {
  const std::size_t rows = score.size();
  require_rows("scores", "group", group, rows);
  require_rows("scores", "patient_id", id, rows);
  if (groups < 1) throw InputError("scores", "group", kNoRow, "at least one group is needed");
  require_finite("scores", "score", score);
  // Rows bucketed by group (counting sort keeps row order inside a bucket).
  std::vector<std::int64_t> start(static_cast<std::size_t>(groups) + 1, 0);
  for (std::size_t row = 0; row < rows; ++row) {
    if (group[row] < 0 || group[row] >= groups)
      throw InputError(
          "scores", "group", static_cast<std::int64_t>(row),
          "group code " + std::to_string(group[row]) + " outside 0.." + std::to_string(groups - 1));
    ++start[group[row] + 1];
  }
  std::partial_sum(start.begin(), start.end(), start.begin());
  std::vector<std::int64_t> bucket(rows), next(start.begin(), start.end() - 1);
  for (std::size_t row = 0; row < rows; ++row) bucket[next[group[row]]++] = row;
  const auto higher = [&](std::int64_t a, std::int64_t b) {
    return score[a] > score[b] || (score[a] == score[b] && id[a] < id[b]);
  };
  std::vector<std::int64_t> selected;
  for (std::int32_t g = 0; g < groups; ++g) {
    const auto first = bucket.begin() + start[g], last = bucket.begin() + start[g + 1];
    const auto keep = first + static_cast<std::ptrdiff_t>(
                                  std::min<std::size_t>(k, static_cast<std::size_t>(last - first)));
    std::partial_sort(first, keep, last, higher);
    selected.insert(selected.end(), first, keep);
  }
  return selected;
}

}  // namespace socialrx
