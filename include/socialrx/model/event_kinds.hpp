#pragma once
// The kinds of health-service use that utilisation and cost figures are counted in.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace socialrx {

enum class EventKind : std::uint8_t {
  ae_attendance,
  emergency_admission,
  elective_admission,
  bed_days,
  gp_surgery,
  gp_telephone,
  gp_home_visit,
  ambulance_callout,
  nhs111_call,
  outpatient,
};

inline constexpr std::size_t kEventKinds = 10;

inline constexpr std::array<std::string_view, kEventKinds> kEventKindNames{
    "ae_attendance", "emergency_admission", "elective_admission", "bed_days",    "gp_surgery",
    "gp_telephone",  "gp_home_visit",       "ambulance_callout",  "nhs111_call", "outpatient"};

constexpr std::string_view name_of(EventKind kind) {
  return kEventKindNames[static_cast<std::size_t>(kind)];
}

constexpr std::optional<EventKind> event_kind_from_name(std::string_view name) {
  for (std::size_t k = 0; k < kEventKinds; ++k)
    if (kEventKindNames[k] == name) return static_cast<EventKind>(k);
  return std::nullopt;
}

}  // namespace socialrx
