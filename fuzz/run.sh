#!/usr/bin/env bash
# Runs every fuzz harness for a while against its committed corpus, two at a time, after
# the inputs of fuzz/crashes/<harness>/ (each run once, as regression tests). Fails when a
# harness crashes, reports a sanitizer error, breaks a property or does not run at all.
#   fuzz/run.sh <libFuzzer build dir> <seconds per C++ harness> <seconds per Python harness>
# New corpus entries go to a scratch directory that is removed afterwards, and an input that
# fails to <build dir>/artifacts/; PYTHON (default .venv/bin/python) runs the Python harnesses.
# Paths must not hold spaces (xargs splits them).
set -euo pipefail
fuzz=$(realpath "$(dirname "$0")")

# run_harness <name> <seconds> <command...>: one harness, its log shown only if it fails.
run_harness() {
  local name=$1 seconds=$2
  shift 2
  local options=(-timeout=10 -print_final_stats=1)
  case $name in  # the shipped code lists are longer than other inputs
    comorbidity_map) options+=(-max_len=12288 -dict="$fuzz/json.dict") ;;
    tariff | framework | risk_model | python_json_loaders) options+=(-max_len=4096 -dict="$fuzz/json.dict") ;;
    *) options+=(-max_len=4096) ;;
  esac
  local scratch=$SOCIALRX_FUZZ_SCRATCH/$name log=$SOCIALRX_FUZZ_SCRATCH/$name.log
  mkdir -p "$scratch"
  local regressions=("$fuzz/crashes/$name"/*)
  if [ -e "${regressions[0]}" ] && ! "$@" "${options[@]}" "${regressions[@]}" >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "fuzz: $name crashes on an input in fuzz/crashes/$name" >&2
    return 1
  fi
  if ! "$@" "${options[@]}" -max_total_time="$seconds" \
    -artifact_prefix="$SOCIALRX_FUZZ_ARTIFACTS/$name-" "$scratch" "$fuzz/corpus/$name" >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "fuzz: $name failed; the input is in $SOCIALRX_FUZZ_ARTIFACTS" >&2
    return 1
  fi
  echo "fuzz: $name $(grep -o 'number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$') runs"
}

if [ "${1:-}" = harness ]; then  # one job of the pool below
  shift
  run_harness "$@"
  exit
fi

build=$(realpath "$1")  # before anything changes directory
cpp_seconds=$2
python_seconds=$3
python=${PYTHON:-$fuzz/../.venv/bin/python}
SOCIALRX_FUZZ_SCRATCH=$(mktemp -d)
SOCIALRX_FUZZ_ARTIFACTS=$build/artifacts
export SOCIALRX_FUZZ_SCRATCH SOCIALRX_FUZZ_ARTIFACTS
mkdir -p "$SOCIALRX_FUZZ_ARTIFACTS"
trap 'rm -rf "$SOCIALRX_FUZZ_SCRATCH"' EXIT

jobs=()
for harness in "$build"/fuzz/fuzz_*; do
  name=${harness##*/fuzz_}
  jobs+=("$name $cpp_seconds $harness")
done
for script in "$fuzz"/python/fuzz_*.py; do
  name=${script##*/fuzz_}
  jobs+=("python_${name%.py} $python_seconds $python $script")
done
printf '%s\n' "${jobs[@]}" | xargs -P 2 -L 1 "$0" harness
