#include "socialrx/evaluate/did.hpp"

#include <pybind11/stl.h>

#include "bindings.hpp"
#include "socialrx/cost/tariff.hpp"

namespace socialrx::bindings {

namespace {

// A [window][outcome] array of one field of every window's estimates.
template <class Field>
py::array_t<double> per_outcome(const std::vector<DidWindow>& windows, Field field) {
  py::array_t<double> out({windows.size(), kDidOutcomes});
  auto view = out.mutable_unchecked<2>();
  for (std::size_t w = 0; w < windows.size(); ++w)
    for (std::size_t o = 0; o < kDidOutcomes; ++o) view(w, o) = field(windows[w], o);
  return out;
}

py::dict estimates(const DidBootstrap& bootstrap) {
  const auto& windows = bootstrap.estimates();
  py::dict out;
  auto outcome_field = [&](const char* name, double DidEstimate::*member) {
    out[name] = per_outcome(
        windows, [&](const DidWindow& w, std::size_t o) { return w.outcomes[o].*member; });
  };
  outcome_field("treated_pre", &DidEstimate::treated_pre);
  outcome_field("treated_post", &DidEstimate::treated_post);
  outcome_field("control_pre", &DidEstimate::control_pre);
  outcome_field("control_post", &DidEstimate::control_post);
  outcome_field("did", &DidEstimate::did);
  outcome_field("did_pct", &DidEstimate::did_pct);
  outcome_field("did_pct_of_pre", &DidEstimate::did_pct_of_pre);
  auto window_field = [&](const char* name, auto member) {
    std::vector<std::int64_t> values;
    values.reserve(windows.size());
    for (const auto& window : windows) values.push_back(window.*member);
    out[name] = to_numpy(std::move(values));
  };
  window_field("sets", &DidWindow::sets);
  window_field("controls", &DidWindow::controls);
  window_field("sets_client_censored", &DidWindow::sets_client_censored);
  window_field("sets_controls_censored", &DidWindow::sets_controls_censored);
  window_field("controls_censored", &DidWindow::controls_censored);
  window_field("did_pence_total", &DidWindow::did_pence_total);
  return out;
}

py::dict intervals(const DidBootstrap& bootstrap, double level) {
  const DidIntervals result = bootstrap.intervals(level);
  py::dict out;
  auto bounds = [&](const char* low, const char* high, const auto& intervals) {
    auto field = [&](double DidInterval::*member) {
      py::array_t<double> array({intervals.size(), kDidOutcomes});
      auto view = array.mutable_unchecked<2>();
      for (std::size_t w = 0; w < intervals.size(); ++w)
        for (std::size_t o = 0; o < kDidOutcomes; ++o) view(w, o) = intervals[w][o].*member;
      return array;
    };
    out[low] = field(&DidInterval::low);
    out[high] = field(&DidInterval::high);
  };
  bounds("did_low", "did_high", result.did);
  bounds("did_pct_low", "did_pct_high", result.did_pct);
  out["replicates"] = result.replicates;
  return out;
}

// The bootstrap of the matched sets over `people`'s counts, priced by `tariff` (none: no money).
DidBootstrap make_bootstrap(const PersonCountsView& people,
                            const Array<std::int32_t>& treated_person,
                            const Array<std::int32_t>& control_person,
                            const Array<std::int32_t>& control_set,
                            const Array<double>& control_weight, const Tariff* tariff,
                            const AnyInt& seed) {
  DidRequest request;
  request.people = people;
  request.sets = {column(treated_person), column(control_person), column(control_set),
                  column(control_weight)};
  if (tariff != nullptr)
    for (std::size_t k = 0; k < kEventKinds; ++k)
      if (const auto& cost = tariff->unit_costs[k]) request.unit_cost[k] = cost->pence;
  request.seed = whole<std::uint64_t>(seed, "DidBootstrap", "seed");
  py::gil_scoped_release release;  // the views hold no Python objects
  return DidBootstrap(request);
}

}  // namespace

void add_did(py::module_& m) {
  m.attr("DID_MONEY") = kDidMoney;
  py::class_<DidBootstrap>(m, "DidBootstrap")
      .def(py::init([](const UtilisationResult& counts, const Array<std::int32_t>& treated_person,
                       const Array<std::int32_t>& control_person,
                       const Array<std::int32_t>& control_set, const Array<double>& control_weight,
                       const Tariff* tariff, const AnyInt& seed) {
             return make_bootstrap(person_counts(counts), treated_person, control_person,
                                   control_set, control_weight, tariff, seed);
           }),
           py::arg("counts"), py::arg("treated_person"), py::arg("control_person"),
           py::arg("control_set"), py::arg("control_weight"), py::arg("tariff"), py::arg("seed"),
           "counts: count_utilisation(..., per_person=True)")
      .def_static(
          "from_counts",
          [](const Array<std::int64_t>& counts, const Array<std::int64_t>& included,
             const Array<std::int32_t>& treated_person, const Array<std::int32_t>& control_person,
             const Array<std::int32_t>& control_set, const Array<double>& control_weight,
             const Tariff* tariff, const AnyInt& seed) {
            if (counts.ndim() != 4 || counts.shape(1) != static_cast<py::ssize_t>(kEventKinds) ||
                counts.shape(2) != 2)
              throw std::invalid_argument("counts: expected [person][kind][pre, post][window]");
            if (included.ndim() != 2 || included.shape(0) != counts.shape(3) ||
                included.shape(1) != counts.shape(0))
              throw std::invalid_argument("included: expected [window][person]");
            const PersonCountsView people{
                static_cast<std::size_t>(counts.shape(3)),
                static_cast<std::size_t>(counts.shape(0)),
                {counts.data(), static_cast<std::size_t>(counts.size())},
                {included.data(), static_cast<std::size_t>(included.size())}};
            return make_bootstrap(people, treated_person, control_person, control_set,
                                  control_weight, tariff, seed);
          },
          py::arg("counts"), py::arg("included"), py::arg("treated_person"),
          py::arg("control_person"), py::arg("control_set"), py::arg("control_weight"),
          py::arg("tariff"), py::arg("seed"),
          "per-person counts as plain arrays, e.g. summed over parts of the events: counts "
          "[person][kind][pre, post][window], included [window][person]")
      .def_property_readonly("replicates", &DidBootstrap::replicates)
      .def_property_readonly("priced", &DidBootstrap::priced)
      .def(
          "run",
          [](DidBootstrap& bootstrap, const AnyInt& count, const AnyInt& threads) {
            const auto replicates = whole<std::int64_t>(count, "DidBootstrap.run", "count");
            const auto workers = whole<unsigned>(threads, "DidBootstrap.run", "threads");
            py::gil_scoped_release release;
            bootstrap.run(replicates, workers);
          },
          py::arg("count"), py::arg("threads") = 0, "adds the next `count` replicates")
      .def("estimates", &estimates, "point estimates: [window][outcome] arrays, window counts")
      .def("intervals", &intervals, py::arg("level"),
           "percentile bounds over the replicates run: [window][outcome] arrays")
      .def("__repr__", [](const DidBootstrap& b) {
        return py::str("DidBootstrap(windows={}, replicates={}, priced={!r})")
            .format(b.estimates().size(), b.replicates(), b.priced());
      });
}

}  // namespace socialrx::bindings
