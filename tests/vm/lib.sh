# shellcheck shell=sh
# TAP helpers for guest test scripts (busybox sh; POSIX only). Inside the VM:
#     . /usr/lib/cvmattest/lib.sh        # also "$CVMATTEST_LIB"
#     t_run "load the module" insmod /lib/modules/extra/cvmattest.ko
#     t_is "$(cat /sys/module/cvmattest/initstate)" live "module is live"
#     t_done                             # last line: prints the plan, status = pass/fail
#
# t_ok NAME              record a pass
# t_fail NAME [MSG]      record a failure; MSG (may be several lines) follows as # comments
# t_skip NAME REASON     record a skipped test (counts as a pass)
# t_is GOT WANT NAME     pass if the strings are equal, else fail showing both
# t_run NAME CMD [ARG]...  run CMD, pass if it exits 0, else fail showing its output
# t_diag MSG             print MSG as a TAP comment
# t_bail MSG             "Bail out!" and exit 1 (the rest cannot run)
# t_done                 print the plan "1..N"; return 1 if anything failed or nothing ran
#
# t_ok, t_fail and t_skip return 0; t_is and t_run return 1 on failure, so that a
# script can skip what depends on them ("t_run ... || t_bail ..."). Under "set -e" use
# "|| true" to go on after a failure. A '#' in NAME would start a TAP directive: avoid it.

_t_n=0
_t_failed=0

t_diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

t_ok() {
	_t_n=$((_t_n + 1))
	printf 'ok %d - %s\n' "$_t_n" "$1"
	return 0
}

t_fail() {
	_t_n=$((_t_n + 1))
	_t_failed=$((_t_failed + 1))
	printf 'not ok %d - %s\n' "$_t_n" "$1"
	[ $# -ge 2 ] && [ -n "$2" ] && t_diag "$2"
	return 0
}

t_skip() {
	_t_n=$((_t_n + 1))
	printf 'ok %d - %s # SKIP %s\n' "$_t_n" "$1" "${2:-}"
	return 0
}

t_is() {
	if [ "$1" = "$2" ]; then
		t_ok "$3"
	else
		t_fail "$3" "got:  '$1'
want: '$2'"
		return 1
	fi
}

t_run() {
	_t_name=$1
	shift
	if _t_out=$("$@" 2>&1); then
		t_ok "$_t_name"
	else
		_t_rc=$?
		t_fail "$_t_name" "command: $*
exit status: $_t_rc${_t_out:+
$_t_out}"
		return 1
	fi
}

t_bail() {
	printf 'Bail out! %s\n' "$*"
	exit 1
}

t_done() {
	printf '1..%d\n' "$_t_n"
	if [ "$_t_n" -eq 0 ]; then
		t_diag "no tests ran"
		return 1
	fi
	if [ "$_t_failed" -ne 0 ]; then
		t_diag "failed $_t_failed of $_t_n"
		return 1
	fi
	return 0
}

# t_import CMD [ARG]...  run CMD, which prints TAP lines without numbers ("ok - NAME",
#                        "not ok - NAME"), and record each; other output becomes comments.
#                        Returns CMD's status.
t_import() {
	_t_out=${TMPDIR:-/tmp}/t_import.$$
	"$@" > "$_t_out" 2>&1
	_t_rc=$?
	while IFS= read -r _t_l; do
		case $_t_l in
		"ok - "*) t_ok "${_t_l#ok - }" ;;
		"not ok - "*) t_fail "${_t_l#not ok - }" ;;
		"# "*) printf '%s\n' "$_t_l" ;;
		*) printf '# %s\n' "$_t_l" ;;
		esac
	done < "$_t_out"
	rm -f "$_t_out"
	return $_t_rc
}

# t_wait_for PATH present|absent [TENTHS]  wait (bounded: TENTHS x 0.1 s, default 100)
#                        until PATH exists or is gone; 1 if it did not happen in time.
t_wait_for() {
	_t_i=0
	while [ $_t_i -lt "${3:-100}" ]; do
		if [ "$2" = present ] && [ -e "$1" ]; then return 0; fi
		if [ "$2" = absent ] && [ ! -e "$1" ]; then return 0; fi
		sleep 0.1
		_t_i=$((_t_i + 1))
	done
	return 1
}
