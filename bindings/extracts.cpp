#include <pybind11/stl.h>

#include <optional>

#include "bindings.hpp"
#include "socialrx/extracts/spells.hpp"

namespace socialrx::bindings {

namespace {

template <class T>
Column<T> column_if(const std::optional<Array<T>>& array) {
  return array ? column(*array) : Column<T>{};
}

py::dict group(const Array<std::int64_t>& person, const std::vector<Array<std::int64_t>>& key,
               const std::optional<Array<std::int64_t>>& order, const Array<Days>& admitted,
               const Array<Days>& discharged, const Array<std::int32_t>& method,
               const std::optional<Array<std::int32_t>>& method_rank,
               const std::optional<Array<std::uint8_t>>& read) {
  EpisodesView episodes{.person = column(person),
                        .order = column_if(order),
                        .admitted = column(admitted),
                        .discharged = column(discharged),
                        .method = column(method),
                        .method_rank = column_if(method_rank),
                        .read = column_if(read)};
  for (const auto& part : key) episodes.key.push_back(column(part));
  Spells spells;
  {
    py::gil_scoped_release release;
    spells = group_spells(episodes);
  }
  py::dict out;
  out["person"] = to_numpy(std::move(spells.person));
  out["admitted"] = to_numpy(std::move(spells.admitted));
  out["bed_days"] = to_numpy(std::move(spells.bed_days));
  out["method"] = to_numpy(std::move(spells.method));
  out["first_row"] = to_numpy(std::move(spells.first_row));
  out["by_method"] =
      to_numpy(std::move(spells.by_method)).reshape({py::ssize_t{-1}, py::ssize_t{2}});
  out["later_episodes"] = spells.later_episodes;
  out["shared_row"] = spells.shared_row;
  out["reversed_row"] = spells.reversed_row;
  return out;
}

py::dict events(const Array<std::int64_t>& person, const Array<Days>& admitted,
                const Array<std::int32_t>& bed_days, const Array<std::int32_t>& method,
                const Array<std::int8_t>& kind_of_method, std::int8_t bed_days_kind) {
  const SpellsView spells{column(person), column(admitted), column(bed_days), column(method)};
  SpellEvents events;
  {
    py::gil_scoped_release release;
    events = spell_events(spells, column(kind_of_method), bed_days_kind);
  }
  py::dict out;
  out["person_id"] = to_numpy(std::move(events.person));
  out["date"] = to_numpy(std::move(events.date));
  out["kind"] = to_numpy(std::move(events.kind));
  out["count"] = to_numpy(std::move(events.count));
  return out;
}

}  // namespace

void add_extracts(py::module_& m) {
  m.def("group_spells", &group, py::arg("person"), py::arg("key"), py::arg("order"),
        py::arg("admitted"), py::arg("discharged"), py::arg("method"), py::arg("method_rank"),
        py::arg("read"),
        "Episodes grouped into hospital provider spells (see socialrx/extracts/spells.hpp): "
        "per spell person, admitted, bed_days (-1: open), method and first_row; by_method "
        "[method][discharged, open]; later_episodes, shared_row and reversed_row (-1: none).");
  m.def("spell_events", &events, py::arg("person"), py::arg("admitted"), py::arg("bed_days"),
        py::arg("method"), py::arg("kind_of_method"), py::arg("bed_days_kind"),
        "Spells as events, admissions then bed days: person_id, date (days), kind, count.");
}

}  // namespace socialrx::bindings
