#include <pybind11/stl.h>

#include "bindings.hpp"
#include "socialrx/evaluate/matching.hpp"

namespace socialrx::bindings {

namespace {

py::dict matching_dict(Matching&& m) {
  py::dict out;
  out["set_treated"] = to_numpy(std::move(m.set_treated));
  out["set_begin"] = to_numpy(std::move(m.set_begin));
  out["control"] = to_numpy(std::move(m.control));
  std::vector<std::uint8_t> status(m.status.size());
  std::transform(m.status.begin(), m.status.end(), status.begin(),
                 [](MatchStatus s) { return static_cast<std::uint8_t>(s); });
  out["status"] = to_numpy(std::move(status));
  return out;
}

py::dict balance_dict(Balance&& b) {
  py::dict out;
  out["treated_mean_before"] = to_numpy(std::move(b.treated_mean_before));
  out["control_mean_before"] = to_numpy(std::move(b.control_mean_before));
  out["smd_before"] = to_numpy(std::move(b.smd_before));
  out["treated_mean_after"] = to_numpy(std::move(b.treated_mean_after));
  out["control_mean_after"] = to_numpy(std::move(b.control_mean_after));
  out["smd_after"] = to_numpy(std::move(b.smd_after));
  return out;
}

py::dict propensity(const Array<double>& x, const AnyInt& treated_rows,
                    const Array<std::int32_t>& stratum, const AnyInt& k, double caliper_sd,
                    bool replace, const AnyInt& threads, const Array<std::int64_t>& id) {
  constexpr const char* kFunction = "propensity_match";
  if (x.ndim() != 2) throw std::invalid_argument("x: expected a 2-D array (people x covariates)");
  PropensityMatchRequest request;
  request.x = {x.data(), static_cast<std::size_t>(x.shape(0)),
               static_cast<std::size_t>(x.shape(1))};
  request.treated_rows = whole<std::size_t>(treated_rows, kFunction, "treated_rows");
  request.stratum = column(stratum);
  request.id = column(id);
  request.k = whole<std::size_t>(k, kFunction, "k");
  request.caliper_sd = caliper_sd;
  request.replace = replace;
  request.threads = whole<unsigned>(threads, kFunction, "threads");
  PropensityMatch r;
  {
    py::gil_scoped_release release;
    r = propensity_match(request);
  }
  py::dict out = matching_dict(std::move(r.matching));
  out["intercept"] = r.fit.intercept;
  out["coefficients"] = to_numpy(std::move(r.fit.coefficients));
  out["standard_errors"] = to_numpy(std::move(r.fit.standard_errors));
  out["log_likelihood"] = r.fit.log_likelihood;
  out["iterations"] = r.fit.iterations;
  out["logit"] = to_numpy(std::move(r.logit));
  out["logit_sd"] = r.logit_sd;
  out["caliper"] = r.caliper;
  out["weight"] = to_numpy(std::move(r.weight));
  out["balance"] = balance_dict(std::move(r.balance));
  return out;
}

}  // namespace

void add_evaluate(py::module_& m) {
  m.attr("MATCH_STATUSES") =
      std::vector<std::string>{"matched", "no_match_within_caliper", "no_comparison_in_stratum"};
  m.def(
      "pseudo_index_dates",
      [](const Array<std::int64_t>& patient_id, const Array<Days>& donor_dates, const AnyInt& seed,
         const AnyInt& threads) {
        const auto key = whole<std::uint64_t>(seed, "pseudo_index_dates", "seed");
        const auto workers = whole<unsigned>(threads, "pseudo_index_dates", "threads");
        std::vector<Days> out;
        {
          py::gil_scoped_release release;
          out = pseudo_index_dates(column(patient_id), column(donor_dates), key, workers);
        }
        return to_numpy(std::move(out));
      },
      py::arg("patient_id"), py::arg("donor_dates"), py::arg("seed"), py::arg("threads") = 0);
  m.def(
      "nearest_neighbours",
      [](const Array<double>& treated_logit, const Array<double>& control_logit,
         const Array<std::int32_t>& treated_stratum, const Array<std::int32_t>& control_stratum,
         const AnyInt& k, double caliper, bool replace, const AnyInt& threads,
         const Array<std::int64_t>& treated_id, const Array<std::int64_t>& control_id) {
        NearestNeighbourRequest request;
        request.treated_logit = column(treated_logit);
        request.control_logit = column(control_logit);
        request.treated_stratum = column(treated_stratum);
        request.control_stratum = column(control_stratum);
        request.treated_id = column(treated_id);
        request.control_id = column(control_id);
        request.k = whole<std::size_t>(k, "nearest_neighbours", "k");
        request.caliper = caliper;
        request.replace = replace;
        request.threads = whole<unsigned>(threads, "nearest_neighbours", "threads");
        Matching result;
        {
          py::gil_scoped_release release;
          result = nearest_neighbours(request);
        }
        return matching_dict(std::move(result));
      },
      py::arg("treated_logit"), py::arg("control_logit"), py::arg("treated_stratum"),
      py::arg("control_stratum"), py::arg("k") = 1, py::arg("caliper") = kNoCaliper,
      py::arg("replace") = false, py::arg("threads") = 0,
      py::arg("treated_id") = Array<std::int64_t>(0),
      py::arg("control_id") = Array<std::int64_t>(0),
      "Ties break on treated_id/control_id (both or neither; without them, on rows).");
  m.def("propensity_match", &propensity, py::arg("x"), py::arg("treated_rows"), py::arg("stratum"),
        py::arg("k") = 1, py::arg("caliper_sd") = 0.2, py::arg("replace") = false,
        py::arg("threads") = 0, py::arg("id") = Array<std::int64_t>(0),
        "Fits the propensity model on x (clients' rows first), matches on its logit within "
        "caliper_sd SDs of the logit (inf: no caliper) and measures balance. Ties break on id "
        "(one per row of x; without it, on rows), so that row order never changes the sets.");
}

}  // namespace socialrx::bindings
