#include "bindings.hpp"

namespace socialrx::bindings {

void add_comorbidity(py::module_&) {}

}  // namespace socialrx::bindings
