#pragma once
// The AVX-512 kernels of the event loops: the scalar loops' lookup and cell arithmetic, 8 events
// at a time. Compiled for every x86-64 build; the event loops call them only where the
// processor has AVX-512 (has_avx512), and fall back to their scalar loops otherwise.
#if defined(__x86_64__)
#include <immintrin.h>

#include "utilisation/counting.hpp"

namespace socialrx::detail::utilisation {

// GCC 12's gather intrinsics read an undefined vector on purpose (their pass-through), which
// -Wmaybe-uninitialized reports wherever they are inlined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// The histogram cells of 8 events from their slots, kinds and offsets to the index date; the
// side and band by comparisons with the window lengths, as Layout::place holds them (beyond
// the data range's length an offset's band may differ, but only where no band is read).
[[gnu::target("avx512f,avx512vl,avx512bw,avx512dq")]] inline __m256i cell_avx512(
    __m256i slot, __m256i kind, __m256i offset, const CellArithmetic& c) {
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i distance = _mm256_abs_epi32(offset);
  __m256i where = _mm256_maskz_mov_epi32(_mm256_test_epi32_mask(distance, distance), one);
  for (std::size_t r = 0; r < c.windows; ++r)
    where = _mm256_mask_add_epi32(
        where, _mm256_cmpgt_epi32_mask(distance, _mm256_set1_epi32(c.sorted[r])), where, one);
  where = _mm256_mask_add_epi32(where, _mm256_cmpgt_epi32_mask(offset, _mm256_setzero_si256()),
                                where, _mm256_set1_epi32(static_cast<int>(c.kind_cells / 2)));
  const __m256i slot_kind =
      _mm256_add_epi32(_mm256_mullo_epi32(slot, _mm256_set1_epi32(kEventKinds)), kind);
  return _mm256_add_epi32(
      _mm256_mullo_epi32(slot_kind, _mm256_set1_epi32(static_cast<int>(c.kind_cells))), where);
}

// The scalar loop's lookup and cell arithmetic for 8 events at a time (AVX-512), over the
// first multiple of 8 of the block's `size` events; returns how many it did and ORs into
// `bad` whether any was a bad row. Lanes follow the scalar code step by step; date - index is
// in 32 bits, which can wrap only for rows that are bad or outside the data range, whose
// clamped offset then still indexes `place` and whose band is not used.
template <bool kRegroup = false, class Word>
[[gnu::target("avx512f,avx512vl,avx512bw,avx512dq")]] std::size_t cells_avx512(
    const DenseTables<Word>& t, const CellArithmetic& c, const EventsView& events,
    std::size_t first, std::size_t size, std::uint32_t* cells, std::uint32_t& bad,
    Regrouped* regrouped = nullptr) {
  const __m512i clients_min = _mm512_set1_epi64(t.clients_min);
  const __m512i others_min = _mm512_set1_epi64(t.others_min);
  const __m512i clients_size = _mm512_set1_epi64(static_cast<std::int64_t>(t.clients_size));
  const __m512i others_size = _mm512_set1_epi64(static_cast<std::int64_t>(t.others_size));
  const __m512i nobody = _mm512_set1_epi64(static_cast<std::int64_t>(t.clients_size + 1));
  const __m512i one = _mm512_set1_epi64(1), bit_of_word = _mm512_set1_epi64(63);
  const __m256i record_mask = _mm256_set1_epi32(static_cast<int>(Word(~Word{0})));
  const __m256i slot_mask = _mm256_set1_epi32(static_cast<int>((1u << t.slot_bits) - 1));
  const __m128i slot_bits = _mm_cvtsi32_si128(static_cast<int>(t.slot_bits));
  const __m256i start = _mm256_set1_epi32(c.start), stop = _mm256_set1_epi32(c.stop);
  const __m256i no_date = _mm256_set1_epi32(kNoDate), kinds = _mm256_set1_epi32(kEventKinds);
  const __m256i outside = _mm256_set1_epi32(kOutsideDataSlot), unknown = _mm256_setzero_si256();
  [[maybe_unused]] __m256i group_mask{};
  [[maybe_unused]] __m128i group_shift{}, group_bits{};
  if constexpr (kRegroup) {
    group_mask = _mm256_set1_epi32(static_cast<int>((1u << regrouped->plan.group_bits) - 1));
    group_shift = _mm_cvtsi32_si128(static_cast<int>(regrouped->plan.day_bits + 4));
    group_bits = _mm_cvtsi32_si128(static_cast<int>(regrouped->plan.group_bits));
  }
  const TicksToDays& from = c.from_ticks;
  const __m512i start_ticks = _mm512_set1_epi64(from.start_ticks);
  const __m512i range_ticks = _mm512_set1_epi64(from.range_ticks);
  const __m128i tick_shift = _mm_cvtsi32_si128(static_cast<int>(from.shift));
  const __m512d inverse = _mm512_set1_pd(from.inverse), half_step = _mm512_set1_pd(from.half_step);
  const __m512i missing = _mm512_set1_epi64(kMissingTicks);
  const __m256i before_start = _mm256_set1_epi32(c.start - 1);
  __mmask8 bad_lanes = 0;
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    const std::size_t row = first + i;
    const __m512i id = _mm512_loadu_si512(events.person_id.data() + row);
    const __m512i client = _mm512_sub_epi64(id, clients_min);
    const __m512i other = _mm512_sub_epi64(id, others_min);
    const __mmask8 is_client = _mm512_cmplt_epu64_mask(client, clients_size);
    const __mmask8 in_others = _mm512_cmplt_epu64_mask(other, others_size);
    __mmask8 is_other = in_others;
    if (!t.others_without_gaps) {
      const __m512i words = _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), in_others,
                                                        _mm512_srli_epi64(other, 6), t.others, 8);
      is_other = _mm512_mask_test_epi64_mask(
          in_others, _mm512_srlv_epi64(words, _mm512_and_si512(other, bit_of_word)), one);
    }
    const __m512i position = _mm512_mask_blend_epi64(
        is_client, _mm512_mask_sub_epi64(nobody, is_other, nobody, one), client);
    __m256i date;
    if (from.ticks) {
      const __m512i ticks = _mm512_loadu_si512(from.ticks + row);
      const __m512i since = _mm512_sub_epi64(ticks, start_ticks);
      const __m256i day = _mm256_add_epi32(
          start, _mm512_cvttpd_epi32(_mm512_fmadd_pd(
                     _mm512_cvtepi64_pd(_mm512_srl_epi64(since, tick_shift)), inverse, half_step)));
      date = _mm256_mask_blend_epi32(
          _mm512_cmpeq_epi64_mask(ticks, missing),
          _mm256_mask_blend_epi32(_mm512_cmplt_epu64_mask(since, range_ticks), before_start, day),
          no_date);
    } else {
      date = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(events.date.data() + row));
    }
    const __m256i kind = _mm256_cvtepu8_epi32(
        _mm_loadl_epi64(reinterpret_cast<const __m128i*>(events.kind.data() + row)));
    const __mmask8 in_range =
        _mm256_cmpge_epi32_mask(date, start) & _mm256_cmple_epi32_mask(date, stop);
    const __mmask8 kind_ok = _mm256_cmplt_epu32_mask(kind, kinds);
    bad_lanes |= _mm256_cmpeq_epi32_mask(date, no_date) | static_cast<__mmask8>(~kind_ok);
    if constexpr (kRegroup) {
      // Clients' in-range events are put aside. Of the others only the totals of the comparison
      // pool's and of those outside the data range are wanted: no cells. A client's record is
      // loaded only to check that an event outside the range is someone's.
      const __mmask8 deferred = is_client & in_range & kind_ok;
      const __mmask8 checked = is_client & ~in_range;
      // Events outside the range are rare: skip the (never free) gather when there are none.
      const __m256i record = checked
                                 ? _mm512_mask_i64gather_epi32(_mm256_setzero_si256(), checked,
                                                               position, t.clients, sizeof(Word))
                                 : _mm256_setzero_si256();
      bad_lanes |=
          static_cast<__mmask8>(~(is_client | is_other)) |
          _mm256_mask_cmpeq_epi32_mask(
              checked, _mm256_and_si256(_mm256_and_si256(record, record_mask), slot_mask), unknown);
      regrouped->others += static_cast<std::size_t>(__builtin_popcount(is_other & in_range));
      regrouped->outside += static_cast<std::size_t>(__builtin_popcount(~in_range & 0xFF));
      const __m256i low = _mm512_cvtepi64_epi32(client);
      const __m256i packed = _mm256_or_si256(
          _mm256_or_si256(_mm256_sll_epi32(_mm256_and_si256(low, group_mask), group_shift),
                          _mm256_slli_epi32(_mm256_sub_epi32(date, start), 4)),
          kind);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(regrouped->records + regrouped->deferred),
                          _mm256_maskz_compress_epi32(deferred, packed));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(regrouped->groups + regrouped->deferred),
                          _mm256_maskz_compress_epi32(deferred, _mm256_srl_epi32(low, group_bits)));
      regrouped->deferred += static_cast<std::size_t>(__builtin_popcount(deferred));
    } else {
      const __m256i record =
          _mm256_and_si256(_mm512_i64gather_epi32(position, t.clients, sizeof(Word)), record_mask);
      const __m256i own = _mm256_and_si256(record, slot_mask);
      bad_lanes |= _mm256_cmpeq_epi32_mask(own, unknown);
      const __m256i slot = _mm256_mask_blend_epi32(in_range, outside, own);
      const __m256i offset =
          _mm256_sub_epi32(_mm256_sub_epi32(date, start), _mm256_srl_epi32(record, slot_bits));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(cells + i),
                          cell_avx512(slot, kind, offset, c));
    }
  }
  bad |= bad_lanes != 0;
  return i;
}

// The cells of one id group's put-aside records, 8 at a time; returns how many it did.
template <class Word>
[[gnu::target("avx512f,avx512vl,avx512bw,avx512dq")]] std::size_t group_cells_avx512(
    const Word* part, unsigned slot_bits, const CellArithmetic& c, const RegroupPlan& plan,
    const std::uint32_t* records, std::size_t size, std::uint32_t* cells, std::uint32_t& bad) {
  const __m256i slot_mask = _mm256_set1_epi32(static_cast<int>((1u << slot_bits) - 1));
  const __m256i record_mask = _mm256_set1_epi32(static_cast<int>(Word(~Word{0})));
  const __m128i index_shift = _mm_cvtsi32_si128(static_cast<int>(slot_bits));
  const __m128i place_shift = _mm_cvtsi32_si128(static_cast<int>(plan.day_bits + 4));
  const __m256i day_mask = _mm256_set1_epi32(static_cast<int>((1u << plan.day_bits) - 1));
  const __m256i kind_mask = _mm256_set1_epi32(15);
  const __m256i unknown = _mm256_setzero_si256();
  __mmask8 bad_lanes = 0;
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    const __m256i record = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(records + i));
    const __m256i stored = _mm256_and_si256(
        _mm256_i32gather_epi32(reinterpret_cast<const int*>(part),
                               _mm256_srl_epi32(record, place_shift), sizeof(Word)),
        record_mask);
    const __m256i slot = _mm256_and_si256(stored, slot_mask);
    bad_lanes |= _mm256_cmpeq_epi32_mask(slot, unknown);
    const __m256i offset =
        _mm256_sub_epi32(_mm256_and_si256(_mm256_srli_epi32(record, 4), day_mask),
                         _mm256_srl_epi32(stored, index_shift));
    const __m256i cell = cell_avx512(slot, _mm256_and_si256(record, kind_mask), offset, c);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(cells + i), cell);
  }
  bad |= bad_lanes != 0;
  return i;
}
#pragma GCC diagnostic pop

}  // namespace socialrx::detail::utilisation
#endif
