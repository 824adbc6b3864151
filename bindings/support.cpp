#include "socialrx/model/support.hpp"

#include <string_view>

#include "bindings.hpp"
#include "socialrx/model/disclosure.hpp"
#include "socialrx/model/feedback.hpp"

namespace socialrx::bindings {

namespace {

template <std::size_t N>
py::list labels(const std::array<std::string_view, N>& names) {
  py::list out;
  for (std::string_view name : names) out.append(py::str(name.data(), name.size()));
  return out;
}

template <class Enum>
std::vector<std::uint8_t> as_codes(const std::vector<Enum>& values) {
  std::vector<std::uint8_t> codes(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) codes[i] = static_cast<std::uint8_t>(values[i]);
  return codes;
}

py::dict as_dict(Disclosed&& disclosed) {
  py::dict out;
  out["values"] = to_numpy(std::move(disclosed.values));
  out["disclosure"] = to_numpy(as_codes(disclosed.disclosure));
  return out;
}

}  // namespace

void add_support(py::module_& m) {
  m.attr("INTERVENTION_KINDS") = labels(kInterventionKindNames);
  m.attr("SECTORS") = labels(kSectorNames);
  m.attr("SUPPORT_ENDS") = labels(kSupportEndNames);
  m.attr("IMPACTS") = labels(kImpactNames);
  m.attr("FEEDBACK_MEASURES") = labels(kFeedbackMeasureNames);
  m.attr("NO_SECTOR") = kNoSector;
  m.attr("NO_ORGANISATION") = kNoOrganisation;
  m.attr("NOT_ANSWERED") = kNotAnswered;

  m.def(
      "client_rows",
      [](const Array<std::int64_t>& clients_id, const Array<std::int64_t>& client_id,
         const std::string& table) {
        const auto ids = column(clients_id), lookup = column(client_id);
        std::vector<std::int32_t> rows;
        {
          py::gil_scoped_release release;
          rows = client_rows(ids, lookup, table.c_str());
        }
        return to_numpy(std::move(rows));
      },
      py::arg("clients_id"), py::arg("client_id"), py::arg("table"),
      "Row of each client_id in clients_id; ValueError naming table.client_id and the row.");

  m.def(
      "summarise_support",
      [](const Array<std::int32_t>& client, const Array<Days>& date,
         const Array<std::uint8_t>& kind, const Array<std::int32_t>& organisation,
         const Array<std::uint8_t>& sector, const Array<Pence>& cost_pence,
         const Array<Days>& referral_date, const Array<Days>& index_date,
         const Array<Days>& discharge_date, const Array<std::int32_t>& group, const AnyInt& groups,
         const AnyInt& organisations, const AnyInt& phb_cap_pence) {
        constexpr const char* kFunction = "summarise_support";
        const InterventionsView interventions{column(client), column(date),
                                              column(kind),   column(organisation),
                                              column(sector), column(cost_pence)};
        const SupportClients clients{column(referral_date), column(index_date),
                                     column(discharge_date), column(group),
                                     whole<std::int32_t>(groups, kFunction, "groups")};
        const SupportOptions options{whole<std::int32_t>(organisations, kFunction, "organisations"),
                                     whole<Pence>(phb_cap_pence, kFunction, "phb_cap_pence")};
        SupportSummary s;
        {
          py::gil_scoped_release release;
          s = summarise_support(interventions, clients, options);
        }
        py::dict out;
        out["contacts"] = to_numpy(std::move(s.contacts));
        out["length_days"] = to_numpy(std::move(s.length_days));
        out["support_end"] = to_numpy(as_codes(s.support_end));
        out["phb_pence"] = to_numpy(std::move(s.phb_pence));
        out["phb_breaches"] = to_numpy(std::move(s.phb_breaches));
        out["referrals_by_organisation"] =
            to_numpy(std::move(s.referrals_by_organisation)).reshape({s.groups, s.organisations});
        out["referrals_by_sector"] = to_numpy(std::move(s.referrals_by_sector))
                                         .reshape({s.groups, static_cast<int>(kSectors)});
        const std::vector<py::ssize_t> by_kind{s.groups, static_cast<int>(kInterventionKinds)};
        out["interventions_by_kind"] =
            to_numpy(std::move(s.interventions_by_kind)).reshape(by_kind);
        out["clients_by_kind"] = to_numpy(std::move(s.clients_by_kind)).reshape(by_kind);
        out["pence_by_kind"] = to_numpy(std::move(s.pence_by_kind)).reshape(by_kind);
        return out;
      },
      py::arg("client"), py::arg("date"), py::arg("kind"), py::arg("organisation"),
      py::arg("sector"), py::arg("cost_pence"), py::arg("referral_date"), py::arg("index_date"),
      py::arg("discharge_date"), py::arg("group"), py::arg("groups"), py::arg("organisations"),
      py::arg("phb_cap_pence") = kPersonalHealthBudgetCap,
      "Contacts, length of support, outward referrals, spend and personal health budgets.");

  m.def(
      "summarise_feedback",
      [](const Array<std::uint8_t>& stars, const Array<std::uint8_t>& impact,
         const Array<std::uint8_t>& connected, const Array<std::int32_t>& group,
         const AnyInt& groups) {
        const FeedbackView feedback{column(stars), column(impact), column(connected), column(group),
                                    whole<std::int32_t>(groups, "summarise_feedback", "groups")};
        FeedbackSummary s;
        {
          py::gil_scoped_release release;
          s = summarise_feedback(feedback);
        }
        std::vector<std::int64_t> counts;  // [group][measure][answered, yes, not_answered]
        counts.reserve(s.shares.size() * 3);
        for (const Share& share : s.shares)
          counts.insert(counts.end(), {share.answered, share.yes, share.not_answered});
        return to_numpy(std::move(counts))
            .reshape({s.groups, static_cast<int>(kFeedbackMeasures), 3});
      },
      py::arg("stars"), py::arg("impact"), py::arg("connected_to_services"), py::arg("group"),
      py::arg("groups"), "[group][measure][answered, yes, not_answered] for FEEDBACK_MEASURES.");

  m.def(
      "disclose_table",
      [](const Array<std::int64_t>& counts, const AnyInt& rows, const AnyInt& columns,
         const AnyInt& threshold) {
        const auto in = column(counts);
        const auto height = whole<std::size_t>(rows, "disclose_table", "rows");
        const auto width = whole<std::size_t>(columns, "disclose_table", "columns");
        const auto at_least = whole<std::int64_t>(threshold, "disclose_table", "threshold");
        Disclosed disclosed;
        {
          py::gil_scoped_release release;
          disclosed = disclose_table(in, height, width, at_least);
        }
        return as_dict(std::move(disclosed));
      },
      py::arg("counts"), py::arg("rows"), py::arg("columns"),
      py::arg("threshold") = kDisclosureThreshold,
      "values and disclosure (0 published, 1 primary, 2 secondary), (rows+1) x (columns+1) "
      "row-major with the totals last.");
  m.def(
      "disclose_series",
      [](const Array<std::int64_t>& counts, const AnyInt& threshold) {
        const auto in = column(counts);
        const auto at_least = whole<std::int64_t>(threshold, "disclose_series", "threshold");
        Disclosed disclosed;
        {
          py::gil_scoped_release release;
          disclosed = disclose_series(in, at_least);
        }
        return as_dict(std::move(disclosed));
      },
      py::arg("counts"), py::arg("threshold") = kDisclosureThreshold,
      "values and disclosure of a series with its total last.");
}

}  // namespace socialrx::bindings
