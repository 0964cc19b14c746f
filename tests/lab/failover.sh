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
resource=$here/../../scripts/ipvsctl-heartbeat
. "$here/directors.sh"

# Director 1 active, director 2 passive.
resource d2 stop >/dev/null
resource d1 start
vip_to d1
wait_for 15 table_has d1 192.168.0.4:7000 && wait_for 5 table_has d1 192.168.0.5:7000 &&
	backup_runs d2 && [ -z "$($IP netns exec d2 ipvsadm -Sn)" ] &&
	[ "$(resource d1 status)" = running ] && ! resource d2 status >/dev/null
result heartbeat_start_makes_an_active_director_and_stop_a_passive_one $?

# The held connection, and a loop of new connections.
held_open
held_says before
result a_held_connection_answers_through_director_1 $?
wait_for 15 synced d2
result director_2_has_the_connection_from_the_sync_daemon $?
loop_start
sleep 2

# Failover: director 1 steps down, director 2 takes over.
resource d1 stop >/dev/null
resource d2 start
vip_to d2
held_says after && wait_for 15 table_has d2 192.168.0.4:7000
result the_held_connection_goes_on_through_director_2 $?
sleep 2

# Failback: director 1 comes back and takes over again.
wait_for 15 synced d1
resource d2 stop >/dev/null
resource d1 start
vip_to d1
held_says back && wait_for 15 table_has d1 192.168.0.4:7000
result director_1_takes_over_again_with_the_connection $?
sleep 2
loop_report
result new_connections_succeed_around_the_failovers $?

exec 3>&-
echo "test result: $([ $failed = 0 ] && echo ok || echo FAILED). $passed passed; $failed failed; 0 ignored"
[ $failed = 0 ]
