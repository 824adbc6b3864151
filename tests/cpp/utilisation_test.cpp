#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>

#include "socialrx/core/dates.hpp"
#include "socialrx/utilisation/windows.hpp"

namespace socialrx {
namespace {

constexpr auto kAE = static_cast<std::uint8_t>(EventKind::ae_attendance);
constexpr auto kGP = static_cast<std::uint8_t>(EventKind::gp_surgery);

// Client 1 (index day 1000) is covered by both windows; client 2 (index 150) only by the
// 30-day window; client 3 never connected. Comparison patient 9 has events of its own.
struct Fixture {
  std::vector<std::int64_t> client_id{1, 2, 3};
  std::vector<Days> referral{990, 140, 100};
  std::vector<Days> index{1000, 150, kNoDate};
  std::vector<std::int32_t> group{0, 1, 1};
  std::vector<std::int64_t> other{9};
  // person, date, kind
  std::vector<std::int64_t> person{1, 1, 1, 1, 1, 1, 2, 2, 3, 9, 1};
  std::vector<Days> date{1000 - 183, 1000 - 184, 999, 1000, 1001, 1183, 120, 181, 500, 600, 5000};
  std::vector<std::uint8_t> kind{kAE, kAE, kGP, kAE, kAE, kAE, kAE, kAE, kAE, kAE, kAE};

  UtilisationRequest request() const {
    UtilisationRequest r;
    r.clients = {client_id, referral, index, {}};
    r.events = {person, date, kind};
    r.client_group = group;
    r.groups = 2;
    r.other_ids = other;
    r.data_start = 0;
    r.data_end = 2000;
    r.windows = {183, 30};
    r.threads = 1;
    return r;
  }
};

TEST(Utilisation, WindowEdgesAreInclusiveAwayFromTheIndexDay) {
  const Fixture f;
  const auto result = count_utilisation(f.request());
  // Window 183: client 1 pre = {817 (edge, in), 999 gp}, post = {1001, 1183 (edge, in)}.
  EXPECT_EQ(result.count(0, 0, EventKind::ae_attendance, Side::pre), 1);
  EXPECT_EQ(result.count(0, 0, EventKind::gp_surgery, Side::pre), 1);
  EXPECT_EQ(result.count(0, 0, EventKind::ae_attendance, Side::post), 2);
  EXPECT_EQ(result.included(0, 0), 1);
  EXPECT_EQ(result.included(0, 1), 0);
  // Window 30: client 1 pre = {999}, post = {1001}; client 2 pre = {120 (edge)}, post = {}.
  EXPECT_EQ(result.count(1, 0, EventKind::gp_surgery, Side::pre), 1);
  EXPECT_EQ(result.count(1, 0, EventKind::ae_attendance, Side::post), 1);
  EXPECT_EQ(result.count(1, 1, EventKind::ae_attendance, Side::pre), 1);
  EXPECT_EQ(result.count(1, 1, EventKind::ae_attendance, Side::post), 0);
  EXPECT_EQ(result.included(1, 1), 1);
}

TEST(Utilisation, EveryExclusionIsCounted) {
  const Fixture f;
  const auto result = count_utilisation(f.request());
  EXPECT_EQ(result.excluded[0].not_connected, 1);
  EXPECT_EQ(result.excluded[0].starts_before_data, 1);  // client 2: 150 - 183 < 0
  EXPECT_EQ(result.excluded[1].starts_before_data, 0);
  EXPECT_EQ(result.events_total, 11);
  EXPECT_EQ(result.events_outside_data, 1);     // day 5000
  EXPECT_EQ(result.events_of_unconnected, 1);   // client 3
  EXPECT_EQ(result.events_of_other_people, 1);  // patient 9
  const auto& w183 = result.events[0];
  EXPECT_EQ(w183.pre, 2);
  EXPECT_EQ(w183.post, 2);
  EXPECT_EQ(w183.on_index_day, 1);
  EXPECT_EQ(w183.outside_window, 1);       // day 816
  EXPECT_EQ(w183.of_excluded_clients, 2);  // client 2's two events
  const auto& w30 = result.events[1];
  EXPECT_EQ(w30.pre + w30.post + w30.on_index_day + w30.outside_window + w30.of_excluded_clients,
            11 - 3);
}

TEST(Utilisation, SameCountsForAnyThreadCountAndOrder) {
  // 200,000 copies of the events in a scrambled order: several chunks for the threads, and
  // counts that must be exactly 200,000 times the single copy's.
  const Fixture f;
  constexpr std::size_t kCopies = 200'000;
  Fixture big = f;
  const std::size_t n = f.person.size() * kCopies;
  big.person.resize(n);
  big.date.resize(n);
  big.kind.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t from = (i * 7919) % f.person.size();  // 7919 is prime: a permutation
    big.person[i] = f.person[from];
    big.date[i] = f.date[from];
    big.kind[i] = f.kind[from];
  }
  auto request = big.request();
  const auto one = count_utilisation(request);
  request.threads = 2;
  const auto two = count_utilisation(request);
  request.threads = 5;
  const auto five = count_utilisation(request);
  EXPECT_EQ(one.counts, two.counts);
  EXPECT_EQ(one.counts, five.counts);
  EXPECT_EQ(one.events_outside_data, five.events_outside_data);
  const auto single = count_utilisation(f.request());
  for (std::size_t c = 0; c < single.counts.size(); ++c)
    EXPECT_EQ(one.counts[c], single.counts[c] * static_cast<std::int64_t>(kCopies));
}

TEST(Utilisation, CountsPerPersonForAnyThreadCount) {
  Fixture f;
  auto request = f.request();
  request.client_group = {};
  request.per_person = true;
  const auto one = count_utilisation(request);
  ASSERT_EQ(one.groups, 3);
  // Window 183: client 1 (row 0) has A&E pre 1, GP pre 1, A&E post 2; clients 2, 3 none.
  EXPECT_EQ(one.count(0, 0, EventKind::ae_attendance, Side::pre), 1);
  EXPECT_EQ(one.count(0, 0, EventKind::gp_surgery, Side::pre), 1);
  EXPECT_EQ(one.count(0, 0, EventKind::ae_attendance, Side::post), 2);
  EXPECT_EQ(one.included(0, 0), 1);
  EXPECT_EQ(one.included(0, 1), 0);
  // Window 30: client 2 (row 1) has A&E pre 1 and is included.
  EXPECT_EQ(one.count(1, 1, EventKind::ae_attendance, Side::pre), 1);
  EXPECT_EQ(one.included(1, 1), 1);
  request.threads = 3;
  EXPECT_EQ(count_utilisation(request).counts, one.counts);
  request.client_group = f.group;
  EXPECT_THROW(count_utilisation(request), InputError);
}

TEST(Utilisation, RejectsUnknownPeopleNamingTheRow) {
  Fixture f;
  f.person[4] = 42;
  try {
    count_utilisation(f.request());
    FAIL();
  } catch (const InputError& error) {
    EXPECT_STREQ(
        error.what(),
        "events.person_id row 4: id 42 is in neither the clients nor the comparison table");
  }
}

TEST(Utilisation, RejectsIdsRepeatedWithinOrAcrossTables) {
  Fixture f;
  f.other = {2};
  try {
    count_utilisation(f.request());
    FAIL();
  } catch (const InputError& error) {
    EXPECT_STREQ(error.what(), "comparison.patient_id row 0: duplicate id 2 (also clients row 1)");
  }
  Fixture g;
  g.client_id[2] = 1;
  EXPECT_THROW(count_utilisation(g.request()), InputError);
  Fixture scattered;  // ids too far apart for dense tables: the hashed path checks the same
  scattered.client_id = {1, 5'000'000'000, 1};
  EXPECT_THROW(count_utilisation(scattered.request()), InputError);
}

TEST(Utilisation, ScatteredIdsCountLikeDenseOnes) {
  Fixture dense;
  Fixture scattered;
  const std::int64_t far = 9'000'000'000'000;
  scattered.client_id = {1, far, 3};
  for (auto& id : scattered.person) id = id == 2 ? far : id;
  EXPECT_EQ(count_utilisation(dense.request()).counts,
            count_utilisation(scattered.request()).counts);
}

// A counter made once counts each part of the events as count_utilisation counts the people
// with that part: the parts' counts add up to the whole's. Its people are copied (the columns
// it was made from are gone before it counts), for each lookup: dense, hashed, per person.
TEST(Utilisation, ACounterCountsEachPartAsTheWholeRequestWould) {
  const std::int64_t far = 9'000'000'000'000;
  for (const bool scattered : {false, true}) {
    for (const bool per_person : {false, true}) {
      Fixture f;
      if (scattered) {
        f.client_id[1] = far;
        for (auto& id : f.person) id = id == 2 ? far : id;
      }
      UtilisationRequest whole = f.request();
      if (per_person) whole.client_group = {}, whole.per_person = true;
      std::optional<UtilisationCounter> counter;
      {
        Fixture copy = f;  // its columns are gone when the counter counts
        UtilisationRequest people = whole;
        people.clients = {copy.client_id, copy.referral, copy.index, {}};
        people.client_group =
            per_person ? Column<std::int32_t>{} : Column<std::int32_t>(copy.group);
        people.other_ids = copy.other;
        counter.emplace(people);
      }
      const auto all = count_utilisation(whole);
      // Rows 0-4 (client 1's first five events) and rows 5-10.
      UtilisationRequest first = whole, rest = whole;
      first.events = {Column<std::int64_t>(f.person).first(5), Column<Days>(f.date).first(5),
                      Column<std::uint8_t>(f.kind).first(5)};
      rest.events = {Column<std::int64_t>(f.person).subspan(5), Column<Days>(f.date).subspan(5),
                     Column<std::uint8_t>(f.kind).subspan(5)};
      const auto a = counter->count(first), b = counter->count(rest);
      EXPECT_EQ(counter->count(whole).counts, all.counts);
      for (std::size_t c = 0; c < all.counts.size(); ++c)
        EXPECT_EQ(a.counts[c] + b.counts[c], all.counts[c]) << "cell " << c;
      EXPECT_EQ(a.events_total + b.events_total, 11);
      EXPECT_EQ(a.events_outside_data + b.events_outside_data, 1);  // day 5000, in the rest
      EXPECT_EQ(a.clients_included, all.clients_included);
      // Client 1's first five: 183-day window pre 817 (A&E) and 999 (GP); not 816; index day.
      EXPECT_EQ(a.count(0, 0, EventKind::ae_attendance, Side::pre), 1);
      EXPECT_EQ(a.count(0, 0, EventKind::gp_surgery, Side::pre), 1);
      EXPECT_EQ(a.events[0].on_index_day, 1);
    }
  }
}

// A service of `clients` clients numbered from `client_from` (four in five connected, in five
// groups) and `others` comparison patients from `other_from`, with `events` events of anyone
// among them (not a multiple of 8: whole vectors and a scalar tail) on random days from
// `first_day`, as are the referrals.
Fixture random_service(std::mt19937_64& random, std::int64_t clients, std::int64_t client_from,
                       std::int64_t others, std::int64_t other_from, int events, Days first_day,
                       Days days) {
  Fixture f;
  f.client_id.clear(), f.referral.clear(), f.index.clear(), f.group.clear(), f.other.clear();
  f.person.clear(), f.date.clear(), f.kind.clear();
  const auto day = [&] { return static_cast<Days>(first_day + random() % days); };
  for (std::int64_t i = 0; i < clients; ++i) {
    f.client_id.push_back(client_from + i);
    f.referral.push_back(day());
    f.index.push_back(random() % 5 ? f.referral.back() + static_cast<Days>(random() % 20)
                                   : kNoDate);
    f.group.push_back(static_cast<std::int32_t>(random() % 5));
  }
  for (std::int64_t i = 0; i < others; ++i) f.other.push_back(other_from + i);
  for (int e = 0; e < events; ++e) {
    const auto who = static_cast<std::int64_t>(random() % (clients + others));
    f.person.push_back(who < clients ? f.client_id[who] : f.other[who - clients]);
    f.date.push_back(day());
    f.kind.push_back(static_cast<std::uint8_t>(random() % kEventKinds));
  }
  return f;
}

// Five groups, three windows, the given data range.
UtilisationRequest grouped(const Fixture& f, Days start, Days end) {
  auto r = f.request();
  r.groups = 5;
  r.data_start = start;
  r.data_end = end;
  r.windows = {365, 30, 183};
  return r;
}

// Random people and events, counted by the library (by group and per person, dense and hashed
// lookups) and by the definition in the header, one event at a time.
TEST(Utilisation, RandomEventsCountAsTheDefinitionSays) {
  std::mt19937_64 random(7);
  const Days start = 1000, end = 3000;
  Fixture f = random_service(random, 500, 100, 500, 10'000, 20'003, 800, 2400);
  auto request = grouped(f, start, end);
  request.collect_other_rows = true;
  const auto by_group = count_utilisation(request);
  std::vector<std::int64_t> other_rows;  // the comparison pool's events in the data range
  for (std::size_t e = 0; e < f.person.size(); ++e)
    if (f.person[e] >= 10'000 && f.date[e] >= start && f.date[e] <= end)
      other_rows.push_back(static_cast<std::int64_t>(e));
  EXPECT_EQ(by_group.other_rows, other_rows);
  request.client_group = {};
  request.per_person = true;
  const auto per_person = count_utilisation(request);

  std::vector<std::int64_t> expected(by_group.counts.size()),
      expected_person(per_person.counts.size());
  for (std::size_t e = 0; e < f.person.size(); ++e) {
    if (f.person[e] >= 10'000 || f.date[e] < start || f.date[e] > end) continue;
    const auto row = static_cast<std::size_t>(f.person[e] - 100);
    const Days at = f.index[row], date = f.date[e];
    for (std::size_t w = 0; w < 3; ++w) {
      const Days days = request.windows[w];
      if (at == kNoDate || at - days < start || at + days > end) continue;
      const bool post = at < date && date <= at + days;
      if (!post && !(at - days <= date && date < at)) continue;
      ++expected[by_group.cell(w, f.group[row], f.kind[e], post)];
      ++expected_person[per_person.cell(w, row, f.kind[e], post)];
    }
  }
  EXPECT_EQ(std::vector<std::int64_t>(by_group.counts.begin(), by_group.counts.end()), expected);
  EXPECT_EQ(std::vector<std::int64_t>(per_person.counts.begin(), per_person.counts.end()),
            expected_person);
  request.before_only = true;  // the same pre counts, every post count 0
  const auto before = count_utilisation(request);
  for (std::size_t w = 0; w < 3; ++w)
    for (std::size_t row = 0; row < 500; ++row)
      for (std::size_t kind = 0; kind < kEventKinds; ++kind) {
        EXPECT_EQ(before.counts[before.cell(w, row, kind, 0)],
                  expected_person[per_person.cell(w, row, kind, 0)]);
        EXPECT_EQ(before.counts[before.cell(w, row, kind, 1)], 0);
      }
  const std::int64_t far = 9'000'000'000'000;  // scattered ids: the hashed lookup
  for (auto& id : f.client_id) id += far;
  for (auto& id : f.person) id += id < 10'000 ? far : 0;
  auto hashed_request = grouped(f, start, end);
  hashed_request.collect_other_rows = true;
  const auto hashed = count_utilisation(hashed_request);
  EXPECT_EQ(hashed.counts, by_group.counts);
  EXPECT_EQ(hashed.other_rows, other_rows);
}

// A client table too large for a core's L2 (600,000 clients): the clients' in-range events are
// put aside by id range and counted range by range. The same counts, and the same account of
// every event, as the hashed lookup (which counts each event as it passes) and the definition;
// the same again from timestamps in ns, us and s, turned into days as the events pass, with
// days before 1970 and ticks on either side of midnight.
TEST(Utilisation, ManyClientsCountAsTheDefinitionSaysFromDaysOrTicks) {
  std::mt19937_64 random(11);
  const Days start = -700, end = 1300;
  constexpr std::int64_t kClients = 600'000;
  Fixture f = random_service(random, kClients, 1, 100'000, 5'000'000, 300'005, start - 100, 2200);
  const auto request = [&] {
    auto r = grouped(f, start, end);
    r.threads = 2;
    return r;
  };
  const auto regrouped = count_utilisation(request());
  std::vector<std::int64_t> expected(regrouped.counts.size());
  for (std::size_t e = 0; e < f.person.size(); ++e) {
    if (f.person[e] >= 5'000'000 || f.date[e] < start || f.date[e] > end) continue;
    const auto row = static_cast<std::size_t>(f.person[e] - 1);
    const Days at = f.index[row], date = f.date[e];
    for (std::size_t w = 0; w < 3; ++w) {
      const Days days = request().windows[w];
      if (at == kNoDate || at - days < start || at + days > end) continue;
      const bool post = at < date && date <= at + days;
      if (post || (at - days <= date && date < at))
        ++expected[regrouped.cell(w, f.group[row], f.kind[e], post)];
    }
  }
  EXPECT_EQ(std::vector<std::int64_t>(regrouped.counts.begin(), regrouped.counts.end()), expected);
  const auto same_account = [&](const UtilisationResult& other) {
    EXPECT_EQ(other.counts, regrouped.counts);
    EXPECT_EQ(other.clients_included, regrouped.clients_included);
    EXPECT_EQ(other.events_outside_data, regrouped.events_outside_data);
    EXPECT_EQ(other.events_of_unconnected, regrouped.events_of_unconnected);
    EXPECT_EQ(other.events_of_other_people, regrouped.events_of_other_people);
    for (std::size_t w = 0; w < 3; ++w) {
      EXPECT_EQ(other.events[w].pre, regrouped.events[w].pre);
      EXPECT_EQ(other.events[w].on_index_day, regrouped.events[w].on_index_day);
      EXPECT_EQ(other.events[w].outside_window, regrouped.events[w].outside_window);
      EXPECT_EQ(other.events[w].of_excluded_clients, regrouped.events[w].of_excluded_clients);
    }
  };
  for (const std::int64_t per_day :
       {std::int64_t{86'400'000'000'000}, std::int64_t{86'400'000'000}, std::int64_t{86'400}}) {
    std::vector<std::int64_t> ticks;
    for (std::size_t e = 0; e < f.date.size(); ++e) {
      const std::int64_t within[] = {0, per_day - 1, 1,
                                     static_cast<std::int64_t>(random() % per_day)};
      ticks.push_back(std::int64_t{f.date[e]} * per_day + within[e % 4]);
    }
    auto from_ticks = request();
    from_ticks.events.date = {};
    from_ticks.event_ticks = ticks;
    from_ticks.ticks_per_day = per_day;
    same_account(count_utilisation(from_ticks));
  }
  const std::int64_t far = 9'000'000'000'000;  // scattered ids: the hashed lookup
  for (auto& id : f.client_id) id += far;
  for (auto& id : f.person) id += id < 5'000'000 ? far : 0;
  same_account(count_utilisation(request()));
  for (auto& id : f.client_id) id -= far;
  for (auto& id : f.person) id -= id > far ? far : 0;

  // A comparison pool with a gap in its ids (looked up in its bitmap, not taken as a range):
  // the same counts, and an id in the gap named by its row.
  const auto whole_pool = count_utilisation(request());
  f.other[3] = 5'000'000 + 200'000;  // 5,000,003 is nobody's now
  std::replace(f.person.begin(), f.person.end(), std::int64_t{5'000'003}, std::int64_t{5'200'000});
  EXPECT_EQ(count_utilisation(request()).counts, whole_pool.counts);
  f.person[777] = 5'000'003;
  try {
    count_utilisation(request());
    FAIL();
  } catch (const InputError& error) {
    EXPECT_EQ(error.column(), "person_id");
    EXPECT_EQ(error.row(), 777);
  }
  f.person[777] = 5'200'000;

  // An id inside the clients' range that is nobody's, on an event inside the data range (put
  // aside) or outside it (looked up as it passes): named by its first row either way.
  f.client_id[5] = kClients + 1000;  // id 6 is nobody's now
  f.person[12'345] = 6;
  const auto first = std::find(f.person.begin(), f.person.end(), 6) - f.person.begin();
  for (const Days date : {Days{0}, Days{end + 50}}) {
    f.date[static_cast<std::size_t>(first)] = date;
    try {
      count_utilisation(request());
      FAIL();
    } catch (const InputError& error) {
      EXPECT_EQ(error.column(), "person_id");
      EXPECT_EQ(error.row(), first);
    }
  }
}

// Bad rows among ticks turned into days as the events pass (the regrouped counting of a large
// client table): the first is named by its row, as it is from days.
TEST(Utilisation, ManyClientsNameTheFirstBadRowFromDaysOrTicks) {
  std::mt19937_64 random(12);
  const Days start = -700, end = 1300;
  Fixture f = random_service(random, 600'000, 1, 100'000, 5'000'000, 300'005, start - 100, 2200);
  constexpr std::int64_t kPerDay = 86'400;
  std::vector<std::int64_t> ticks;
  for (const Days day : f.date) ticks.push_back(std::int64_t{day} * kPerDay + 7);
  const auto named = [&](const char* column, std::int64_t row) {
    for (const bool as_ticks : {false, true}) {
      auto request = grouped(f, start, end);
      request.threads = 2;
      if (as_ticks) {
        request.events.date = {};
        request.event_ticks = ticks;
        request.ticks_per_day = kPerDay;
      }
      try {
        count_utilisation(request);
        ADD_FAILURE() << "no error, as ticks: " << as_ticks;
      } catch (const InputError& error) {
        EXPECT_EQ(error.column(), column) << "as ticks: " << as_ticks;
        EXPECT_EQ(error.row(), row) << "as ticks: " << as_ticks;
      }
    }
  };
  ticks[290'001] = kMissingTicks;  // in the second chunk of events
  f.date[290'001] = kNoDate;
  named("date", 290'001);
  f.kind[100'003] = 200;
  named("kind", 100'003);
  f.person[50'005] = 700'000;  // nobody's
  named("person_id", 50'005);
}

// Ticks where the counting cannot take them as the events pass (a small table): turned into
// days first, the same counts; a missing one is named by its row either way.
TEST(Utilisation, TicksCountAsDaysAndNameAMissingOne) {
  Fixture f;
  constexpr std::int64_t kPerDay = 86'400'000'000'000;
  std::vector<std::int64_t> ticks;
  for (Days day : f.date) ticks.push_back(std::int64_t{day} * kPerDay + kPerDay - 1);
  auto request = f.request();
  request.events.date = {};
  request.event_ticks = ticks;
  request.ticks_per_day = kPerDay;
  EXPECT_EQ(count_utilisation(request).counts, count_utilisation(f.request()).counts);
  ticks[4] = kMissingTicks;
  try {
    count_utilisation(request);
    FAIL();
  } catch (const InputError& error) {
    EXPECT_EQ(error.column(), "date");
    EXPECT_EQ(error.row(), 4);
  }
}

TEST(Utilisation, RejectsBadKindsDatesAndLengths) {
  Fixture f;
  f.kind[2] = 200;
  EXPECT_THROW(count_utilisation(f.request()), InputError);
  Fixture g;
  g.index[1] = 100;  // before referral 140
  try {
    count_utilisation(g.request());
    FAIL();
  } catch (const InputError& error) {
    EXPECT_EQ(error.column(), "index_date");
    EXPECT_EQ(error.row(), 1);
  }
  Fixture h;
  h.date.pop_back();
  EXPECT_THROW(count_utilisation(h.request()), InputError);
}

}  // namespace
}  // namespace socialrx
