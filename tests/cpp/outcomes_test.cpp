#include "socialrx/model/outcomes.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace socialrx {
namespace {

constexpr std::uint8_t kBaseline = 0;
constexpr std::uint8_t kReview = 1;
constexpr std::uint8_t kFinal = 2;

// Indicator indices of dudley7, in listed order.
constexpr std::int32_t kEnoughMoney = 0;
constexpr std::int32_t kOptimistic = 5;
constexpr std::int32_t kCoping = 6;
constexpr std::int32_t kKeepUpRent = 9;

// Assessment rows built up one by one; view() hands them to the engines.
struct Rows {
  std::vector<std::int32_t> client;
  std::vector<Days> date;
  std::vector<std::uint8_t> timepoint;
  std::vector<std::int32_t> item;
  std::vector<double> value;
  std::vector<std::int64_t> source_row;

  void add(std::int32_t c, Days d, std::uint8_t t, std::int32_t i, double v) {
    client.push_back(c);
    date.push_back(d);
    timepoint.push_back(t);
    item.push_back(i);
    value.push_back(v);
  }
  // One rating per item, in item order.
  void add_all(std::int32_t c, Days d, std::uint8_t t, const std::vector<double>& values) {
    for (std::size_t i = 0; i < values.size(); ++i)
      if (!std::isnan(values[i])) add(c, d, t, static_cast<std::int32_t>(i), values[i]);
  }
  AssessmentsView view() const { return {client, date, timepoint, item, value, source_row}; }
};

std::string error_of(auto&& call) {
  try {
    call();
  } catch (const InputError& error) {
    return error.what();
  }
  return "no error";
}

TEST(OutcomeFramework, EmbeddedFrameworksLoad) {
  const Framework dudley = embedded_framework("dudley7");
  EXPECT_EQ(dudley.kind, FrameworkKind::domains);
  ASSERT_EQ(dudley.domains.size(), 7u);
  EXPECT_EQ(dudley.domains[1].name, "Physical health");
  ASSERT_EQ(dudley.indicators.size(), 15u);
  EXPECT_EQ(dudley.indicators[kOptimistic].text, "Feeling optimistic about the future");
  EXPECT_EQ(dudley.indicators[kKeepUpRent].domain, 4);
  EXPECT_EQ(dudley.rule, DomainRule::worst);
  EXPECT_EQ(dudley.rules.size(), 3u);
  EXPECT_EQ(dudley.scale.labels[1], "getting support");
  EXPECT_TRUE(dudley.threshold("not_managing")->contains(0));
  EXPECT_FALSE(dudley.threshold("not_managing")->contains(1));

  const Framework swemwbs = embedded_framework("swemwbs");
  EXPECT_EQ(swemwbs.scoring, Scoring::sum);
  ASSERT_EQ(swemwbs.conversion.size(), 29u);  // raw 7..35
  EXPECT_EQ(swemwbs.conversion.front(), 7.00);
  EXPECT_EQ(swemwbs.conversion[8 - 7], 9.51);
  EXPECT_EQ(swemwbs.conversion[17 - 7], 16.88);
  EXPECT_EQ(swemwbs.conversion.back(), 35.00);
  EXPECT_EQ(swemwbs.threshold("poor_wellbeing")->max, 17.0);

  const Framework ons4 = embedded_framework("ons4");
  EXPECT_EQ(ons4.scoring, Scoring::per_item);
  EXPECT_EQ(ons4.threshold("high_anxiety")->item, 3);
  EXPECT_EQ(ons4.threshold("high_anxiety")->min, 6.0);
  EXPECT_EQ(ons4.threshold("low_happiness")->max, 4.0);
  EXPECT_THROW(embedded_framework("nonesuch"), InputError);
}

TEST(OutcomeFramework, RejectsMalformedDocumentsNamingTheFileAndKey) {
  auto message = [](const std::string& text) {
    return error_of([&] { framework_from_json(text, "mine.json"); });
  };
  EXPECT_NE(message("{").find("mine.json: malformed JSON"), std::string::npos);
  EXPECT_EQ(message("[]"), "mine.json: a framework must be a JSON object");
  const std::string scale = R"("scale": {"min": 0, "max": 2}, )";
  const std::string domains =
      R"("domains": [{"id": "a", "name": "A", "indicators": [{"id": "x", "text": "X"}]}], )";
  const std::string thresholds =
      R"("thresholds": [{"id": "not_managing", "max": 0}, {"id": "managing", "min": 2}])";
  const std::string head = R"({"id": "f", "name": "F", "kind": "domains", )";
  EXPECT_EQ(message(head + scale + domains + R"("rule": "worst", )" + thresholds + "}"),
            "no error");
  EXPECT_EQ(message(R"({"name": "F"})"), "mine.json.id: is required");
  EXPECT_EQ(message(head + R"("scale": {"min": 2, "max": 2}})"),
            "mine.json.scale.max: must be above scale.min");
  EXPECT_EQ(message(head + R"("scale": {"min": 0, "max": 2, "labels": {"3": "x"}}})"),
            "mine.json.scale.labels.3: is not a step of the scale");
  EXPECT_EQ(message(head + scale + domains + R"("rule": "median", )" + thresholds + "}"),
            "mine.json.rule: unknown rule 'median' (expected worst, best or mean_rounded_down)");
  EXPECT_EQ(message(head + scale + domains + R"("rule": "worst"})"),
            "mine.json.thresholds: a domain framework needs the threshold 'not_managing'");
  EXPECT_EQ(message(head + scale +
                    R"("domains": [{"id": "a", "name": "A", "indicators": [{"id": "x", "text": "X"},
                  {"id": "x", "text": "Y"}]}], "rule": "worst", )" +
                    thresholds + "}"),
            "mine.json.domains[0].indicators: repeats the id 'x'");
  EXPECT_EQ(message(head + scale + R"("domains": [{"id": "a", "name": "A"}]})"),
            "mine.json.domains[0].indicators: is required");

  const std::string questionnaire =
      R"({"id": "q", "name": "Q", "kind": "questionnaire", "scale": {"min": 1, "max": 2},
          "items": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}], )";
  EXPECT_EQ(message(questionnaire + R"("scoring": {"method": "sum", "conversion": {"source": "s",
              "table": {"2": 1.0, "3": 2.0}}}})"),
            "mine.json.scoring.conversion.table: has no score for the raw sum 4");
  EXPECT_EQ(message(questionnaire + R"("scoring": {"method": "sum", "conversion": {"source": "s",
              "table": {"2": 1.0, "3": 2.0, "4": 3.0, "5": 4.0}}}})"),
            "mine.json.scoring.conversion.table.5: is not a raw sum between 2 and 4");
  EXPECT_EQ(message(questionnaire + R"("scoring": {"method": "average"}})"),
            "mine.json.scoring.method: must be 'sum' or 'per_item'");
  EXPECT_EQ(message(questionnaire + R"("scoring": {"method": "per_item"},
              "thresholds": [{"id": "low", "item": "c", "max": 1}]})"),
            "mine.json.thresholds[0].item: unknown item 'c'");
  EXPECT_EQ(message(questionnaire + R"("scoring": {"method": "per_item"},
              "thresholds": [{"id": "low", "max": 1}]})"),
            "mine.json.thresholds[0].item: is required: items scored one by one have no total "
            "score");
}

TEST(OutcomeFramework, ResolvesItemsAndAppendsUnlistedIndicators) {
  Framework dudley = embedded_framework("dudley7");
  EXPECT_EQ(resolve_item(dudley, "finance.enough_money"), kEnoughMoney);
  EXPECT_EQ(resolve_item(dudley, "mental_health.coping"), kCoping);
  EXPECT_EQ(resolve_item(dudley, "finance.pension"), 15);
  EXPECT_EQ(resolve_item(dudley, "finance.pension"), 15);
  EXPECT_FALSE(dudley.indicators[15].listed);
  EXPECT_EQ(dudley.indicators[15].domain, 0);
  EXPECT_EQ(resolve_item(dudley, "transport.bus"), kUnknownItem);
  EXPECT_EQ(resolve_item(dudley, "finance"), kUnknownItem);
  EXPECT_EQ(resolve_item(dudley, "finance."), kUnknownItem);
  EXPECT_EQ(dudley.indicators.size(), 16u);

  Framework swemwbs = embedded_framework("swemwbs");
  EXPECT_EQ(resolve_item(swemwbs, "q3"), 2);
  EXPECT_EQ(resolve_item(swemwbs, "swemwbs.q3"), 2);
  EXPECT_EQ(resolve_item(swemwbs, "q8"), kUnknownItem);
  EXPECT_EQ(swemwbs.indicators.size(), 7u);
}

// The DESIGN's worked case: 100 clients not managing before and 19 after is exactly 81%.
TEST(DomainOutcomes, HundredNotManagingToNineteenIsAnEightyOnePercentReduction) {
  Rows rows;
  for (std::int32_t c = 0; c < 100; ++c) {
    rows.add(c, 1000, kBaseline, kEnoughMoney, 0);
    rows.add(c, 1100, kFinal, kEnoughMoney, c < 19 ? 0 : 2);
  }
  const DomainOutcomes out = domain_outcomes(embedded_framework("dudley7"), rows.view(), 100);
  const DomainOutcome& finance = out.domains[0];
  EXPECT_EQ(finance.clients, 100);
  EXPECT_EQ(finance.not_managing_pre, 100);
  EXPECT_EQ(finance.not_managing_post, 19);
  EXPECT_EQ(finance.pct_reduction_not_managing, 81.0);  // exactly
  EXPECT_EQ(finance.managing_pre, 0);
  EXPECT_EQ(finance.managing_post, 81);
  EXPECT_FALSE(finance.pct_increase_managing);  // undefined, not infinite
  EXPECT_EQ(finance.transitions, (std::vector<std::int64_t>{19, 0, 81, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(finance.greatest_improvement, kEnoughMoney);
  EXPECT_EQ(out.excluded.paired, 100);
}

// Seven clients; mental health rated on two indicators.
//   c0: baseline day 100 optimistic 0, coping 1 (worst 0); another baseline on day 120
//       (ignored: the earliest counts); review day 150; final day 200: 2, 2 (worst 2)
//   c1: baseline 1, 2 (worst 1); final day 200: 2, 0 (worst 0)
//   c2: baseline 2, 2; review day 180: 2, 2; housing rated at baseline only
//   c3 baseline only, c4 review only, c5 review before baseline, c6 no assessment.
Rows seven_clients() {
  Rows rows;
  rows.add(0, 100, kBaseline, kOptimistic, 0);
  rows.add(0, 100, kBaseline, kCoping, 1);
  rows.add(0, 120, kBaseline, kOptimistic, 2);
  rows.add(0, 150, kReview, kOptimistic, 0);
  rows.add(0, 200, kFinal, kOptimistic, 2);
  rows.add(0, 200, kFinal, kCoping, 2);
  rows.add(1, 100, kBaseline, kOptimistic, 1);
  rows.add(1, 100, kBaseline, kCoping, 2);
  rows.add(1, 200, kFinal, kOptimistic, 2);
  rows.add(1, 200, kFinal, kCoping, 0);
  rows.add(2, 100, kBaseline, kOptimistic, 2);
  rows.add(2, 100, kBaseline, kCoping, 2);
  rows.add(2, 100, kBaseline, kKeepUpRent, 1);
  rows.add(2, 180, kReview, kOptimistic, 2);
  rows.add(2, 180, kReview, kCoping, 2);
  rows.add(3, 100, kBaseline, kOptimistic, 1);
  rows.add(4, 150, kReview, kOptimistic, 1);
  rows.add(5, 100, kBaseline, kOptimistic, 1);
  rows.add(5, 90, kReview, kOptimistic, 2);
  return rows;
}

TEST(DomainOutcomes, WorstRuleByHand) {
  const Rows rows = seven_clients();
  const DomainOutcomes out = domain_outcomes(embedded_framework("dudley7"), rows.view(), 7);
  EXPECT_EQ(out.rule, DomainRule::worst);
  EXPECT_EQ(out.steps, 3);
  const DomainOutcome& mental = out.domains[2];
  EXPECT_EQ(mental.clients, 3);
  EXPECT_EQ(mental.not_managing_pre, 1);   // c0
  EXPECT_EQ(mental.not_managing_post, 1);  // c1
  EXPECT_EQ(mental.pct_reduction_not_managing, 0.0);
  EXPECT_EQ(mental.managing_pre, 1);   // c2
  EXPECT_EQ(mental.managing_post, 2);  // c0, c2
  EXPECT_EQ(mental.pct_increase_managing, 100.0);
  // 0 -> 2 (c0), 1 -> 0 (c1), 2 -> 2 (c2)
  EXPECT_EQ(mental.transitions, (std::vector<std::int64_t>{0, 0, 1, 1, 0, 0, 0, 0, 1}));
  // optimistic: 2 of 3 improved, none worsened; coping: 1 improved, 1 worsened.
  EXPECT_EQ(out.indicators[kOptimistic].paired, 3);
  EXPECT_EQ(out.indicators[kOptimistic].improved, 2);
  EXPECT_EQ(out.indicators[kOptimistic].worsened, 0);
  EXPECT_NEAR(*out.indicators[kOptimistic].net_improved(), 200.0 / 3, 1e-12);
  EXPECT_EQ(out.indicators[kCoping].net_improved(), 0.0);
  EXPECT_FALSE(out.indicators[kEnoughMoney].net_improved());
  EXPECT_EQ(mental.greatest_improvement, kOptimistic);

  const DomainOutcome& housing = out.domains[4];
  EXPECT_EQ(housing.clients, 0);
  EXPECT_EQ(housing.rated_baseline_only, 1);
  EXPECT_FALSE(housing.pct_reduction_not_managing);
  EXPECT_EQ(housing.greatest_improvement, -1);

  EXPECT_EQ(out.excluded.not_assessed, 1);
  EXPECT_EQ(out.excluded.baseline_only, 1);
  EXPECT_EQ(out.excluded.follow_up_only, 1);
  EXPECT_EQ(out.excluded.follow_up_not_after_baseline, 1);
  EXPECT_EQ(out.excluded.paired, 3);
}

TEST(DomainOutcomes, DeclaredAlternativeRules) {
  const Rows rows = seven_clients();
  const Framework dudley = embedded_framework("dudley7");
  // best: c0 1 -> 2, c1 2 -> 2, c2 2 -> 2
  const DomainOutcome best = domain_outcomes(dudley, rows.view(), 7, DomainRule::best).domains[2];
  EXPECT_EQ(best.not_managing_pre, 0);
  EXPECT_FALSE(best.pct_reduction_not_managing);
  EXPECT_EQ(best.managing_pre, 2);
  EXPECT_EQ(best.managing_post, 3);
  EXPECT_EQ(best.pct_increase_managing, 50.0);
  // mean rounded down: c0 (0+1)/2 = 0 -> 2, c1 (1+2)/2 = 1 -> (2+0)/2 = 1, c2 2 -> 2
  const DomainOutcome mean =
      domain_outcomes(dudley, rows.view(), 7, DomainRule::mean_rounded_down).domains[2];
  EXPECT_EQ(mean.transitions, (std::vector<std::int64_t>{0, 0, 1, 0, 1, 0, 0, 0, 1}));
  EXPECT_EQ(mean.pct_reduction_not_managing, 100.0);
  EXPECT_EQ(mean.pct_increase_managing, 100.0);

  Framework strict = dudley;
  strict.rules = {DomainRule::worst};
  EXPECT_EQ(error_of([&] { domain_outcomes(strict, rows.view(), 7, DomainRule::best); }),
            "framework.rule: best is not a rule dudley7 declares");
  EXPECT_EQ(error_of([&] { domain_outcomes(embedded_framework("ons4"), rows.view(), 7); }),
            "framework.kind: ons4 is not a domain framework");
}

TEST(DomainOutcomes, UnlistedIndicatorsAreUsedAndReported) {
  Framework dudley = embedded_framework("dudley7");
  const std::int32_t pension = resolve_item(dudley, "finance.pension");
  Rows rows;
  rows.add(0, 10, kBaseline, pension, 0);
  rows.add(0, 20, kFinal, pension, 1);
  const DomainOutcomes out = domain_outcomes(dudley, rows.view(), 1);
  EXPECT_EQ(out.domains[0].clients, 1);
  EXPECT_EQ(out.domains[0].greatest_improvement, pension);
  EXPECT_EQ(out.indicators.size(), 16u);
}

// A user-defined five-step journey scale, in the shape of a wellbeing star.
TEST(DomainOutcomes, FiveStepJourneyScale) {
  const Framework journey = framework_from_json(R"({
    "id": "journey", "name": "Example journey", "kind": "domains",
    "scale": {"min": 1, "max": 5, "labels": {"1": "stuck", "3": "trying", "5": "self-reliant"}},
    "rule": "worst",
    "thresholds": [{"id": "not_managing", "max": 2}, {"id": "managing", "min": 4}],
    "domains": [{"id": "home", "name": "Home", "indicators": [{"id": "tidy", "text": "Tidy"}]},
                {"id": "money", "name": "Money", "indicators": [{"id": "bills", "text": "Bills"}]}]
  })");
  EXPECT_EQ(journey.scale.labels,
            (std::vector<std::string>{"stuck", "", "trying", "", "self-reliant"}));
  Rows rows;
  const double before[] = {1, 3, 2};
  const double after[] = {4, 5, 2};
  for (std::int32_t c = 0; c < 3; ++c) {
    rows.add(c, 10, kBaseline, 0, before[c]);
    rows.add(c, 40, kReview, 0, after[c]);
  }
  const DomainOutcomes out = domain_outcomes(journey, rows.view(), 3);
  EXPECT_EQ(out.steps, 5);
  const DomainOutcome& home = out.domains[0];
  std::vector<std::int64_t> expected(25, 0);
  expected[0 * 5 + 3] = 1;  // 1 -> 4
  expected[2 * 5 + 4] = 1;  // 3 -> 5
  expected[1 * 5 + 1] = 1;  // 2 -> 2
  EXPECT_EQ(home.transitions, expected);
  EXPECT_EQ(home.not_managing_pre, 2);
  EXPECT_EQ(home.not_managing_post, 1);
  EXPECT_EQ(home.pct_reduction_not_managing, 50.0);
  EXPECT_EQ(home.managing_pre, 0);
  EXPECT_EQ(home.managing_post, 2);
  EXPECT_EQ(out.domains[1].clients, 0);
  // 0 is not a step of a 1..5 scale
  rows.value[0] = 0;
  EXPECT_EQ(error_of([&] { domain_outcomes(journey, rows.view(), 3); }),
            "assessments.value row 0: value 0 of 'home.tidy' is not a step of the journey scale "
            "1..5");
}

TEST(DomainOutcomes, BadRowsAreErrorsNamingTableColumnAndRow) {
  const Framework dudley = embedded_framework("dudley7");
  auto message = [&](auto change) {
    Rows rows = seven_clients();
    change(rows);
    return error_of([&] { domain_outcomes(dudley, rows.view(), 7); });
  };
  EXPECT_EQ(message([](Rows& r) { r.value[3] = 3; }),
            "assessments.value row 3: value 3 of 'mental_health.optimistic' is not a step of the "
            "dudley7 scale 0..2");
  EXPECT_EQ(message([](Rows& r) { r.value[4] = std::nan(""); }),
            "assessments.value row 4: value nan of 'mental_health.optimistic' is not a step of the "
            "dudley7 scale 0..2");
  EXPECT_EQ(message([](Rows& r) { r.value[5] = 1.5; }),
            "assessments.value row 5: value 1.5 of 'mental_health.coping' is not a step of the "
            "dudley7 scale 0..2");
  EXPECT_EQ(message([](Rows& r) { r.timepoint[2] = 3; }),
            "assessments.timepoint row 2: unknown timepoint code 3 (0 baseline, 1 review, 2 "
            "final)");
  EXPECT_EQ(message([](Rows& r) { r.client[6] = 7; }),
            "assessments.client_id row 6: client index 7 is not in the clients table");
  EXPECT_EQ(message([](Rows& r) { r.item[1] = 15; }),
            "assessments.item row 1: unknown item code 15 for framework dudley7");
  EXPECT_EQ(message([](Rows& r) { r.date[8] = kNoDate; }), "assessments.date row 8: missing date");
  EXPECT_EQ(message([](Rows& r) { r.item[1] = kOptimistic; }),
            "assessments.item row 1: a second baseline rating of 'mental_health.optimistic' for "
            "the client on 1970-04-11");
  EXPECT_EQ(message([](Rows& r) { r.value.pop_back(); }),
            "assessments.value: has 18 rows but the table has 19");
  // The caller's own row numbers are named when given.
  EXPECT_EQ(message([](Rows& r) {
              for (std::size_t row = 0; row < r.client.size(); ++row)
                r.source_row.push_back(100 + static_cast<std::int64_t>(row));
              r.value[3] = -1;
            }),
            "assessments.value row 103: value -1 of 'mental_health.optimistic' is not a step of "
            "the dudley7 scale 0..2");
}

TEST(QuestionnaireOutcomes, SwemwbsScoresConvertedAndIncompleteQuestionnairesCounted) {
  const double nan = std::nan("");
  Rows rows;
  // c0: raw 14 (15.32) -> raw 28 (25.03)
  rows.add_all(0, 10, kBaseline, {2, 2, 2, 2, 2, 2, 2});
  rows.add_all(0, 90, kFinal, {4, 4, 4, 4, 4, 4, 4});
  // c1: raw 21 (19.25) -> raw 20 (18.59)
  rows.add_all(1, 10, kBaseline, {3, 3, 3, 3, 3, 3, 3});
  rows.add_all(1, 90, kReview, {3, 3, 3, 3, 3, 3, 2});
  // c2: raw 14 (15.32) -> raw 17 (16.88): poor both times
  rows.add_all(2, 10, kBaseline, {2, 2, 2, 2, 2, 2, 2});
  rows.add_all(2, 90, kFinal, {3, 3, 3, 2, 2, 2, 2});
  // c3: q7 missing at baseline; c4: q2 missing at follow-up
  rows.add_all(3, 10, kBaseline, {2, 2, 2, 2, 2, 2, nan});
  rows.add_all(3, 90, kFinal, {4, 4, 4, 4, 4, 4, 4});
  rows.add_all(4, 10, kBaseline, {1, 1, 1, 1, 1, 1, 1});
  rows.add_all(4, 90, kFinal, {4, nan, 4, 4, 4, 4, 4});
  // c5: baseline only
  rows.add_all(5, 10, kBaseline, {1, 1, 1, 1, 1, 1, 1});

  const QuestionnaireOutcomes out =
      questionnaire_outcomes(embedded_framework("swemwbs"), rows.view(), 6);
  ASSERT_EQ(out.scores.size(), 1u);
  EXPECT_EQ(out.scores[0].item, Threshold::kScore);
  EXPECT_EQ(out.scores[0].clients, 3);
  EXPECT_NEAR(*out.scores[0].mean_pre, (15.32 + 19.25 + 15.32) / 3, 1e-12);
  EXPECT_NEAR(*out.scores[0].mean_post, (25.03 + 18.59 + 16.88) / 3, 1e-12);
  ASSERT_EQ(out.thresholds.size(), 1u);
  EXPECT_EQ(out.thresholds[0].clients, 3);
  EXPECT_EQ(out.thresholds[0].pre, 2);
  EXPECT_EQ(out.thresholds[0].post, 1);
  EXPECT_EQ(out.thresholds[0].pct_fewer, 50.0);
  EXPECT_EQ(out.excluded.paired, 5);
  EXPECT_EQ(out.excluded.incomplete_baseline, 1);
  EXPECT_EQ(out.excluded.incomplete_follow_up, 1);
  EXPECT_EQ(out.excluded.baseline_only, 1);

  rows.value[0] = 6;
  const Framework swemwbs = embedded_framework("swemwbs");
  EXPECT_EQ(error_of([&] { questionnaire_outcomes(swemwbs, rows.view(), 6); }),
            "assessments.value row 0: value 6 of 'q1' is not a step of the swemwbs scale 1..5");
  const Framework dudley = embedded_framework("dudley7");
  EXPECT_EQ(error_of([&] { questionnaire_outcomes(dudley, rows.view(), 6); }),
            "framework.kind: dudley7 is not a questionnaire");
}

TEST(QuestionnaireOutcomes, Ons4ItemsStandAloneWithOnsThresholds) {
  const double nan = std::nan("");
  Rows rows;  // life satisfaction, worthwhile, happiness, anxiety
  rows.add_all(0, 10, kBaseline, {3, 5, 4, 7});
  rows.add_all(0, 90, kFinal, {6, 5, 4, 5});
  rows.add_all(1, 10, kBaseline, {2, 8, 9, 2});
  rows.add_all(1, 90, kFinal, {3, 9, nan, 6});
  const Framework ons4 = embedded_framework("ons4");
  const QuestionnaireOutcomes out = questionnaire_outcomes(ons4, rows.view(), 2);
  ASSERT_EQ(out.scores.size(), 4u);
  EXPECT_EQ(out.scores[0].clients, 2);
  EXPECT_EQ(out.scores[0].mean_pre, 2.5);
  EXPECT_EQ(out.scores[0].mean_post, 4.5);
  EXPECT_EQ(out.scores[2].clients, 1);  // happiness missing for c1 at follow-up
  auto at = [&](const char* id) {
    return out.thresholds[ons4.threshold(id) - ons4.thresholds.data()];
  };
  EXPECT_EQ(at("low_life_satisfaction").clients, 2);
  EXPECT_EQ(at("low_life_satisfaction").pre, 2);
  EXPECT_EQ(at("low_life_satisfaction").post, 1);
  EXPECT_EQ(at("low_life_satisfaction").pct_fewer, 50.0);
  EXPECT_EQ(at("low_worthwhile").pre, 0);
  EXPECT_FALSE(at("low_worthwhile").pct_fewer);
  EXPECT_EQ(at("low_happiness").clients, 1);
  EXPECT_EQ(at("low_happiness").pct_fewer, 0.0);
  EXPECT_EQ(at("high_anxiety").pre, 1);   // 7
  EXPECT_EQ(at("high_anxiety").post, 1);  // 6 is high
  EXPECT_EQ(out.excluded.incomplete_follow_up, 1);
  EXPECT_EQ(out.excluded.paired, 2);
}

}  // namespace
}  // namespace socialrx
