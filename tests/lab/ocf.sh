#!/bin/sh
# Pacemaker's ocf-tester (Debian's resource-agents) on dist/ocf/ipvsctl,
# with a real IPVS table: meta-data against ra-api-1.dtd, validate-all,
# monitor/start/stop and their OCF exit codes. usage: ocf.sh IPVSCTL [AGENT]
# (AGENT: dist/ocf/ipvsctl unless given, e.g. the packaged one: tests/lab/package.sh)
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
agent=${2:-$here/../../dist/ocf/ipvsctl}
. "$here/lib.sh"
/sbin/ip link add lan0 type dummy
/sbin/ip addr add 10.0.0.254/24 dev lan0
/sbin/ip link set lan0 up
cat >/tmp/www.toml <<EOF
[[virtual]]
address = "10.0.0.1:80"
check = { type = "none" }
  [[virtual.real]]
  address = "10.0.0.2"
EOF
mkdir -p /tmp/ocf-root
export OCF_ROOT=/tmp/ocf-root
ocf-tester -n lvs -o config=/tmp/www.toml -o binary="$bin" -o state_dir=/run/ocf \
	-o log=/tmp/ocf.log "$agent"
code=$?
[ $code = 0 ] || { echo "ocf-tester exited $code; the log's end:"; tail -5 /tmp/ocf.log; }
result ocf_tester_passes $code

# Start puts the table in; stop takes the declared services out.
agent() { # action
	OCF_RESKEY_config=${OCF_RESKEY_config:-/tmp/www.toml} OCF_RESKEY_binary="$bin" OCF_RESKEY_state_dir=/run/ocf \
		OCF_RESKEY_log=/tmp/ocf.log OCF_RESKEY_stop_grace=${OCF_RESKEY_stop_grace:-20} "$agent" "$1"
}
agent start
started=$?
table=$(ipvsadm -Sn)
agent monitor
monitor=$?
agent stop
stopped=$?
agent monitor
after=$?
[ $started = 0 ] && [ $monitor = 0 ] && [ $stopped = 0 ] && [ $after = 7 ] &&
	echo "$table" | grep -q -- "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1" && [ -z "$(ipvsadm -Sn)" ]
ok=$?
[ $ok = 0 ] || echo "start $started, monitor $monitor, stop $stopped, monitor after stop $after (wanted 0 0 0 7)"
result start_puts_the_table_in_and_stop_takes_it_out $ok

# The pid file names another program (a reused pid): monitor says not
# running, stop leaves that program alone.
sleep 600 &
other=$!
echo $other >/run/ocf/ocf-ipvsctl.pid
agent monitor
monitor=$?
agent stop
stopped=$?
[ $monitor = 7 ] && [ $stopped = 0 ] && kill -0 $other
ok=$?
[ $ok = 0 ] || echo "monitor $monitor, stop $stopped (wanted 7 0), the other program: $(kill -0 $other 2>&1 && echo alive || echo gone)"
result a_reused_pid_is_not_the_daemon_and_is_not_signalled $ok
kill $other

# A daemon that does not stop on SIGTERM (SIGSTOPped here) is killed after
# stop_grace, then the table is removed.
agent start
pid=$(cat /run/ocf/ocf-ipvsctl.pid)
kill -STOP "$pid"
OCF_RESKEY_stop_grace=1 agent stop
stopped=$?
[ $stopped = 0 ] && ! readlink /proc/"$pid"/exe >/dev/null 2>&1 && [ -z "$(ipvsadm -Sn)" ]
ok=$?
[ $ok = 0 ] || echo "stop $stopped; the daemon: $(readlink /proc/"$pid"/exe); table: $(ipvsadm -Sn)"
result stop_kills_a_daemon_that_outlives_the_grace_time $ok

# [sync] in a spelling `grep '^\[sync\]'` misses (an inline table): start
# makes this node the sync master, stop the sync backup (the binary reads it).
cat >/tmp/sync.toml <<EOF
sync = { state = "master", syncid = 3, interface = "lan0" }

[[virtual]]
address = "10.0.0.1:80"
check = { type = "none" }
  [[virtual.real]]
  address = "10.0.0.2"
EOF
OCF_RESKEY_config=/tmp/sync.toml agent start
started=$?
master=$(ipvsadm -L --daemon)
OCF_RESKEY_config=/tmp/sync.toml agent stop
stopped=$?
backup=$(ipvsadm -L --daemon)
[ $started = 0 ] && [ $stopped = 0 ] && echo "$master" | grep -q "^master sync daemon (mcast=lan0, syncid=3" &&
	echo "$backup" | grep -q "^backup sync daemon (mcast=lan0, syncid=3" && ! echo "$backup" | grep -q "^master"
ok=$?
[ $ok = 0 ] || echo "start $started, stop $stopped; after start: $master; after stop: $backup"
result start_and_stop_switch_the_sync_role_set_in_any_toml_spelling $ok
finish
