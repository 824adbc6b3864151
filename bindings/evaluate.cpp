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

py::dict propensity(const Array<double>& x, std::size_t treated_rows,
                    const Array<std::int32_t>& stratum, std::size_t k, double caliper_sd,
                    bool replace, unsigned threads) {
  if (x.ndim() != 2) throw std::invalid_argument("x: expected a 2-D array (people x covariates)");
  PropensityMatchRequest request;
  request.x = {x.data(), static_cast<std::size_t>(x.shape(0)),
               static_cast<std::size_t>(x.shape(1))};
  request.treated_rows = treated_rows;
  request.stratum = column(stratum);
  request.k = k;
  request.caliper_sd = caliper_sd;
  request.replace = replace;
  request.threads = threads;
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
      [](const Array<std::int64_t>& patient_id, const Array<Days>& donor_dates, std::uint64_t seed,
         unsigned threads) {
        std::vector<Days> out;
        {
          py::gil_scoped_release release;
          out = pseudo_index_dates(column(patient_id), column(donor_dates), seed, threads);
        }
        return to_numpy(std::move(out));
      },
      py::arg("patient_id"), py::arg("donor_dates"), py::arg("seed"), py::arg("threads") = 0);
  m.def(
      "nearest_neighbours",
      [](const Array<double>& treated_logit, const Array<double>& control_logit,
         const Array<std::int32_t>& treated_stratum, const Array<std::int32_t>& control_stratum,
         std::size_t k, double caliper, bool replace, unsigned threads) {
        NearestNeighbourRequest request{column(treated_logit),
                                        column(control_logit),
                                        column(treated_stratum),
                                        column(control_stratum),
                                        k,
                                        caliper,
                                        replace,
                                        threads};
        Matching result;
        {
          py::gil_scoped_release release;
          result = nearest_neighbours(request);
        }
        return matching_dict(std::move(result));
      },
      py::arg("treated_logit"), py::arg("control_logit"), py::arg("treated_stratum"),
      py::arg("control_stratum"), py::arg("k") = 1, py::arg("caliper") = kNoCaliper,
      py::arg("replace") = false, py::arg("threads") = 0);
  m.def("propensity_match", &propensity, py::arg("x"), py::arg("treated_rows"), py::arg("stratum"),
        py::arg("k") = 1, py::arg("caliper_sd") = 0.2, py::arg("replace") = false,
        py::arg("threads") = 0,
        "Fits the propensity model on x (clients' rows first), matches on its logit within "
        "caliper_sd SDs of the logit (inf: no caliper) and measures balance.");
}

}  // namespace socialrx::bindings
