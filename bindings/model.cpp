#include "bindings.hpp"
#include "detail/id_index.hpp"
#include "socialrx/model/reach.hpp"
#include "socialrx/model/tables.hpp"

namespace socialrx::bindings {

namespace {
py::dict as_dict(ReachCounts&& counts) {
  py::dict out;
  out["referred"] = to_numpy(std::move(counts.referred));
  out["connected"] = to_numpy(std::move(counts.connected));
  return out;
}
}  // namespace

void add_model(py::module_& m) {
  m.def(
      "validate_clients",
      [](const Array<std::int64_t>& client_id, const Array<Days>& referral_date,
         const Array<Days>& index_date, const Array<Days>& discharge_date) {
        const ClientsView clients{column(client_id), column(referral_date), column(index_date),
                                  column(discharge_date)};
        validate(clients);
        detail::IdIndex("clients", "client_id", clients.client_id);  // throws on a repeated id
      },
      py::arg("client_id"), py::arg("referral_date"), py::arg("index_date"),
      py::arg("discharge_date"), "Dates in order and ids unique; ValueError naming the row.");
  m.def(
      "reach_by_group",
      [](const Array<Days>& index_date, const Array<std::int32_t>& group, std::int32_t groups) {
        return as_dict(reach_by_group(column(index_date), column(group), groups));
      },
      py::arg("index_date"), py::arg("group"), py::arg("groups"));
  m.def(
      "reach_by_reason",
      [](const Array<Days>& index_date, const Array<std::uint64_t>& reasons, std::int32_t count) {
        return as_dict(reach_by_reason(column(index_date), column(reasons), count));
      },
      py::arg("index_date"), py::arg("reasons"), py::arg("reason_count"));
  m.def(
      "reason_co_occurrence",
      [](const Array<std::uint64_t>& reasons, std::int32_t count) {
        return to_numpy(reason_co_occurrence(column(reasons), count));
      },
      py::arg("reasons"), py::arg("reason_count"));
}

}  // namespace socialrx::bindings
