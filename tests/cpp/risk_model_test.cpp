#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "socialrx/risk/fit.hpp"
#include "socialrx/risk/model.hpp"

namespace socialrx {
namespace {

// eta = -1 + 0.5 x0 + 2 x1 - 1 x2.
const char* kModel = R"({
  "name": "hand", "kind": "logistic", "outcome": "admission", "intercept": -1,
  "features": [{"name": "a", "source": "column", "column": "a"},
               {"name": "b", "source": "column", "column": "b"},
               {"name": "c", "source": "column", "column": "c"}],
  "coefficients": {"a": 0.5, "b": 2, "c": -1}})";

Model with_kind(const char* kind) {
  std::string text = kModel;
  text.replace(text.find("logistic"), 8, kind);
  return parse_model(text);
}

std::vector<double> scores(const Model& model, const std::vector<double>& x) {
  std::vector<double> out(x.size() / model.size());
  score(model, RowMajor<double>{x.data(), out.size(), model.size()}, out, 2);
  return out;
}

TEST(RiskModel, ScoresAHandExample) {
  // Row 0: eta = -1 + 1 + 2 - 0 = 2. Row 1: eta = -1 + 0 + 0 - 3 = -4.
  const std::vector<double> x{2, 1, 0, 0, 0, 3};
  const auto logistic = scores(with_kind("logistic"), x);
  EXPECT_NEAR(logistic[0], 1 / (1 + std::exp(-2.0)), 1e-15);
  EXPECT_NEAR(logistic[1], 1 / (1 + std::exp(4.0)), 1e-15);
  EXPECT_EQ(scores(with_kind("linear"), x), (std::vector<double>{2, -4}));
  const auto poisson = scores(with_kind("poisson"), x);
  EXPECT_DOUBLE_EQ(poisson[0], std::exp(2.0));
  const std::vector<float> xf(x.begin(), x.end());
  std::vector<double> out(2);
  score(with_kind("linear"), RowMajor<float>{xf.data(), 2, 3}, out);
  EXPECT_EQ(out, (std::vector<double>{2, -4}));
}

TEST(RiskModel, SigmoidIsSafeAtTheExtremes) {
  // eta = +-1000 and +-1e308 / 2 (x0 = 2 eta).
  const std::vector<double> x{2002, 0, 0, -1998, 0, 0, 1e308, 0, 0, -1e308, 0, 0};
  const auto p = scores(with_kind("logistic"), x);
  EXPECT_EQ(p[0], 1.0);
  EXPECT_EQ(p[1], 0.0);
  EXPECT_EQ(p[2], 1.0);
  EXPECT_EQ(p[3], 0.0);
  for (double v : p) EXPECT_FALSE(std::isnan(v));
  const std::vector<double> small{-60, 0, 0};  // eta = -31: tiny but not flushed to zero
  EXPECT_NEAR(scores(with_kind("logistic"), small)[0] / std::exp(-31.0), 1.0, 1e-12);
}

TEST(RiskModel, PoissonOverflowIsAnErrorNamingTheRow) {
  const std::vector<double> x{0, 0, 0, 2000, 0, 0};
  try {
    scores(with_kind("poisson"), x);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.row(), 1);
  }
}

TEST(RiskModel, NanIsAnErrorNamingTheRowAndFeature) {
  std::vector<double> x(3 * 1000, 0.0);
  x[3 * 777 + 2] = NAN;
  try {
    scores(with_kind("logistic"), x);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.row(), 777);
    EXPECT_EQ(e.column(), "c");
  }
  const std::vector<double> two_columns{1, 2};
  std::vector<double> out(1);
  EXPECT_THROW(score(with_kind("linear"), RowMajor<double>{two_columns.data(), 1, 2}, out),
               InputError);
}

void expect_malformed(const std::string& text, const std::string& key) {
  try {
    parse_model(text);
    FAIL() << "accepted " << text;
  } catch (const InputError& e) {
    EXPECT_EQ(e.table(), "model");
    EXPECT_EQ(e.column(), key) << e.what();
  }
}

TEST(RiskModel, MalformedJsonNamesTheKey) {
  const std::string base = kModel;
  auto edit = [&](const std::string& from, const std::string& to) {
    std::string text = base;
    text.replace(text.find(from), from.size(), to);
    return text;
  };
  expect_malformed("{not json", "");
  expect_malformed(edit("\"kind\": \"logistic\"", "\"kind\": \"probit\""), "kind");
  expect_malformed(edit("\"intercept\": -1", "\"intercept\": \"x\""), "intercept");
  expect_malformed(edit("\"c\": -1}", "\"c\": -1, \"d\": 1}"), "coefficients.d");
  expect_malformed(edit(", \"c\": -1}", "}"), "coefficients.c");
  expect_malformed(edit("\"source\": \"column\", \"column\": \"b\"", "\"source\": \"col\""),
                   "features[1].source");
  expect_malformed(edit("\"name\": \"b\"", "\"name\": \"a\""), "features[1].name");
  expect_malformed(edit("\"source\": \"column\", \"column\": \"c\"",
                        "\"source\": \"event_count\", \"kind\": \"ae_attendance\""),
                   "features[2].lookback_days");
}

TEST(RiskModel, JsonRoundTrip) {
  const Model model = with_kind("poisson");
  const Model again = parse_model(model_to_json(model));
  EXPECT_EQ(again.kind, ModelKind::poisson);
  EXPECT_EQ(again.coefficients, model.coefficients);
  EXPECT_EQ(model_to_json(again), model_to_json(model));
}

// Every source on three patients, with events on the look-back edges.
TEST(RiskModel, BuildsFeaturesFromPatientsAndEvents) {
  const Model model = parse_model(R"({"name": "f", "kind": "linear", "intercept": 0,
    "features": [
      {"name": "old", "source": "age_band", "band": [75, null]},
      {"name": "female", "source": "equals", "column": "sex", "value": "F"},
      {"name": "dep", "source": "deprivation", "column": "imd", "deciles": [1, 2]},
      {"name": "cci", "source": "comorbidity", "column": "cci", "at_least": 2},
      {"name": "ae", "source": "event_count", "kind": "ae_attendance", "lookback_days": 30},
      {"name": "ae_log", "source": "event_count", "kind": "ae_attendance", "lookback_days": 30,
       "transform": "log1p"}],
    "coefficients": {"old": 1, "female": 1, "dep": 1, "cci": 1, "ae": 1, "ae_log": 1}})");
  const std::vector<double> age{74.9, 75, 90}, imd{1, 3, 2}, cci{1, 2, 0};
  const std::vector<std::int32_t> sex{0, 1, 1};
  const std::vector<std::int64_t> ids{10, 20, 30};
  const std::vector<Days> as_of{100, 100, 100};
  PatientsView patients{
      3, ids, as_of, {{"age", age}, {"imd", imd}, {"cci", cci}}, {{"sex", {sex, {"M", "F"}}}}};
  // Patient 10: days 70 (edge: 100 - 30, in), 99 (in), 100 (as-of day, out), 69 (out); a GP
  // visit does not count.
  const std::vector<std::int64_t> person{10, 10, 10, 10, 10, 20};
  const std::vector<Days> date{70, 99, 100, 69, 90, 80};
  constexpr auto kGP = static_cast<std::uint8_t>(EventKind::gp_surgery);
  const std::vector<std::uint8_t> kind{0, 0, 0, 0, kGP, 0};
  const auto x = build_features(model, patients, {person, date, kind}, 2);
  const std::vector<double> expected{0, 0, 1, 0, 2, std::log1p(2.0),  //
                                     1, 1, 0, 1, 1, std::log1p(1.0),  //
                                     1, 1, 1, 0, 0, 0};
  ASSERT_EQ(x.size(), expected.size());
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(x[i], expected[i], 1e-15) << i;

  PatientsView missing = patients;
  missing.numbers.erase("imd");
  try {
    build_features(model, missing, {person, date, kind});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.column(), "imd");
  }
  const std::vector<double> bad_age{70, NAN, 80};
  PatientsView with_nan = patients;
  with_nan.numbers["age"] = bad_age;
  try {
    build_features(model, with_nan, {person, date, kind});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.column(), "age");
    EXPECT_EQ(e.row(), 1);
  }
  const std::vector<std::int64_t> stranger{10, 10, 10, 10, 10, 99};
  EXPECT_THROW(build_features(model, patients, {stranger, date, kind}), InputError);
}

TEST(RiskModel, ExplainRanksContributionsLargestFirst) {
  const Model model = with_kind("logistic");
  // Contributions: row 0 = (0.5, 2, -1); row 1 = (1, 0, 0).
  const std::vector<double> x{1, 1, 1, 2, 0, 0};
  const auto e = explain(model, RowMajor<double>{x.data(), 2, 3}, 2);
  EXPECT_EQ(e.top, 2u);
  EXPECT_EQ(e.feature, (std::vector<std::int32_t>{1, 0, 0, 1}));  // tie 0 = 0: feature order
  EXPECT_EQ(e.contribution, (std::vector<double>{2, 0.5, 1, 0}));
  EXPECT_NEAR(e.score[0], 1 / (1 + std::exp(-0.5)), 1e-15);
}

TEST(RiskModel, TopKPerGroupBreaksTiesById) {
  const std::vector<std::int32_t> group{0, 1, 0, 0, 1, 0};
  const std::vector<double> score{0.5, 0.9, 0.7, 0.5, 0.1, 0.2};
  const std::vector<std::int64_t> id{40, 1, 2, 30, 5, 6};
  EXPECT_EQ(top_k_per_group(group, 2, score, id, 3), (std::vector<std::int64_t>{2, 3, 0, 1, 4}));
}

// At the fitted coefficients the penalised score equations hold: X'(y - mu) = ridge * w.
TEST(RiskModel, FitSolvesTheScoreEquations) {
  std::vector<double> x, y;
  for (int i = 0; i < 200; ++i) {
    const double a = std::sin(i * 0.37), b = std::cos(i * 1.3);
    x.push_back(a);
    x.push_back(b);
    y.push_back((a + 0.5 * b + std::sin(i * 7.1)) > 0.2);
  }
  for (double ridge : {0.0, 3.0}) {
    const auto fit = fit_logistic(RowMajor<double>{x.data(), 200, 2}, y, {ridge});
    double g0 = 0, g1 = 0, g2 = 0;
    for (int i = 0; i < 200; ++i) {
      const double eta =
          fit.intercept + fit.coefficients[0] * x[2 * i] + fit.coefficients[1] * x[2 * i + 1];
      const double r = y[i] - 1 / (1 + std::exp(-eta));
      g0 += r, g1 += r * x[2 * i], g2 += r * x[2 * i + 1];
    }
    EXPECT_NEAR(g0, 0, 1e-9);
    EXPECT_NEAR(g1, ridge * fit.coefficients[0], 1e-9);
    EXPECT_NEAR(g2, ridge * fit.coefficients[1], 1e-9);
  }
  std::vector<double> separated_x{0, 1, 2, 3}, separated_y{0, 0, 1, 1};
  EXPECT_THROW(fit_logistic(RowMajor<double>{separated_x.data(), 4, 1}, separated_y), InputError);
  EXPECT_NO_THROW(fit_logistic(RowMajor<double>{separated_x.data(), 4, 1}, separated_y, {1.0}));
  std::vector<double> bad_y{0, 2, 1, 1};
  EXPECT_THROW(fit_logistic(RowMajor<double>{separated_x.data(), 4, 1}, bad_y), InputError);
}

// 10,000 rows are three chunks of the fit, summed in chunk order: the same bits on one thread
// or two, and the maximum-likelihood values (statsmodels' Logit on the same rows).
TEST(RiskModel, FitIsTheSameForAnyThreadCount) {
  constexpr int rows = 10'000;
  std::vector<double> x, y;
  for (int i = 0; i < rows; ++i) {
    const double a = (i * 37 % 101) / 50.0 - 1, b = (i * 53 % 97) / 48.0 - 1;
    x.insert(x.end(), {a, b, i % 7 == 0 ? 1.0 : 0.0});
    y.push_back(i * 7919 % 10 < 3 + (a > 0) + 2 * (b > 0.5));
  }
  const RowMajor<double> view{x.data(), rows, 3};
  const auto one = fit_logistic(view, y, {.threads = 1});
  const auto two = fit_logistic(view, y, {.threads = 2});
  EXPECT_EQ(one.intercept, two.intercept);
  EXPECT_EQ(one.coefficients, two.coefficients);
  EXPECT_EQ(one.standard_errors, two.standard_errors);
  EXPECT_EQ(one.log_likelihood, two.log_likelihood);
  EXPECT_NEAR(one.intercept, -0.4201298331766104, 1e-9);
  const double coefficients[] = {0.3094461386929743, 0.46940962318385915, -0.01287245776959586};
  const double standard_errors[] = {0.02237741198698767, 0.0355957112521722, 0.03574695456924425,
                                    0.05915102272693847};
  for (int j = 0; j < 3; ++j) EXPECT_NEAR(one.coefficients[j], coefficients[j], 1e-9);
  for (int j = 0; j < 4; ++j) EXPECT_NEAR(one.standard_errors[j], standard_errors[j], 1e-9);
  EXPECT_NEAR(one.log_likelihood, -6599.134719514161, 1e-8);
}

}  // namespace
}  // namespace socialrx
