#include "bindings.hpp"

namespace socialrx::bindings {

void add_support(py::module_&) {}

}  // namespace socialrx::bindings
