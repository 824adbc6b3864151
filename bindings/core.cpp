#include "bindings.hpp"
#include "detail/recode.hpp"
#include "socialrx/core/dates.hpp"
#include "socialrx/core/embedded.hpp"
#include "socialrx/core/money.hpp"

namespace socialrx::bindings {

// A column converted row by row without the GIL: (the new column, the first bad row or -1).
template <class Out, class Convert>
py::tuple convert_column(py::ssize_t rows, Convert&& convert) {
  Array<Out> out(rows);
  const std::span<Out> target(out.mutable_data(), static_cast<std::size_t>(rows));
  std::int64_t first_bad;
  {
    py::gil_scoped_release release;  // plain buffers only
    first_bad = convert(target);
  }
  return py::make_tuple(out, first_bad);
}

template <class Code>
void add_recode(py::module_& m) {
  m.def(
      "recode",
      [](const Array<Code>& codes, const Array<std::uint8_t>& ours, const AnyInt& threads) {
        const auto in = column(codes);
        const auto table = column(ours);
        const auto workers = whole<unsigned>(threads, "recode", "threads");
        return convert_column<std::uint8_t>(codes.shape(0), [&](std::span<std::uint8_t> out) {
          return detail::recode(in, table, out, workers);
        });
      },
      py::arg("codes"), py::arg("ours"), py::arg("threads") = 0,
      "Category codes (-1 missing) to ours[code] as uint8; with the first row that is missing or "
      "maps to 255 (-1 when none).");
}

void add_core(py::module_& m) {
  m.attr("NO_DATE") = kNoDate;
  m.attr("UNMAPPED") = detail::kUnmapped;
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
      [](const Array<std::int64_t>& ticks, const AnyInt& ticks_per_day, const AnyInt& threads) {
        const auto in = column(ticks);
        const auto per_day = whole<std::int64_t>(ticks_per_day, "days_from_ticks", "ticks_per_day");
        const auto workers = whole<unsigned>(threads, "days_from_ticks", "threads");
        return convert_column<Days>(ticks.shape(0), [&](std::span<Days> out) {
          return days_from_ticks(in, per_day, out, workers);
        });
      },
      py::arg("ticks"), py::arg("ticks_per_day"), py::arg("threads") = 0,
      "datetime64 ticks since 1970 to int32 days (floor), NaT to NO_DATE; with the first NaT's "
      "row (-1 when none).");
  add_recode<std::int8_t>(m);
  add_recode<std::int16_t>(m);
  add_recode<std::int32_t>(m);  // Arrow's dictionary indices as Parquet readers give them
  m.def(
      "format_pounds",
      [](const AnyInt& pence) {
        return format_pounds(whole<Pence>(pence, "format_pounds", "pence"));
      },
      py::arg("pence"));
  m.def("window_days", &window_days_from_months, py::arg("months"));
  m.def(
      "financial_year",
      [](const AnyInt& day) { return financial_year(whole<Days>(day, "financial_year", "day")); },
      py::arg("day"));
}

}  // namespace socialrx::bindings
