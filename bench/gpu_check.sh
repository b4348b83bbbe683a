#!/usr/bin/env bash
# The whole GPU check of issue 13 in one command, for a session whose device time is short (15 minutes):
# versions, every `gpu` test, the robustness sweep on CUDA tensors, kernel launches per step, compare.py --cuda
# and the project's GPU benchmarks. Each stage runs under `timeout`, so one hang cannot eat the budget; every log
# goes under $OUT (default ./gpu_out), at most 8 files (what the device tool brings back); the summary is printed
# last.
#
#   OUT=/tmp/gpu bash bench/gpu_check.sh             run every stage (exit 2 at once when no GPU is usable)
#   bash bench/gpu_check.sh --dry-run                print what each stage would run, without a GPU
#   GPU_CHECK_STAGES=tests,sweep bash bench/gpu_check.sh    only those stages (a second, shorter run)
#
# Stages and their time limits in seconds (override with the variable named):
#   tests    180  GPU_CHECK_T_TESTS     python -m pytest -m gpu -x (per-test limit GPU_CHECK_T_TEST, 60, through
#                                       pytest-timeout when installed; GPU_CHECK_MAXFAIL=N: go on to N failures),
#                                       as GPU_CHECK_SHARDS processes (default nproc/2, 1 to 8; -x is per process)
#   sweep     90  GPU_CHECK_T_SWEEP     LEGONN_SWEEP_DEVICE=cuda: the robustness sweeps (nn, cudnn, fbnn, inn) on the GPU
#                                       (as GPU_CHECK_SHARDS processes too)
#   launches  45  GPU_CHECK_T_LAUNCHES  bench/gpu_launches.py: kernel launches per training step, W1/W2/W3
#   compare  100  GPU_CHECK_T_COMPARE   compare.py --cuda (COMPARE=path, else ../shared or ./shared/bench/compare.py;
#                                       COMPARE_ARGS, default '--steps 20 --repeats 3')
#   bench    120  GPU_CHECK_T_BENCH     bench/gpu_capture.py (captured step vs eager vs PyTorch), gpu_memory.py,
#                                       bench/lenet.py, bench/lstm.py, bench/mlp.py with --cuda
# PYTHON picks the interpreter (default .venv/bin/python when present, else python3); the tree is put on
# PYTHONPATH, so legonn need not be installed. CuPy: cupy-cuda12x is pip-installed only if `import cupy` fails
# and a driver answers.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
OUT=${OUT:-$ROOT/gpu_out}
mkdir -p "$OUT"
if [ -n "${PYTHON:-}" ]; then PY=$PYTHON
elif [ -x "$ROOT/.venv/bin/python" ]; then PY=$ROOT/.venv/bin/python
else PY=python3
fi
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
DRY=0
for arg in "$@"; do
  case $arg in
    --dry-run) DRY=1 ;;
    -h|--help) sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu_check.sh: unknown argument '$arg' (expected --dry-run or --help)" >&2; exit 64 ;;
  esac
done
STAGES=",${GPU_CHECK_STAGES:-tests,sweep,launches,compare,bench},"
SUMMARY=$OUT/summary.txt
: > "$SUMMARY"

note() { echo "$*" | tee -a "$SUMMARY"; }
wants() { [[ $STAGES == *",$1,"* ]]; }

note "gpu_check.sh $(date -u '+%Y-%m-%d %H:%M UTC') in $ROOT, logs in $OUT$([ $DRY = 1 ] && echo ' (dry run)')"
note "python: $($PY -c 'import sys; print(sys.version.split()[0], sys.executable)' 2>&1)"

# ---------------------------------------------------------------------------------------------- versions
if command -v nvidia-smi >/dev/null 2>&1; then
  note "gpu: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -n 1)"
else
  note "gpu: nvidia-smi not found"
fi
note "nvcc: $(nvcc --version 2>/dev/null | grep -o 'release [0-9.]*' || echo 'not found')"
# ---------------------------------------------------------------------------------------------- CuPy
# installed only where a driver is (nvidia-smi answers) and `import cupy` fails: on a machine without a GPU it
# could not run anyway
if ! $PY -c 'import cupy' >/dev/null 2>&1; then
  if ! nvidia-smi >/dev/null 2>&1; then
    note "cupy: not importable, and no NVIDIA driver answers: not installing it"
  elif [ $DRY = 1 ]; then
    note "cupy: not importable; a real run would try: $PY -m pip install cupy-cuda12x"
  else
    note "cupy: not importable; trying pip install cupy-cuda12x (120 s at most)"
    if timeout 120 $PY -m pip install -q --retries 1 --timeout 20 cupy-cuda12x >"$OUT/pip.txt" 2>&1; then
      note "cupy: installed cupy-cuda12x"
    else
      note "cupy: pip install cupy-cuda12x FAILED (no network or no index here?): $(tail -n 2 "$OUT/pip.txt" | tr '\n' ' ')"
    fi
    rm -f "$OUT/pip.txt"
  fi
fi
note "$($PY - <<'EOF' 2>&1
try:
    import cupy
    rt = cupy.cuda.runtime
    print(f"cupy: {cupy.__version__}, CUDA runtime {rt.runtimeGetVersion()}, driver API {rt.driverGetVersion()}")
except Exception as e:  # noqa: BLE001 - reported, not raised: the stages below say what it stops
    print(f"cupy: unavailable ({type(e).__name__}: {str(e)[:200]})")
try:
    import torch
    print(f"torch: {torch.__version__}, CUDA {torch.version.cuda}, device available {torch.cuda.is_available()}")
except Exception as e:  # noqa: BLE001
    print(f"torch: unavailable ({type(e).__name__}: {str(e)[:200]})")
EOF
)"
GPU_REASON=$($PY -c '
import legonn.tensor.backend as b
try:
    cp = b.cupy()
    print("ok", cp.cuda.runtime.getDeviceProperties(0)["name"].decode())
except (ImportError, RuntimeError) as e:
    print("no", e)' 2>&1 | tail -n 1)
if [[ $GPU_REASON == ok* ]]; then
  note "legonn sees the GPU: ${GPU_REASON#ok }"
elif [ $DRY = 1 ]; then
  note "no usable GPU (${GPU_REASON#no }); dry run: listing the stages only"
else
  note "NO USABLE GPU: ${GPU_REASON#no }"
  note "gpu_check.sh stops here: run it on the device machine, or with --dry-run to see the stages"
  exit 2
fi

# ---------------------------------------------------------------------------------------------- stages
RESULTS=()

junit_counts() {   # tests/failures/errors/skipped of a junit xml, or why there are none
  $PY - "$1" <<'EOF' 2>/dev/null || echo "no junit report"
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == 'testsuite' else list(root)
total = {k: sum(int(s.get(k, 0)) for s in suites) for k in ('tests', 'failures', 'errors', 'skipped')}
passed = total['tests'] - total['failures'] - total['errors'] - total['skipped']
print(f"{passed} passed, {total['failures']} failed, {total['errors']} errors, {total['skipped']} skipped")
EOF
}

# run_stage NAME LIMIT LOG COMMAND...: run COMMAND under `timeout LIMIT` (its output appended to LOG and shown)
run_stage() {
  local name=$1 limit=$2 log=$3
  shift 3
  if [ $DRY = 1 ]; then
    note "[$name] would run (limit ${limit}s, log $log): $*"
    RESULTS+=("$name: dry run")
    return 0
  fi
  echo "=== [$name] $* (limit ${limit}s)" | tee -a "$log"
  local start=$SECONDS rc
  # SIGINT first: pytest then still prints its failures and writes its junit report (counts of a partial run)
  timeout -s INT --kill-after=15 "$limit" "$@" 2>&1 | tee -a "$log"
  rc=${PIPESTATUS[0]}
  local took=$((SECONDS - start)) status
  case $rc in
    0) status=ok ;;
    124|137) status="TIMED OUT after ${limit}s" ;;
    *) status="FAILED (exit $rc)" ;;
  esac
  RESULTS+=("$name: $status in ${took}s")
  return 0
}

if $PY -c 'import pytest_timeout' >/dev/null 2>&1; then
  PER_TEST=(--timeout "${GPU_CHECK_T_TEST:-60}")
else
  PER_TEST=()
  note "pytest-timeout not installed: each pytest stage has only its whole-stage limit"
fi

FAILFAST=(-x)
[ -n "${GPU_CHECK_MAXFAIL:-}" ] && FAILFAST=(--maxfail "$GPU_CHECK_MAXFAIL")
# the gpu tests as GPU_CHECK_SHARDS pytest processes side by side (bench/gpu_shards.py; default: one per two
# cores, at most 8): their time is mostly host work, and the device has 16 cores
SHARDS=${GPU_CHECK_SHARDS:-$(( $(nproc) / 2 > 8 ? 8 : ($(nproc) / 2 < 1 ? 1 : $(nproc) / 2) ))}
if wants tests; then
  run_stage tests "${GPU_CHECK_T_TESTS:-180}" "$OUT/tests.log" \
    $PY bench/gpu_shards.py "$SHARDS" --junitxml="$OUT/gpu.xml" -- \
    -m gpu -q "${FAILFAST[@]}" -o addopts= -p no:cacheprovider "${PER_TEST[@]}" tests
  [ $DRY = 1 ] || RESULTS[-1]+=" -- $(junit_counts "$OUT/gpu.xml")"
fi

if wants sweep; then
  run_stage sweep "${GPU_CHECK_T_SWEEP:-90}" "$OUT/sweep.log" \
    env LEGONN_SWEEP_DEVICE=cuda $PY bench/gpu_shards.py "$SHARDS" --junitxml="$OUT/sweep.xml" -- \
    -q -o addopts= -p no:cacheprovider "${PER_TEST[@]}" tests/robustness/test_sweep.py tests/robustness/test_sweep_cudnn.py \
    tests/robustness/test_sweep_fbnn.py tests/test_inn.py -k "sweep or bad_input"
  [ $DRY = 1 ] || RESULTS[-1]+=" -- $(junit_counts "$OUT/sweep.xml")"
fi

if wants launches; then
  run_stage launches "${GPU_CHECK_T_LAUNCHES:-45}" "$OUT/launches.log" $PY bench/gpu_launches.py
fi

if wants compare; then
  COMPARE=${COMPARE:-}
  if [ -z "$COMPARE" ]; then
    for candidate in ../shared/bench/compare.py shared/bench/compare.py; do
      [ -f "$candidate" ] && { COMPARE=$candidate; break; }
    done
  fi
  if [ -n "$COMPARE" ] && [ -f "$COMPARE" ]; then
    # shellcheck disable=SC2086  (COMPARE_ARGS is a list of words)
    run_stage compare "${GPU_CHECK_T_COMPARE:-100}" "$OUT/compare.log" \
      $PY "$COMPARE" --cuda ${COMPARE_ARGS:---steps 20 --repeats 3}
    [ $DRY = 1 ] || RESULTS[-1]+=" -- $(grep '^compare:' "$OUT/compare.log" | tail -n 1)"
  else
    note "[compare] compare.py not found (../shared does not travel to the device: copy it to ./shared/bench/,"
    note "          with ../shared/data for MNIST, or set COMPARE=path)"
    RESULTS+=("compare: SKIPPED, compare.py not found")
  fi
fi

if wants bench; then
  run_stage bench "${GPU_CHECK_T_BENCH:-120}" "$OUT/bench.log" bash -c "failed=0
    $PY bench/gpu_capture.py || failed=1
    $PY bench/gpu_memory.py || failed=1
    $PY bench/lenet.py --cuda --no-cpu --batch 64 --rounds 2 --blocks 3 --steps 10 || failed=1
    $PY bench/lstm.py --cuda --repeats 5 || failed=1
    $PY bench/mlp.py --cuda --rounds 3 || failed=1
    exit \$failed"
fi

# ---------------------------------------------------------------------------------------------- summary
note ""
note "summary (stage: result; logs in $OUT):"
for line in "${RESULTS[@]}"; do note "  $line"; done
