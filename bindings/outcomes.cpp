#include "socialrx/model/outcomes.hpp"

#include <pybind11/stl.h>

#include "bindings.hpp"

namespace socialrx::bindings {

namespace {

py::dict exclusions(const OutcomeExclusions& e) {
  py::dict out;
  out["not_assessed"] = e.not_assessed;
  out["baseline_only"] = e.baseline_only;
  out["follow_up_only"] = e.follow_up_only;
  out["follow_up_not_after_baseline"] = e.follow_up_not_after_baseline;
  out["paired"] = e.paired;
  out["incomplete_baseline"] = e.incomplete_baseline;
  out["incomplete_follow_up"] = e.incomplete_follow_up;
  return out;
}

// One list per field, one entry per domain.
py::dict domains(const DomainOutcomes& r) {
  py::dict out;
  auto field = [&](const char* name, auto member) {
    py::list values;
    for (const auto& domain : r.domains) values.append(py::cast(domain.*member));
    out[name] = values;
  };
  field("clients", &DomainOutcome::clients);
  field("not_managing_pre", &DomainOutcome::not_managing_pre);
  field("not_managing_post", &DomainOutcome::not_managing_post);
  field("pct_reduction_not_managing", &DomainOutcome::pct_reduction_not_managing);
  field("managing_pre", &DomainOutcome::managing_pre);
  field("managing_post", &DomainOutcome::managing_post);
  field("pct_increase_managing", &DomainOutcome::pct_increase_managing);
  field("greatest_improvement", &DomainOutcome::greatest_improvement);
  field("rated_baseline_only", &DomainOutcome::rated_baseline_only);
  field("rated_follow_up_only", &DomainOutcome::rated_follow_up_only);
  return out;
}

// [domain][baseline step][follow-up step]
py::array_t<std::int64_t> transitions(const DomainOutcomes& r) {
  const auto steps = static_cast<py::ssize_t>(r.steps);
  py::array_t<std::int64_t> out({static_cast<py::ssize_t>(r.domains.size()), steps, steps});
  std::int64_t* cell = out.mutable_data();
  for (const auto& domain : r.domains)
    cell = std::copy(domain.transitions.begin(), domain.transitions.end(), cell);
  return out;
}

py::dict indicators(const DomainOutcomes& r) {
  std::vector<std::int64_t> paired, improved, worsened;
  for (const auto& change : r.indicators) {
    paired.push_back(change.paired);
    improved.push_back(change.improved);
    worsened.push_back(change.worsened);
  }
  py::dict out;
  out["paired"] = to_numpy(std::move(paired));
  out["improved"] = to_numpy(std::move(improved));
  out["worsened"] = to_numpy(std::move(worsened));
  return out;
}

AssessmentsView view(const Array<std::int32_t>& client, const Array<Days>& date,
                     const Array<std::uint8_t>& timepoint, const Array<std::int32_t>& item,
                     const Array<double>& value, const Array<std::int64_t>& source_row) {
  return {column(client), column(date),  column(timepoint),
          column(item),   column(value), column(source_row)};
}

std::optional<DomainRule> rule_named(const std::optional<std::string>& name) {
  if (!name) return std::nullopt;
  const auto rule = domain_rule_from_name(*name);
  if (!rule)
    throw InputError("framework", "rule", kNoRow,
                     "unknown rule '" + *name + "' (expected worst, best or mean_rounded_down)");
  return rule;
}

}  // namespace

void add_outcomes(py::module_& m) {
  py::class_<Domain>(m, "Domain")
      .def_readonly("id", &Domain::id)
      .def_readonly("name", &Domain::name)
      .def("__repr__",
           [](const Domain& d) { return py::str("Domain({!r}, name={!r})").format(d.id, d.name); });
  py::class_<Indicator>(m, "Indicator")
      .def_readonly("id", &Indicator::id)
      .def_readonly("text", &Indicator::text)
      .def_readonly("domain", &Indicator::domain)
      .def_readonly("listed", &Indicator::listed)
      .def("__repr__", [](const Indicator& i) {
        return py::str("Indicator({!r}, domain={}, listed={!r})").format(i.id, i.domain, i.listed);
      });
  py::class_<Threshold>(m, "Threshold")
      .def_readonly("id", &Threshold::id)
      .def_readonly("label", &Threshold::label)
      .def_readonly("source", &Threshold::source)
      .def_readonly("item", &Threshold::item, "questionnaire item index; -1: the score")
      .def_readonly("min", &Threshold::min)
      .def_readonly("max", &Threshold::max)
      .def("__repr__", [](const Threshold& t) {
        return py::str("Threshold({!r}, label={!r}, item={}, min={!r}, max={!r})")
            .format(t.id, t.label, t.item, t.min, t.max);
      });
  py::class_<Framework>(m, "Framework")
      .def_readonly("id", &Framework::id)
      .def_readonly("name", &Framework::name)
      .def_readonly("source", &Framework::source)
      .def_property_readonly("kind",
                             [](const Framework& f) {
                               return f.kind == FrameworkKind::domains ? "domains"
                                                                       : "questionnaire";
                             })
      .def_property_readonly("scale_min", [](const Framework& f) { return f.scale.min; })
      .def_property_readonly("scale_max", [](const Framework& f) { return f.scale.max; })
      .def_property_readonly("scale_labels", [](const Framework& f) { return f.scale.labels; })
      .def_readonly("domains", &Framework::domains)
      .def_readonly("indicators", &Framework::indicators)
      .def_readonly("thresholds", &Framework::thresholds)
      .def_property_readonly("rule",
                             [](const Framework& f) { return std::string(name_of(f.rule)); })
      .def_property_readonly("rules",
                             [](const Framework& f) {
                               std::vector<std::string> names;
                               for (DomainRule rule : f.rules) names.emplace_back(name_of(rule));
                               return names;
                             })
      .def_property_readonly(
          "scoring",
          [](const Framework& f) { return f.scoring == Scoring::sum ? "sum" : "per_item"; })
      .def_readonly("conversion", &Framework::conversion)
      .def_readonly("conversion_source", &Framework::conversion_source)
      .def("__repr__", [](const Framework& f) {
        return py::str("Framework({!r}, kind={!r}, domains={}, indicators={}, thresholds={})")
            .format(f.id, f.kind == FrameworkKind::domains ? "domains" : "questionnaire",
                    f.domains.size(), f.indicators.size(), f.thresholds.size());
      });
  m.def("framework_from_json", &framework_from_json, py::arg("text"),
        py::arg("origin") = "framework");
  m.def("embedded_framework", &embedded_framework, py::arg("name"));
  m.def(
      "resolve_items",
      [](Framework framework, const std::vector<std::string>& items) {
        std::vector<std::int32_t> codes;
        codes.reserve(items.size());
        for (const auto& item : items) codes.push_back(resolve_item(framework, item));
        return py::make_tuple(std::move(framework), to_numpy(std::move(codes)));
      },
      py::arg("framework"), py::arg("items"),
      "(framework with unlisted indicators appended, code per item; -1: unknown)");

  py::class_<DomainOutcomes>(m, "DomainOutcomes")
      .def_property_readonly("rule", [](const DomainOutcomes& r) { return name_of(r.rule); })
      .def_readonly("steps", &DomainOutcomes::steps)
      .def_property_readonly("domains", &domains)
      .def_property_readonly("transitions", &transitions)
      .def_property_readonly("indicators", &indicators)
      .def_property_readonly("excluded",
                             [](const DomainOutcomes& r) { return exclusions(r.excluded); })
      .def("__repr__", [](const DomainOutcomes& r) {
        return py::str("DomainOutcomes(rule={!r}, steps={}, domains={}, indicators={})")
            .format(std::string(name_of(r.rule)), r.steps, r.domains.size(), r.indicators.size());
      });
  m.def(
      "domain_outcomes",
      [](const Framework& framework, const Array<std::int32_t>& client, const Array<Days>& date,
         const Array<std::uint8_t>& timepoint, const Array<std::int32_t>& item,
         const Array<double>& value, const Array<std::int64_t>& source_row, const AnyInt& clients,
         const std::optional<std::string>& rule) {
        const AssessmentsView rows = view(client, date, timepoint, item, value, source_row);
        const std::optional<DomainRule> chosen = rule_named(rule);
        const auto people = whole<std::int32_t>(clients, "domain_outcomes", "clients");
        py::gil_scoped_release release;  // the views hold no Python objects
        return domain_outcomes(framework, rows, people, chosen);
      },
      py::arg("framework"), py::arg("client"), py::arg("date"), py::arg("timepoint"),
      py::arg("item"), py::arg("value"), py::arg("source_row"), py::arg("clients"),
      py::arg("rule") = py::none());

  py::class_<QuestionnaireOutcomes>(m, "QuestionnaireOutcomes")
      .def_property_readonly(
          "scores",
          [](const QuestionnaireOutcomes& r) {
            py::list out;
            for (const auto& s : r.scores)
              out.append(py::make_tuple(s.item, s.clients, s.mean_pre, s.mean_post));
            return out;
          },
          "[(item or -1 for the score, clients, mean_pre, mean_post)]")
      .def_property_readonly(
          "thresholds",
          [](const QuestionnaireOutcomes& r) {
            py::list out;
            for (const auto& t : r.thresholds)
              out.append(py::make_tuple(t.clients, t.pre, t.post, t.pct_fewer));
            return out;
          },
          "[(clients, pre, post, pct_fewer)] per framework threshold")
      .def_property_readonly("excluded",
                             [](const QuestionnaireOutcomes& r) { return exclusions(r.excluded); })
      .def("__repr__", [](const QuestionnaireOutcomes& r) {
        return py::str("QuestionnaireOutcomes(scores={}, thresholds={})")
            .format(r.scores.size(), r.thresholds.size());
      });
  m.def(
      "questionnaire_outcomes",
      [](const Framework& framework, const Array<std::int32_t>& client, const Array<Days>& date,
         const Array<std::uint8_t>& timepoint, const Array<std::int32_t>& item,
         const Array<double>& value, const Array<std::int64_t>& source_row, const AnyInt& clients) {
        const AssessmentsView rows = view(client, date, timepoint, item, value, source_row);
        const auto people = whole<std::int32_t>(clients, "questionnaire_outcomes", "clients");
        py::gil_scoped_release release;
        return questionnaire_outcomes(framework, rows, people);
      },
      py::arg("framework"), py::arg("client"), py::arg("date"), py::arg("timepoint"),
      py::arg("item"), py::arg("value"), py::arg("source_row"), py::arg("clients"));
}

}  // namespace socialrx::bindings
