# shellcheck shell=sh
# Two directors in front of two echo servers, as namespaces on one bridge
# (192.168.0.0/24): d1 (.1), d2 (.2), r1 (.4), r2 (.5), client c (.50);
# VIP .3 (on whichever director is active); echo servers on the reals' port
# 7000; /tmp/www.toml syncs the directors' connections (syncid 1 on eth0;
# $SYNC_STATE, default master, as an inline table: a spelling that a grep for
# `^[sync]` misses, so the scripts must ask the binary).
# Sourced by failover.sh and keepalived.sh (it sources lib.sh); expects $bin
# (ipvsctl) and $resource (dist/heartbeat/ipvsctl-heartbeat).
. "$(dirname "$0")/lib.sh"
IP=/sbin/ip
VIP=192.168.0.3

on_failure() {
	for d in d1 d2; do
		echo "--- $d: ipvsadm -Ln; -Lnc; --daemon; log"
		$IP netns exec $d ipvsadm -Ln
		$IP netns exec $d ipvsadm -Lnc | head -8
		$IP netns exec $d ipvsadm -L --daemon
		tail -8 /tmp/$d.log
	done
}

# The echo server of a real (`ip netns exec` execs: $! is nc); echo_stop
# stops its listener (connections it already took go on).
echo_start() {
	$IP netns exec "$1" busybox nc -ll -p 7000 -e /bin/cat 2>/dev/null &
	echo $! >"/tmp/echo-$1.pid"
}
echo_stop() { kill "$(cat "/tmp/echo-$1.pid")"; }

$IP link add br0 type bridge
$IP link set br0 up
for host in d1:192.168.0.1 d2:192.168.0.2 r1:192.168.0.4 r2:192.168.0.5 c:192.168.0.50; do
	name=${host%%:*} addr=${host#*:}
	$IP netns add "$name"
	$IP link add "v-$name" type veth peer name eth0 netns "$name"
	$IP link set "v-$name" master br0 up
	$IP -n "$name" addr add "$addr/24" dev eth0
	$IP -n "$name" link set eth0 multicast on up
	$IP -n "$name" link set lo up
done
for r in r1 r2; do
	$IP netns exec $r sh -c "
		echo 1 > /proc/sys/net/ipv4/conf/all/arp_ignore
		echo 2 > /proc/sys/net/ipv4/conf/all/arp_announce"
	$IP -n $r addr add $VIP/32 dev lo
	echo_start $r
done

cat >/tmp/www.toml <<EOF
sync = { state = "${SYNC_STATE:-master}", syncid = 1, interface = "eth0" }

[[virtual]]
address = "$VIP:7000"
scheduler = "rr"
check = { type = "connect", interval = 0.5, timeout = 0.5, fall = 2 }
  [[virtual.real]]
  address = "192.168.0.4:7000"
  [[virtual.real]]
  address = "192.168.0.5:7000"
EOF

resource() { # director action
	$IP netns exec "$1" env IPVSCTL="$bin" IPVSCTL_LOG="/tmp/$1.log" \
		sh "$resource" /tmp/www.toml "$2"
}
vip_to() { # director: take the VIP from the other one, announce it
	other=d1
	[ "$1" = d1 ] && other=d2
	$IP -n $other addr del $VIP/32 dev eth0 2>/dev/null
	$IP -n "$1" addr add $VIP/32 dev eth0
	$IP netns exec "$1" busybox arping -U -c 2 -I eth0 $VIP >/dev/null 2>&1
}
table_has() { $IP netns exec "$1" ipvsadm -Ln | grep -q -- "-> $2"; }
# table_is DIRECTOR REAL...: `ipvsadm -Sn` is the VIP's service with exactly
# these reals (direct routing, weight 1).
table_is() {
	d=$1
	shift
	want="-A -t $VIP:7000 -s rr"
	for r in "$@"; do want="$want
-a -t $VIP:7000 -r $r -g -w 1"; done
	[ "$($IP netns exec "$d" ipvsadm -Sn | sort)" = "$(echo "$want" | sort)" ]
}
synced() { $IP netns exec "$1" ipvsadm -Lnc | grep -q "ESTABLISHED.*192.168.0.50"; }
backup_runs() { $IP netns exec "$1" ipvsadm -L --daemon | grep -q "^backup"; }

# The held connection: a client's TCP connection through the VIP, fed by a
# fifo on descriptor 3; held_says WORD sends a line and waits for its echo.
held_open() {
	mkfifo /tmp/held.in
	$IP netns exec c sh -c "cat /tmp/held.in | busybox nc $VIP 7000 >/tmp/held.out" &
	exec 3>/tmp/held.in
}
held_says() {
	echo "$1" >&3
	wait_for 10 grep -q "$1" /tmp/held.out
}

# New connections from the client every 0.1 s, each noted ok or fail.
loop_start() {
	: >/tmp/loop.log
	rm -f /tmp/loop.stop
	$IP netns exec c sh -c "
		while [ ! -f /tmp/loop.stop ]; do
			t=\$(cut -d' ' -f1 /proc/uptime | tr -d .)
			if [ \"\$(echo ping | busybox nc -w 1 $VIP 7000 2>/dev/null)\" = ping ]; then
				echo \"\$t ok\"
			else
				echo \"\$t fail\"
			fi
			sleep 0.1
		done >>/tmp/loop.log" &
	loop=$!
}
# Stops the loop and prints what failed; true when enough ran.
loop_report() {
	touch /tmp/loop.stop
	wait $loop
	total=$(grep -c . /tmp/loop.log)
	fails=$(grep -c fail /tmp/loop.log)
	gap=$(awk 'BEGIN { last = 0; gap = 0 }
		$2 == "ok" { if (last && ($1 - last) > gap) gap = $1 - last; last = $1 }
		END { print gap * 10 }' /tmp/loop.log)
	echo "new connections every 0.1 s: $total tried, $fails failed;" \
		"longest time between two answered ones: $gap ms"
	[ "$total" -gt 20 ]
}

# failed_after_takeover TICKS: how many new connections started at or after
# TICKS (10 ms, /proc/uptime; the VIP seen on the new director) failed once
# one of them had been answered: 0 when, from the first request the new
# director served, every one was; "none answered" when it served none.
# (From the link cut instead, a request started just before the cut took
# effect could be the old director's.)
failed_after_takeover() {
	awk -v t0="$1" '$1 >= t0 && $2 == "ok" { served = 1 }
		served && $2 == "fail" { n++ } END { print served ? n + 0 : "none answered" }' /tmp/loop.log
}

# The traffic of a failover test: the held connection through director 1,
# synced to director 2, and the loop of new connections (two results).
traffic_start() {
	held_open
	held_says before
	result a_held_connection_answers_through_director_1 $?
	wait_for 15 synced d2
	result director_2_has_the_connection_from_the_sync_daemon $?
	loop_start
	sleep 2
}
# Its end: the loop's result, the held connection closed.
traffic_report() {
	sleep 2
	loop_report
	result new_connections_succeed_around_the_failovers $?
	exec 3>&-
}
