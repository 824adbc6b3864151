#pragma once
// Logistic regression fitted by iteratively reweighted least squares (Newton-Raphson on the
// log-likelihood), with an optional ridge penalty.
//
// Maximises  sum_i [y_i eta_i - log(1 + exp(eta_i))] - ridge/2 * sum_j w_j^2,
// eta_i = b + x_i . w; the intercept b is never penalised. Each step solves
// (X'WX + ridge*P) delta = X'(y - mu) - ridge*P*beta by Cholesky (LLT), W = diag(mu(1 - mu)).
// Converged when the largest step |delta_j| <= tolerance * (1 + |beta_j|) for every j;
// not converging within max_iterations (typically perfect separation) is an InputError that
// suggests a ridge penalty. With ridge = 0 the coefficients are the maximum-likelihood ones
// (those of statsmodels' Logit). The sums over rows run in fixed chunks of rows, added in
// chunk order, so the result is the same bits for any number of threads.
#include <cstdint>
#include <vector>

#include "socialrx/risk/model.hpp"

namespace socialrx {

struct LogisticFitOptions {
  double ridge = 0;
  bool intercept = true;
  int max_iterations = 100;
  double tolerance = 1e-12;
  unsigned threads = 0;  // 0: one per hardware thread; the result is the same for any number
};

struct LogisticFit {
  double intercept = 0;
  std::vector<double> coefficients;     // one per column of x
  std::vector<double> standard_errors;  // intercept first when fitted; sqrt(diag(H^-1))
  double log_likelihood = 0;
  int iterations = 0;
};

// x: rows x p features (row-major), y: 0/1 outcomes. Non-finite features, outcomes other
// than 0/1, fewer rows than coefficients and collinear features are InputErrors.
LogisticFit fit_logistic(RowMajor<double> x, Column<double> y,
                         const LogisticFitOptions& options = {});

}  // namespace socialrx
