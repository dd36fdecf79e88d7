#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every global symbol that libcvmattest.so.0 and libcvmattest-pub.a define
# starts with cvm_ (TAP lines; exit 1 on a leak).
# usage: check-symbols.sh LIBCVMATTEST.so.0 LIBCVMATTEST-PUB.a
set -eu
so=$1
pub=$2
n=0
fail=0
check() {
	what=$1
	syms=$2
	n=$((n + 1))
	leaked=$(printf '%s\n' "$syms" | grep -v -e '^cvm_' -e '^LIBCVMATTEST_' -e '^$' || true)
	count=$(printf '%s\n' "$syms" | grep -c '^cvm_' || true)
	if [ -z "$leaked" ] && [ "$count" -gt 50 ]; then
		echo "ok $n - $what exports $count symbols, all cvm_"
	else
		echo "not ok $n - $what: $count cvm_ symbols; without the prefix:"
		printf '%s\n' "$leaked" | sed 's/^/#   /'
		fail=1
	fi
}
check "$(basename "$so")" "$(nm -D --defined-only "$so" | awk '{print $3}')"
check "$(basename "$pub")" "$(nm -g --defined-only "$pub" | awk 'NF == 3 {print $3}')"
exit $fail
