#!/bin/sh
# `ipvsctl run` with real direct-routing traffic through the VIP (see dr.sh):
# reals fail and come back, the sorry page, quiescent, HTTP body checks,
# reload, kill -9 and restart, SIGTERM. Runs inside the lab VM; prints
# libtest-style lines. usage: daemon.sh IPVSCTL
. "$(dirname "$0")/dr.sh"
bin=$1
passed=0
failed=0
export IPVSCTL_STATE_DIR=/run/ipvsctl-test

result() { # name, then 0/1
	if [ "$2" = 0 ]; then
		echo "test $1 ... ok"
		passed=$((passed + 1))
	else
		echo "test $1 ... FAILED"
		failed=$((failed + 1))
		echo "--- daemon log (last 15 lines)"
		tail -15 /tmp/daemon.log
		echo "--- ipvsadm -Ln"
		ipvsadm -Ln
	fi
}

now() { cut -d' ' -f1 /proc/uptime | tr -d .; } # 10 ms ticks

# wait_for SECONDS COMMAND...: polls every 0.1 s.
wait_for() {
	limit=$(($(now) + $1 * 100))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(now)" -ge "$limit" ] && return 1
		sleep 0.1
	done
}

in_table() { ipvsadm -Ln | grep -q -- "-> $1 "; }
not_in_table() { ! in_table "$1"; }
weight_is() { ipvsadm -Ln | grep -- "-> $1 " | awk '{ print $4 }' | grep -qx "$2"; }

start_daemon() {
	"$bin" run /tmp/www.toml >>/tmp/daemon.log 2>&1 &
	pid=$!
}

# Asks for N pages through the VIP; prints the distinct answers, sorted.
answers() {
	i=0
	while [ $i -lt "$1" ]; do dr_get; i=$((i + 1)); done | sort -u | tr '\n' ';'
}

write_config() { # quiescent weight-of-r1
	cat >/tmp/www.toml <<EOF
[defaults]
quiescent = $1

[[virtual]]
name = "www"
address = "192.168.0.3:80"
scheduler = "rr"
fallback = "127.0.0.1:80"
check = { type = "http", request = "/alive.html", receive = "OK", interval = 0.5, timeout = 0.5, rise = 1, fall = 2 }

  [[virtual.real]]
  address = "192.168.0.4:80"
  weight = $2

  [[virtual.real]]
  address = "192.168.0.5:80"
EOF
}

dr_setup
write_config false 1
: >/tmp/daemon.log
start_daemon

wait_for 15 in_table 192.168.0.4:80 && wait_for 5 in_table 192.168.0.5:80 &&
	[ "$(answers 6)" = "served by r1;served by r2;" ]
result both_reals_serve $?

t0=$(now)
dr_stop r1
wait_for 15 not_in_table 192.168.0.4:80
ok=$?
t1=$(now)
echo "detection latency: real 1 stopped -> removed from the table in $(((t1 - t0) * 10)) ms" \
	"(interval 0.5 s x fall 2 + timeout 0.5 s = 1.5 s)"
[ $ok = 0 ] && [ "$(answers 4)" = "served by r2;" ] &&
	grep -q "real 192.168.0.4:80 of tcp 192.168.0.3:80 down: " /tmp/daemon.log
result a_dead_real_is_removed_and_logged $?

dr_stop r2
wait_for 15 in_table 127.0.0.1:80 && [ "$(answers 3)" = "sorry, no server is up;" ]
result with_no_real_up_the_sorry_page_comes_through_the_vip $?

dr_start r1
wait_for 15 in_table 192.168.0.4:80 && wait_for 5 not_in_table 127.0.0.1:80 &&
	[ "$(answers 3)" = "served by r1;" ]
result a_revived_real_comes_back_and_the_fallback_leaves $?

second=$("$bin" run /tmp/www.toml 2>&1)
code=$?
[ $code = 1 ] && echo "$second" | grep -q "another .ipvsctl run. is already running" && kill -0 $pid
result a_second_daemon_refuses_to_start $?

"$bin" status >/tmp/status.txt 2>&1
grep -q "192.168.0.4:80 .* up " /tmp/status.txt && grep -q "192.168.0.5:80 .* down " /tmp/status.txt &&
	"$bin" status --json | grep -q '"health": "up"'
result status_shows_health_and_kernel_state $?
cat /tmp/status.txt

write_config false 3
kill -HUP $pid
wait_for 10 weight_is 192.168.0.4:80 3 && kill -0 $pid
result sighup_changes_a_weight_without_a_restart $?

cp /tmp/www.toml /tmp/www.good
printf '[[virtual]]\naddress = "192.168.0.3:80"\nscheduler = "wlcx"\n' >/tmp/www.toml
before=$(ipvsadm -Sn)
reply=$("$bin" reload)
sleep 1
[ "$(ipvsadm -Sn)" = "$before" ] && kill -0 $pid && echo "$reply" | grep -q "reload refused" &&
	grep -q "unknown scheduler .wlcx." /tmp/daemon.log
result a_broken_reload_is_refused_and_the_old_config_goes_on $?
cp /tmp/www.good /tmp/www.toml

before=$(ipvsadm -Sn)
kill -9 $pid
wait $pid 2>/dev/null
lines=$(wc -l </tmp/daemon.log)
start_daemon
sleep 3
changes=$(tail -n +"$((lines + 1))" /tmp/daemon.log | grep -c "table: ")
[ "$(ipvsadm -Sn)" = "$before" ] && [ "$changes" = 0 ]
result kill_9_then_restart_changes_nothing $?

before=$(ipvsadm -Sn)
kill -TERM $pid
wait $pid
code=$?
[ $code = 0 ] && [ "$(ipvsadm -Sn)" = "$before" ]
result sigterm_leaves_the_table $?

write_config true 1
dr_start r2
start_daemon
wait_for 15 weight_is 192.168.0.5:80 1 && wait_for 5 weight_is 192.168.0.4:80 1
dr_stop r1
wait_for 15 weight_is 192.168.0.4:80 0 && [ "$(answers 4)" = "served by r2;" ]
result quiescent_keeps_a_dead_real_with_weight_zero $?

dr_start r1
wait_for 15 weight_is 192.168.0.4:80 1
echo "FAIL" >/tmp/www-r1/alive.html
wait_for 15 weight_is 192.168.0.4:80 0 && grep -q 'body lacks' /tmp/daemon.log
result an_http_check_fails_on_a_wrong_body $?

kill -TERM $pid
wait $pid

sed -i 's/^quiescent = true$/quiescent = true\ncleanstop = true/' /tmp/www.toml
lines=$(wc -l </tmp/daemon.log)
start_daemon
running() { tail -n +"$((lines + 1))" /tmp/daemon.log | grep -q "running: "; }
wait_for 15 running && wait_for 15 in_table 192.168.0.5:80
kill -TERM $pid
wait $pid
[ -z "$(ipvsadm -Sn)" ] && grep -q "cleanstop" /tmp/daemon.log
result cleanstop_removes_the_managed_services_on_exit $?

echo "test result: $([ $failed = 0 ] && echo ok || echo FAILED). $passed passed; $failed failed; 0 ignored"
[ $failed = 0 ]
