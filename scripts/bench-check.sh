#!/usr/bin/env bash
# Benchmarks `seal-guard check --format json` against ripgrep on the shared
# generated corpus, and proves the findings right.
#
#   scripts/bench-check.sh
#
# Correctness comes first: the JSON findings must be exactly the generator's
# `.expected.tsv` (path and line of every plaintext Secret, nothing else flagged:
# not the Helm templates, not the ignored node_modules/). If they differ, the
# script exits 1 before timing anything. Then hyperfine times both tools on the
# same tree in the same run and the ratio of mean wall times is printed; the
# target is at most 1.5x ripgrep. A slower run is reported, not failed: timings
# on a shared 2-core machine are evidence, not a gate.
#
# Environment:
#   SEAL_GUARD_SHARED  the shared folder holding bench/gen_corpus.py
#                      (default: ../shared beside the repository)
#   BENCH_FILES        files in the corpus (default: the generator's 20000)
#   BENCH_RUNS         timed runs per tool (default: 10)
#   BENCH_WARMUP       untimed runs per tool first (default: 3)
#   BENCH_KEEP         a folder to keep the corpus and reports in, reused by the
#                      next run of the same size (default: a temporary folder,
#                      removed at the end)
set -euo pipefail
cd "$(dirname "$0")/.."

shared="${SEAL_GUARD_SHARED:-../shared}"
generator="$shared/bench/gen_corpus.py"
files="${BENCH_FILES:-20000}"
runs="${BENCH_RUNS:-10}"
warmup="${BENCH_WARMUP:-3}"

for tool in python3 rg hyperfine; do
  if ! command -v "$tool" >/dev/null; then
    echo "bench-check: $tool is needed (apt-get install -y hyperfine ripgrep)" >&2
    exit 2
  fi
done
if [[ ! -f "$generator" ]]; then
  echo "bench-check: no $generator; set SEAL_GUARD_SHARED to the shared folder" >&2
  exit 2
fi

cargo build --release --locked --quiet
bin="$PWD/target/release/seal-guard"

if [[ -n "${BENCH_KEEP:-}" ]]; then
  work="$BENCH_KEEP"
  mkdir -p "$work"
else
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi
corpus="$work/corpus"
expected="$work/corpus.expected.tsv"
# The generator is deterministic, so a kept corpus of the same size is reused.
stamp="$work/corpus.files"
if [[ -n "${BENCH_KEEP:-}" && -f "$expected" && "$(cat "$stamp" 2>/dev/null)" == "$files" ]]; then
  echo "reusing $corpus ($files files)"
else
  rm -rf "$corpus" "$expected" "$stamp"
  python3 "$generator" "$corpus" --files "$files"
  echo "$files" >"$stamp"
fi

# Correctness. Exit code 1 means "findings", which this corpus must have.
status=0
"$bin" check --format json "$corpus" >"$work/findings.json" || status=$?
if [[ $status -ne 1 ]]; then
  echo "bench-check: seal-guard exited with $status, expected 1 (findings)" >&2
  exit 1
fi
python3 - "$work/findings.json" "$expected" <<'PY'
import json, sys

report = json.load(open(sys.argv[1]))
expected = set()
with open(sys.argv[2]) as f:
    for row in f:
        path, line = row.rstrip("\n").split("\t")
        expected.add((path, int(line)))
found = {(f["path"], f["line"]) for f in report["findings"] if f["rule"] == "plaintext-secret"}
other = [f"{f['rule']} {f['path']}:{f['line']}" for f in report["findings"]
         if f["rule"] != "plaintext-secret"]
missed, extra = sorted(expected - found), sorted(found - expected)
for path, line in missed:
    print(f"  missed   {path}:{line}")
for path, line in extra:
    print(f"  extra    {path}:{line}")
for finding in other:
    print(f"  other    {finding}")
ok = not (missed or extra or other) and len(report["findings"]) == len(expected)
print(f"correctness: {len(found)} plaintext Secrets found, {len(expected)} expected, "
      f"{len(other)} other findings: {'exact match' if ok else 'MISMATCH'}")
sys.exit(0 if ok else 1)
PY

# The baseline must do its job too: list the files that mention a Secret.
rg_status=0
rg -l 'kind:\s*Secret' "$corpus" >"$work/rg.txt" || rg_status=$?
if [[ $rg_status -ne 0 ]]; then
  echo "bench-check: rg exited with $rg_status" >&2
  exit 1
fi
echo "ripgrep lists $(wc -l <"$work/rg.txt") files that mention kind: Secret"

# Timing. Both commands print to a pipe (ripgrep takes shortcuts when its output
# is /dev/null) and both honour the corpus's .gitignore. --ignore-failure is for
# seal-guard, whose exit code 1 means "findings".
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine --shell=none --ignore-failure --output=pipe \
  --warmup "$warmup" --runs "$runs" \
  --export-json "$work/times.json" \
  --command-name "seal-guard check --format json" "$bin check --format json $corpus" \
  --command-name "rg -l 'kind:\\s*Secret'" "rg -l 'kind:\\s*Secret' $corpus"
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$work/times.json" <<'PY'
import json, sys

seal_guard, ripgrep = json.load(open(sys.argv[1]))["results"]
ratio = seal_guard["mean"] / ripgrep["mean"]
for r in (seal_guard, ripgrep):
    print(f"{r['command']}: mean {r['mean'] * 1000:.1f} ms ± {r['stddev'] * 1000:.1f} ms "
          f"(min {r['min'] * 1000:.1f} ms, {len(r['times'])} runs)")
verdict = "within" if ratio <= 1.5 else "ABOVE"
print(f"ratio (seal-guard / ripgrep, mean wall time): {ratio:.2f}x, {verdict} the 1.5x target")
PY
