#include "bindings.hpp"

namespace socialrx::bindings {

void add_risk_models(py::module_&) {}

}  // namespace socialrx::bindings
