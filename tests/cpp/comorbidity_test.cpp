#include "socialrx/risk/comorbidity.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>

#include "socialrx/core/embedded.hpp"
#include "socialrx/risk/icd10.hpp"

namespace socialrx {
namespace {

using nlohmann::json;

const json& cases() {
  static const json doc = json::parse(embedded_file("risk/test_cases.json"));
  return doc;
}

// Code strings in Arrow layout, nullopt a null, with one patient position per code.
struct Table {
  std::vector<std::int32_t> patient;
  std::vector<std::int64_t> offsets{0};
  std::vector<char> data;
  std::vector<std::uint8_t> validity;
  std::int32_t patients = 0;

  void add(std::int32_t who, const std::optional<std::string>& code) {
    const std::size_t i = patient.size();
    patient.push_back(who);
    patients = std::max(patients, who + 1);
    if (code) data.insert(data.end(), code->begin(), code->end());
    offsets.push_back(static_cast<std::int64_t>(data.size()));
    if (i % 8 == 0) validity.push_back(0);
    if (code) validity[i / 8] |= static_cast<std::uint8_t>(1u << (i % 8));
  }
  DiagnosisColumns columns() const { return {patient, {offsets, data, validity, 0}, {}, patients}; }
};

Table one_patient(const std::vector<std::string>& codes) {
  Table t;
  for (const auto& code : codes) t.add(0, code);
  return t;
}

const ComorbidityMap& map_for(const std::string& family, const std::string& map) {
  if (family == "hfrs") return ComorbidityMap::builtin("hfrs");
  if (family == "charlson")
    return ComorbidityMap::builtin(map == "shmi" ? "charlson_shmi" : "charlson_quan2005");
  return ComorbidityMap::builtin("elixhauser_quan2005");
}

CategorySet flags_of(const ComorbidityMap& map, const std::vector<std::string>& codes) {
  return flag_comorbidities(map, one_patient(codes).columns(), 1).patients.at(0);
}

std::size_t category(const ComorbidityMap& map, const std::string& id) {
  const auto found = std::find(map.ids().begin(), map.ids().end(), id);
  EXPECT_NE(found, map.ids().end()) << id;
  return static_cast<std::size_t>(found - map.ids().begin());
}

// "one code from every category" or a list of codes.
std::vector<std::string> case_codes(const ComorbidityMap& map, const json& codes) {
  if (codes.is_array()) return codes.get<std::vector<std::string>>();
  std::vector<std::string> every;
  for (std::size_t c = 0; c < map.size(); ++c) every.push_back(map.codes(c).front());
  return every;
}

void check_weighted_cases(const std::string& family) {
  for (const json& c : cases().at(family)) {
    const ComorbidityMap& map = map_for(family, c.at("map"));
    const auto codes = case_codes(map, c.at("codes"));
    const bool hierarchy = c.at("hierarchy");
    SCOPED_TRACE(c.dump());
    const CategorySet flags = flags_of(map, codes);
    const WeightSet& weights = map.weights(c.at("weights").get<std::string>());
    const auto scores = score_comorbidities(map, std::span(&flags, 1), weights, hierarchy);
    EXPECT_EQ(scores[0], c.at("expect").get<std::int64_t>() * weights.units_per_point);
    if (c.contains("expect_flags"))
      for (const auto& [id, flag] : c.at("expect_flags").items())
        EXPECT_EQ(flags.test(category(map, id)), flag.get<int>() == 1) << id;
    if (c.contains("expect_counted"))
      for (const auto& [id, counted] : c.at("expect_counted").items())
        EXPECT_EQ(map.counted(flags, hierarchy).test(category(map, id)), counted.get<bool>()) << id;
  }
}

TEST(Comorbidity, CharlsonAndShmiReferenceCases) {
  check_weighted_cases("charlson");
}

TEST(Comorbidity, ElixhauserReferenceCases) {
  check_weighted_cases("elixhauser");
}

TEST(Comorbidity, HfrsReferenceCases) {
  const ComorbidityMap& map = ComorbidityMap::builtin("hfrs");
  const WeightSet& points = map.weights("points");
  auto score = [&](const std::vector<std::string>& codes) {
    const CategorySet flags = flags_of(map, codes);
    return score_comorbidities(map, std::span(&flags, 1), points, false)[0];
  };
  for (const json& c : cases().at("hfrs")) {
    SCOPED_TRACE(c.dump());
    const auto codes = c.at("codes").get<std::vector<std::string>>();
    if (c.contains("same_as")) {
      const auto other = c.at("same_as").get<std::vector<std::string>>();
      EXPECT_EQ(flags_of(map, codes), flags_of(map, other));
      EXPECT_GT(score(codes), 0);
      continue;
    }
    const std::int64_t units = score(codes);
    EXPECT_EQ(units, std::llround(c.at("expect").get<double>() * 10));
    EXPECT_EQ(kFrailtyBandNames[static_cast<int>(frailty_band(units, points.units_per_point))],
              c.at("band").get<std::string>());
  }
}

TEST(Comorbidity, HfrsBandEdges) {
  for (const json& c : cases().at("hfrs_bands")) {
    if (!c.contains("score")) continue;
    const auto units = std::llround(c.at("score").get<double>() * 10);
    EXPECT_EQ(kFrailtyBandNames[static_cast<int>(frailty_band(units, 10))],
              c.at("band").get<std::string>())
        << c.dump();
  }
}

TEST(Comorbidity, NormalisationCases) {
  for (const json& c : cases().at("normalisation")) {
    SCOPED_TRACE(c.dump());
    if (c.contains("all_equal")) {
      std::set<std::string> forms;
      for (const auto& code : c.at("input"))
        forms.insert(icd10::normalised(code.get<std::string>()));
      EXPECT_EQ(forms.size(), 1u);
    } else if (c.contains("becomes")) {
      EXPECT_EQ(icd10::normalised(c.at("input").get<std::string>()), c.at("becomes"));
    } else {
      Table t;
      for (const auto& code : c.at("input"))
        t.add(0, code.is_null() ? std::nullopt : std::optional(code.get<std::string>()));
      const auto flags =
          flag_comorbidities(ComorbidityMap::builtin("charlson_quan2005"), t.columns());
      EXPECT_EQ(flags.codes_ignored, static_cast<std::int64_t>(c.at("input").size()));
      EXPECT_EQ(flags.codes_unmatched, 0);
      EXPECT_FALSE(flags.patients.at(0).any());
    }
  }
}

TEST(Comorbidity, NormalisationMarksAndPadding) {
  EXPECT_EQ(icd10::normalised("I21.0\xE2\x80\xA0"), "I210");  // UTF-8 dagger
  EXPECT_EQ(icd10::normalised("E11.9*"), "E119");
  EXPECT_EQ(icd10::normalised("G35.X-"), "G35");
  EXPECT_EQ(icd10::normalised("X59"), "X59");  // a category starting with X keeps it
  EXPECT_EQ(icd10::normalised("n/a"), "");
  const auto& map = ComorbidityMap::builtin("charlson_quan2005");
  EXPECT_EQ(flags_of(map, {"F00.1"}), flags_of(map, {" f00.1 "}));
  EXPECT_EQ(flags_of(map, {"F00.1"}), flags_of(map, {"F001"}));
}

// Every entry of every map, recorded alone, flags its own category and nothing else, except
// the multi-mapped Elixhauser prefixes, which flag exactly their two categories.
TEST(Comorbidity, EachMapCodeFlagsExactlyItsOwnCategory) {
  std::map<std::string, std::set<std::string>> multi;
  const json elixhauser = json::parse(embedded_file("risk/elixhauser_icd10_quan2005.json"));
  for (const auto& [code, ids] : elixhauser.at("multi_mapped_codes").at("prefixes").items())
    multi[code] = ids.get<std::set<std::string>>();
  for (const auto& name : ComorbidityMap::builtin_names()) {
    const ComorbidityMap& map = ComorbidityMap::builtin(name);
    std::set<std::string> hitting_two;
    for (std::size_t c = 0; c < map.size(); ++c) {
      for (const auto& code : map.codes(c)) {
        std::set<std::string> flagged;
        flags_of(map, {code}).for_each([&](std::size_t f) { flagged.insert(map.ids()[f]); });
        const bool listed = name == "elixhauser_quan2005" && multi.contains(code);
        const auto expected = listed ? multi[code] : std::set<std::string>{map.ids()[c]};
        EXPECT_EQ(flagged, expected) << name << " " << code;
        if (flagged.size() == 2) hitting_two.insert(code);
      }
    }
    if (name == "elixhauser_quan2005") {
      for (const json& check : cases().at("mapping_checks"))
        if (check.contains("codes_hitting_two"))
          EXPECT_EQ(hitting_two, check.at("codes_hitting_two").get<std::set<std::string>>());
    } else {
      EXPECT_TRUE(hitting_two.empty()) << name;
    }
  }
}

TEST(Comorbidity, SubCodesInheritBothCategories) {
  for (const json& check : cases().at("mapping_checks")) {
    if (!check.contains("code")) continue;
    const auto& map = ComorbidityMap::builtin("elixhauser_quan2005");
    std::set<std::string> flagged;
    flags_of(map, {check.at("code")}).for_each([&](std::size_t f) {
      flagged.insert(map.ids()[f]);
    });
    EXPECT_EQ(flagged, check.at("expect_flags").get<std::set<std::string>>());
  }
}

TEST(Comorbidity, MapShapesMatchTheirDocuments) {
  const std::map<std::string, std::string> files{
      {"charlson_quan2005", "risk/charlson_icd10_quan2005.json"},
      {"elixhauser_quan2005", "risk/elixhauser_icd10_quan2005.json"},
      {"hfrs", "risk/hfrs_icd10.json"}};
  for (const auto& [name, file] : files) {
    const json doc = json::parse(embedded_file(file));
    const auto& map = ComorbidityMap::builtin(name);
    std::size_t codes = 0;
    for (std::size_t c = 0; c < map.size(); ++c) codes += map.codes(c).size();
    EXPECT_EQ(codes, doc.at("counts").at("codes").get<std::size_t>()) << name;
    if (doc.at("counts").contains("categories"))
      EXPECT_EQ(map.size(), doc.at("counts").at("categories").get<std::size_t>()) << name;
  }
  const auto& hfrs = ComorbidityMap::builtin("hfrs").weights("points");
  std::int64_t total = 0;
  for (const auto units : hfrs.units) total += units;
  EXPECT_EQ(hfrs.units_per_point, 10);
  EXPECT_EQ(total, 1732);  // 173.2 points
}

TEST(Comorbidity, CountsIgnoredAndUnmatchedCodes) {
  Table t;
  t.add(0, "I21.9");
  t.add(0, "ZZZ99");
  t.add(1, std::nullopt);
  t.add(1, " ");
  t.add(2, "R69");  // a patient with an unmatched code only still gets a row
  const auto flags = flag_comorbidities(ComorbidityMap::builtin("charlson_quan2005"), t.columns());
  EXPECT_EQ(flags.codes_matched, 1);
  EXPECT_EQ(flags.codes_unmatched, 2);
  EXPECT_EQ(flags.codes_ignored, 2);
  ASSERT_EQ(flags.patients.size(), 3u);
  EXPECT_TRUE(flags.patients[0].any());
  EXPECT_FALSE(flags.patients[1].any());
  EXPECT_FALSE(flags.patients[2].any());
}

// Random long tables: the same flags and counts for any thread count, and through distinct
// strings (a categorical column) as through one string per row.
TEST(Comorbidity, DeterministicForAnyThreadCountAndCodeLayout) {
  const auto& map = ComorbidityMap::builtin("elixhauser_quan2005");
  std::vector<std::string> pool{"", "NA", "R69", "I10", "I50.1", "F315", "I2782", "k70.3"};
  for (std::size_t c = 0; c < map.size(); ++c)
    for (const auto& code : map.codes(c)) pool.push_back(code + "9");
  std::mt19937 random(7);
  Table rows;
  std::vector<std::int32_t> index;
  Table distinct;
  for (const auto& code : pool) distinct.add(0, code);
  for (int r = 0; r < 300'000; ++r) {
    const auto who = static_cast<std::int32_t>(random() % 40'000);
    const auto pick = static_cast<std::int32_t>(random() % pool.size());
    rows.add(who, pool[static_cast<std::size_t>(pick)]);
    index.push_back(pick);
  }
  const auto one = flag_comorbidities(map, rows.columns(), 1);
  const auto many = flag_comorbidities(map, rows.columns(), 5);
  DiagnosisColumns categorical{
      rows.patient, {distinct.offsets, distinct.data, {}, 0}, index, rows.patients};
  const auto by_index = flag_comorbidities(map, categorical, 3);
  for (const auto* other : {&many, &by_index}) {
    EXPECT_EQ(one.patients, other->patients);
    EXPECT_EQ(one.codes_ignored, other->codes_ignored);
    EXPECT_EQ(one.codes_unmatched, other->codes_unmatched);
    EXPECT_EQ(one.codes_matched, other->codes_matched);
  }
  const auto& weights = map.weights("van_walraven");
  EXPECT_EQ(score_comorbidities(map, one.patients, weights, true, 1),
            score_comorbidities(map, one.patients, weights, true, 4));
}

TEST(Comorbidity, BadInputNamesWhatIsWrong) {
  const auto& map = ComorbidityMap::builtin("charlson_quan2005");
  try {
    map.weights("van_walraven");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown weight set 'van_walraven'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("quan2011"), std::string::npos);
  }
  EXPECT_THROW(ComorbidityMap::builtin("charlson_1066"), InputError);

  Table t = one_patient({"I21", "I50"});
  t.patient.pop_back();
  try {
    flag_comorbidities(map, t.columns());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.table(), "diagnoses");
    EXPECT_EQ(e.column(), "code");
  }
  Table out_of_range = one_patient({"I21", "I50"});
  out_of_range.patient[1] = 5;
  try {
    flag_comorbidities(map, out_of_range.columns());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.column(), "patient_id");
    EXPECT_EQ(e.row(), 1);
  }
}

TEST(Comorbidity, MalformedMapsAreInputErrors) {
  EXPECT_THROW(ComorbidityMap::parse("{", "broken.json"), InputError);
  const char* unknown_weight =
      R"({"categories": [{"id": "a", "name": "A", "codes": ["I21"]}],
          "weights": {"w": {"a": 1, "b": 2}}})";
  EXPECT_THROW(ComorbidityMap::parse(unknown_weight, "m.json"), InputError);
  const char* dotted =
      R"({"categories": [{"id": "a", "name": "A", "codes": ["I21.1"]}], "weights": {"w": {"a": 1}}})";
  EXPECT_THROW(ComorbidityMap::parse(dotted, "m.json"), InputError);
  const char* missing_weight =
      R"({"categories": [{"id": "a", "name": "A", "codes": ["I21"]},
                         {"id": "b", "name": "B", "codes": ["I22"]}],
          "weights": {"w": {"a": 1}}})";
  EXPECT_THROW(ComorbidityMap::parse(missing_weight, "m.json"), InputError);
}

}  // namespace
}  // namespace socialrx
