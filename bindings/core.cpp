#include "bindings.hpp"

#include "socialrx/core/dates.hpp"
#include "socialrx/core/embedded.hpp"
#include "socialrx/core/money.hpp"

namespace socialrx::bindings {

void add_core(py::module_& m) {
  m.attr("NO_DATE") = kNoDate;
  m.def("embedded_file", [](const std::string& key) { return std::string(embedded_file(key)); },
        py::arg("key"), "Text of a reference file compiled into the library.");
  m.def("embedded_files", [] {
    std::vector<std::string> keys;
    for (const auto& [key, text] : embedded_files()) keys.push_back(key);
    return keys;
  });
  m.def("format_pounds", &format_pounds, py::arg("pence"));
  m.def("window_days", &window_days_from_months, py::arg("months"));
  m.def("financial_year", &financial_year, py::arg("day"));
}

}  // namespace socialrx::bindings
