#pragma once
// The id -> Person lookups the event loops count through: dense tables of full or packed
// records where the ids run in narrow ranges, a hashed index where they are scattered.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "detail/id_index.hpp"
#include "utilisation/counting.hpp"

namespace socialrx::detail::utilisation {

// How the dense lookup stores a client: the Person itself, or packed into 2 or 4 bytes (the
// index date as days from data_start above the slot) when the slots and the data range fit.
// Fewer bytes: more of the table stays in cache, and the table's size is what the event
// loop's speed depends on (a million clients in 2 bytes each fit a core's L2).
struct FullRecord {
  using Stored = Person;
  Stored pack(Person person) const { return person; }
  Person unpack(Stored stored) const { return stored; }
};
template <class Word>
struct PackedRecord {
  using Stored = Word;
  // Per person, only when the clients' ids run in row order (the row is then the id's place).
  PackedRecord(const UtilisationRequest& request, const Layout& layout, bool rows_in_id_order)
      : start(request.data_start),
        slot_bits(static_cast<unsigned>(std::bit_width(layout.slots - 1))),
        slot_mask(request.per_person ? kSlotMask : ~0u),
        fits((!request.per_person || rows_in_id_order) &&
             slot_bits + std::bit_width(static_cast<std::uint64_t>(std::int64_t{request.data_end} -
                                                                   request.data_start)) <=
                 8 * sizeof(Word)) {}
  // Only an included client's index date matters, and it lies in the data range; others
  // keep 0.
  Stored pack(Person person) const {
    const std::int64_t days = std::int64_t{person.index} - start;
    const bool dated = days >= 0 && days <= std::int64_t{Word(~Word{0}) >> slot_bits};
    return static_cast<Stored>((dated ? days : 0) << slot_bits | (person.slot & slot_mask));
  }
  Person unpack(Stored stored) const {
    return {static_cast<Days>(start + (stored >> slot_bits)),
            static_cast<std::uint32_t>(stored & ((1u << slot_bits) - 1))};
  }
  Days start;
  unsigned slot_bits;
  std::uint32_t slot_mask;  // per person, the slot without the row
  bool fits;
};

// Ids numbered in a narrow range per table (the usual case: clients numbered from 1, a
// comparison pool from some offset): the clients' records in an array indexed by id - min,
// and the comparison as a bitmap of which ids are in it (they are all the same Person).
// Unusable when a table's ids are scattered or the two tables' ranges interleave.
template <class Record>
class DensePeople {
  using Stored = typename Record::Stored;

 public:
  DensePeople(const UtilisationRequest& request, const People& people, Record record)
      : record_(record) {
    const auto clients = request.clients.client_id;
    usable_ = fill_clients(clients, people) && fill_comparison(request.other_ids) &&
              !overlaps(clients_min_, clients_size_, others_min_, others_size_);
    if (usable_ && repeats_)
      IdIndex({{"clients", "client_id", clients}, {"comparison", "patient_id", request.other_ids}});
  }
  bool usable() const { return usable_; }

  // One load from a position computed by arithmetic on the id alone: no branch (which table
  // an id is in is unpredictable), so the load issues as soon as the id is read. Past the
  // clients' records sit a comparison patient and nobody.
  Person operator()(std::int64_t id) const {
    const std::uint64_t client = offset(id, clients_min_), other = offset(id, others_min_);
    const std::uint64_t in_others = other < others_size_;
    const std::uint64_t word = others_[(other >> 6) & -in_others];
    const std::uint64_t is_other = in_others & (word >> (other & 63));
    const std::uint64_t is_client = -std::uint64_t{client < clients_size_};
    const std::uint64_t position =
        (client & is_client) | ((clients_size_ + 1 - is_other) & ~is_client);
    return record_.unpack(clients_[position]);
  }
  DenseTables<Stored> tables() const requires(!std::is_same_v<Record, FullRecord>) {
    return {clients_.data(), others_.data(), clients_min_,      others_min_,
            clients_size_,   others_size_,   record_.slot_bits, others_count_ == others_size_};
  }
  // Brings a client's record towards the core ahead of its lookup.
  void prefetch(std::int64_t id) const {
    const std::uint64_t client = offset(id, clients_min_);
    __builtin_prefetch(clients_.data() + (client & -std::uint64_t{client < clients_size_}));
  }

 private:
  static std::uint64_t offset(std::int64_t id, std::int64_t min) {
    return static_cast<std::uint64_t>(id) - static_cast<std::uint64_t>(min);
  }
  static bool overlaps(std::int64_t a, std::uint64_t a_size, std::int64_t b, std::uint64_t b_size) {
    return a_size > 0 && b_size > 0 && (offset(b, a) < a_size || offset(a, b) < b_size);
  }
  // The range of a table's ids, or false when it is too sparse for a dense table.
  static bool range(Column<std::int64_t> ids, std::uint64_t per_id, std::int64_t& min,
                    std::uint64_t& size) {
    if (ids.empty()) return true;
    const auto [lo, hi] = std::minmax_element(ids.begin(), ids.end());
    min = *lo;
    // The span is checked before the + 1: ids from INT64_MIN to INT64_MAX span 2^64 - 1,
    // and one more would wrap to a size of 0.
    const std::uint64_t span = offset(*hi, min);
    if (span >= per_id * ids.size() + (1u << 20)) return false;
    size = span + 1;
    return true;
  }
  bool fill_clients(Column<std::int64_t> ids, const People& people) {
    if (!range(ids, 8, clients_min_, clients_size_)) return false;
    const Stored nobody = record_.pack(kNobody);
    clients_.assign(clients_size_ + 3, nobody);  // the last for the vector loop's 4-byte reads
    clients_[clients_size_] = record_.pack(kComparisonPatient);
    for (std::size_t row = 0; row < ids.size(); ++row) {
      Stored& slot = clients_[offset(ids[row], clients_min_)];
      repeats_ = repeats_ || slot != nobody;
      slot = record_.pack(people[row]);
    }
    return true;
  }
  bool fill_comparison(Column<std::int64_t> ids) {
    if (!range(ids, 64, others_min_, others_size_)) return false;
    others_.assign(others_size_ / 64 + 1, 0);
    others_count_ = ids.size();
    for (std::int64_t id : ids) {
      const std::uint64_t bit = offset(id, others_min_);
      repeats_ = repeats_ || (others_[bit >> 6] >> (bit & 63) & 1);
      others_[bit >> 6] |= std::uint64_t{1} << (bit & 63);
    }
    return true;
  }

  Record record_;
  std::int64_t clients_min_ = 0, others_min_ = 0;
  std::uint64_t clients_size_ = 0, others_size_ = 0, others_count_ = 0;
  LargeTable<Stored> clients_;            // then a comparison patient, nobody
  std::vector<std::uint64_t> others_{0};  // a bit per id from others_min_
  bool repeats_ = false;
  bool usable_ = true;
};

// Scattered ids: the hashed IdIndex (clients' positions, then the comparison's), then the
// Person at that position.
struct HashedPeople {
  const IdIndex& index;
  const People& people;
  void prefetch(std::int64_t) const {}
  Person operator()(std::int64_t id) const {
    const std::int32_t position = index.find(id);
    if (position == IdIndex::kAbsent) return kNobody;
    return static_cast<std::size_t>(position) < people.size() ? people[position]
                                                              : kComparisonPatient;
  }
};

}  // namespace socialrx::detail::utilisation
