#include "socialrx/risk/comorbidity.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "detail/json_reader.hpp"
#include "detail/parallel.hpp"
#include "socialrx/core/embedded.hpp"
#include "socialrx/core/error.hpp"
#include "socialrx/risk/icd10.hpp"

namespace socialrx {

namespace {

using nlohmann::json;

constexpr std::size_t kAlphanumerics = 36;
constexpr std::size_t kSlots = 26 * kAlphanumerics * kAlphanumerics;
constexpr std::size_t kNoSlot = kSlots;
constexpr std::size_t kChunk = 1 << 16;

// Builtin map name -> file under data/.
constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kBuiltin{{
    {"charlson_quan2005", "risk/charlson_icd10_quan2005.json"},
    {"charlson_shmi", "risk/charlson_icd10_shmi.json"},
    {"elixhauser_quan2005", "risk/elixhauser_icd10_quan2005.json"},
    {"hfrs", "risk/hfrs_icd10.json"},
}};

std::size_t alphanumeric(char c) {
  if (c >= '0' && c <= '9') return static_cast<std::size_t>(c - '0');
  if (c >= 'A' && c <= 'Z') return 10 + static_cast<std::size_t>(c - 'A');
  return kAlphanumerics;
}

// The dense-table position of a normalised code's first three characters.
std::size_t slot_of(std::string_view code) {
  if (code.size() < 3 || code[0] < 'A' || code[0] > 'Z') return kNoSlot;
  const std::size_t second = alphanumeric(code[1]), third = alphanumeric(code[2]);
  if (second == kAlphanumerics || third == kAlphanumerics) return kNoSlot;
  return (static_cast<std::size_t>(code[0] - 'A') * kAlphanumerics + second) * kAlphanumerics +
         third;
}

// Up to eight characters, one per byte from the lowest.
std::uint64_t pack(std::string_view text) {
  std::uint64_t packed = 0;
  for (std::size_t i = 0; i < text.size() && i < 8; ++i)
    packed |= std::uint64_t{static_cast<unsigned char>(text[i])} << (8 * i);
  return packed;
}

using Reader = detail::JsonReader;

// Far above any published weight, and far enough inside int64 that 128 categories' units
// (points x up to 1000) sum without overflow.
constexpr double kMaxPoints = 1e9;

double points_of(const Reader& read, const json& value, const std::string& key) {
  if (!value.is_number() || !(std::abs(value.get<double>()) <= kMaxPoints))
    read.fail(key, "must be a number of points between -1e9 and 1e9");
  return value.get<double>();
}

// The smallest power of ten that makes every weight a whole number of units.
std::int64_t units_per_point(const std::vector<double>& points) {
  for (std::int64_t scale = 1; scale <= 1000; scale *= 10) {
    const bool whole = std::all_of(points.begin(), points.end(), [&](double p) {
      const double scaled = p * static_cast<double>(scale);
      return std::abs(scaled - std::round(scaled)) < 1e-6;
    });
    if (whole) return scale;
  }
  return 0;
}

struct CodeMatch {
  CategorySet categories;
  bool missing = false;
};

CodeMatch match_code(const ComorbidityMap& map, std::string_view recorded) {
  const icd10::Code code = icd10::normalise(recorded);
  if (code.missing()) return {{}, true};
  return {map.match(code.view()), false};
}

struct ChunkCounts {
  std::int64_t ignored = 0, unmatched = 0, matched = 0;
};

void validate(const DiagnosisColumns& d) {
  constexpr const char* kTable = "diagnoses";
  if (d.patients < 0) throw InputError(kTable, "patient_id", kNoRow, "negative patient count");
  const std::size_t rows = d.patient.size();
  const Column<std::int32_t> index = d.code_index;
  const CodeStrings& codes = d.codes;
  const std::size_t code_rows = index.empty() ? codes.size() : index.size();
  if (code_rows != rows)
    throw InputError(
        kTable, "code", kNoRow,
        "has " + std::to_string(code_rows) + " rows but patient_id has " + std::to_string(rows));
  if (!codes.offsets.empty() && codes.offsets.front() < 0)
    throw InputError(kTable, "code", 0, "negative string offset");
  for (std::size_t i = 0; i < codes.size(); ++i)
    if (codes.offsets[i + 1] < codes.offsets[i] ||
        static_cast<std::size_t>(codes.offsets[i + 1]) > codes.data.size())
      throw InputError(kTable, "code", static_cast<std::int64_t>(i),
                       "string offsets out of order or past the end of the data");
  if (!codes.validity.empty() &&
      codes.validity.size() * 8 < static_cast<std::size_t>(codes.validity_offset) + codes.size())
    throw InputError(kTable, "code", kNoRow, "validity bitmap shorter than the column");
  for (std::size_t row = 0; row < rows; ++row) {
    if (d.patient[row] < 0 || d.patient[row] >= d.patients)
      throw InputError(kTable, "patient_id", static_cast<std::int64_t>(row),
                       "patient position " + std::to_string(d.patient[row]) + " outside 0.." +
                           std::to_string(d.patients - 1));
    if (!index.empty() && index[row] >= static_cast<std::int64_t>(codes.size()))
      throw InputError(kTable, "code", static_cast<std::int64_t>(row),
                       "category " + std::to_string(index[row]) + " outside the " +
                           std::to_string(codes.size()) + " code strings");
  }
}

// ORs each row's categories into its patient's set. Patients are shared between chunks, so
// the ORs are atomic: the result is the same whichever thread gets there first.
template <class MatchRow>
ComorbidityFlags accumulate(const DiagnosisColumns& d, unsigned threads, MatchRow&& match_row) {
  ComorbidityFlags out;
  out.patients.resize(static_cast<std::size_t>(d.patients));
  const std::size_t rows = d.patient.size();
  std::vector<ChunkCounts> counts((rows + kChunk - 1) / kChunk);
  detail::for_each_chunk(
      rows, kChunk, threads, [&](std::size_t chunk, std::size_t begin, std::size_t end) {
        ChunkCounts c;  // local: neighbouring chunks' counts share cache lines
        for (std::size_t row = begin; row < end; ++row) {
          const CodeMatch& m = match_row(row);
          if (m.missing) {
            ++c.ignored;
            continue;
          }
          if (!m.categories.any()) {
            ++c.unmatched;
            continue;
          }
          ++c.matched;
          auto& words = out.patients[static_cast<std::size_t>(d.patient[row])].words;
          for (std::size_t w = 0; w < CategorySet::kWords; ++w) {
            const std::uint64_t bits = m.categories.words[w];
            std::atomic_ref<std::uint64_t> word(words[w]);
            if ((word.load(std::memory_order_relaxed) & bits) != bits)
              word.fetch_or(bits, std::memory_order_relaxed);
          }
        }
        counts[chunk] = c;
      });
  for (const ChunkCounts& c : counts) {
    out.codes_ignored += c.ignored;
    out.codes_unmatched += c.unmatched;
    out.codes_matched += c.matched;
  }
  return out;
}

}  // namespace

ComorbidityMap ComorbidityMap::parse(std::string_view json_text, std::string_view origin) {
  const Reader read{origin};
  const json doc = read.parse(json_text);
  ComorbidityMap map;
  map.origin_ = std::string(origin);
  map.slots_.assign(kSlots, 0);
  json weights;
  if (doc.is_object() && doc.contains("categories")) {
    const json& categories = read.array(doc, "categories", "");
    for (std::size_t c = 0; c < categories.size(); ++c) {
      const std::string path = "categories[" + std::to_string(c) + "].";
      map.ids_.push_back(read.text(read.member(categories[c], "id", path), path + "id"));
      map.names_.push_back(read.text(read.member(categories[c], "name", path), path + "name"));
      std::vector<std::string> codes;
      for (const json& code : read.array(categories[c], "codes", path))
        codes.push_back(read.text(code, path + "codes"));
      map.codes_.push_back(std::move(codes));
    }
    weights = read.member(doc, "weights", "");
  } else {
    // HFRS: one three-character code per category, its points the one weight set.
    for (const json& entry : read.array(doc, "codes", "")) {
      map.ids_.push_back(read.text(read.member(entry, "code", "codes."), "codes.code"));
      map.names_.push_back(entry.contains("description")
                               ? read.text(entry.at("description"), "codes.description")
                               : map.ids_.back());
      map.codes_.push_back({map.ids_.back()});
    }
    weights = json{{"points", read.member(doc, "points", "")}};
  }
  if (map.size() > kMaxCategories)
    read.fail("categories", "more than " + std::to_string(kMaxCategories) + " categories");
  std::map<std::string, std::size_t, std::less<>> position;
  for (std::size_t c = 0; c < map.size(); ++c)
    if (!position.emplace(map.ids_[c], c).second)
      read.fail("categories", "duplicate category id '" + map.ids_[c] + "'");
  for (std::size_t c = 0; c < map.size(); ++c)
    for (const std::string& code : map.codes_[c]) map.add_entry(code, c, map.ids_[c]);

  auto category = [&](const json& id, const std::string& key) {
    const std::string name = read.text(id, key);
    const auto found = position.find(name);
    if (found == position.end()) read.fail(key, "unknown category '" + name + "'");
    return found->second;
  };
  if (!weights.is_object() || weights.empty()) read.fail("weights", "must name weight sets");
  for (const auto& [name, table] : weights.items()) {
    const std::string key = "weights." + name;
    if (!table.is_object()) read.fail(key, "must map category ids to points");
    std::vector<double> points(map.size(), NAN);
    for (const auto& [id, value] : table.items())
      points[category(json(id), key)] = points_of(read, value, key + "." + id);
    for (std::size_t c = 0; c < map.size(); ++c)
      if (std::isnan(points[c])) read.fail(key, "has no weight for '" + map.ids_[c] + "'");
    WeightSet set{name, {}, units_per_point(points), std::nullopt};
    if (set.units_per_point == 0) read.fail(key, "weights need more than three decimals");
    for (const double p : points)
      set.units.push_back(std::llround(p * static_cast<double>(set.units_per_point)));
    if (doc.contains("clamp_min"))
      set.min_units = std::llround(points_of(read, doc.at("clamp_min"), "clamp_min") *
                                   static_cast<double>(set.units_per_point));
    map.weight_sets_.push_back(std::move(set));
  }
  if (doc.contains("hierarchy")) {
    const json& pairs = doc.at("hierarchy");
    if (!pairs.is_array()) read.fail("hierarchy", "must be a list of [greater, lesser] pairs");
    for (const json& pair : pairs) {
      if (!pair.is_array() || pair.size() != 2)
        read.fail("hierarchy", "each entry must be a [greater, lesser] pair");
      map.hierarchy_.emplace_back(category(pair[0], "hierarchy"), category(pair[1], "hierarchy"));
    }
  }
  return map;
}

void ComorbidityMap::add_entry(const std::string& code, std::size_t category,
                               const std::string& id) {
  const std::string key = "categories." + id + ".codes";
  if (icd10::normalised(code) != code || code.size() < 3 || code.size() > 11)
    throw InputError(origin_, key, kNoRow,
                     "'" + code + "' is not an undotted upper-case code of 3 to 11 characters");
  const std::size_t slot = slot_of(code);
  if (slot == kNoSlot)
    throw InputError(origin_, key, kNoRow, "'" + code + "' does not start like an ICD-10 code");
  if (slots_[slot] == 0) {
    nodes_.emplace_back();
    slots_[slot] = static_cast<std::uint16_t>(nodes_.size());
  }
  Node& node = nodes_[slots_[slot] - 1];
  if (code.size() == 3) {
    node.categories.set(category);
    return;
  }
  const std::string_view rest = std::string_view(code).substr(3);
  const Longer entry{pack(rest), ~std::uint64_t{0} >> (8 * (8 - rest.size())), {}};
  auto same = [&](const Longer& l) { return l.packed == entry.packed && l.mask == entry.mask; };
  auto found = std::find_if(node.longer.begin(), node.longer.end(), same);
  if (found == node.longer.end()) found = node.longer.insert(node.longer.end(), entry);
  found->categories.set(category);
}

const ComorbidityMap& ComorbidityMap::builtin(std::string_view name) {
  static std::mutex mutex;
  static std::map<std::string, ComorbidityMap, std::less<>> parsed;
  for (const auto& [known, file] : kBuiltin) {
    if (known != name) continue;
    std::lock_guard lock(mutex);
    auto found = parsed.find(name);
    if (found == parsed.end())
      found = parsed.emplace(std::string(name), parse(embedded_file(file), file)).first;
    return found->second;
  }
  std::string known;
  for (const auto& entry : kBuiltin)
    known += (known.empty() ? "" : ", ") + std::string(entry.first);
  throw InputError("comorbidity", "map", kNoRow,
                   "unknown map '" + std::string(name) + "' (have: " + known + ")");
}

std::vector<std::string> ComorbidityMap::builtin_names() {
  std::vector<std::string> names;
  names.reserve(kBuiltin.size());
  for (const auto& entry : kBuiltin) names.emplace_back(entry.first);
  return names;
}

const WeightSet& ComorbidityMap::weights(std::string_view name) const {
  std::string known;
  for (const WeightSet& set : weight_sets_) {
    if (set.name == name) return set;
    known += (known.empty() ? "" : ", ") + set.name;
  }
  throw InputError(origin_, "weights", kNoRow,
                   "unknown weight set '" + std::string(name) + "' (have: " + known + ")");
}

CategorySet ComorbidityMap::match(std::string_view normalised) const noexcept {
  const std::size_t slot = slot_of(normalised);
  if (slot == kNoSlot || slots_[slot] == 0) return {};
  const Node& node = nodes_[slots_[slot] - 1];
  CategorySet found = node.categories;
  const std::uint64_t rest = pack(normalised.substr(3));
  for (const Longer& entry : node.longer)
    if ((rest & entry.mask) == entry.packed) found |= entry.categories;
  return found;
}

CategorySet ComorbidityMap::counted(const CategorySet& flags, bool hierarchy) const noexcept {
  CategorySet out = flags;
  if (hierarchy)
    for (const auto& [greater, lesser] : hierarchy_)
      if (flags.test(greater)) out.reset(lesser);
  return out;
}

std::int64_t ComorbidityMap::score_units(const CategorySet& flags, const WeightSet& weights,
                                         bool hierarchy) const noexcept {
  std::int64_t sum = 0;
  counted(flags, hierarchy).for_each([&](std::size_t c) { sum += weights.units[c]; });
  return weights.min_units ? std::max(sum, *weights.min_units) : sum;
}

ComorbidityFlags flag_comorbidities(const ComorbidityMap& map, const DiagnosisColumns& diagnoses,
                                    unsigned threads) {
  validate(diagnoses);
  const CodeStrings& codes = diagnoses.codes;
  auto lookup = [&](std::size_t i) {
    return codes.null(i) ? CodeMatch{{}, true} : match_code(map, codes.at(i));
  };
  if (diagnoses.code_index.empty())
    return accumulate(diagnoses, threads, [&](std::size_t row) { return lookup(row); });
  // A categorical column: each distinct string is normalised and matched once.
  std::vector<CodeMatch> distinct(codes.size());
  detail::for_each_chunk(distinct.size(), kChunk, threads,
                         [&](std::size_t, std::size_t b, std::size_t e) {
                           for (std::size_t i = b; i < e; ++i) distinct[i] = lookup(i);
                         });
  static const CodeMatch kNull{{}, true};
  return accumulate(diagnoses, threads, [&](std::size_t row) -> const CodeMatch& {
    const std::int32_t i = diagnoses.code_index[row];
    return i < 0 ? kNull : distinct[static_cast<std::size_t>(i)];
  });
}

std::vector<std::int64_t> score_comorbidities(const ComorbidityMap& map,
                                              std::span<const CategorySet> flags,
                                              const WeightSet& weights, bool hierarchy,
                                              unsigned threads) {
  if (weights.units.size() != map.size())
    throw InputError(map.origin(), "weights", kNoRow,
                     "weight set '" + weights.name + "' has " +
                         std::to_string(weights.units.size()) + " weights for " +
                         std::to_string(map.size()) + " categories");
  std::vector<std::int64_t> scores(flags.size());
  detail::for_each_chunk(flags.size(), kChunk, threads,
                         [&](std::size_t, std::size_t b, std::size_t e) {
                           for (std::size_t p = b; p < e; ++p)
                             scores[p] = map.score_units(flags[p], weights, hierarchy);
                         });
  return scores;
}

}  // namespace socialrx
