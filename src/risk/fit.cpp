#include "socialrx/risk/fit.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <cmath>
#include <string>

namespace socialrx {

namespace {

void validate_fit(RowMajor<double> x, Column<double> y, const LogisticFitOptions& options,
                  std::size_t coefficients) {
  require_rows("fit", "y", y, x.rows);
  for (std::size_t row = 0; row < x.rows; ++row) {
    for (std::size_t j = 0; j < x.cols; ++j)
      if (!std::isfinite(x.row(row)[j]))
        throw InputError("fit", "x column " + std::to_string(j), static_cast<std::int64_t>(row),
                         "a finite number is required");
    if (y[row] != 0 && y[row] != 1)
      throw InputError("fit", "y", static_cast<std::int64_t>(row),
                       "outcomes must be 0 or 1, got " + std::to_string(y[row]));
  }
  if (x.rows <= coefficients)
    throw InputError("fit", "x", kNoRow,
                     std::to_string(x.rows) + " rows cannot determine " +
                         std::to_string(coefficients) + " coefficients");
  if (!(options.ridge >= 0) || !std::isfinite(options.ridge))
    throw InputError("fit", "ridge", kNoRow, "must be a finite number >= 0");
  if (options.max_iterations < 1)
    throw InputError("fit", "max_iterations", kNoRow, "must be at least 1");
}

// log(1 + exp(eta)) without overflow.
double log1p_exp(double eta) {
  return eta > 0 ? eta + std::log1p(std::exp(-eta)) : std::log1p(std::exp(eta));
}

}  // namespace

LogisticFit fit_logistic(RowMajor<double> x, Column<double> y, const LogisticFitOptions& options) {
  const std::size_t offset = options.intercept ? 1 : 0;
  const std::size_t q = x.cols + offset;
  validate_fit(x, y, options, q);
  using Matrix = Eigen::MatrixXd;
  using Vector = Eigen::VectorXd;
  const Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>
      features(x.data, static_cast<Eigen::Index>(x.rows), static_cast<Eigen::Index>(x.cols));
  Matrix design(x.rows, q);
  if (options.intercept) design.col(0).setOnes();
  design.rightCols(x.cols) = features;
  const Eigen::Map<const Vector> outcome(y.data(), static_cast<Eigen::Index>(y.size()));
  Vector penalty = Vector::Constant(q, options.ridge);
  if (options.intercept) penalty(0) = 0;

  Vector beta = Vector::Zero(q);
  Matrix hessian(q, q);
  LogisticFit fit;
  for (fit.iterations = 1; fit.iterations <= options.max_iterations; ++fit.iterations) {
    const Vector eta = design * beta;
    const Vector mu = eta.unaryExpr([](double e) {
      const double t = std::exp(-std::fabs(e));
      return (e >= 0 ? 1.0 : t) / (1.0 + t);
    });
    const Vector weight = mu.array() * (1.0 - mu.array());
    const Vector gradient =
        design.transpose() * (outcome - mu) - (penalty.array() * beta.array()).matrix();
    hessian.setZero();
    hessian.selfadjointView<Eigen::Lower>().rankUpdate(
        (design.array().colwise() * weight.array().sqrt()).matrix().transpose());
    hessian.diagonal() += penalty;
    const Eigen::LLT<Matrix, Eigen::Lower> cholesky(hessian);
    if (cholesky.info() != Eigen::Success) {
      // At the start every weight is 1/4, so a singular X'WX means collinear features; later
      // it means the weights underflowed as the coefficients ran away (separation).
      if (fit.iterations > 1) break;
      throw InputError("fit", "x", kNoRow,
                       "the features are collinear (or constant); drop one or use ridge > 0");
    }
    const Vector step = cholesky.solve(gradient);
    beta += step;
    if (!beta.allFinite()) break;
    if ((step.array().abs() > options.tolerance * (1.0 + beta.array().abs())).any()) continue;
    // Converged: standard errors from this last (negligible) step's Hessian.
    const Matrix inverse = cholesky.solve(Matrix::Identity(q, q));
    for (std::size_t j = 0; j < q; ++j) fit.standard_errors.push_back(std::sqrt(inverse(j, j)));
    const Vector final_eta = design * beta;
    for (Eigen::Index i = 0; i < final_eta.size(); ++i)
      fit.log_likelihood += outcome(i) * final_eta(i) - log1p_exp(final_eta(i));
    fit.intercept = options.intercept ? beta(0) : 0.0;
    fit.coefficients.assign(beta.data() + offset, beta.data() + q);
    return fit;
  }
  throw InputError("fit", "y", kNoRow,
                   "did not converge in " + std::to_string(options.max_iterations) +
                       " iterations (the outcome may be perfectly separated by the features); "
                       "try ridge > 0");
}

}  // namespace socialrx
