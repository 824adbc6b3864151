#include "socialrx/model/tables.hpp"

namespace socialrx {

namespace {
std::string dated(const char* what, Days day) {
  return std::string(what) + " " + format_iso_date(day);
}
}  // namespace

void validate(const ClientsView& clients) {
  const std::size_t rows = clients.rows();
  require_rows("clients", "referral_date", clients.referral_date, rows);
  require_rows("clients", "index_date", clients.index_date, rows);
  require_rows_if_given("clients", "discharge_date", clients.discharge_date, rows);
  for (std::size_t row = 0; row < rows; ++row) {
    const auto r = static_cast<std::int64_t>(row);
    const Days referral = clients.referral_date[row];
    if (referral == kNoDate) throw InputError("clients", "referral_date", r, "missing date");
    const Days index = clients.index_date[row];
    if (index != kNoDate && index < referral)
      throw InputError("clients", "index_date", r,
                       dated("index date", index) + " is before " + dated("referral", referral));
    if (clients.discharge_date.empty()) continue;
    const Days discharge = clients.discharge_date[row];
    if (discharge != kNoDate && discharge < referral)
      throw InputError("clients", "discharge_date", r,
                       dated("discharge", discharge) + " is before " + dated("referral", referral));
  }
}

void validate(const EventsView& events) {
  const std::size_t rows = events.rows();
  require_rows("events", "date", events.date, rows);
  require_rows("events", "kind", events.kind, rows);
}

void bad_event_row(const EventsView& events, std::size_t row) {
  bad_event_row(row, events.date[row], events.kind[row]);
}

void bad_event_row(std::size_t row, Days date, std::uint8_t kind) {
  const auto r = static_cast<std::int64_t>(row);
  if (date == kNoDate) throw InputError("events", "date", r, "missing date");
  throw InputError("events", "kind", r, "unknown kind code " + std::to_string(kind));
}

}  // namespace socialrx
