#!/usr/bin/env bash
# Side-by-side throughput of `conclave encrypt` and the Debian `age` CLI
# (docs/performance.md has the figures and how to read them).
#
#   bench/age_side_by_side.sh [BIN_DIR] [SIZE_MIB] [RUNS]
#
# BIN_DIR holds conclave and stream_bench (default build/bin, a Release
# build), SIZE_MIB the input size (default 1024 = 1 GiB of random bytes),
# RUNS the number of interleaved rounds (default 3; medians are reported).
# Every round runs each command once, one after the other, on the same
# cached input, writing to /dev/null; peak RSS comes from /usr/bin/time -v.
#
# Compared:
#   encrypt  age -r AGE1...            vs conclave encrypt --to AGE1TAG1...
#            (and conclave encrypt --threads 1)
#   decrypt  age -d -i key FILE.age    vs stream_bench decrypt-x25519 key
#            FILE.age (the same file; the parallel STREAM decryptor given the
#            X25519 identity, since Conclave itself never holds a p256tag
#            private key), and the same with 1 thread
#   STREAM   openssl speed -evp chacha20-poly1305 -bytes 65536 vs
#            stream_bench's BM_SealChunkLoop (single-threaded)
set -euo pipefail

BIN=${1:-build/bin}
SIZE_MIB=${2:-1024}
RUNS=${3:-3}
CONCLAVE=$BIN/conclave
STREAM_BENCH=$BIN/stream_bench
for tool in age age-keygen openssl /usr/bin/time "$CONCLAVE" "$STREAM_BENCH"; do
  if ! command -v "$tool" >/dev/null; then
    echo "age_side_by_side: $tool not found (make deps; make build)" >&2
    exit 1
  fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/conclave-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# The recipient is the P-256 generator as an age1tag1 key (private key 1):
# fine for timing, never for real data.
TAG_RECIPIENT=age1tag1qd43050juykyy3lchnnw2caygre8wqmasyk7kvaq7jsnj3wcnrpfvt5hxye
age-keygen -o "$WORK/key.txt" 2>/dev/null
AGE_RECIPIENT=$(age-keygen -y "$WORK/key.txt")

echo "input: $SIZE_MIB MiB of random bytes in $WORK" >&2
head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom >"$WORK/in"
age -r "$AGE_RECIPIENT" -o "$WORK/in.age" "$WORK/in"
cat "$WORK/in" "$WORK/in.age" >/dev/null  # warm the page cache

# run NAME CMD... : appends "seconds peak_rss_kib" to $WORK/NAME (wall time
# from date(1) in nanoseconds; /usr/bin/time's is only to 10 ms).
run() {
  local name=$1
  shift
  local t0 t1 rss
  t0=$(date +%s%N)
  /usr/bin/time -v -o "$WORK/time.txt" "$@" >/dev/null
  t1=$(date +%s%N)
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }') $rss" >>"$WORK/$name"
}

for ((i = 1; i <= RUNS; i++)); do
  echo "round $i/$RUNS" >&2
  run age_enc age -r "$AGE_RECIPIENT" "$WORK/in"
  run conclave_enc "$CONCLAVE" encrypt -q --to "$TAG_RECIPIENT" "$WORK/in"
  run conclave_enc_1t "$CONCLAVE" encrypt -q --threads 1 --to "$TAG_RECIPIENT" "$WORK/in"
  run age_dec age -d -i "$WORK/key.txt" "$WORK/in.age"
  run conclave_dec "$STREAM_BENCH" decrypt-x25519 "$WORK/key.txt" "$WORK/in.age"
  run conclave_dec_1t "$STREAM_BENCH" decrypt-x25519 "$WORK/key.txt" "$WORK/in.age" 1
done

# Correctness of what was timed: the decryptor's output matches the input.
"$STREAM_BENCH" decrypt-x25519 "$WORK/key.txt" "$WORK/in.age" | cmp - "$WORK/in"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
secs() { cut -d' ' -f1 "$WORK/$1" | median; }
rss() { cut -d' ' -f2 "$WORK/$1" | sort -n | tail -1; }
mibs() { awk -v m="$SIZE_MIB" -v s="$1" 'BEGIN { printf "%.0f", m / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ); age $(age --version); $(openssl version)"
echo
echo "| command ($SIZE_MIB MiB, median of $RUNS) | seconds | MiB/s | peak RSS (KiB) |"
echo "|---|---|---|---|"
for n in age_enc conclave_enc conclave_enc_1t age_dec conclave_dec conclave_dec_1t; do
  s=$(secs $n)
  echo "| $n | $s | $(mibs "$s") | $(rss $n) |"
done
echo
echo "encrypt: conclave / age = $(ratio "$(secs conclave_enc)" "$(secs age_enc)")x (target >= 2.0)," \
  "parallel / 1 thread = $(ratio "$(secs conclave_enc)" "$(secs conclave_enc_1t)")x (target >= 1.5)"
echo "decrypt: conclave / age -d = $(ratio "$(secs conclave_dec)" "$(secs age_dec)")x (target >= 2.0)"

# Single-threaded STREAM loop vs openssl speed (64 KiB).
ossl=$(openssl speed -evp chacha20-poly1305 -bytes 65536 -seconds 3 2>/dev/null |
  awk '/^ChaCha20-Poly1305/ { sub(/k$/, "", $2); print $2 * 1000 }')
loop=$("$STREAM_BENCH" --benchmark_filter='BM_SealChunkLoop' --benchmark_min_time=2 \
  --benchmark_format=csv 2>/dev/null | awk -F, '/BM_SealChunkLoop/ { print $6 }')
echo "STREAM loop (1 thread): $(awk -v b="$loop" 'BEGIN { printf "%.0f", b / 1048576 }') MiB/s;" \
  "openssl speed: $(awk -v b="$ossl" 'BEGIN { printf "%.0f", b / 1048576 }') MiB/s;" \
  "ratio $(awk -v a="$loop" -v b="$ossl" 'BEGIN { printf "%.2f", a / b }') (target >= 0.85)"
