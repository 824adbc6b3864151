#include <pybind11/stl.h>

#include "bindings.hpp"
#include "socialrx/utilisation/windows.hpp"

namespace socialrx::bindings {

namespace {

// The result's counts as a read-only array shaped [window][group][kind][side] over its
// [group][kind][side][window] storage, without a copy (per person they run to hundreds of
// megabytes): the array keeps the result alive.
py::array_t<std::int64_t> counts_array(const py::object& self) {
  const auto& r = self.cast<const UtilisationResult&>();
  const auto windows = static_cast<py::ssize_t>(r.windows.size());
  const auto kinds = static_cast<py::ssize_t>(kEventKinds);
  const py::ssize_t item = sizeof(std::int64_t);
  py::array_t<std::int64_t> out(
      {windows, static_cast<py::ssize_t>(r.groups), kinds, py::ssize_t{2}},
      {item, kinds * 2 * windows * item, 2 * windows * item, windows * item}, r.counts.data(),
      self);
  out.attr("setflags")(py::arg("write") = false);
  return out;
}

py::dict exclusions(const UtilisationResult& r) {
  py::dict out;
  auto field = [&](const char* name, auto member) {
    std::vector<std::int64_t> values;
    for (const auto& window : r.excluded) values.push_back(window.*member);
    out[name] = to_numpy(std::move(values));
  };
  field("not_connected", &WindowExclusions::not_connected);
  field("starts_before_data", &WindowExclusions::starts_before_data);
  field("ends_after_data", &WindowExclusions::ends_after_data);
  return out;
}

py::dict window_events(const UtilisationResult& r) {
  py::dict out;
  auto field = [&](const char* name, auto member) {
    std::vector<std::int64_t> values;
    for (const auto& window : r.events) values.push_back(window.*member);
    out[name] = to_numpy(std::move(values));
  };
  field("pre", &WindowEvents::pre);
  field("post", &WindowEvents::post);
  field("on_index_day", &WindowEvents::on_index_day);
  field("outside_window", &WindowEvents::outside_window);
  field("of_excluded_clients", &WindowEvents::of_excluded_clients);
  return out;
}

// The people's side of a count from the arguments both count_utilisation and
// UtilisationCounter take.
UtilisationRequest people_request(const Array<std::int64_t>& client_id,
                                  const Array<Days>& referral_date, const Array<Days>& index_date,
                                  const Array<Days>& discharge_date,
                                  const Array<std::int32_t>& group, const AnyInt& groups,
                                  const Array<std::int64_t>& other_ids, const AnyInt& data_start,
                                  const AnyInt& data_end, const std::vector<AnyInt>& windows,
                                  bool per_person, bool before_only, const char* function) {
  UtilisationRequest request;
  request.clients = {column(client_id), column(referral_date), column(index_date),
                     column(discharge_date)};
  request.client_group = column(group);
  request.groups = whole<std::int32_t>(groups, function, "groups");
  request.per_person = per_person;
  request.before_only = before_only;
  request.other_ids = column(other_ids);
  request.data_start = whole<Days>(data_start, function, "data_start");
  request.data_end = whole<Days>(data_end, function, "data_end");
  request.windows = wholes<Days>(windows, function, "windows");
  return request;
}

// The events' side of a count.
UtilisationRequest events_part(const Array<std::int64_t>& person_id, const Array<Days>& date,
                               const Array<std::uint8_t>& kind, const AnyInt& threads,
                               bool collect_other_rows, const Array<std::int64_t>& date_ticks,
                               const AnyInt& ticks_per_day, const char* function) {
  UtilisationRequest part;
  part.events = {column(person_id), column(date), column(kind)};
  part.event_ticks = column(date_ticks);
  part.ticks_per_day = whole<std::int64_t>(ticks_per_day, function, "ticks_per_day");
  part.threads = whole<unsigned>(threads, function, "threads");
  part.collect_other_rows = collect_other_rows;
  return part;
}

}  // namespace

void add_utilisation(py::module_& m) {
  py::class_<UtilisationResult>(m, "UtilisationResult")
      .def_readonly("windows", &UtilisationResult::windows)
      .def_readonly("groups", &UtilisationResult::groups)
      .def_property_readonly("counts", &counts_array, "[window][group][kind][pre, post]")
      .def_property_readonly("clients_included",
                             [](const UtilisationResult& r) {
                               auto copy = r.clients_included;
                               return to_numpy(std::move(copy))
                                   .reshape({static_cast<py::ssize_t>(r.windows.size()),
                                             static_cast<py::ssize_t>(r.groups)});
                             })
      .def_property_readonly("excluded", &exclusions)
      .def_property_readonly("window_events", &window_events)
      .def_readonly("events_total", &UtilisationResult::events_total)
      .def_readonly("events_outside_data", &UtilisationResult::events_outside_data)
      .def_readonly("events_of_unconnected", &UtilisationResult::events_of_unconnected)
      .def_readonly("events_of_other_people", &UtilisationResult::events_of_other_people)
      .def_property_readonly("other_rows",
                             [](const UtilisationResult& r) {
                               auto copy = r.other_rows;
                               return to_numpy(std::move(copy));
                             })
      .def("__repr__", [](const UtilisationResult& r) {
        return py::str("UtilisationResult(windows={!r}, groups={}, events_total={})")
            .format(r.windows, r.groups, r.events_total);
      });

  m.attr("EVENT_KINDS") = std::vector<std::string>(kEventKindNames.begin(), kEventKindNames.end());

  py::class_<UtilisationCounter>(m, "UtilisationCounter",
                                 "count_utilisation's people placed once, for counting many parts "
                                 "of the events against them")
      .def(py::init([](const Array<std::int64_t>& client_id, const Array<Days>& referral_date,
                       const Array<Days>& index_date, const Array<Days>& discharge_date,
                       const Array<std::int32_t>& group, const AnyInt& groups,
                       const Array<std::int64_t>& other_ids, const AnyInt& data_start,
                       const AnyInt& data_end, const std::vector<AnyInt>& windows, bool per_person,
                       bool before_only) {
             const UtilisationRequest people = people_request(
                 client_id, referral_date, index_date, discharge_date, group, groups, other_ids,
                 data_start, data_end, windows, per_person, before_only, "UtilisationCounter");
             py::gil_scoped_release release;
             return UtilisationCounter(people);
           }),
           py::arg("client_id"), py::arg("referral_date"), py::arg("index_date"),
           py::arg("discharge_date"), py::arg("group"), py::arg("groups"), py::arg("other_ids"),
           py::arg("data_start"), py::arg("data_end"), py::arg("windows"),
           py::arg("per_person") = false, py::arg("before_only") = false)
      .def(
          "count",
          [](const UtilisationCounter& counter, const Array<std::int64_t>& person_id,
             const Array<Days>& date, const Array<std::uint8_t>& kind, const AnyInt& threads,
             bool collect_other_rows, const Array<std::int64_t>& date_ticks,
             const AnyInt& ticks_per_day) {
            const UtilisationRequest part =
                events_part(person_id, date, kind, threads, collect_other_rows, date_ticks,
                            ticks_per_day, "UtilisationCounter.count");
            py::gil_scoped_release release;  // the views hold no Python objects
            return counter.count(part);
          },
          py::arg("person_id"), py::arg("date"), py::arg("kind"), py::arg("threads") = 0,
          py::arg("collect_other_rows") = false, py::arg("date_ticks") = Array<std::int64_t>(0),
          py::arg("ticks_per_day") = 0)
      .def("__repr__", [](const UtilisationCounter& c) {
        return py::str("UtilisationCounter(windows={!r}, groups={}, per_person={})")
            .format(c.windows(), c.groups(), c.per_person());
      });

  m.def(
      "count_utilisation",
      [](const Array<std::int64_t>& client_id, const Array<Days>& referral_date,
         const Array<Days>& index_date, const Array<Days>& discharge_date,
         const Array<std::int32_t>& group, const AnyInt& groups,
         const Array<std::int64_t>& other_ids, const Array<std::int64_t>& person_id,
         const Array<Days>& date, const Array<std::uint8_t>& kind, const AnyInt& data_start,
         const AnyInt& data_end, const std::vector<AnyInt>& windows, const AnyInt& threads,
         bool per_person, bool before_only, bool collect_other_rows,
         const Array<std::int64_t>& date_ticks, const AnyInt& ticks_per_day) {
        const UtilisationRequest people = people_request(
            client_id, referral_date, index_date, discharge_date, group, groups, other_ids,
            data_start, data_end, windows, per_person, before_only, "count_utilisation");
        const UtilisationRequest part =
            events_part(person_id, date, kind, threads, collect_other_rows, date_ticks,
                        ticks_per_day, "count_utilisation");
        py::gil_scoped_release release;                 // the views hold no Python objects
        return UtilisationCounter(people).count(part);  // as count_utilisation counts
      },
      py::arg("client_id"), py::arg("referral_date"), py::arg("index_date"),
      py::arg("discharge_date"), py::arg("group"), py::arg("groups"), py::arg("other_ids"),
      py::arg("person_id"), py::arg("date"), py::arg("kind"), py::arg("data_start"),
      py::arg("data_end"), py::arg("windows"), py::arg("threads") = 0,
      py::arg("per_person") = false, py::arg("before_only") = false,
      py::arg("collect_other_rows") = false, py::arg("date_ticks") = Array<std::int64_t>(0),
      py::arg("ticks_per_day") = 0);
}

}  // namespace socialrx::bindings
