// Wiring only: each area registers its own functions.
#include "bindings.hpp"

PYBIND11_MODULE(_core, m) {
  using namespace socialrx::bindings;
  m.doc() = "socialrx compiled core: engines over column views";
  add_core(m);
  add_model(m);
  add_outcomes(m);
  add_utilisation(m);
  add_cost(m);
  add_synth(m);
  add_support(m);
  add_comorbidity(m);
  add_risk_models(m);
  add_did(m);
  add_evaluate(m);
  add_extracts(m);
  add_linkage(m);
}
