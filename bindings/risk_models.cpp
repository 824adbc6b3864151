#include <pybind11/stl.h>

#include "bindings.hpp"
#include "socialrx/risk/fit.hpp"
#include "socialrx/risk/hiu.hpp"
#include "socialrx/risk/lace.hpp"
#include "socialrx/risk/model.hpp"

namespace socialrx::bindings {

namespace {

// A 2-D C-contiguous array as a row-major view, without copying (the argument is declared
// noconvert, so numpy arrays of another dtype or order are refused, not silently copied).
template <class T>
RowMajor<T> matrix(const Array<T>& array) {
  if (array.ndim() != 2) throw std::invalid_argument("expected a 2-D array (patients x features)");
  return {array.data(), static_cast<std::size_t>(array.shape(0)),
          static_cast<std::size_t>(array.shape(1))};
}

template <class T>
py::array_t<T> to_numpy_2d(std::vector<T>&& values, std::size_t rows, std::size_t cols) {
  return to_numpy(std::move(values))
      .reshape({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)});
}

template <class T>
py::array_t<double> score_matrix(const Model& model, const Array<T>& x, const AnyInt& threads) {
  const RowMajor<T> view = matrix(x);
  const auto workers = whole<unsigned>(threads, "risk_score", "threads");
  std::vector<double> out(view.rows);
  {
    py::gil_scoped_release release;
    score(model, view, out, workers);
  }
  return to_numpy(std::move(out));
}

// Which columns of the patients table the model reads, and whether as numbers or labels.
py::list model_columns(const Model& model) {
  py::list out;
  for (const Feature& f : model.features)
    if (f.source != FeatureSource::event_count)
      out.append(
          py::make_tuple(f.column, f.source == FeatureSource::equals ? "labels" : "numbers"));
  return out;
}

py::array_t<double> features(const Model& model, const AnyInt& row_count, const py::dict& numbers,
                             const py::dict& labels, const Array<std::int64_t>& patient_id,
                             const Array<Days>& as_of, const Array<std::int64_t>& person_id,
                             const Array<Days>& date, const Array<std::uint8_t>& kind,
                             const AnyInt& threads) {
  const auto rows = whole<std::size_t>(row_count, "risk_features", "rows");
  const auto workers = whole<unsigned>(threads, "risk_features", "threads");
  PatientsView patients;
  patients.rows = rows;
  patients.patient_id = column(patient_id);
  patients.as_of = column(as_of);
  std::vector<Array<double>> kept;  // keeps converted arrays alive while the views are used
  std::vector<Array<std::int32_t>> kept_codes;
  kept.reserve(numbers.size());
  kept_codes.reserve(labels.size());
  for (const auto& [name, values] : numbers) {
    kept.push_back(values.cast<Array<double>>());
    patients.numbers[name.cast<std::string>()] = column(kept.back());
  }
  for (const auto& [name, value] : labels) {
    const auto pair = value.cast<py::tuple>();
    kept_codes.push_back(pair[0].cast<Array<std::int32_t>>());
    patients.labels[name.cast<std::string>()] = {column(kept_codes.back()),
                                                 pair[1].cast<std::vector<std::string>>()};
  }
  const EventsView events{column(person_id), column(date), column(kind)};
  std::vector<double> x;
  {
    py::gil_scoped_release release;
    x = build_features(model, patients, events, workers);
  }
  return to_numpy_2d(std::move(x), rows, model.size());
}

py::tuple explain_matrix(const Model& model, const Array<double>& x, const AnyInt& top,
                         const AnyInt& threads) {
  const RowMajor<double> view = matrix(x);
  const auto most = whole<std::size_t>(top, "risk_explain", "top");
  const auto workers = whole<unsigned>(threads, "risk_explain", "threads");
  Explanation e;
  {
    py::gil_scoped_release release;
    e = explain(model, view, most, workers);
  }
  return py::make_tuple(to_numpy(std::move(e.score)),
                        to_numpy_2d(std::move(e.feature), view.rows, e.top),
                        to_numpy_2d(std::move(e.contribution), view.rows, e.top));
}

py::dict fit(const Array<double>& x, const Array<double>& y, double ridge, bool intercept,
             const AnyInt& max_iterations, double tolerance, const AnyInt& threads) {
  const RowMajor<double> view = matrix(x);
  const LogisticFitOptions options{ridge, intercept,
                                   whole<int>(max_iterations, "fit_logistic", "max_iterations"),
                                   tolerance, whole<unsigned>(threads, "fit_logistic", "threads")};
  LogisticFit result;
  {
    py::gil_scoped_release release;
    result = fit_logistic(view, column(y), options);
  }
  py::dict out;
  out["intercept"] = result.intercept;
  out["coefficients"] = to_numpy(std::move(result.coefficients));
  out["standard_errors"] = to_numpy(std::move(result.standard_errors));
  out["log_likelihood"] = result.log_likelihood;
  out["iterations"] = result.iterations;
  return out;
}

py::dict hiu(const Array<std::int64_t>& people, const Array<std::int64_t>& person_id,
             const Array<Days>& date, const Array<std::uint8_t>& kind, const std::string& rule_kind,
             const AnyInt& at_least, const AnyInt& window_days, const AnyInt& threads) {
  constexpr const char* kFunction = "high_intensity_users";
  const auto event_kind = event_kind_from_name(rule_kind);
  if (!event_kind)
    throw InputError("hiu", "kind", kNoRow, "unknown event kind '" + rule_kind + "'");
  const EventsView events{column(person_id), column(date), column(kind)};
  const HiuRule rule{*event_kind, whole<std::int32_t>(at_least, kFunction, "at_least"),
                     whole<Days>(window_days, kFunction, "window_days")};
  const auto workers = whole<unsigned>(threads, kFunction, "threads");
  HiuResult r;
  {
    py::gil_scoped_release release;
    r = high_intensity_users(column(people), events, rule, workers);
  }
  py::dict out;
  out["best_window"] = to_numpy(std::move(r.best_window));
  out["qualifies"] = to_numpy(std::move(r.qualifies));
  out["first_qualifying_date"] = to_numpy(std::move(r.first_qualifying_date));
  out["events_of_kind"] = r.events_of_kind;
  out["events_of_other_kinds"] = r.events_of_other_kinds;
  return out;
}

}  // namespace

void add_risk_models(py::module_& m) {
  m.attr("LACE_VARIANTS") =
      std::vector<std::string>(kLaceVariantNames.begin(), kLaceVariantNames.end());
  m.def(
      "lace",
      [](const Array<std::int32_t>& length_of_stay_days, const Array<std::uint8_t>& acute,
         const Array<std::int32_t>& charlson, const Array<std::int32_t>& ae_visits,
         const std::string& variant, const AnyInt& threads) {
        const LaceInputs inputs{column(length_of_stay_days), column(acute), column(charlson),
                                column(ae_visits)};
        const LaceVariant chosen = lace_variant_from_name(variant);
        const auto workers = whole<unsigned>(threads, "lace", "threads");
        std::vector<std::int8_t> scores;
        {
          py::gil_scoped_release release;
          scores = lace(inputs, chosen, workers);
        }
        return to_numpy(std::move(scores));
      },
      py::arg("length_of_stay_days"), py::arg("acute"), py::arg("charlson"), py::arg("ae_visits"),
      py::arg("variant") = "van_walraven", py::arg("threads") = 0);

  py::dict presets;
  for (const auto& preset : kHiuPresets)
    presets[py::str(std::string(preset.name))] = py::make_tuple(
        std::string(name_of(preset.rule.kind)), preset.rule.at_least, preset.rule.window_days);
  m.attr("HIU_PRESETS") = presets;
  m.def("high_intensity_users", &hiu, py::arg("people"), py::arg("person_id"), py::arg("date"),
        py::arg("kind"), py::arg("rule_kind"), py::arg("at_least"), py::arg("window_days"),
        py::arg("threads") = 0);

  py::class_<Model>(m, "RiskModel")
      .def_static("from_json", &parse_model, py::arg("text"))
      .def("to_json", &model_to_json)
      .def_readonly("name", &Model::name)
      .def_property_readonly("kind",
                             [](const Model& model) { return std::string(name_of(model.kind)); })
      .def_readonly("outcome", &Model::outcome)
      .def_readonly("description", &Model::description)
      .def_readonly("intercept", &Model::intercept)
      .def_readonly("coefficients", &Model::coefficients)
      .def_property_readonly("feature_names",
                             [](const Model& model) {
                               std::vector<std::string> names;
                               for (const Feature& f : model.features) names.push_back(f.name);
                               return names;
                             })
      .def_property_readonly("columns", &model_columns)
      .def_property_readonly("needs_events",
                             [](const Model& model) {
                               for (const Feature& f : model.features)
                                 if (f.source == FeatureSource::event_count) return true;
                               return false;
                             })
      .def("__repr__", [](const Model& model) {
        return py::str("RiskModel({!r}, kind={!r}, outcome={!r}, features={})")
            .format(model.name, std::string(name_of(model.kind)), model.outcome,
                    model.features.size());
      });

  m.def("risk_features", &features, py::arg("model"), py::arg("rows"), py::arg("numbers"),
        py::arg("labels"), py::arg("patient_id"), py::arg("as_of"), py::arg("person_id"),
        py::arg("date"), py::arg("kind"), py::arg("threads") = 0);
  m.def("risk_score", &score_matrix<double>, py::arg("model"), py::arg("x").noconvert(),
        py::arg("threads") = 0);
  m.def("risk_score", &score_matrix<float>, py::arg("model"), py::arg("x").noconvert(),
        py::arg("threads") = 0);
  m.def("risk_explain", &explain_matrix, py::arg("model"), py::arg("x").noconvert(), py::arg("top"),
        py::arg("threads") = 0);
  m.def(
      "top_k_per_group",
      [](const Array<std::int32_t>& group, const AnyInt& groups, const Array<double>& score,
         const Array<std::int64_t>& id, const AnyInt& k) {
        return to_numpy(top_k_per_group(
            column(group), whole<std::int32_t>(groups, "top_k_per_group", "groups"), column(score),
            column(id), whole<std::size_t>(k, "top_k_per_group", "k")));
      },
      py::arg("group"), py::arg("groups"), py::arg("score"), py::arg("id"), py::arg("k"));
  m.def("fit_logistic", &fit, py::arg("x"), py::arg("y"), py::arg("ridge") = 0.0,
        py::arg("intercept") = true, py::arg("max_iterations") = 100, py::arg("tolerance") = 1e-12,
        py::arg("threads") = 0);
}

}  // namespace socialrx::bindings
