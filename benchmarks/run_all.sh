#!/usr/bin/env bash
# Every measurement in docs/benchmarks.md, one process each, results appended to
# benchmarks/results.jsonl. Run on a quiet machine; `refit` first (it stores the truth).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=benchmarks/results.jsonl
b() { python benchmarks/bench_influence.py --output "$OUT" "$@"; }
for P in breast_cancer digits dense20k; do
  b --problem $P --tool refit --n-refits 30
  for T in skinfluence-cholesky skinfluence-cg skinfluence-lissa pyinfluence; do
    b --problem $P --tool $T --n-refits 30 --repeat $([ $P = dense20k ] && echo 1 || echo 5)
  done
done
b --problem dense100k --tool refit --n-refits 10
for T in skinfluence-cholesky skinfluence-top pyinfluence; do
  b --problem dense100k --tool $T --n-refits 10
done
b --problem sparse_text --tool refit --n-refits 10
b --problem sparse_text --tool skinfluence-auto --n-refits 10
