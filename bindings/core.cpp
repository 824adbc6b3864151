#include "bindings.hpp"
#include "socialrx/core/dates.hpp"
#include "socialrx/core/embedded.hpp"
#include "socialrx/core/money.hpp"

namespace socialrx::bindings {

void add_core(py::module_& m) {
  m.attr("NO_DATE") = kNoDate;
  m.def(
      "embedded_file", [](const std::string& key) { return std::string(embedded_file(key)); },
      py::arg("key"), "Text of a reference file compiled into the library.");
  m.def("embedded_files", [] {
    std::vector<std::string> keys;
    for (const auto& [key, text] : embedded_files()) keys.push_back(key);
    return keys;
  });
  m.def(
      "days_from_ticks",
      [](const Array<std::int64_t>& ticks, std::int64_t ticks_per_day, unsigned threads) {
        py::array_t<Days> days(ticks.shape(0));
        const std::span<Days> out(days.mutable_data(), static_cast<std::size_t>(ticks.shape(0)));
        const auto in = column(ticks);
        py::gil_scoped_release release;  // plain buffers only
        days_from_ticks(in, ticks_per_day, out, threads);
        return days;
      },
      py::arg("ticks"), py::arg("ticks_per_day"), py::arg("threads") = 0,
      "datetime64 ticks since 1970 to int32 days (floor); NaT to NO_DATE.");
  m.def("format_pounds", &format_pounds, py::arg("pence"));
  m.def("window_days", &window_days_from_months, py::arg("months"));
  m.def("financial_year", &financial_year, py::arg("day"));
}

}  // namespace socialrx::bindings
