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

// Each table as a dict of numpy arrays that own the generated vectors.
py::dict tables(SyntheticService& s) {
  py::dict clients;
  auto& c = s.clients;
  clients["client_id"] = to_numpy(std::move(c.client_id));
  clients["referral_date"] = to_numpy(std::move(c.referral_date));
  clients["index_date"] = to_numpy(std::move(c.index_date));
  clients["discharge_date"] = to_numpy(std::move(c.discharge_date));
  clients["birth_year"] = to_numpy(std::move(c.birth_year));
  clients["sex"] = to_numpy(std::move(c.sex));
  clients["practice"] = to_numpy(std::move(c.practice));
  clients["locality"] = to_numpy(std::move(c.locality));
  clients["referral_source"] = to_numpy(std::move(c.referral_source));
  clients["referral_reasons"] = to_numpy(std::move(c.referral_reasons));
  clients["carer"] = to_numpy(std::move(c.carer));
  clients["status"] = to_numpy(std::move(c.status));
  clients["deprivation_decile"] = to_numpy(std::move(c.deprivation_decile));

  py::dict comparison;
  auto& p = s.comparison;
  comparison["patient_id"] = to_numpy(std::move(p.patient_id));
  comparison["birth_year"] = to_numpy(std::move(p.birth_year));
  comparison["sex"] = to_numpy(std::move(p.sex));
  comparison["practice"] = to_numpy(std::move(p.practice));
  comparison["locality"] = to_numpy(std::move(p.locality));
  comparison["deprivation_decile"] = to_numpy(std::move(p.deprivation_decile));

  py::dict events;
  events["person_id"] = to_numpy(std::move(s.events.person_id));
  events["date"] = to_numpy(std::move(s.events.date));
  events["kind"] = to_numpy(std::move(s.events.kind));

  py::dict assessments;
  auto& a = s.assessments;
  assessments["client_id"] = to_numpy(std::move(a.client_id));
  assessments["date"] = to_numpy(std::move(a.date));
  assessments["timepoint"] = to_numpy(std::move(a.timepoint));
  assessments["instrument"] = to_numpy(std::move(a.instrument));
  assessments["item"] = to_numpy(std::move(a.item));
  assessments["value"] = to_numpy(std::move(a.value));

  py::dict interventions;
  auto& i = s.interventions;
  interventions["client_id"] = to_numpy(std::move(i.client_id));
  interventions["date"] = to_numpy(std::move(i.date));
  interventions["kind"] = to_numpy(std::move(i.kind));
  interventions["organisation"] = to_numpy(std::move(i.organisation));
  interventions["sector"] = to_numpy(std::move(i.sector));
  interventions["cost_pence"] = to_numpy(std::move(i.cost_pence));

  py::dict feedback;
  auto& f = s.feedback;
  feedback["client_id"] = to_numpy(std::move(f.client_id));
  feedback["date"] = to_numpy(std::move(f.date));
  feedback["stars"] = to_numpy(std::move(f.stars));
  feedback["impact"] = to_numpy(std::move(f.impact));
  feedback["connected_to_services"] = to_numpy(std::move(f.connected_to_services));

  py::dict out;
  out["clients"] = clients;
  out["comparison"] = comparison;
  out["events"] = events;
  out["assessments"] = assessments;
  out["interventions"] = interventions;
  out["feedback"] = feedback;
  return out;
}

}  // namespace

void add_synth(py::module_& m) {
  m.def(
      "generate_service",
      [](std::int64_t n_clients, std::int64_t n_comparison, std::uint64_t seed, double true_effect,
         Days data_start, Days data_end, unsigned threads, double connect_rate) {
        const SyntheticConfig config{n_clients,  n_comparison, seed,    true_effect,
                                     data_start, data_end,     threads, connect_rate};
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
