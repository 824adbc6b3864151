#include <pybind11/stl.h>

#include "bindings.hpp"
#include "socialrx/cost/avoidance.hpp"

namespace socialrx::bindings {

namespace {

py::dict unit_costs(const Tariff& tariff) {
  py::dict out;
  for (std::size_t k = 0; k < kEventKinds; ++k)
    if (const auto& cost = tariff.unit_costs[k])
      out[py::str(std::string(kEventKindNames[k]))] = py::make_tuple(cost->pence, cost->source);
  return out;
}

// [window][group][kind] pence, with a mask of the priced kinds.
py::tuple avoided_array(const CostAvoidance& c) {
  std::vector<py::ssize_t> shape{static_cast<py::ssize_t>(c.windows), c.groups,
                                 static_cast<py::ssize_t>(kEventKinds)};
  py::array_t<std::int64_t> pence(shape);
  py::array_t<bool> priced(shape);
  for (std::size_t i = 0; i < c.avoided.size(); ++i) {
    pence.mutable_data()[i] = c.avoided[i].value_or(0);
    priced.mutable_data()[i] = c.avoided[i].has_value();
  }
  return py::make_tuple(pence, priced);
}

std::vector<std::string> unpriced_with_events(const CostAvoidance& c) {
  std::vector<std::string> names;
  for (EventKind kind : c.unpriced_with_events) names.emplace_back(name_of(kind));
  return names;
}

}  // namespace

void add_cost(py::module_& m) {
  py::class_<Tariff>(m, "Tariff")
      .def_readonly("name", &Tariff::name)
      .def_readonly("price_year", &Tariff::price_year)
      .def_readonly("uprating_source", &Tariff::uprating_source)
      .def_property_readonly("uprating_index",
                             [](const Tariff& t) {
                               return std::map<std::string, double>(t.uprating_index.begin(),
                                                                    t.uprating_index.end());
                             })
      .def_property_readonly("unit_costs", &unit_costs, "kind -> (pence, source)")
      .def("__repr__", [](const Tariff& t) {
        std::size_t priced = 0;
        for (const auto& cost : t.unit_costs) priced += cost.has_value();
        return py::str("Tariff({!r}, price_year={!r}, {} kind{})")
            .format(t.name, t.price_year, priced, priced == 1 ? "" : "s");
      });
  m.def("tariff_from_json", &tariff_from_json, py::arg("text"), py::arg("origin") = "tariff");
  m.def("reprice", &reprice, py::arg("tariff"), py::arg("to_year"));

  py::class_<CostAvoidance>(m, "CostAvoidance")
      .def_property_readonly("avoided", &avoided_array, "(pence, priced) as [window][group][kind]")
      .def_property_readonly("unpriced_with_events", &unpriced_with_events)
      .def("__repr__", [](const CostAvoidance& c) {
        return py::str("CostAvoidance(windows={}, groups={}, unpriced_with_events={!r})")
            .format(c.windows, c.groups, unpriced_with_events(c));
      });
  m.def("cost_avoidance", &cost_avoidance, py::arg("utilisation"), py::arg("tariff"));

  py::class_<NetSaving>(m, "NetSaving")
      .def_readonly("gross", &NetSaving::gross)
      .def_readonly("service_cost", &NetSaving::service_cost)
      .def_readonly("net", &NetSaving::net)
      .def_readonly("patients", &NetSaving::patients)
      .def_readonly("gross_per_patient", &NetSaving::gross_per_patient)
      .def_readonly("net_per_patient", &NetSaving::net_per_patient)
      .def("__repr__", [](const NetSaving& s) {
        return py::str("NetSaving(gross={}, service_cost={}, net={}, patients={})")
            .format(s.gross, s.service_cost, s.net, s.patients);
      });
  m.def(
      "net_saving",
      [](const AnyInt& gross, const AnyInt& service_cost, const AnyInt& patients) {
        return net_saving(whole<Pence>(gross, "net_saving", "gross"),
                          whole<Pence>(service_cost, "net_saving", "service_cost"),
                          whole<std::int64_t>(patients, "net_saving", "patients"));
      },
      py::arg("gross"), py::arg("service_cost"), py::arg("patients"));
}

}  // namespace socialrx::bindings
