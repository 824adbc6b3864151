#include "bindings.hpp"

namespace socialrx::bindings {

void add_outcomes(py::module_&) {}

}  // namespace socialrx::bindings
