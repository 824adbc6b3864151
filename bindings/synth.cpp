#include "bindings.hpp"

namespace socialrx::bindings {

void add_synth(py::module_&) {}

}  // namespace socialrx::bindings
