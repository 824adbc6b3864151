// Utilisation counting over small columns drawn from the fuzz bytes: client ids, referral,
// index and discharge dates, events (ids, dates or timestamps, kinds), groups, windows and
// the data range. Values come mostly from a small range, so that ids meet and events fall in
// windows, and sometimes from the whole range of their type; a column is sometimes a row
// short or long. Whatever the bytes, count_utilisation counts or throws InputError.
#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "accept_input_errors.hpp"
#include "socialrx/utilisation/windows.hpp"

namespace {

using namespace socialrx;

constexpr std::size_t kMaxClients = 12;
constexpr std::size_t kMaxEvents = 48;
constexpr std::int32_t kMaxGroups = 6;
// The data's days cluster here, so that windows of a few hundred days reach the events.
constexpr Days kFirstDay = 900, kLastDay = 1100;
constexpr std::array<std::int64_t, 5> kTicksPerDay{1, 86'400, 86'400'000'000'000, -86'400, 7};

std::int64_t draw_id(FuzzedDataProvider& in) {
  return in.ConsumeBool() ? in.ConsumeIntegralInRange<std::int64_t>(-2, 13)
                          : in.ConsumeIntegral<std::int64_t>();
}

Days draw_date(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 7)) {
    case 0:
      return kNoDate;
    case 1:
      return in.ConsumeIntegral<Days>();
    default:
      return in.ConsumeIntegralInRange(kFirstDay, kLastDay);
  }
}

// Mostly `rows`; one in eight columns a row long and one in eight a row short.
std::size_t column_length(FuzzedDataProvider& in, std::size_t rows) {
  switch (in.ConsumeIntegralInRange(0, 7)) {
    case 0:
      return rows + 1;
    case 1:
      return rows == 0 ? 0 : rows - 1;
    default:
      return rows;
  }
}

template <class Draw>
auto draw_column(FuzzedDataProvider& in, std::size_t rows, Draw draw) {
  std::vector<decltype(draw(in))> column(column_length(in, rows));
  for (auto& value : column) value = draw(in);
  return column;
}

// A timestamp on one of the data's days, or any int64 (NaT, overflow on the way to days).
std::int64_t draw_ticks(FuzzedDataProvider& in, std::int64_t ticks_per_day) {
  std::int64_t ticks = 0;
  if (in.ConsumeBool() ||
      __builtin_mul_overflow(std::int64_t{in.ConsumeIntegralInRange(kFirstDay, kLastDay)},
                             ticks_per_day, &ticks))
    return in.ConsumeIntegral<std::int64_t>();
  return ticks;
}

// The request's columns, owned here; the request views them.
struct Tables {
  std::vector<std::int64_t> client_id, person_id, other_ids, event_ticks;
  std::vector<Days> referral_date, index_date, discharge_date, event_date, windows;
  std::vector<std::uint8_t> kind;
  std::vector<std::int32_t> client_group;
};

void draw_clients(FuzzedDataProvider& in, Tables& tables, UtilisationRequest& request) {
  const auto rows = in.ConsumeIntegralInRange<std::size_t>(0, kMaxClients);
  const auto date = [](FuzzedDataProvider& source) { return draw_date(source); };
  tables.client_id = draw_column(in, rows, draw_id);
  tables.referral_date = draw_column(in, rows, date);
  tables.index_date = draw_column(in, rows, date);
  if (in.ConsumeBool()) tables.discharge_date = draw_column(in, rows, date);
  request.clients = {tables.client_id, tables.referral_date, tables.index_date,
                     tables.discharge_date};
  request.per_person = in.ConsumeBool();
  request.before_only = in.ConsumeBool();
  request.groups = in.ConsumeIntegralInRange<std::int32_t>(-1, kMaxGroups);
  if (in.ConsumeBool())
    tables.client_group = draw_column(in, rows, [](FuzzedDataProvider& source) {
      return source.ConsumeIntegralInRange<std::int32_t>(-1, kMaxGroups);
    });
  request.client_group = tables.client_group;
}

void draw_events(FuzzedDataProvider& in, Tables& tables, UtilisationRequest& request) {
  const auto rows = in.ConsumeIntegralInRange<std::size_t>(0, kMaxEvents);
  tables.person_id = draw_column(in, rows, draw_id);
  tables.kind = draw_column(in, rows, [](FuzzedDataProvider& source) {
    return source.ConsumeIntegralInRange<std::uint8_t>(0, kEventKinds);
  });
  if (in.ConsumeBool()) {
    request.ticks_per_day = in.PickValueInArray(kTicksPerDay);
    tables.event_ticks = draw_column(in, rows, [&](FuzzedDataProvider& source) {
      return draw_ticks(source, request.ticks_per_day);
    });
  } else {
    tables.event_date = draw_column(in, rows, draw_date);
  }
  request.events = {tables.person_id, tables.event_date, tables.kind};
  request.event_ticks = tables.event_ticks;
  tables.other_ids = draw_column(in, in.ConsumeIntegralInRange<std::size_t>(0, 3), draw_id);
  request.other_ids = tables.other_ids;
  request.collect_other_rows = in.ConsumeBool();
}

void draw_windows(FuzzedDataProvider& in, Tables& tables, UtilisationRequest& request) {
  tables.windows =
      draw_column(in, in.ConsumeIntegralInRange<std::size_t>(0, 7), [](FuzzedDataProvider& source) {
        return source.ConsumeBool() ? source.ConsumeIntegralInRange<Days>(-1, 400)
                                    : source.ConsumeIntegral<Days>();
      });
  request.windows = tables.windows;
  request.data_start = draw_date(in);
  request.data_end = draw_date(in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  Tables tables;
  UtilisationRequest request;
  request.threads = 1;
  draw_clients(in, tables, request);
  draw_events(in, tables, request);
  draw_windows(in, tables, request);
  fuzz::accept_input_errors([&] { count_utilisation(request); });
  return 0;
}
