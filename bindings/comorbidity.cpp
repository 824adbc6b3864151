#include "socialrx/risk/comorbidity.hpp"

#include <pybind11/stl.h>

#include "bindings.hpp"
#include "socialrx/risk/icd10.hpp"

namespace socialrx::bindings {

namespace {

// One bool per patient and category, for a DataFrame block.
py::array_t<bool> flag_matrix(const ComorbidityMap& map, const std::vector<CategorySet>& flags) {
  py::array_t<bool> out(
      {static_cast<py::ssize_t>(flags.size()), static_cast<py::ssize_t>(map.size())});
  bool* cell = out.mutable_data();
  for (const CategorySet& set : flags)
    for (std::size_t c = 0; c < map.size(); ++c) *cell++ = set.test(c);
  return out;
}

py::dict describe(const ComorbidityMap& map) {
  py::dict weights;
  for (const WeightSet& set : map.weight_sets()) {
    py::dict points;
    for (std::size_t c = 0; c < map.size(); ++c)
      points[py::str(map.ids()[c])] =
          static_cast<double>(set.units[c]) / static_cast<double>(set.units_per_point);
    weights[py::str(set.name)] = points;
  }
  std::vector<std::pair<std::string, std::string>> hierarchy;
  for (const auto& [greater, lesser] : map.hierarchy())
    hierarchy.emplace_back(map.ids()[greater], map.ids()[lesser]);
  std::vector<std::vector<std::string>> codes;
  for (std::size_t c = 0; c < map.size(); ++c) codes.push_back(map.codes(c));
  py::dict out;
  out["origin"] = map.origin();
  out["ids"] = map.ids();
  out["names"] = map.names();
  out["codes"] = codes;
  out["weights"] = weights;
  out["hierarchy"] = hierarchy;
  return out;
}

}  // namespace

void add_comorbidity(py::module_& m) {
  m.def("comorbidity_maps", &ComorbidityMap::builtin_names);
  m.def(
      "comorbidity_map",
      [](const std::string& name) { return describe(ComorbidityMap::builtin(name)); },
      py::arg("name"));
  m.def("normalise_icd10", [](const std::vector<std::string>& codes) {
    std::vector<std::string> out;
    out.reserve(codes.size());
    for (const auto& code : codes) out.push_back(icd10::normalised(code));
    return out;
  });

  m.def(
      "comorbidity",
      [](const std::string& map_name, const std::string& weights_name, bool hierarchy,
         const Array<std::int32_t>& patient, const AnyInt& patients,
         const Array<std::int64_t>& offsets, const Array<std::uint8_t>& data,
         const Array<std::uint8_t>& validity, const AnyInt& validity_offset,
         const Array<std::int32_t>& code_index, const AnyInt& threads) {
        constexpr const char* kFunction = "comorbidity";
        const auto workers = whole<unsigned>(threads, kFunction, "threads");
        const ComorbidityMap& map = ComorbidityMap::builtin(map_name);
        const WeightSet& weights = map.weights(weights_name);
        const auto bytes = column(data);
        DiagnosisColumns diagnoses{
            column(patient),
            {column(offsets),
             {reinterpret_cast<const char*>(bytes.data()), bytes.size()},
             column(validity),
             whole<std::int64_t>(validity_offset, kFunction, "validity_offset")},
            column(code_index),
            whole<std::int32_t>(patients, kFunction, "patients")};
        ComorbidityFlags flags;
        std::vector<std::int64_t> scores;
        {
          py::gil_scoped_release release;  // the views hold no Python objects
          flags = flag_comorbidities(map, diagnoses, workers);
          scores = score_comorbidities(map, flags.patients, weights, hierarchy, workers);
        }
        py::dict out;
        out["categories"] = map.ids();
        out["flags"] = flag_matrix(map, flags.patients);
        out["score_units"] = to_numpy(std::move(scores));
        out["units_per_point"] = weights.units_per_point;
        out["codes_ignored"] = flags.codes_ignored;
        out["codes_unmatched"] = flags.codes_unmatched;
        out["codes_matched"] = flags.codes_matched;
        return out;
      },
      py::arg("map"), py::arg("weights"), py::arg("hierarchy"), py::arg("patient"),
      py::arg("patients"), py::arg("offsets"), py::arg("data"), py::arg("validity"),
      py::arg("validity_offset"), py::arg("code_index"), py::arg("threads") = 0,
      "Flags and scores per patient position over Arrow-layout code strings.");

  m.def(
      "frailty_bands",
      [](const Array<std::int64_t>& units, const AnyInt& units_per_point) {
        const auto values = column(units);
        // A map's units per point are a power of ten up to 1000; the bound keeps 15 x it exact.
        const auto per_point = whole<std::int64_t>(units_per_point, "frailty_bands",
                                                   "units_per_point", 1, 1'000'000'000);
        std::vector<std::uint8_t> bands(values.size());
        for (std::size_t i = 0; i < values.size(); ++i)
          bands[i] = static_cast<std::uint8_t>(frailty_band(values[i], per_point));
        return to_numpy(std::move(bands));
      },
      py::arg("units"), py::arg("units_per_point"));
  m.attr("FRAILTY_BANDS") =
      std::vector<std::string>(kFrailtyBandNames.begin(), kFrailtyBandNames.end());
}

}  // namespace socialrx::bindings
