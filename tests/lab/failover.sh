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
finish
