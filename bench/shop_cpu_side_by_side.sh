#!/bin/bash
# Issue 15's figure measured as the issue asks: the shop's simulated requests per CPU-second
# of several `bench_stack` binaries, run alternating on the same machine, with each binary's
# paired ratio to the last one (the machine's speed drifts; the ratios much less).
#
#   bench/shop_cpu_side_by_side.sh ROUNDS BENCH_STACK... (the last one is the reference)
#
# A binary of another commit (e.g. 14a3be2, the code when issue 15 was filed):
#   git worktree add /tmp/filing 14a3be2
#   cmake -S /tmp/filing -B /tmp/filing/build -G Ninja -DCMAKE_BUILD_TYPE=Release -DS2SIM_BUILD_TESTS=OFF
#   ninja -C /tmp/filing/build bench_stack      # it reads the scenarios of its own tree
# Each round runs `BENCH ecommerce` once per binary and takes its user CPU time (/usr/bin/time).
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 ROUNDS BENCH_STACK... (the last binary is the reference)" >&2
  exit 2
fi
rounds=$1
shift
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for _ in $(seq "$rounds"); do
  line=""
  for b in "$@"; do
    # The requests counted: the sum of the three runs' "N requests" (every version prints them).
    t=$( { /usr/bin/time -f "cpu %U" "$b" ecommerce > "$out.log"; } 2>&1 | awk '/^cpu /{print $2}')
    requests=$(awk '/^ecommerce +[0-9]+s:/{n += $3} END{print n}' "$out.log")
    line="$line $t:$requests"
  done
  echo "$line" >> "$out"
done
rm -f "$out.log"
python3 - "$out" "$@" <<'PY'
import statistics as st, sys
rows = [[tuple(map(float, c.split(":"))) for c in l.split()] for l in open(sys.argv[1]) if l.strip()]
names = sys.argv[2:]
for j, name in enumerate(names):
    cpu = [r[j][0] for r in rows]
    requests = rows[0][j][1]
    ratios = sorted(r[-1][0] / r[j][0] for r in rows)
    print(f"{name}: median user CPU {st.median(cpu):.3f} s, {requests / st.median(cpu):,.0f} requests per CPU-second; "
          f"reference / it: median {st.median(ratios):.3f} ({ratios[0]:.3f} - {ratios[-1]:.3f}) over {len(rows)} rounds")
PY
