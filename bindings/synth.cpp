#include <pybind11/stl.h>

#include "bindings.hpp"
#include "socialrx/synth/synthetic.hpp"

namespace socialrx::bindings {

namespace {

template <std::size_t N>
std::vector<std::string> labels(const std::array<std::string_view, N>& names) {
  return {names.begin(), names.end()};
}

py::dict label_lists(SyntheticService& s) {
  py::dict out;
  out["sex"] = labels(synth::kSexes);
  out["practice"] = std::move(s.practices);
  out["practice_locality"] = to_numpy(std::move(s.practice_locality));
  out["locality"] = labels(synth::kLocalities);
  out["referral_source"] = labels(synth::kReferralSources);
  out["referral_reason"] = labels(synth::kReferralReasons);
  out["status"] = labels(synth::kStatuses);
  out["timepoint"] = labels(synth::kTimepoints);
  out["instrument"] = labels(synth::kInstruments);
  out["item"] = labels(synth::kItems);
  out["intervention_kind"] = labels(synth::kInterventionKinds);
  out["organisation"] = std::move(s.organisations);
  out["organisation_sector"] = to_numpy(std::move(s.organisation_sector));
  out["sector"] = labels(synth::kSectors);
  out["impact"] = labels(synth::kImpacts);
  return out;
}

py::dict truth_dict(const SyntheticTruth& t) {
  py::dict rates;
  for (std::size_t k = 0; k < kEventKinds; ++k)
    rates[py::str(std::string(kEventKindNames[k]))] = t.annual_rate[k];
  py::dict out;
  out["true_effect"] = t.true_effect;
  out["effect_days"] = t.effect_days;
  out["annual_rate"] = rates;
  out["mean_bed_days"] = t.mean_bed_days;
  out["client_frailty_shape"] = t.client_frailty_shape;
  out["client_frailty_mean"] = t.client_frailty_mean;
  out["comparison_frailty_shape"] = t.comparison_frailty_shape;
  out["comparison_frailty_mean"] = t.comparison_frailty_mean;
  out["shock_period_days"] = t.shock_period_days;
  out["shock_sigma"] = t.shock_sigma;
  out["crisis_log_mean"] = t.crisis_log_mean;
  out["crisis_fade"] = std::vector<double>(t.crisis_fade.begin(), t.crisis_fade.end());
  out["comparison_crisis_share"] = t.comparison_crisis_share;
  out["connect_rate"] = t.connect_rate;
  return out;
}

// A table as a dict of numpy arrays that own its vectors.
template <class Table>
py::dict table_dict(Table& table) {
  py::dict out;
  std::apply([&](auto... named) { ((out[named.name] = to_numpy(std::move(named.column))), ...); },
             named_columns(table));
  return out;
}

py::dict tables(SyntheticService& s) {
  py::dict out;
  out["clients"] = table_dict(s.clients);
  out["comparison"] = table_dict(s.comparison);
  out["events"] = table_dict(s.events);
  out["assessments"] = table_dict(s.assessments);
  out["interventions"] = table_dict(s.interventions);
  out["feedback"] = table_dict(s.feedback);
  return out;
}

}  // namespace

void add_synth(py::module_& m) {
  m.def(
      "generate_service",
      [](const AnyInt& n_clients, const AnyInt& n_comparison, const AnyInt& seed,
         double true_effect, const AnyInt& data_start, const AnyInt& data_end,
         const AnyInt& threads, double connect_rate) {
        constexpr const char* kFunction = "generate_service";
        const SyntheticConfig config{whole<std::int64_t>(n_clients, kFunction, "n_clients"),
                                     whole<std::int64_t>(n_comparison, kFunction, "n_comparison"),
                                     whole<std::uint64_t>(seed, kFunction, "seed"),
                                     true_effect,
                                     whole<Days>(data_start, kFunction, "data_start"),
                                     whole<Days>(data_end, kFunction, "data_end"),
                                     whole<unsigned>(threads, kFunction, "threads"),
                                     connect_rate};
        SyntheticService service;
        {
          py::gil_scoped_release release;
          service = generate_service(config);
        }
        py::dict out = tables(service);
        out["labels"] = label_lists(service);
        out["truth"] = truth_dict(service.truth);
        return out;
      },
      py::arg("n_clients"), py::arg("n_comparison"), py::arg("seed"), py::arg("true_effect"),
      py::arg("data_start"), py::arg("data_end"), py::arg("threads") = 0,
      py::arg("connect_rate") = 0.72,
      "A synthetic service as dicts of numpy arrays (codes index into 'labels'), with the "
      "model's 'truth'.");
}

}  // namespace socialrx::bindings
