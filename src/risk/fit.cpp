#include "socialrx/risk/fit.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "detail/parallel.hpp"

namespace socialrx {

namespace {

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;
using Rows =
    Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;

// Rows per chunk: fixed, so the chunk sums, added in chunk order, are the same bits for any
// thread count. Within a chunk, blocks of rows small enough for their scaled copy to stay in L1.
constexpr std::size_t kChunkRows = 4096;
constexpr std::size_t kBlockRows = 256;

void validate_fit(RowMajor<double> x, Column<double> y, const LogisticFitOptions& options,
                  std::size_t coefficients) {
  require_rows("fit", "y", y, x.rows);
  // Rows are scanned in chunk order and the lowest failing chunk's error is rethrown, so the
  // error names the first bad row whatever the thread count.
  detail::for_each_chunk(
      x.rows, kChunkRows, options.threads, [&](std::size_t, std::size_t begin, std::size_t end) {
        for (std::size_t row = begin; row < end; ++row) {
          for (std::size_t j = 0; j < x.cols; ++j)
            if (!std::isfinite(x.row(row)[j]))
              throw InputError("fit", "x column " + std::to_string(j),
                               static_cast<std::int64_t>(row), "a finite number is required");
          if (y[row] != 0 && y[row] != 1)
            throw InputError("fit", "y", static_cast<std::int64_t>(row),
                             "outcomes must be 0 or 1, got " + std::to_string(y[row]));
        }
      });
  if (x.rows <= coefficients)
    throw InputError("fit", "x", kNoRow,
                     std::to_string(x.rows) + " rows cannot determine " +
                         std::to_string(coefficients) + " coefficients");
  if (!(options.ridge >= 0) || !std::isfinite(options.ridge))
    throw InputError("fit", "ridge", kNoRow, "must be a finite number >= 0");
  if (options.max_iterations < 1)
    throw InputError("fit", "max_iterations", kNoRow, "must be at least 1");
}

// The design matrix is x with a column of ones in front when there is an intercept; it is
// never formed: the intercept is added to (and summed from) the other columns' products.
struct Design {
  RowMajor<double> x;
  Column<double> y;
  bool intercept;
  unsigned threads;

  Rows rows(std::size_t begin, std::size_t end) const {
    return {x.row(begin), static_cast<Eigen::Index>(end - begin),
            static_cast<Eigen::Index>(x.cols)};
  }
  Vector eta(const Rows& features, const Vector& beta) const {
    Vector e = features * beta.tail(features.cols());
    if (intercept) e.array() += beta(0);
    return e;
  }
};

// The gradient X'(y - mu) and the lower triangle of X'WX at beta, W = diag(mu(1 - mu)).
struct NewtonSums {
  Vector gradient;
  Matrix hessian;
};

NewtonSums chunk_newton_sums(const Design& d, const Vector& beta, std::size_t begin,
                             std::size_t end) {
  const auto q = beta.size(), p = static_cast<Eigen::Index>(d.x.cols);
  NewtonSums s{Vector::Zero(q), Matrix::Zero(q, q)};
  Matrix scaled(kBlockRows, q);  // sqrt(w) * design rows, column-major for the rank update
  for (std::size_t b = begin; b < end; b += kBlockRows) {
    const std::size_t b_end = std::min(end, b + kBlockRows);
    const auto n = static_cast<Eigen::Index>(b_end - b);
    const Rows features = d.rows(b, b_end);
    const Vector eta = d.eta(features, beta);
    Vector residual(n), root_weight(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      const double t = std::exp(-std::fabs(eta(i)));
      const double mu = (eta(i) >= 0 ? 1.0 : t) / (1.0 + t);
      residual(i) = d.y[b + static_cast<std::size_t>(i)] - mu;
      root_weight(i) = std::sqrt(mu * (1.0 - mu));
    }
    s.gradient.tail(p).noalias() += features.transpose() * residual;
    auto block = scaled.topRows(n);
    if (d.intercept) {
      s.gradient(0) += residual.sum();
      block.col(0) = root_weight;
    }
    block.rightCols(p).noalias() = root_weight.asDiagonal() * features;
    s.hessian.selfadjointView<Eigen::Lower>().rankUpdate(block.transpose());
  }
  return s;
}

NewtonSums newton_sums(const Design& d, const Vector& beta) {
  std::vector<NewtonSums> chunk_sums((d.x.rows + kChunkRows - 1) / kChunkRows);
  detail::for_each_chunk(d.x.rows, kChunkRows, d.threads,
                         [&](std::size_t chunk, std::size_t begin, std::size_t end) {
                           chunk_sums[chunk] = chunk_newton_sums(d, beta, begin, end);
                         });
  const auto q = beta.size();
  NewtonSums total{Vector::Zero(q), Matrix::Zero(q, q)};
  for (const NewtonSums& s : chunk_sums) {
    total.gradient += s.gradient;
    total.hessian += s.hessian;
  }
  return total;
}

// sum y eta - log(1 + exp(eta)), the log(1 + exp) without overflow.
double log_likelihood(const Design& d, const Vector& beta) {
  std::vector<double> chunk_sums((d.x.rows + kChunkRows - 1) / kChunkRows, 0.0);
  detail::for_each_chunk(
      d.x.rows, kChunkRows, d.threads, [&](std::size_t chunk, std::size_t begin, std::size_t end) {
        const Vector eta = d.eta(d.rows(begin, end), beta);
        double sum = 0;
        for (Eigen::Index i = 0; i < eta.size(); ++i) {
          const double e = eta(i);
          sum += d.y[begin + static_cast<std::size_t>(i)] * e -
                 (e > 0 ? e + std::log1p(std::exp(-e)) : std::log1p(std::exp(e)));
        }
        chunk_sums[chunk] = sum;
      });
  double total = 0;
  for (double s : chunk_sums) total += s;
  return total;
}

// A start near the answer for a large table: the fit to a subsample of every m-th row of each
// outcome (about kStartRows a class, all of a rarer one), its intercept corrected for the
// classes' sampling rates (sampling by outcome shifts only the intercept, by
// log(rate_1 / rate_0)). From zero, Newton spends about six passes over the whole table only
// getting close; from here it converges in about five, and the subsample costs under one.
// Zero when the table is small or the subsample cannot be fitted: it is only a start, and the
// answer is the whole table's.
std::vector<double> starting_point(RowMajor<double> x, Column<double> y,
                                   const LogisticFitOptions& options) {
  constexpr std::size_t kStartRows = 32768;
  const std::size_t q = x.cols + (options.intercept ? 1 : 0);
  const std::size_t cases = static_cast<std::size_t>(std::count(y.begin(), y.end(), 1.0));
  const std::size_t per_class[2] = {y.size() - cases, cases};
  const std::size_t every[2] = {std::max<std::size_t>(1, per_class[0] / kStartRows),
                                std::max<std::size_t>(1, per_class[1] / kStartRows)};
  if (every[0] == 1 && every[1] == 1) return std::vector<double>(q, 0.0);
  std::vector<double> sub_x, sub_y;
  std::size_t seen[2] = {0, 0}, kept[2] = {0, 0};
  for (std::size_t row = 0; row < y.size(); ++row) {
    const std::size_t c = y[row] == 1.0;
    if (seen[c]++ % every[c] != 0) continue;
    ++kept[c];
    sub_x.insert(sub_x.end(), x.row(row), x.row(row) + x.cols);
    sub_y.push_back(y[row]);
  }
  LogisticFitOptions sub = options;
  sub.tolerance = 1e-8;
  try {
    const LogisticFit fit = fit_logistic({sub_x.data(), sub_y.size(), x.cols}, sub_y, sub);
    std::vector<double> start;
    if (options.intercept)
      start.push_back(fit.intercept - std::log(static_cast<double>(kept[1]) / per_class[1] /
                                               (static_cast<double>(kept[0]) / per_class[0])));
    start.insert(start.end(), fit.coefficients.begin(), fit.coefficients.end());
    return start;
  } catch (const InputError&) {
    return std::vector<double>(q, 0.0);
  }
}

}  // namespace

LogisticFit fit_logistic(RowMajor<double> x, Column<double> y, const LogisticFitOptions& options) {
  const std::size_t offset = options.intercept ? 1 : 0;
  const std::size_t q = x.cols + offset;
  validate_fit(x, y, options, q);
  const Design design{x, y, options.intercept, options.threads};
  Vector penalty = Vector::Constant(q, options.ridge);
  if (options.intercept) penalty(0) = 0;

  const std::vector<double> start = starting_point(x, y, options);
  Vector beta = Eigen::Map<const Vector>(start.data(), static_cast<Eigen::Index>(q));
  LogisticFit fit;
  for (fit.iterations = 1; fit.iterations <= options.max_iterations; ++fit.iterations) {
    NewtonSums sums = newton_sums(design, beta);
    sums.gradient -= (penalty.array() * beta.array()).matrix();
    sums.hessian.diagonal() += penalty;
    const Eigen::LLT<Matrix, Eigen::Lower> cholesky(sums.hessian);
    if (cholesky.info() != Eigen::Success) {
      // At the start every weight is 1/4, so a singular X'WX means collinear features; later
      // it means the weights underflowed as the coefficients ran away (separation).
      if (fit.iterations > 1) break;
      throw InputError("fit", "x", kNoRow,
                       "the features are collinear (or constant); drop one or use ridge > 0");
    }
    const Vector step = cholesky.solve(sums.gradient);
    beta += step;
    if (!beta.allFinite()) break;
    if ((step.array().abs() > options.tolerance * (1.0 + beta.array().abs())).any()) continue;
    // Converged: standard errors from this last (negligible) step's Hessian.
    const Matrix inverse = cholesky.solve(Matrix::Identity(q, q));
    for (std::size_t j = 0; j < q; ++j) fit.standard_errors.push_back(std::sqrt(inverse(j, j)));
    fit.log_likelihood = log_likelihood(design, beta);
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
