#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Run each libFuzzer target for FUZZ_SECONDS, FUZZ_JOBS at a time; print
# the executions per target; fail if any target found a crash.
#   FUZZ_BUILD=... FUZZ_SECONDS=60 FUZZ_JOBS=2 sh fuzz/run.sh TARGET...
set -u
: "${FUZZ_BUILD:?}" "${FUZZ_SECONDS:=60}" "${FUZZ_JOBS:=2}"
logs=$FUZZ_BUILD/logs
mkdir -p "$logs"

run_one() {
	t=$1
	corpus=$FUZZ_BUILD/corpus/$t
	mkdir -p "$corpus" "$FUZZ_BUILD/artifacts/$t"
	seeds=$FUZZ_BUILD/seeds/$t
	[ -d "$seeds" ] || seeds=
	"$FUZZ_BUILD/fuzz-$t" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 \
		-artifact_prefix="$FUZZ_BUILD/artifacts/$t/" -rss_limit_mb=2048 \
		"$corpus" $seeds >"$logs/$t.log" 2>&1
	echo $? >"$logs/$t.rc"
}

pids=
n=0
for t in "$@"; do
	run_one "$t" &
	pids="$pids $!"
	n=$((n + 1))
	if [ "$n" -ge "$FUZZ_JOBS" ]; then
		wait
		n=0
	fi
done
wait

failed=0
printf '%-16s %12s %10s %8s  %s\n' target executions exec/s corpus result
for t in "$@"; do
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log" | tail -n1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$logs/$t.log" | tail -n1)
	corpus=$(ls "$FUZZ_BUILD/corpus/$t" | wc -l)
	rc=$(cat "$logs/$t.rc")
	if [ "$rc" -eq 0 ]; then res=ok; else res="CRASH (see $logs/$t.log)"; failed=1; fi
	printf '%-16s %12s %10s %8s  %s\n' "$t" "${execs:-?}" "${speed:-?}" "$corpus" "$res"
done
exit $failed
