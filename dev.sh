#!/usr/bin/env bash
# One entry point that sets up everything it needs (idempotent), then runs one job:
#   ./dev.sh demo   evaluate the built-in synthetic service; out/demo.json and out/demo.html
#   ./dev.sh test   every test: C++ (ctest), the fuzz harnesses for a few minutes, Python (pytest),
#                   then ruff, mypy, the stub drift check and clang-format
#   ./dev.sh bench  the benchmarks (minutes; results to stdout)
#   ./dev.sh test-spark  the Spark tests in local mode (tests/python/test_spark*.py), apart from
#                   `test` because starting Spark takes a while; adds Java 17 and pyspark
set -euo pipefail
cd "$(dirname "$0")"
root=$PWD
venv=$root/.venv
debian_packages=(cmake ninja-build g++ python3-venv python3-dev libeigen3-dev nlohmann-json3-dev
                 libgtest-dev libbenchmark-dev chromium clang-format clang libclang-rt-14-dev)
python_packages=(pybind11 scikit-build-core numpy pandas pyarrow matplotlib scipy pytest hypothesis
                 statsmodels scikit-learn nbclient nbformat ipykernel comorbidipy "dask[dataframe]" distributed
                 ruff mypy pandas-stubs atheris
                 pybind11-stubgen==3.0.0)  # the version that wrote python/socialrx/_core.pyi

install_debian() {
  local missing=()
  for package in "${debian_packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

install_python() {
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q "${python_packages[@]}"
  # The package itself, built through scikit-build-core (incremental: build/<wheel tag>).
  "$venv/bin/python" -m pip install -q --no-build-isolation --no-deps "$root"
}

# build_cpp <preset>: configure and build the library and tests (and, for bench, the
# benchmarks) in build/<preset>, as CMakePresets.json sets them up.
build_cpp() {
  (cd "$root" && cmake --preset "$1" >/dev/null && cmake --build --preset "$1")
}

setup() {
  install_debian
  install_python
}

case "${1:-}" in
  demo)
    setup
    mkdir -p "$root/out"
    "$venv/bin/socialrx" demo --json "$root/out/demo.json" --report "$root/out/demo.html"
    ;;
  test)
    setup
    build_cpp bench
    (cd "$root" && ctest --preset bench)
    # The C++ tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
    build_cpp asan
    (cd "$root" && ctest --preset asan)
    # The Spark tests are test-spark's: they would run here too wherever pyspark is installed.
    (cd "$root" && "$venv/bin/python" -m pytest -q tests/python --ignore=tests/python/test_spark.py \
      --ignore=tests/python/test_spark_matching.py)
    # Lint, types (settings in pyproject.toml), and python/socialrx/_core.pyi against the core
    # just installed: the script sits in tools/, so `socialrx` is the installed package.
    (cd "$root" && "$venv/bin/ruff" check)
    (cd "$root" && "$venv/bin/mypy")
    (cd "$root" && "$venv/bin/python" tools/stubs.py --check)
    (cd "$root" && git ls-files -z '*.cpp' '*.hpp' | xargs -0 clang-format --dry-run --Werror)
    # The end-to-end benchmark at a smoke size: it checks socialrx against pandas, untimed.
    "$venv/bin/python" "$root/benchmarks/python/utilisation_vs_pandas.py" --smoke
    # Every fuzz harness (fuzz/README.md) from its committed corpus, after the C++ tests and
    # last, so that an input in fuzz/crashes/ not fixed yet leaves the checks above to run: the
    # libFuzzer ones 30 s each, the Python ones 20 s, two at a time. clang is required: without
    # it this fails.
    build_cpp fuzz
    "$root/fuzz/run.sh" "$root/build/fuzz" 30 20
    ;;
  bench)
    setup
    build_cpp bench
    "$root/build/bench/benchmarks/cpp/socialrx_benchmarks"
    "$venv/bin/python" "$root/benchmarks/python/utilisation_vs_pandas.py"
    ;;
  test-spark)
    debian_packages+=(openjdk-17-jre-headless)
    python_packages+=(pyspark)
    setup
    (cd "$root" && "$venv/bin/python" -m pytest -q tests/python/test_spark.py tests/python/test_spark_matching.py)
    ;;
  *)
    echo "usage: ./dev.sh demo | test | bench | test-spark" >&2
    exit 2
    ;;
esac
