#pragma once
// Hospital provider spells from admitted patient care episodes (SUS / HES): the episodes of a
// spell grouped by its key, the spell's first episode chosen, its admission and discharge found;
// then the spells as events (an admission and its bed days).
//
// Results depend on the rows' contents only, not their order, except for two things the input
// order decides by design: the order of the spells out (that of their first rows in), and,
// without an episode order, which episode comes first. The first episode is the one with the
// lowest (order, method rank); among episodes equal in both any one gives the same spell.
#include <cstdint>
#include <vector>

#include "socialrx/core/columns.hpp"
#include "socialrx/core/dates.hpp"
#include "socialrx/core/large_table.hpp"

namespace socialrx {

struct EpisodesView {
  Column<std::int64_t> person;
  // The spell's key: one to three whole-number columns compared exactly (spell_id [, provider];
  // or person, admission day [, provider]).
  std::vector<Column<std::int64_t>> key;
  Column<std::int64_t> order;  // episode order; empty: the input order
  Column<Days> admitted;
  Column<Days> discharged;      // kNoDate: not discharged (yet)
  Column<std::int32_t> method;  // admission method as a code >= 0
  // Each method code's rank, for the first episode among those of one order (the lowest rank,
  // such as that of the code's text, so that the choice does not follow the rows' order);
  // empty: the codes rank themselves.
  Column<std::int32_t> method_rank;
  Column<std::uint8_t> read;  // 0: the row was dropped before (ignored); empty: every row read
};

// One entry per spell, in the order of each spell's first row in the input. The columns are
// written once in a pass (on huge pages, not zeroed first: fresh memory is most of their cost).
struct Spells {
  LargeTable<std::int64_t> person;     // the person of its first row
  LargeTable<Days> admitted;           // its earliest admission
  LargeTable<std::int32_t> bed_days;   // its latest discharge - admitted; -1: no discharge yet
  LargeTable<std::int32_t> method;     // its first episode's
  LargeTable<std::int64_t> first_row;  // its first episode's row
  // Spells by their method and whether discharged: [method][0] discharged, [method][1] not yet;
  // flat, methods 0 to the highest given.
  std::vector<std::int64_t> by_method;
  std::int64_t later_episodes = 0;     // rows read that are not the first episode of a spell
  std::int64_t shared_row = kNoRow;    // lowest row of a spell with more than one person
  std::int64_t reversed_row = kNoRow;  // lowest row read discharged before its admission
};

Spells group_spells(const EpisodesView& episodes);

// Events, admissions first then bed days: each spell whose method has a kind (kind_of_method,
// indexed by method code; -1: none) is one event of that kind on its admission day, and when it
// has been discharged one event of bed_days_kind on the same day counting its bed days. Dates
// are days held in int64, so that a caller can scale them to its own clock in place.
struct SpellsView {
  Column<std::int64_t> person;
  Column<Days> admitted;
  Column<std::int32_t> bed_days;
  Column<std::int32_t> method;
};

// On huge pages: written once in a pass, hundreds of megabytes, so that filling them takes one
// page fault per 2 MiB.
struct SpellEvents {
  LargeTable<std::int64_t> person;
  LargeTable<std::int64_t> date;
  LargeTable<std::int8_t> kind;
  LargeTable<std::int64_t> count;
};

SpellEvents spell_events(const SpellsView& spells, Column<std::int8_t> kind_of_method,
                         std::int8_t bed_days_kind);

}  // namespace socialrx
