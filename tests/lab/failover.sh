#!/bin/sh
# Two directors with the Heartbeat-style resource script driven by hand:
# `ipvsctl-heartbeat www.toml start` on one, `stop` on the other, the VIP
# moved with it. Director 1 syncs its connections to director 2; a client
# holds a TCP connection through the VIP across the failover and the
# failback, and makes new connections in a loop; we count what fails.
# The site: directors.sh.
# usage: failover.sh IPVSCTL   (prints libtest-style lines)
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
resource=$here/../../dist/heartbeat/ipvsctl-heartbeat
. "$here/directors.sh"

# take_over DIRECTOR WORD: the other director stops, DIRECTOR starts and takes
# the VIP; the held connection answers WORD through DIRECTOR.
take_over() {
	from=d1
	[ "$1" = d1 ] && from=d2
	resource $from stop >/dev/null
	resource "$1" start
	vip_to "$1"
	held_says "$2" && wait_for 15 table_has "$1" 192.168.0.4:7000
}

# Director 1 active, director 2 passive.
resource d2 stop >/dev/null
resource d1 start
vip_to d1
wait_for 15 table_has d1 192.168.0.4:7000 && wait_for 5 table_has d1 192.168.0.5:7000 &&
	backup_runs d2 && [ -z "$($IP netns exec d2 ipvsadm -Sn)" ] &&
	[ "$(resource d1 status)" = running ] && ! resource d2 status >/dev/null
result heartbeat_start_makes_an_active_director_and_stop_a_passive_one $?

traffic_start

# Failover: director 1 steps down, director 2 takes over.
take_over d2 after
result the_held_connection_goes_on_through_director_2 $?
sleep 2

# Failback: director 1 comes back and takes over again.
wait_for 15 synced d1
take_over d1 back
result director_1_takes_over_again_with_the_connection $?

traffic_report

# The script's findings. Director 2 is stopped now, director 1 active. The
# script's files are per network namespace (net:[INODE]).
ns_of() { $IP netns exec "$1" readlink /proc/self/ns/net | tr -dc '0-9'; }
pidfile=/run/ipvsctl/run-net$(ns_of d2)_tmp_www.toml.pid
lockfile=/run/ipvsctl/run-net$(ns_of d2)_tmp_www.toml.lock
d1_pidfile=/run/ipvsctl/run-net$(ns_of d1)_tmp_www.toml.pid

# A pid file naming another program (a reused pid), or the same daemon of
# another namespace (director 1's), reads as stopped, and stop does not
# signal it.
sleep 600 &
other=$!
echo $other >$pidfile
[ "$(resource d2 status)" = stopped ] && resource d2 stop >/dev/null && kill -0 $other &&
	cp $d1_pidfile $pidfile && [ "$(resource d2 status)" = stopped ] && resource d2 stop >/dev/null &&
	kill -0 "$(cat $d1_pidfile)" && [ "$(resource d1 status)" = running ]
result a_reused_pid_is_not_the_daemon_and_is_not_signalled $?
kill $other

# Overlapping calls take turns: while another holds the lock, standby waits in
# flock and has not started anything; once the lock is free it goes on.
rm -f /tmp/lock.held /tmp/lock.release
flock "$lockfile" sh -c 'touch /tmp/lock.held; while [ ! -f /tmp/lock.release ]; do sleep 0.1; done' &
holder=$!
wait_for 10 sh -c "[ -f /tmp/lock.held ]"
resource d2 standby >/tmp/standby.out 2>&1 &
standby=$!
waiting_in_flock() {
	for p in /proc/[0-9]*; do
		tr '\0' ' ' <$p/cmdline 2>/dev/null | grep -q "^flock -w 60 9" && return 0
	done
	return 1
}
wait_for 15 waiting_in_flock && [ ! -f $pidfile ] && ! resource d2 status >/dev/null
waited=$?
touch /tmp/lock.release
wait $holder
wait $standby
[ $waited = 0 ]
result overlapping_calls_take_turns_on_the_lock $?

# Standby keeps the daemon (its checks) running, the table right, and makes
# the node the sync backup.
[ "$(resource d2 status)" = running ] && wait_for 15 table_is d2 192.168.0.4:7000 192.168.0.5:7000 &&
	backup_runs d2 && ! $IP netns exec d2 ipvsadm -L --daemon | grep -q "^master"
result standby_runs_the_daemon_keeps_the_table_and_makes_the_sync_backup $?
cat /tmp/standby.out

# A daemon that does not stop on SIGTERM (stopped with SIGSTOP here) is
# killed after the grace time, before the table is removed.
pid=$(cat $d1_pidfile)
kill -STOP "$pid"
$IP netns exec d1 env IPVSCTL="$bin" IPVSCTL_LOG=/tmp/d1.log IPVSCTL_STOP_GRACE=1 \
	sh "$resource" /tmp/www.toml stop >/tmp/stop.out 2>&1
stopped=$?
cat /tmp/stop.out
[ $stopped = 0 ] && grep -q "SIGKILL" /tmp/stop.out && ! readlink /proc/"$pid"/exe >/dev/null 2>&1 &&
	[ -z "$($IP netns exec d1 ipvsadm -Sn)" ]
result stop_kills_a_daemon_that_outlives_the_grace_time_then_removes_the_table $?
finish
