#include "socialrx/synth/synthetic.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <tuple>
#include <utility>

#include "detail/memory.hpp"
#include "detail/parallel.hpp"
#include "socialrx/core/error.hpp"
#include "socialrx/core/random.hpp"

namespace socialrx {

namespace {

// People per chunk: fixed, so that the output does not depend on the thread count.
constexpr std::size_t kChunkPeople = 1024;

// Utilisation model. Rates are per person-year at frailty 1, age 55 and deprivation decile 5.5;
// bed days come with emergency admissions instead.
constexpr std::array<double, kEventKinds> kAnnualRate{0.30, 0.09, 0.08, 0.0,  4.0,
                                                      2.5,  0.10, 0.10, 0.25, 1.5};
// Urgent kinds carry the whole crisis; planned care and GP appointments a part of it.
constexpr std::array<bool, kEventKinds> kUrgent{true,  true, false, false, false,
                                                false, true, true,  true,  false};
constexpr double kRoutineCrisisWeight = 0.4;
constexpr double kAgeLogRatePerYear = 0.02;
constexpr double kRatePerDecile = 0.06;  // more use in more deprived areas
constexpr double kClientFrailtyShape = 1.5, kClientFrailtyMean = 1.6;
constexpr double kComparisonFrailtyShape = 1.2, kComparisonFrailtyMean = 1.0;
constexpr Days kPeriod = 183;
constexpr double kShockSigma = 0.35;
constexpr double kCrisisLogMean = 0.6, kCrisisShape = 3.0;
constexpr std::array<double, 2> kCrisisFade{0.35, 0.12};
constexpr double kComparisonCrisisShare = 0.2;
constexpr double kSameDayAdmission = 0.3;  // admissions with no overnight stay
constexpr double kStayEnds = 0.25;         // nights after the first: geometric, mean 3
constexpr Days kEffectDays = 365;

// dudley7 domains at baseline (not managing, getting support; the rest manage) and the change
// by the final rating, calibrated to the Integrated Plus evaluation's figures.
struct DomainModel {
  double not_managing, getting_support, nm_reduction, m_increase;
};
constexpr std::array<DomainModel, 7> kDomainModels{{{0.40, 0.30, 0.81, 0.48},
                                                    {0.35, 0.30, 0.82, 0.29},
                                                    {0.45, 0.30, 0.76, 0.58},
                                                    {0.40, 0.25, 0.80, 0.35},
                                                    {0.25, 0.25, 0.82, 0.24},
                                                    {0.25, 0.25, 0.83, 0.24},
                                                    {0.25, 0.35, 0.72, 0.10}}};
constexpr double kRatingPersistence = 0.7;  // chance the final rating keeps the baseline's rank
constexpr double kOtherIndicatorBetter = 0.35, kFirstIndicatorBetter = 0.6;

struct Organisation {
  std::string_view name;
  std::uint8_t sector;
};
constexpr std::uint8_t kVoluntary = 0, kStatutory = 1, kPrivate = 2, kCommunity = 3;
constexpr std::array<Organisation, 20> kOrganisations{{{"Dudley CVS Integrated Plus", kVoluntary},
                                                       {"Citizens Advice Dudley", kVoluntary},
                                                       {"Age UK Dudley", kVoluntary},
                                                       {"Dudley Mind", kVoluntary},
                                                       {"Dudley Carers Network", kVoluntary},
                                                       {"Home-Start Dudley", kVoluntary},
                                                       {"Breathe Easy Dudley", kVoluntary},
                                                       {"Black Country Food Bank", kVoluntary},
                                                       {"Adult Social Care", kStatutory},
                                                       {"Council Housing", kStatutory},
                                                       {"Talking Therapies", kStatutory},
                                                       {"Jobcentre Plus", kStatutory},
                                                       {"Community Nursing", kStatutory},
                                                       {"Private care agency", kPrivate},
                                                       {"Private gym", kPrivate},
                                                       {"Taxi firm", kPrivate},
                                                       {"Church lunch club", kCommunity},
                                                       {"Allotment group", kCommunity},
                                                       {"Walking group", kCommunity},
                                                       {"Knit and natter", kCommunity}}};
constexpr std::int32_t kService = 0;   // the link workers' own organisation
constexpr std::int32_t kFoodBank = 7;  // vouchers
// Outward referrals by sector, and where each sector's organisations sit in kOrganisations.
constexpr std::array<double, 4> kOutwardSector{0.60, 0.25, 0.05, 0.10};
constexpr std::array<std::int32_t, 5> kSectorFirst{1, 8, 13, 16, 20};

enum class Stream : std::uint64_t { person = 1, utilisation, thinning, assessments, support };

// Independent streams per (seed, person, stream), whatever chunk or thread generates them,
// with the samplers the generator needs.
class Rng : public CounterRng {
 public:
  Rng(std::uint64_t seed, std::int64_t person, Stream stream)
      : CounterRng(stream_key(seed, person, static_cast<std::uint64_t>(stream))) {}

  std::int64_t below(std::int64_t n) {  // [0, n)
    return static_cast<std::int64_t>(CounterRng::below(static_cast<std::uint64_t>(n)));
  }
  double normal() {  // Box-Muller: the pair's second value is kept for the next call
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double radius = std::sqrt(-2.0 * std::log(1.0 - uniform()));
    const double angle = 2.0 * std::numbers::pi * uniform();
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }
  // Marsaglia and Tsang (2000); shape >= 1, scale 1.
  double gamma(double shape) {
    const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
    for (;;) {
      double x, v;
      do {
        x = normal();
        v = 1.0 + c * x;
      } while (v <= 0.0);
      v = v * v * v;
      const double u = uniform();
      if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
      if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
    }
  }
  // Inversion for small means, Hoermann's PTRS (1993) for large ones.
  std::int64_t poisson(double mean) {
    if (mean <= 0.0) return 0;
    if (mean < 12.0) {
      double p = std::exp(-mean), cdf = p;
      const double u = uniform();
      std::int64_t k = 0;
      while (u > cdf && k < 200) {
        p *= mean / static_cast<double>(++k);
        cdf += p;
      }
      return k;
    }
    const double root = std::sqrt(mean), log_mean = std::log(mean);
    const double b = 0.931 + 2.53 * root, a = -0.059 + 0.02483 * b;
    const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2.0);
    for (;;) {
      const double u = uniform() - 0.5, v = uniform(), us = 0.5 - std::abs(u);
      const double k = std::floor((2.0 * a / us + b) * u + mean + 0.43);
      if (us >= 0.07 && v <= vr) return static_cast<std::int64_t>(k);
      if (k < 0.0 || (us < 0.013 && v > us)) continue;
      if (std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b) <=
          -mean + k * log_mean - std::lgamma(k + 1.0))
        return static_cast<std::int64_t>(k);
    }
  }
  // Position of the first cumulative weight above a uniform draw scaled to the total.
  template <std::size_t N>
  std::size_t pick(const std::array<double, N>& cumulative) {
    const double u = uniform() * cumulative.back();
    std::size_t k = 0;
    while (k + 1 < N && u >= cumulative[k]) ++k;
    return k;
  }

 private:
  double spare_ = 0.0;
  bool has_spare_ = false;
};

template <std::size_t N>
constexpr std::array<double, N> cumulate(std::array<double, N> weights) {
  for (std::size_t k = 1; k < N; ++k) weights[k] += weights[k - 1];
  return weights;
}

constexpr Days floor_div(Days a, Days b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int year_of(Days day) {
  return static_cast<int>(civil_from_days(day).year());
}

// Event kinds of one group drawn by Walker's alias method from 32 random bits: one table
// look-up per event instead of a search.
class KindTable {
 public:
  explicit KindTable(bool urgent) {
    std::array<double, kEventKinds> weight{};
    for (std::size_t k = 0; k < kEventKinds; ++k)
      if (kUrgent[k] == urgent && kAnnualRate[k] > 0.0) {
        kind_[size_] = alias_[size_] = static_cast<std::uint8_t>(k);
        weight[size_++] = kAnnualRate[k];
        daily_rate_ += kAnnualRate[k] / 365.25;
      }
    // Vose's construction: columns below the mean are topped up from ones above it.
    std::array<double, kEventKinds> scaled{};
    std::vector<std::size_t> small, large;
    for (std::size_t c = 0; c < size_; ++c) {
      scaled[c] = weight[c] * static_cast<double>(size_) / (daily_rate_ * 365.25);
      (scaled[c] < 1.0 ? small : large).push_back(c);
    }
    while (!small.empty() && !large.empty()) {
      const std::size_t low = small.back(), high = large.back();
      small.pop_back();
      threshold_[low] = static_cast<std::uint64_t>(std::ldexp(scaled[low], 32));
      alias_[low] = kind_[high];
      scaled[high] -= 1.0 - scaled[low];
      if (scaled[high] < 1.0) {
        large.pop_back();
        small.push_back(high);
      }
    }
    for (std::size_t c : small) threshold_[c] = std::uint64_t{1} << 32;  // rounding leftovers
    for (std::size_t c : large) threshold_[c] = std::uint64_t{1} << 32;
  }

  double daily_rate() const { return daily_rate_; }

  EventKind draw(std::uint32_t bits) const {
    const std::uint64_t scaled = std::uint64_t{bits} * size_;
    const std::size_t column = scaled >> 32;
    const bool own = (scaled & 0xFFFFFFFFu) < threshold_[column];
    return static_cast<EventKind>(own ? kind_[column] : alias_[column]);
  }

 private:
  std::size_t size_ = 0;
  double daily_rate_ = 0.0;  // per person at frailty 1
  std::array<std::uint8_t, kEventKinds> kind_{}, alias_{};
  std::array<std::uint64_t, kEventKinds> threshold_{};
};

// Everything the tables say about a person, plus the latent parts of the model.
struct Person {
  std::int64_t id = 0;
  Days anchor = kNoDate;  // referral date; for comparison patients a date with no meaning
  Days index = kNoDate, discharge = kNoDate;
  int age = 0;
  std::int32_t birth_year = 0, practice = 0, locality = 0, decile = 0;
  std::uint8_t sex = 0, source = 0, status = 0, carer = 0;
  std::uint64_t reasons = 0;
  double frailty = 1.0;
  double crisis = 0.0;  // added to log rates around the anchor
};

// What every person's generation shares, fixed before any chunk runs.
struct Context {
  explicit Context(const SyntheticConfig& c) : config(c) {
    const Days span = c.data_end - c.data_start;
    const Days margin = std::min<Days>(240, span / 4);
    anchor_first = c.data_start + margin;
    anchor_days = span - 2 * margin + 1;
    std::array<double, synth::kPractices> sizes{};
    for (std::int32_t p = 0; p < synth::kPractices; ++p)  // uneven list sizes, fixed
      sizes[p] = 0.5 + std::fmod((p + 1) * std::numbers::phi, 1.0);
    practice_weights = cumulate(sizes);
  }

  const SyntheticConfig& config;
  Days anchor_first = 0, anchor_days = 1;
  std::array<double, synth::kPractices> practice_weights{};
  KindTable urgent_kinds{true}, routine_kinds{false};
};

std::int32_t locality_of(std::int32_t practice) {
  return practice * static_cast<std::int32_t>(synth::kLocalities.size()) / synth::kPractices;
}

// Brierley Hill and Dudley are the more deprived localities; Stourbridge and Halesowen less.
constexpr std::array<double, 5> kLocalityDecile{3.5, 3.0, 6.0, 7.0, 4.5};

constexpr auto kClientAgeBands = cumulate(std::array<double, 3>{0.03, 0.37, 0.60});
constexpr auto kComparisonAgeBands = cumulate(std::array<double, 3>{0.10, 0.58, 0.32});
constexpr auto kSources = cumulate(std::array<double, 5>{0.55, 0.20, 0.10, 0.08, 0.07});
// Main reason; isolation and depression/anxiety are then often added to each other.
constexpr auto kMainReasons =
    cumulate(std::array<double, 8>{0.20, 0.15, 0.11, 0.14, 0.10, 0.07, 0.08, 0.15});
constexpr double kDepressionWithIsolation = 0.30, kIsolationWithDepression = 0.45;
constexpr double kExtraReason = 0.025;  // each of ltc, finance, housing, bereavement
constexpr double kCarerShare = 0.29;

Person draw_person(const Context& ctx, std::int64_t id, bool client) {
  const SyntheticConfig& config = ctx.config;
  Rng rng(config.seed, id, Stream::person);
  Person p;
  p.id = id;
  p.anchor = ctx.anchor_first + static_cast<Days>(rng.below(ctx.anchor_days));
  const std::size_t band = rng.pick(client ? kClientAgeBands : kComparisonAgeBands);
  const double old_age_spread = client ? 13.0 : 10.0;
  p.age =
      band == 0 ? 16 + static_cast<int>(rng.below(8))
      : band == 1
          ? 24 + static_cast<int>(rng.below(40))
          : 64 + std::min(36, static_cast<int>(-old_age_spread * std::log(1.0 - rng.uniform())));
  p.birth_year = year_of(p.anchor) - p.age;
  p.sex = rng.chance(client ? 0.58 : 0.51) ? 0 : 1;
  p.practice = static_cast<std::int32_t>(rng.pick(ctx.practice_weights));
  p.locality = locality_of(p.practice);
  const double decile = kLocalityDecile[p.locality] + 2.0 * rng.normal() - (client ? 1.2 : 0.0);
  p.decile = std::clamp(static_cast<std::int32_t>(std::lround(decile)), 1, 10);
  const double shape = client ? kClientFrailtyShape : kComparisonFrailtyShape;
  const double mean = client ? kClientFrailtyMean : kComparisonFrailtyMean;
  p.frailty = rng.gamma(shape) * mean / shape;
  if (client || rng.chance(kComparisonCrisisShare))
    p.crisis = kCrisisLogMean * rng.gamma(kCrisisShape) / kCrisisShape;
  if (!client) return p;

  p.source = static_cast<std::uint8_t>(rng.pick(kSources));
  const std::size_t main = rng.pick(kMainReasons);
  p.reasons = std::uint64_t{1} << main;
  if (main == 0 && rng.chance(kDepressionWithIsolation)) p.reasons |= 1u << 2;
  if (main == 2 && rng.chance(kIsolationWithDepression)) p.reasons |= 1u << 0;
  for (int extra : {1, 3, 4, 6})
    if (rng.chance(kExtraReason)) p.reasons |= std::uint64_t{1} << extra;
  const bool carer_reason = p.reasons >> 5 & 1u;
  constexpr double kCarerMain = kMainReasons[5] - kMainReasons[4];
  p.carer = carer_reason || rng.chance((kCarerShare - kCarerMain) / (1.0 - kCarerMain));

  const Days last = config.data_end;
  if (rng.chance(config.connect_rate)) {
    const double wait = rng.uniform();
    p.index = std::min(last, p.anchor + static_cast<Days>(31.0 * wait * wait));
    const Days discharge = p.index + 30 + static_cast<Days>(rng.below(154));
    p.discharge = discharge <= last ? discharge : kNoDate;
    p.status = 1;
  } else {
    constexpr auto kNotConnected = cumulate(std::array<double, 3>{0.10, 0.50, 0.40});
    constexpr std::array<std::uint8_t, 3> kNotConnectedStatus{0, 2, 3};  // still being contacted
    p.status = kNotConnectedStatus[rng.pick(kNotConnected)];
  }
  return p;
}

void emit_event(SyntheticEvents& out, std::int64_t id, Days date, EventKind kind) {
  out.person_id.push_back(id);
  out.date.push_back(date);
  out.kind.push_back(static_cast<std::uint8_t>(kind));
}

// Events in half-year periods around the anchor, each with its own shock; the crisis lifts
// the two periods before the anchor and fades over the two after. The true effect thins a
// connected client's events in (index, index + 365] from a separate stream, so that the same
// seed with and without an effect gives the same events elsewhere.
void draw_events(const Context& ctx, const Person& p, SyntheticEvents& out) {
  const SyntheticConfig& config = ctx.config;
  Rng rng(config.seed, p.id, Stream::utilisation);
  Rng thinning(config.seed, p.id, Stream::thinning);
  const double effect = p.index == kNoDate ? 0.0 : config.true_effect;
  const double person_rate = p.frailty * std::exp(kAgeLogRatePerYear * (p.age - 55)) *
                             (1.0 + kRatePerDecile * (5.5 - p.decile));
  // Rate multipliers of the crisis in periods -2..1 around the anchor, [period][urgent].
  std::array<std::array<double, 2>, 4> lift;
  for (std::size_t k = 0; k < lift.size(); ++k) {
    const double crisis = p.crisis * (k < 2 ? 1.0 : kCrisisFade[k - 2]);
    lift[k] = {std::exp(kRoutineCrisisWeight * crisis), std::exp(crisis)};
  }
  const Days first = floor_div(config.data_start - p.anchor, kPeriod);
  const Days last = floor_div(config.data_end - p.anchor, kPeriod);
  for (Days k = first; k <= last; ++k) {
    const double rate =
        person_rate * std::exp(kShockSigma * rng.normal() - 0.5 * kShockSigma * kShockSigma);
    const bool in_crisis = k >= -2 && k <= 1;
    const Days begin = std::max(config.data_start, p.anchor + k * kPeriod);
    const Days days = std::min(config.data_end + 1, p.anchor + (k + 1) * kPeriod) - begin;
    for (const bool urgent : {true, false}) {
      const auto& kinds = urgent ? ctx.urgent_kinds : ctx.routine_kinds;
      const double crisis = in_crisis ? lift[k + 2][urgent] : 1.0;
      const std::int64_t n = rng.poisson(rate * crisis * kinds.daily_rate() * days);
      for (std::int64_t e = 0; e < n; ++e) {
        // One draw for both: the high half places the date, the low half picks the kind.
        const std::uint64_t bits = rng.next();
        const auto offset = (bits >> 32) * static_cast<std::uint64_t>(days) >> 32;
        const Days date = begin + static_cast<Days>(offset);
        const EventKind kind = kinds.draw(static_cast<std::uint32_t>(bits));
        Days nights = 0;
        if (kind == EventKind::emergency_admission && !rng.chance(kSameDayAdmission))
          nights = 1 + static_cast<Days>(std::log(1.0 - rng.uniform()) / std::log(1.0 - kStayEnds));
        if (effect > 0.0 && date > p.index && date <= p.index + kEffectDays &&
            thinning.chance(effect))
          continue;
        emit_event(out, p.id, date, kind);
        for (Days night = 1; night <= nights && date + night <= config.data_end; ++night)
          emit_event(out, p.id, date + night, EventKind::bed_days);
      }
    }
  }
}

void emit_rating(SyntheticAssessments& out, std::int64_t id, Days date, std::uint8_t timepoint,
                 std::uint8_t item, double value) {
  const std::uint8_t instrument = item < synth::kFirstSwemwbsItem ? 0
                                  : item < synth::kFirstOns4Item  ? 1
                                                                  : 2;
  out.client_id.push_back(id);
  out.date.push_back(date);
  out.timepoint.push_back(timepoint);
  out.instrument.push_back(instrument);
  out.item.push_back(item);
  out.value.push_back(value);
}

constexpr std::size_t kDudleyItems = synth::kFirstSwemwbsItem;
using Ratings = std::array<double, synth::kItems.size()>;

// dudley7: the domain's baseline and final ratings are coupled through a shared rank so that
// both match their calibrated shares; the domain's worst indicator carries its rating. The
// first indicator is the worst at baseline and tends to be better than the others at the end,
// so it improves most.
void rate_dudley7(Rng& rng, Ratings& baseline, Ratings& final) {
  for (std::size_t d = 0; d < kDomainModels.size(); ++d) {
    const DomainModel& m = kDomainModels[d];
    const double managing = 1.0 - m.not_managing - m.getting_support;
    const double nm_after = m.not_managing * (1.0 - m.nm_reduction);
    const double m_after = managing * (1.0 + m.m_increase);
    const double rank = rng.uniform();
    const double later_rank = rng.chance(kRatingPersistence) ? rank : rng.uniform();
    const int before = rank < m.not_managing ? 0 : rank < 1.0 - managing ? 1 : 2;
    const int after = later_rank < nm_after ? 0 : later_rank < 1.0 - m_after ? 1 : 2;
    const std::size_t first = synth::kDomainFirstItem[d], end = synth::kDomainFirstItem[d + 1];
    const std::size_t carrier = first + 1 + static_cast<std::size_t>(rng.below(end - first - 1));
    auto better = [&](int rating, double p) { return rating + (rating < 2 && rng.chance(p)); };
    for (std::size_t item = first; item < end; ++item) {
      baseline[item] = item == first ? before : better(before, kOtherIndicatorBetter);
      final[item] = item == carrier ? after
                                    : better(after, item == first ? kFirstIndicatorBetter
                                                                  : kOtherIndicatorBetter);
    }
  }
}

// SWEMWBS items from a latent level per person that rises after support.
constexpr double kSwemwbsBaseline = 2.55, kSwemwbsSpread = 0.6, kSwemwbsGain = 0.45;
constexpr double kSwemwbsItemNoise = 0.6;
// ONS4 from a latent life satisfaction (0-10) that rises after support.
constexpr double kLifeBaseline = 4.3, kLifeSpread = 2.2, kLifeAfter = 5.72, kLifeKeep = 0.5;

double clamp_round(double x, double lo, double hi) {
  return std::clamp(std::round(x), lo, hi);
}

void rate_wellbeing(Rng& rng, double swemwbs, double life, Ratings& out) {
  for (std::size_t q = synth::kFirstSwemwbsItem; q < synth::kFirstOns4Item; ++q)
    out[q] = clamp_round(swemwbs + kSwemwbsItemNoise * rng.normal(), 1.0, 5.0);
  const std::size_t ons = synth::kFirstOns4Item;
  out[ons] = clamp_round(life, 0.0, 10.0);
  out[ons + 1] = clamp_round(life + 0.5 + 1.2 * rng.normal(), 0.0, 10.0);
  out[ons + 2] = clamp_round(life + 1.3 * rng.normal(), 0.0, 10.0);
  out[ons + 3] = clamp_round(8.0 - 0.6 * life + 1.8 * rng.normal(), 0.0, 10.0);
}

constexpr double kFinalRated = 0.85;  // of discharged clients
constexpr double kReviewRated = 0.5;  // of those with a final rating

void draw_assessments(const Context& ctx, const Person& p, SyntheticAssessments& out) {
  Rng rng(ctx.config.seed, p.id, Stream::assessments);
  Ratings baseline{}, final{}, review{};
  rate_dudley7(rng, baseline, final);
  const double swemwbs = kSwemwbsBaseline + kSwemwbsSpread * rng.normal();
  const double swemwbs_after = swemwbs + kSwemwbsGain + 0.3 * rng.normal();
  const double life = kLifeBaseline + kLifeSpread * rng.normal();
  const double life_after = kLifeAfter + kLifeKeep * (life - kLifeBaseline) +
                            std::sqrt(1.0 - kLifeKeep * kLifeKeep) * kLifeSpread * rng.normal();
  rate_wellbeing(rng, swemwbs, life, baseline);
  rate_wellbeing(rng, swemwbs_after, life_after, final);
  rate_wellbeing(rng, 0.5 * (swemwbs + swemwbs_after), 0.5 * (life + life_after), review);
  for (std::size_t item = 0; item < kDudleyItems; ++item)
    review[item] = rng.chance(0.5) ? baseline[item] : final[item];
  const bool rated_final = p.discharge != kNoDate && rng.chance(kFinalRated);
  const bool reviewed = rated_final && rng.chance(kReviewRated);

  auto emit_all = [&](Days date, std::uint8_t timepoint, const Ratings& values) {
    for (std::size_t item = 0; item < values.size(); ++item)
      emit_rating(out, p.id, date, timepoint, static_cast<std::uint8_t>(item), values[item]);
  };
  emit_all(p.index, 0, baseline);
  if (reviewed) emit_all(p.index + (p.discharge - p.index) / 2, 1, review);
  if (rated_final) emit_all(p.discharge, 2, final);
}

void emit_intervention(SyntheticInterventions& out, std::int64_t id, Days date, std::uint8_t kind,
                       std::int32_t organisation, Pence cost) {
  out.client_id.push_back(id);
  out.date.push_back(date);
  out.kind.push_back(kind);
  out.organisation.push_back(organisation);
  out.sector.push_back(kOrganisations[organisation].sector);
  out.cost_pence.push_back(cost);
}

enum InterventionKind : std::uint8_t {
  kPhone,
  kVisit,
  kAccompanied,
  kOutward,
  kGroup,
  kGrant,
  kVoucher,
  kBudget,
  kSpotPurchase
};

std::int32_t organisation_in(Rng& rng, std::uint8_t sector) {
  return kSectorFirst[sector] +
         static_cast<std::int32_t>(rng.below(kSectorFirst[sector + 1] - kSectorFirst[sector]));
}

// Support runs from the index date to discharge (or for up to six months while ongoing). The
// first contact is on the index date; feedback comes soon after discharge.
void draw_support(const Context& ctx, const Person& p, SyntheticInterventions& interventions,
                  SyntheticFeedback& feedback) {
  const SyntheticConfig& config = ctx.config;
  Rng rng(config.seed, p.id, Stream::support);
  const Days end = p.discharge != kNoDate ? p.discharge : std::min(config.data_end, p.index + 183);
  const Days days = end - p.index + 1;
  auto day = [&] { return p.index + static_cast<Days>(rng.below(days)); };
  emit_intervention(interventions, p.id, p.index, kPhone, kService, 0);
  constexpr std::array<std::pair<InterventionKind, double>, 3> kContacts{
      {{kPhone, 6.0}, {kVisit, 3.0}, {kAccompanied, 1.2}}};
  for (const auto& [kind, mean] : kContacts)
    for (std::int64_t n = rng.poisson(mean); n > 0; --n)
      emit_intervention(interventions, p.id, day(), kind, kService, 0);
  constexpr auto kSectorShares = cumulate(kOutwardSector);
  for (std::int64_t n = rng.poisson(2.8); n > 0; --n)
    emit_intervention(interventions, p.id, day(), kOutward,
                      organisation_in(rng, static_cast<std::uint8_t>(rng.pick(kSectorShares))), 0);
  for (std::int64_t n = rng.poisson(0.6); n > 0; --n)
    emit_intervention(interventions, p.id, day(), kGroup,
                      organisation_in(rng, rng.chance(0.5) ? kCommunity : kVoluntary), 0);
  if (rng.chance(0.10))
    emit_intervention(interventions, p.id, day(), kGrant, kService, 2000 + rng.below(13001));
  if (rng.chance(0.15))
    emit_intervention(interventions, p.id, day(), kVoucher, kFoodBank, 500 + rng.below(4501));
  if (rng.chance(0.20)) {  // one or two purchases within the cap
    const Pence spent = 1000 + rng.below(synth::kPersonalHealthBudgetCap - 999);
    emit_intervention(interventions, p.id, day(), kBudget, kService, spent);
    if (spent < synth::kPersonalHealthBudgetCap && rng.chance(0.3))
      emit_intervention(interventions, p.id, day(), kBudget, kService,
                        1 + rng.below(synth::kPersonalHealthBudgetCap - spent));
  }
  if (rng.chance(0.06))
    emit_intervention(interventions, p.id, day(), kSpotPurchase,
                      organisation_in(rng, rng.chance(0.7) ? kVoluntary : kCommunity),
                      5000 + rng.below(25001));

  constexpr auto kStars = cumulate(std::array<double, 5>{0.01, 0.01, 0.04, 0.26, 0.68});
  constexpr auto kImpact = cumulate(std::array<double, 3>{0.04, 0.68, 0.28});
  if (p.discharge == kNoDate || !rng.chance(0.55)) return;
  const Days date = p.discharge + static_cast<Days>(rng.below(15));
  if (date > config.data_end) return;
  feedback.client_id.push_back(p.id);
  feedback.date.push_back(date);
  feedback.stars.push_back(static_cast<std::uint8_t>(1 + rng.pick(kStars)));
  feedback.impact.push_back(static_cast<std::uint8_t>(rng.pick(kImpact)));
  feedback.connected_to_services.push_back(rng.chance(0.79));
}

using Part = SyntheticTables;  // one chunk's rows of every table

void add_client(SyntheticClients& t, const Person& p) {
  t.client_id.push_back(p.id);
  t.referral_date.push_back(p.anchor);
  t.index_date.push_back(p.index);
  t.discharge_date.push_back(p.discharge);
  t.birth_year.push_back(p.birth_year);
  t.sex.push_back(p.sex);
  t.practice.push_back(p.practice);
  t.locality.push_back(p.locality);
  t.referral_source.push_back(p.source);
  t.referral_reasons.push_back(p.reasons);
  t.carer.push_back(p.carer);
  t.status.push_back(p.status);
  t.deprivation_decile.push_back(p.decile);
}

void add_comparison(SyntheticComparison& t, const Person& p) {
  t.patient_id.push_back(p.id);
  t.birth_year.push_back(p.birth_year);
  t.sex.push_back(p.sex);
  t.practice.push_back(p.practice);
  t.locality.push_back(p.locality);
  t.deprivation_decile.push_back(p.decile);
}

// Parts' rows one after another in chunk order; the copies run in parallel.
template <class Table>
void concatenate(std::vector<Part>& parts, Table Part::*table, Table& out, unsigned threads) {
  std::vector<std::size_t> offsets(parts.size() + 1, 0);
  for (std::size_t c = 0; c < parts.size(); ++c)
    offsets[c + 1] = offsets[c] + std::get<0>(named_columns(parts[c].*table)).column.size();
  std::apply([&](auto... to) { (to.column.resize(offsets.back()), ...); }, named_columns(out));
  detail::for_each_chunk(parts.size(), 1, threads, [&](std::size_t c, std::size_t, std::size_t) {
    auto from = named_columns(parts[c].*table);
    auto to = named_columns(out);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (std::copy(std::get<I>(from).column.begin(), std::get<I>(from).column.end(),
                 std::get<I>(to).column.begin() + static_cast<std::ptrdiff_t>(offsets[c])),
       ...);
    }
    (std::make_index_sequence<std::tuple_size_v<decltype(from)>>{});
    parts[c].*table = Table{};  // free as we go
  });
}

// People begin..end - 1: clients first, then the comparison pool.
void generate_people(const Context& ctx, std::size_t begin, std::size_t end, Part& part) {
  const auto clients = static_cast<std::size_t>(ctx.config.n_clients);
  for (std::size_t i = begin; i < end; ++i) {
    const bool client = i < clients;
    const auto position = static_cast<std::int64_t>(client ? i : i - clients);
    const std::int64_t id = (client ? synth::kFirstClientId : synth::kFirstComparisonId) + position;
    const Person p = draw_person(ctx, id, client);
    client ? add_client(part.clients, p) : add_comparison(part.comparison, p);
    draw_events(ctx, p, part.events);
    if (p.index == kNoDate) continue;
    draw_assessments(ctx, p, part.assessments);
    draw_support(ctx, p, part.interventions, part.feedback);
  }
}

SyntheticTruth truth_of(const SyntheticConfig& config) {
  SyntheticTruth truth;
  truth.true_effect = config.true_effect;
  truth.effect_days = kEffectDays;
  truth.annual_rate = kAnnualRate;
  truth.mean_bed_days = (1.0 - kSameDayAdmission) / kStayEnds;
  truth.client_frailty_shape = kClientFrailtyShape;
  truth.client_frailty_mean = kClientFrailtyMean;
  truth.comparison_frailty_shape = kComparisonFrailtyShape;
  truth.comparison_frailty_mean = kComparisonFrailtyMean;
  truth.shock_period_days = kPeriod;
  truth.shock_sigma = kShockSigma;
  truth.crisis_log_mean = kCrisisLogMean;
  truth.crisis_fade = kCrisisFade;
  truth.comparison_crisis_share = kComparisonCrisisShare;
  truth.connect_rate = config.connect_rate;
  return truth;
}

}  // namespace

void validate(const SyntheticConfig& config) {
  auto fail = [](const char* field, const std::string& problem) {
    throw InputError("synthetic", field, kNoRow, problem);
  };
  if (config.n_clients < 0)
    fail("n_clients", "must not be negative, got " + std::to_string(config.n_clients));
  if (config.n_clients > synth::kFirstComparisonId - synth::kFirstClientId)
    fail("n_clients", "at most " + std::to_string(synth::kFirstComparisonId - 1) +
                          " clients (comparison ids start at " +
                          std::to_string(synth::kFirstComparisonId) + ")");
  if (config.n_comparison < 0)
    fail("n_comparison", "must not be negative, got " + std::to_string(config.n_comparison));
  // The engines index people with 32 bits (and the ids stay far inside int64).
  if (config.n_comparison > INT32_MAX)
    fail("n_comparison", "at most " + std::to_string(INT32_MAX) + " comparison patients");
  if (!(config.true_effect >= 0.0 && config.true_effect < 1.0))
    fail("true_effect", "must be in [0, 1), got " + std::to_string(config.true_effect));
  if (!(config.connect_rate >= 0.0 && config.connect_rate <= 1.0))
    fail("connect_rate", "must be in [0, 1], got " + std::to_string(config.connect_rate));
  if (config.data_start == kNoDate || config.data_end == kNoDate)
    fail("data_start/data_end", "both are required");
  if (config.data_end < config.data_start)
    fail("data_end", "data_end " + format_iso_date(config.data_end) + " is before data_start " +
                         format_iso_date(config.data_start));
}

SyntheticService generate_service(const SyntheticConfig& config) {
  validate(config);
  SyntheticService service;
  service.config = config;
  service.truth = truth_of(config);
  for (std::int32_t p = 0; p < synth::kPractices; ++p) {
    service.practices.push_back("P81" + std::string(p + 1 < 10 ? "00" : "0") +
                                std::to_string(p + 1));
    service.practice_locality.push_back(locality_of(p));
  }
  for (const Organisation& o : kOrganisations) {
    service.organisations.emplace_back(o.name);
    service.organisation_sector.push_back(o.sector);
  }

  const Context ctx(config);
  const std::size_t people =
      static_cast<std::size_t>(config.n_clients) + static_cast<std::size_t>(config.n_comparison);
  // Room for 64 events a person (13 bytes each), twice: in the parts, then concatenated.
  detail::require_memory("the synthetic service", people * 2 * 64 * 13);
  std::vector<Part> parts((people + kChunkPeople - 1) / kChunkPeople);
  detail::for_each_chunk(people, kChunkPeople, config.threads,
                         [&](std::size_t chunk, std::size_t begin, std::size_t end) {
                           parts[chunk].events.person_id.reserve((end - begin) * 64);
                           parts[chunk].events.date.reserve((end - begin) * 64);
                           parts[chunk].events.kind.reserve((end - begin) * 64);
                           generate_people(ctx, begin, end, parts[chunk]);
                         });
  concatenate(parts, &Part::clients, service.clients, config.threads);
  concatenate(parts, &Part::comparison, service.comparison, config.threads);
  concatenate(parts, &Part::events, service.events, config.threads);
  concatenate(parts, &Part::assessments, service.assessments, config.threads);
  concatenate(parts, &Part::interventions, service.interventions, config.threads);
  concatenate(parts, &Part::feedback, service.feedback, config.threads);
  return service;
}

}  // namespace socialrx
