#pragma once
// Shared by the binding files: one add_<area>(module) per area, and the column adapters.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <limits>
#include <string>
#include <vector>

#include "socialrx/core/columns.hpp"

namespace socialrx::bindings {

namespace py = pybind11;

// A whole-number argument as Python gave it, at any size: the binding narrows it with
// whole(), so that threads=-1 or 2**70 pence is a ValueError naming the argument rather
// than pybind11's "incompatible function arguments".
struct AnyInt {
  py::object value;
};

// `argument` ("count_utilisation.threads") narrowed to [lo, hi]: TypeError when it is not a
// whole number (nor has __index__), InputError (ValueError) when it is out of range.
template <class T>
T whole(const AnyInt& argument, const char* function, const char* name,
        T lo = std::numeric_limits<T>::min(), T hi = std::numeric_limits<T>::max()) {
  PyObject* object = argument.value.ptr();
  const std::string where = std::string(function) + "." + name;
  if (object == nullptr || !PyIndex_Check(object))
    throw py::type_error(where + ": must be a whole number, got " +
                         std::string(py::repr(argument.value)));
  const auto number = py::reinterpret_steal<py::int_>(PyNumber_Index(object));
  if (!number) throw py::error_already_set();
  const auto refuse = [&] {
    throw InputError(function, name, kNoRow,
                     "must be a whole number from " + std::to_string(lo) + " to " +
                         std::to_string(hi) + ", got " + std::string(py::str(number)));
  };
  // Compared as Python ints: exact at any size, for signed and unsigned T alike.
  if (number < py::int_(lo) || number > py::int_(hi)) refuse();
  return number.cast<T>();
}

template <class T>
std::vector<T> wholes(const std::vector<AnyInt>& arguments, const char* function, const char* name,
                      T lo = std::numeric_limits<T>::min(), T hi = std::numeric_limits<T>::max()) {
  std::vector<T> out;
  out.reserve(arguments.size());
  for (const AnyInt& argument : arguments) out.push_back(whole(argument, function, name, lo, hi));
  return out;
}

}  // namespace socialrx::bindings

namespace pybind11::detail {

template <>
struct type_caster<socialrx::bindings::AnyInt> {
  PYBIND11_TYPE_CASTER(socialrx::bindings::AnyInt, const_name("int"));
  bool load(handle source, bool) {
    value.value = reinterpret_borrow<object>(source);
    return true;
  }
  static handle cast(const socialrx::bindings::AnyInt& source, return_value_policy, handle) {
    return source.value.inc_ref();
  }
};

}  // namespace pybind11::detail

namespace socialrx::bindings {

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
template <class T, class Allocator>
py::array_t<T> to_numpy(std::vector<T, Allocator>&& values) {
  using Vector = std::vector<T, Allocator>;
  auto* owned = new Vector(std::move(values));
  py::capsule free_when_done(owned, [](void* p) { delete static_cast<Vector*>(p); });
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
void add_extracts(py::module_& m);
void add_linkage(py::module_& m);

}  // namespace socialrx::bindings
