#pragma once
// Shared by the binding files: one add_<area>(module) per area, and the column adapters.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <vector>

#include "socialrx/core/columns.hpp"

namespace socialrx::bindings {

namespace py = pybind11;

template <class T>
using Array = py::array_t<T, py::array::c_style>;

// A view of a 1-D numpy array without copying. The Python layer passes arrays of the exact
// dtype; pybind11 converts (copies) anything else before this sees it.
template <class T>
Column<T> column(const Array<T>& array) {
  if (array.ndim() != 1) throw std::invalid_argument("expected a 1-D array");
  return {array.data(), static_cast<std::size_t>(array.shape(0))};
}

// A numpy array that takes over a vector's storage.
template <class T>
py::array_t<T> to_numpy(std::vector<T>&& values) {
  auto* owned = new std::vector<T>(std::move(values));
  py::capsule free_when_done(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(static_cast<py::ssize_t>(owned->size()), owned->data(), free_when_done);
}

void add_core(py::module_& m);
void add_model(py::module_& m);
void add_outcomes(py::module_& m);
void add_utilisation(py::module_& m);
void add_cost(py::module_& m);
void add_synth(py::module_& m);
void add_support(py::module_& m);
void add_comorbidity(py::module_& m);
void add_risk_models(py::module_& m);
void add_did(py::module_& m);
void add_evaluate(py::module_& m);

}  // namespace socialrx::bindings
