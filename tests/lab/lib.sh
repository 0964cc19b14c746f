# shellcheck shell=sh
# What the lab's shell tests share (failover.sh, keepalived.sh, ocf.sh,
# no_ipvs.sh; the sites directors.sh and dr.sh stand apart): libtest-style
# result lines, which scripts/test counts, and waiting with a deadline.
# Sourced; POSIX sh (busybox in the VM).

passed=0
failed=0

# A test may define on_failure to show its state after a failed result.
on_failure() { :; }

# result NAME STATUS: "test NAME ... ok" when STATUS is 0, else "... FAILED"
# followed by on_failure's output.
result() {
	if [ "$2" = 0 ]; then
		echo "test $1 ... ok"
		passed=$((passed + 1))
	else
		echo "test $1 ... FAILED"
		failed=$((failed + 1))
		on_failure
	fi
}

# finish: the summary line; true when nothing failed.
finish() {
	echo "test result: $([ $failed = 0 ] && echo ok || echo FAILED). $passed passed; $failed failed; 0 ignored"
	[ $failed = 0 ]
}

now() { cut -d' ' -f1 /proc/uptime | tr -d .; } # 10 ms ticks

# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s; false when it never
# succeeded within SECONDS.
wait_for() {
	limit=$(($(now) + $1 * 100))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(now)" -ge "$limit" ] && return 1
		sleep 0.1
	done
}
