#include "bindings.hpp"
#include "socialrx/core/dates.hpp"
#include "socialrx/core/embedded.hpp"
#include "socialrx/core/money.hpp"
#include "socialrx/core/recode.hpp"

namespace socialrx::bindings {

template <class Code>
void add_recode(py::module_& m) {
  m.def(
      "recode",
      [](const Array<Code>& codes, const Array<std::uint8_t>& ours, unsigned threads) {
        Array<std::uint8_t> out(codes.shape(0));
        const std::span<std::uint8_t> target(out.mutable_data(), out.size());
        const auto in = column(codes);
        const auto table = column(ours);
        std::int64_t first_bad;
        {
          py::gil_scoped_release release;  // plain buffers only
          first_bad = recode(in, table, target, threads);
        }
        return py::make_tuple(out, first_bad);
      },
      py::arg("codes"), py::arg("ours"), py::arg("threads") = 0,
      "Category codes (-1 missing) to ours[code] as uint8; with the first row that is missing or "
      "maps to 255 (-1 when none).");
}

void add_core(py::module_& m) {
  m.attr("NO_DATE") = kNoDate;
  m.attr("UNMAPPED") = kUnmapped;
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
        std::int64_t first_missing;
        {
          py::gil_scoped_release release;  // plain buffers only
          first_missing = days_from_ticks(in, ticks_per_day, out, threads);
        }
        return py::make_tuple(days, first_missing);
      },
      py::arg("ticks"), py::arg("ticks_per_day"), py::arg("threads") = 0,
      "datetime64 ticks since 1970 to int32 days (floor), NaT to NO_DATE; with the first NaT's "
      "row (-1 when none).");
  add_recode<std::int8_t>(m);
  add_recode<std::int16_t>(m);
  m.def("format_pounds", &format_pounds, py::arg("pence"));
  m.def("window_days", &window_days_from_months, py::arg("months"));
  m.def("financial_year", &financial_year, py::arg("day"));
}

}  // namespace socialrx::bindings
