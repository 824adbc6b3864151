#include "socialrx/extracts/spells.hpp"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <string>

#include "detail/parallel.hpp"

namespace socialrx {

namespace detail {
namespace {

constexpr std::int32_t kNone = -1;

// The key columns of every row, compared and hashed as one tuple.
class Keys {
 public:
  explicit Keys(const std::vector<Column<std::int64_t>>& columns) : columns_(columns) {}

  bool equal(std::size_t a, std::size_t b) const {
    for (const auto& column : columns_)
      if (column[a] != column[b]) return false;
    return true;
  }

  bool less(std::size_t a, std::size_t b) const {
    for (const auto& column : columns_)
      if (column[a] != column[b]) return column[a] < column[b];
    return false;
  }

  std::uint64_t hash(std::size_t row) const {
    std::uint64_t h = 0;
    for (const auto& column : columns_)
      h = (h ^ static_cast<std::uint64_t>(column[row])) * 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 32);  // the multiply leaves the low bits poor: fold the high ones down
  }

  const Column<std::int64_t>& first() const { return columns_.front(); }
  std::size_t size() const { return columns_.size(); }

 private:
  const std::vector<Column<std::int64_t>>& columns_;
};

bool is_read(Column<std::uint8_t> read, std::size_t row) {
  return read.empty() || read[row] != 0;
}

// Whether the rows read come sorted by key, so that each spell's rows come together.
bool keys_in_order(const Keys& keys, Column<std::uint8_t> read) {
  bool any = false;
  std::size_t previous = 0;
  for (std::size_t row = 0; row < keys.first().size(); ++row) {
    if (!is_read(read, row)) continue;
    if (any && keys.less(row, previous)) return false;
    any = true;
    previous = row;
  }
  return true;
}

// The spell of a row whose key differs from the row read before it, by the cheapest means the
// keys allow: none needed when the rows come sorted by key (a new key is a new spell), a direct
// table when one key column spans a narrow range (as codes of text spell ids do), else open
// addressing over the spells' keys (the first key column in the slot; any others read at the
// row that opened the spell).
class SpellIndex {
 public:
  SpellIndex(const Keys& keys, Column<std::uint8_t> read, std::size_t rows_read)
      : keys_(keys), sorted_(keys_in_order(keys, read)) {
    if (sorted_) return;
    if (keys.size() == 1 && narrow(read, rows_read)) {
      direct_.assign(span_, kNone);
      return;
    }
    const std::size_t size = std::bit_ceil(std::max<std::size_t>(16, rows_read + rows_read / 2));
    mask_ = size - 1;
    slots_.assign(size, Slot{0, 0, kNone});
    if (keys.size() > 1) opened_at_.reserve(rows_read);
  }

  // The spell of `row`, or kNone when it opens a new one, which is numbered `next`.
  std::int32_t find_or_add(std::size_t row, std::int32_t next) {
    if (sorted_) return kNone;
    if (!direct_.empty()) {
      std::int32_t& entry = direct_[static_cast<std::uint64_t>(keys_.first()[row]) - low_];
      if (entry == kNone) entry = next;
      return entry == next ? kNone : entry;
    }
    const std::uint64_t hash = keys_.hash(row);
    const auto tag = static_cast<std::uint32_t>(hash >> 32);
    const std::int64_t first = keys_.first()[row];
    for (std::uint64_t slot = hash & mask_;; slot = (slot + 1) & mask_) {
      Slot& s = slots_[slot];
      if (s.spell == kNone) {
        s = Slot{first, tag, next};
        if (keys_.size() > 1) opened_at_.push_back(static_cast<std::uint32_t>(row));
        return kNone;
      }
      // One key column is compared in the slot; more need the row that opened the spell.
      if (s.first == first && s.tag == tag &&
          (keys_.size() == 1 || keys_.equal(row, opened_at_[static_cast<std::size_t>(s.spell)])))
        return s.spell;
    }
  }

  // Asks for the slot a later row will probe, so that its cache miss overlaps this row's work.
  void prefetch(std::size_t row) const {
    if (!direct_.empty())
      __builtin_prefetch(&direct_[static_cast<std::uint64_t>(keys_.first()[row]) - low_], 1);
    else if (!slots_.empty())
      __builtin_prefetch(&slots_[keys_.hash(row) & mask_], 1);
  }

  // The spell a later row probably joins (kNone: none seen, or no guess), from the slot
  // prefetch() asked for: the caller can then ask for the spell's state in turn.
  std::int32_t guess(std::size_t row) const {
    if (!direct_.empty()) return direct_[static_cast<std::uint64_t>(keys_.first()[row]) - low_];
    if (slots_.empty()) return kNone;
    const Slot& s = slots_[keys_.hash(row) & mask_];
    return s.first == keys_.first()[row] ? s.spell : kNone;
  }

 private:
  struct Slot {
    std::int64_t first;  // the spell's first key column
    std::uint32_t tag;   // the top half of its hash
    std::int32_t spell;
  };

  // Whether the one key column spans few enough values for a table of them (4 bytes each).
  bool narrow(Column<std::uint8_t> read, std::size_t rows_read) {
    std::int64_t low = INT64_MAX;
    std::int64_t high = INT64_MIN;
    const auto& key = keys_.first();
    for (std::size_t row = 0; row < key.size(); ++row) {
      if (!is_read(read, row)) continue;
      low = std::min(low, key[row]);
      high = std::max(high, key[row]);
    }
    if (low > high) return false;
    const std::uint64_t range = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low);
    if (range >= 4 * static_cast<std::uint64_t>(rows_read) + (1u << 20)) return false;
    low_ = static_cast<std::uint64_t>(low);
    span_ = range + 1;
    return true;
  }

  const Keys& keys_;
  bool sorted_;
  LargeTable<std::int32_t> direct_;
  std::uint64_t low_ = 0;
  std::uint64_t span_ = 0;
  LargeTable<Slot> slots_;
  LargeTable<std::uint32_t> opened_at_;
  std::uint64_t mask_ = 0;
};

// Calls visit(row, spell, opened) for every row read, in order; spells are numbered as they
// open. A row with the key of the row read before it needs no look-up: the episodes of a spell
// usually come together. Rows further on are looked up early (prefetch(spell) for the spell a
// row 8 ahead probably joins), so that cache misses overlap.
template <class Visit, class Prefetch>
void walk(const EpisodesView& e, std::size_t rows_read, Visit&& visit, Prefetch&& prefetch) {
  const Keys keys(e.key);
  SpellIndex index(keys, e.read, rows_read);
  std::int32_t spells = 0;
  std::int32_t previous_spell = kNone;
  std::size_t previous = 0;
  constexpr std::size_t kSlotAhead = 16;
  constexpr std::size_t kSpellAhead = 8;
  for (std::size_t row = 0; row < e.person.size(); ++row) {
    if (row + kSlotAhead < e.person.size()) index.prefetch(row + kSlotAhead);
    if (row + kSpellAhead < e.person.size())
      if (const std::int32_t guess = index.guess(row + kSpellAhead); guess >= 0 && guess < spells)
        prefetch(static_cast<std::size_t>(guess));
    if (!is_read(e.read, row)) continue;
    std::int32_t at = previous_spell != kNone && keys.equal(row, previous)
                          ? previous_spell
                          : index.find_or_add(row, spells);
    const bool opened = at == kNone;
    if (opened) at = spells++;
    visit(row, static_cast<std::size_t>(at), opened);
    previous = row;
    previous_spell = at;
  }
}

// The number of method codes (the highest + 1); a negative code is an error.
std::size_t check(const EpisodesView& e) {
  const std::size_t rows = e.person.size();
  if (e.key.empty() || e.key.size() > 3)
    throw InputError("apc_spells", "", kNoRow, "a spell key has one to three columns");
  for (const auto& column : e.key) require_rows("apc_spells", "spell key", column, rows);
  require_rows_if_given("apc_spells", "episode_order", e.order, rows);
  require_rows("apc_spells", "admission_date", e.admitted, rows);
  require_rows("apc_spells", "discharge_date", e.discharged, rows);
  require_rows("apc_spells", "admission_method", e.method, rows);
  require_rows_if_given("apc_spells", "read", e.read, rows);
  if (rows >= static_cast<std::size_t>(INT32_MAX))
    throw InputError("apc_spells", "", kNoRow, "more than 2^31 episodes");
  std::int32_t high = -1;
  for (std::int32_t code : e.method) high = std::max(high, code);
  require_non_negative("apc_spells", "admission_method", e.method);
  if (!e.method_rank.empty() && static_cast<std::size_t>(high + 1) > e.method_rank.size())
    throw InputError("apc_spells", "admission_method", kNoRow,
                     "code " + std::to_string(high) + " has no rank");
  return static_cast<std::size_t>(high + 1);
}

// The lowest row read whose spell holds more than one person (walked again: an error's cost).
std::int64_t shared_row(const EpisodesView& e, std::size_t rows_read, const Spells& spells) {
  std::vector<std::uint8_t> shared(spells.person.size(), 0);
  const auto no_prefetch = [](std::size_t) {};
  walk(
      e, rows_read,
      [&](std::size_t row, std::size_t at, bool) {
        shared[at] |= static_cast<std::uint8_t>(spells.person[at] != e.person[row]);
      },
      no_prefetch);
  std::int64_t lowest = kNoRow;
  walk(
      e, rows_read,
      [&](std::size_t row, std::size_t at, bool) {
        if (lowest == kNoRow && shared[at] != 0) lowest = static_cast<std::int64_t>(row);
      },
      no_prefetch);
  return lowest;
}

// A spell as its episodes are read: one cache line's worth, as episodes of one spell may come
// far apart.
struct Spell {
  std::int64_t person;      // of its first row
  std::int64_t order;       // of its first episode so far
  std::uint32_t first_row;  // its first episode so far (fewer than 2^31 rows)
  std::int32_t method;      // of its first episode so far
  Days admitted;
  Days discharged;
};

// Spells a chunk of the parallel passes over them: a few chunks per thread at millions.
constexpr std::size_t kSpellsPerChunk = std::size_t{1} << 18;

std::size_t chunks_of(std::size_t n) {
  return (n + kSpellsPerChunk - 1) / kSpellsPerChunk;
}

// Spell i of the columns, with its bed days (-1: no discharge yet), counted by method and state.
void put(Spells& out, std::size_t i, const Spell& s, std::vector<std::int64_t>& by_method) {
  const bool open = s.discharged == kNoDate;
  out.person[i] = s.person;
  out.admitted[i] = s.admitted;
  out.bed_days[i] = open ? -1 : s.discharged - s.admitted;
  out.method[i] = s.method;
  out.first_row[i] = s.first_row;
  ++by_method[2 * static_cast<std::size_t>(s.method) + open];
}

void resize_columns(Spells& out, std::size_t n) {
  out.person.resize(n);
  out.admitted.resize(n);
  out.bed_days.resize(n);
  out.method.resize(n);
  out.first_row.resize(n);
}

// The spells as columns, with bed days for discharge days, counted by method: on every core,
// each chunk counting its own methods, the counts added after (integers: in any order).
Spells collected(const LargeTable<Spell>& spells, std::size_t methods) {
  Spells out;
  const std::size_t n = spells.size();
  resize_columns(out, n);
  std::vector<std::vector<std::int64_t>> by_method(chunks_of(n),
                                                   std::vector<std::int64_t>(2 * methods, 0));
  for_each_chunk(n, kSpellsPerChunk, 0, [&](std::size_t chunk, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) put(out, i, spells[i], by_method[chunk]);
  });
  out.by_method.assign(2 * methods, 0);
  for (const auto& counts : by_method)
    for (std::size_t at = 0; at < counts.size(); ++at) out.by_method[at] += counts[at];
  return out;
}

// Each chunk of spells' admissions and stays (admissions with bed days), for the events'
// offsets; a method code without an entry in kind_of_method is an error.
struct EventsOfChunk {
  std::size_t admissions = 0;
  std::size_t stays = 0;
};

std::vector<EventsOfChunk> events_per_chunk(const SpellsView& spells,
                                            Column<std::int8_t> kind_of_method) {
  std::vector<EventsOfChunk> per_chunk(chunks_of(spells.person.size()));
  for_each_chunk(spells.person.size(), kSpellsPerChunk, 0,
                 [&](std::size_t chunk, std::size_t begin, std::size_t end) {
                   EventsOfChunk& c = per_chunk[chunk];
                   for (std::size_t i = begin; i < end; ++i) {
                     const auto method = static_cast<std::size_t>(spells.method[i]);
                     if (method >= kind_of_method.size())
                       throw InputError("apc_spells", "admission_method", kNoRow,
                                        "method code " + std::to_string(method) +
                                            " has no entry in kind_of_method");
                     const bool admitted = kind_of_method[method] >= 0;
                     c.admissions += admitted;
                     c.stays += admitted && spells.bed_days[i] >= 0;
                   }
                 });
  return per_chunk;
}

// Rows folded into the state of their spell: a spell opened by its first row read, later rows
// joined to it; notes a discharge before its admission and a spell of two people on the way.
class SpellFolder {
 public:
  explicit SpellFolder(const EpisodesView& e) : e_(e) {}

  Spell opened(std::size_t row) {
    note_dates(row);
    return {e_.person[row], order(row),       static_cast<std::uint32_t>(row),
            e_.method[row], e_.admitted[row], e_.discharged[row]};
  }

  void join(Spell& s, std::size_t row) {
    note_dates(row);
    shared_ |= s.person != e_.person[row];
    s.admitted = std::min(s.admitted, e_.admitted[row]);
    s.discharged = std::max(s.discharged, e_.discharged[row]);  // kNoDate is the lowest day
    // The first episode: the lowest (order, method rank); rows come in order: the earlier of
    // equals.
    const std::int64_t o = order(row);
    if (o < s.order || (o == s.order && rank(e_.method[row]) < rank(s.method))) {
      s.order = o;
      s.method = e_.method[row];
      s.first_row = static_cast<std::uint32_t>(row);
    }
  }

  std::int64_t reversed_row() const { return reversed_row_; }
  bool shared() const { return shared_; }

 private:
  std::int64_t order(std::size_t row) const {
    return e_.order.empty() ? static_cast<std::int64_t>(row) : e_.order[row];
  }
  std::int32_t rank(std::int32_t method) const {
    return e_.method_rank.empty() ? method : e_.method_rank[static_cast<std::size_t>(method)];
  }
  void note_dates(std::size_t row) {
    if (reversed_row_ == kNoRow && e_.discharged[row] != kNoDate &&
        e_.discharged[row] < e_.admitted[row])
      reversed_row_ = static_cast<std::int64_t>(row);
  }

  const EpisodesView& e_;
  std::int64_t reversed_row_ = kNoRow;
  bool shared_ = false;
};

// Rows sorted by key: each spell's rows come together, so a spell is complete when the key
// changes and goes straight to the columns (no table of every spell's state to write and read).
Spells grouped_in_runs(const EpisodesView& e, std::size_t rows_read, std::size_t methods,
                       SpellFolder& folder) {
  const Keys keys(e.key);
  Spells out;
  resize_columns(out, rows_read);  // at most a spell a row: pages never written are never faulted
  out.by_method.assign(2 * methods, 0);
  std::size_t spells = 0;
  Spell current{};
  std::size_t previous = 0;
  for (std::size_t row = 0; row < e.person.size(); ++row) {
    if (!is_read(e.read, row)) continue;
    if (spells > 0 && keys.equal(row, previous)) {
      folder.join(current, row);
    } else {
      if (spells > 0) put(out, spells - 1, current, out.by_method);
      current = folder.opened(row);
      ++spells;
    }
    previous = row;
  }
  if (spells > 0) put(out, spells - 1, current, out.by_method);
  resize_columns(out, spells);
  return out;
}

// Rows in any order: each spell's state in a table, found by its key (walk), then the columns.
Spells grouped_at_random(const EpisodesView& e, std::size_t rows_read, std::size_t methods,
                         SpellFolder& folder) {
  LargeTable<Spell> spells;
  spells.reserve(rows_read);
  walk(
      e, rows_read,
      [&](std::size_t row, std::size_t at, bool opened) {
        if (opened)
          spells.push_back(folder.opened(row));
        else
          folder.join(spells[at], row);
      },
      [&](std::size_t at) { __builtin_prefetch(&spells[at], 1); });
  return collected(spells, methods);
}

}  // namespace
}  // namespace detail

Spells group_spells(const EpisodesView& e) {
  const std::size_t methods = detail::check(e);
  std::size_t rows_read = 0;
  for (std::size_t row = 0; row < e.person.size(); ++row) rows_read += detail::is_read(e.read, row);
  detail::SpellFolder folder(e);
  Spells out = detail::keys_in_order(detail::Keys(e.key), e.read)
                   ? detail::grouped_in_runs(e, rows_read, methods, folder)
                   : detail::grouped_at_random(e, rows_read, methods, folder);
  out.later_episodes = static_cast<std::int64_t>(rows_read - out.person.size());
  out.reversed_row = folder.reversed_row();
  if (folder.shared()) out.shared_row = detail::shared_row(e, rows_read, out);
  return out;
}

SpellEvents spell_events(const SpellsView& spells, Column<std::int8_t> kind_of_method,
                         std::int8_t bed_days_kind) {
  const std::size_t n = spells.person.size();
  require_rows("spells", "admitted", spells.admitted, n);
  require_rows("spells", "bed_days", spells.bed_days, n);
  require_rows("spells", "method", spells.method, n);
  const std::vector<detail::EventsOfChunk> per_chunk =
      detail::events_per_chunk(spells, kind_of_method);
  // Where each chunk writes: its admissions after those of the chunks before it, its bed days
  // after every admission and the bed days of the chunks before it.
  std::size_t admissions = 0;
  for (const auto& c : per_chunk) admissions += c.admissions;
  std::vector<detail::EventsOfChunk> starts(per_chunk.size());
  detail::EventsOfChunk next{0, admissions};
  for (std::size_t chunk = 0; chunk < per_chunk.size(); ++chunk) {
    starts[chunk] = next;
    next.admissions += per_chunk[chunk].admissions;
    next.stays += per_chunk[chunk].stays;
  }
  SpellEvents out;
  out.person.resize(next.stays);
  out.date.resize(next.stays);
  out.kind.resize(next.stays);
  out.count.resize(next.stays);
  detail::for_each_chunk(
      n, detail::kSpellsPerChunk, 0, [&](std::size_t chunk, std::size_t begin, std::size_t end) {
        std::size_t a = starts[chunk].admissions;
        std::size_t b = starts[chunk].stays;
        for (std::size_t i = begin; i < end; ++i) {
          const std::int8_t kind = kind_of_method[static_cast<std::size_t>(spells.method[i])];
          if (kind < 0) continue;
          out.person[a] = spells.person[i];
          out.date[a] = spells.admitted[i];
          out.kind[a] = kind;
          out.count[a++] = 1;
          if (spells.bed_days[i] < 0) continue;
          out.person[b] = spells.person[i];
          out.date[b] = spells.admitted[i];
          out.kind[b] = bed_days_kind;
          out.count[b++] = spells.bed_days[i];
        }
      });
  return out;
}

}  // namespace socialrx
