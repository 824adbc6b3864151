#pragma once
// Linear, logistic and Poisson risk models read from JSON, scored over whole populations.
//
// Model JSON (every key below is checked; a missing or ill-typed one is an InputError naming
// the key, e.g. "features[2].lookback_days"):
//   {"name": "...", "kind": "logistic" | "linear" | "poisson",
//    "outcome": "...", "description": "...",          (optional)
//    "intercept": -3.1,
//    "features": [ {"name": "...", "source": "...", ...}, ... ],
//    "coefficients": {"<feature name>": 0.42, ...}}    (exactly one per feature)
// Feature sources, all read from the patients table (one row per patient):
//   column       {"column": "x"}: the number as it is
//   comorbidity  {"column": "charlson_score"}: a comorbidity score or 0/1 flag (>= 0 required)
//   deprivation  {"column": "imd_decile", "deciles": [1, 2]}: 1 when the decile (1-10, 1 = most
//                deprived) is listed; without "deciles" the decile itself
//   age_band     {"column": "age" (default), "band": [75, null]}: 1 when low <= age < high
//                (null: open end)
//   equals       {"column": "sex", "value": "F"}: 1 when the label equals value
//   event_count  {"kind": "ae_attendance", "lookback_days": 365}: events of that kind with
//                as_of - lookback_days <= date < as_of (the as-of day itself is not counted,
//                as in the library's "pre" window)
// column, comorbidity and event_count also take either "at_least": a (value >= a gives 1,
// else 0) or "transform": "log1p" (log(1 + value); needs value > -1), not both.
//
// Scores: linear  eta = intercept + sum_j w_j x_j
//         logistic  1 / (1 + exp(-eta)), computed as 1/(1+e) or e/(1+e) with e = exp(-|eta|),
//                   so exp never sees a positive argument and never overflows
//         poisson   exp(eta), the expected count; eta above log(DBL_MAX) ~ 709.78 is an
//                   InputError naming the row (a rate that large means wrong inputs, and a
//                   clamped value would hide it)
// A non-finite feature value is an InputError naming the row and the feature.
#include <cstdint>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "socialrx/model/tables.hpp"

namespace socialrx {

enum class ModelKind : std::uint8_t { linear, logistic, poisson };
enum class FeatureSource : std::uint8_t {
  column,
  comorbidity,
  deprivation,
  age_band,
  equals,
  event_count
};
enum class Transform : std::uint8_t { identity, log1p, at_least };

struct Feature {
  std::string name;
  FeatureSource source = FeatureSource::column;
  std::string column;  // every source but event_count
  Transform transform = Transform::identity;
  double threshold = 0;                                   // at_least
  double low = -std::numeric_limits<double>::infinity();  // age_band
  double high = std::numeric_limits<double>::infinity();  // age_band
  std::vector<std::int32_t> deciles;                      // deprivation
  std::string value;                                      // equals
  EventKind kind = EventKind::ae_attendance;              // event_count
  Days lookback_days = 0;                                 // event_count
};

struct Model {
  std::string name, outcome, description;
  ModelKind kind = ModelKind::logistic;
  double intercept = 0;
  std::vector<Feature> features;
  std::vector<double> coefficients;  // in feature order

  std::size_t size() const { return features.size(); }
};

std::string_view name_of(ModelKind kind);
std::string_view name_of(FeatureSource source);

// Parses and validates a model; InputError("model", <key>, ...) on anything malformed.
Model parse_model(std::string_view json_text);
std::string model_to_json(const Model& model);

// A row-major matrix viewed without copying: row i is data[i*cols .. i*cols+cols).
template <class T>
struct RowMajor {
  const T* data = nullptr;
  std::size_t rows = 0;
  std::size_t cols = 0;
  const T* row(std::size_t i) const { return data + i * cols; }
};

// A categorical column as integer codes into its category labels.
struct LabelColumn {
  Column<std::int32_t> codes;
  std::vector<std::string> categories;
};

// What the feature builder reads. patient_id and as_of are needed only by event_count
// features; events are then those of the patients (an event of anyone else is an error).
struct PatientsView {
  std::size_t rows = 0;
  Column<std::int64_t> patient_id;
  Column<Days> as_of;
  std::map<std::string, Column<double>, std::less<>> numbers;
  std::map<std::string, LabelColumn, std::less<>> labels;
};

// The model's features for every patient: row-major rows x model.size(). Missing columns,
// mismatched lengths, NaN where a number is needed and out-of-range deciles are InputErrors
// naming the column (and the row).
std::vector<double> build_features(const Model& model, const PatientsView& patients,
                                   const EventsView& events, unsigned threads = 0);

// The model's score per row of x (x.cols == model.size()) into out (x.rows long). float
// features are accumulated in double.
void score(const Model& model, RowMajor<double> x, std::span<double> out, unsigned threads = 0);
void score(const Model& model, RowMajor<float> x, std::span<double> out, unsigned threads = 0);

// Per row, the `top` features with the largest contributions w_j * x_j to the linear
// predictor, largest first (the features pushing the risk up the most; ties: feature order).
// Contributions are signed and on the linear-predictor scale.
struct Explanation {
  std::size_t top = 0;
  std::vector<double> score;          // [row]
  std::vector<std::int32_t> feature;  // [row][rank], index into model.features
  std::vector<double> contribution;   // [row][rank]
};
Explanation explain(const Model& model, RowMajor<double> x, std::size_t top, unsigned threads = 0);

// Case lists: the rows of the k highest scores of every group, group 0 first, highest score
// first within a group, ties broken by the smaller id. NaN scores are an InputError.
std::vector<std::int64_t> top_k_per_group(Column<std::int32_t> group, std::int32_t groups,
                                          Column<double> score, Column<std::int64_t> id,
                                          std::size_t k);

}  // namespace socialrx
