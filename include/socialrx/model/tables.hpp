#pragma once
// The service's tables as column views. Categorical columns arrive as small integer codes
// whose labels the caller keeps (practice codes, referral sources, ...).
#include <cstdint>

#include "socialrx/core/columns.hpp"
#include "socialrx/core/dates.hpp"
#include "socialrx/model/event_kinds.hpp"

namespace socialrx {

// One row per referred person. index_date is kNoDate for people who never connected.
struct ClientsView {
  Column<std::int64_t> client_id;
  Column<Days> referral_date;
  Column<Days> index_date;
  Column<Days> discharge_date;  // optional: empty, or kNoDate per row when not discharged

  std::size_t rows() const { return client_id.size(); }
};

// Checks lengths, required dates and their order; duplicate ids are caught where the ids are
// indexed (count_utilisation, client_rows).
void validate(const ClientsView& clients);

// One row per use of a health service by a client or a comparison patient.
struct EventsView {
  Column<std::int64_t> person_id;
  Column<Days> date;
  Column<std::uint8_t> kind;  // an EventKind

  std::size_t rows() const { return person_id.size(); }
};

// Checks column lengths. Rows are checked by the engines as they stream over them
// (check_event_row), so that 50 million events are read once, not twice.
void validate(const EventsView& events);

[[noreturn]] void bad_event_row(const EventsView& events, std::size_t row);
// The same for an engine that has the row's date from elsewhere (its timestamp, as days).
[[noreturn]] void bad_event_row(std::size_t row, Days date, std::uint8_t kind);

inline void check_event_row(const EventsView& events, std::size_t row) {
  if (events.date[row] == kNoDate || events.kind[row] >= kEventKinds) [[unlikely]]
    bad_event_row(events, row);
}

}  // namespace socialrx
