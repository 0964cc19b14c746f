#!/bin/sh
# N directors behind a router's ECMP (issue 15): three directors run
# `ipvsctl run` with [announce], the `mh` scheduler and sloppy_tcp, and BIRD
# with dist/bird/director.conf; a router runs BIRD with dist/bird/router.conf
# (BGP from each director, one ECMP route, fib_multipath_hash_policy=1); two
# direct-routing reals answer each line with their own name; a client behind
# the router holds 50 connections (a line every 0.2 s each; the loops fork
# nothing per line, `read -t` on an idle pipe is their clock) and opens new
# ones every 0.1 s. Steps:
#   1. the router has a next hop per director; all three carry traffic;
#   2. director 2's link is cut: BIRD's BGP session times out, the router
#      rehashes; the held connections carry on through the others to the same
#      real (counted, and the gap for new connections reported);
#   3. a real dies and comes back: every live director takes it out and back,
#      `ipvsadm -Sn` identical on them at each step;
#   4. director 2 comes back, announces after its first checks, and takes its
#      share without breaking a held connection.
# No timing is asserted; the times are printed.
# usage: ecmp.sh IPVSCTL BIRD BIRDC
set -u
bin=$1
bird=$2
here=$(cd "$(dirname "$0")" && pwd)
dist=${DIST:-$here/../../dist}
. "$here/lib.sh"
IP=/sbin/ip
VIP=192.0.2.10
HELD=50
PERIOD=0.2
echo "--- ECMP: three directors, BIRD, mh, sloppy_tcp"

on_failure() {
	for d in d1 d2 d3; do
		echo "--- $d: ipvsadm -Sn; routes proto 250; bird; log"
		$IP netns exec $d ipvsadm -Sn
		$IP -n $d route show proto 250
		tail -5 /tmp/bird-$d.log
		tail -8 /tmp/$d.log
	done
	echo "--- router: route to the VIP"
	$IP -n router route show $VIP
	tail -5 /tmp/bird-router.log
	echo "--- held connections: answers so far, the last"
	for f in /tmp/held/*.out; do
		[ -f "$f" ] && echo "$f $(wc -l <"$f") $(tail -1 "$f")"
	done | head -50 | tr '\n' ';'
	echo
}

# The network: the router (10.1.0.254) on the directors' and reals' bridge
# 10.1.0.0/24 (directors .1-.3, reals .4-.5), the client (10.2.0.2) on a link
# of its own to the router (10.2.0.1).
$IP link add br0 type bridge
$IP link set br0 up
for host in router:10.1.0.254 d1:10.1.0.1 d2:10.1.0.2 d3:10.1.0.3 r1:10.1.0.4 r2:10.1.0.5; do
	name=${host%%:*} addr=${host#*:}
	$IP netns add "$name"
	$IP link add "v-$name" type veth peer name eth0 netns "$name"
	$IP link set "v-$name" master br0 up
	$IP -n "$name" addr add "$addr/24" dev eth0
	$IP -n "$name" link set eth0 up
	$IP -n "$name" link set lo up
done
$IP netns add c
$IP link add v-c type veth peer name eth0 netns c
$IP link set v-c netns router
$IP -n router addr add 10.2.0.1/24 dev v-c
$IP -n router link set v-c up
$IP -n c addr add 10.2.0.2/24 dev eth0
$IP -n c link set eth0 up
$IP -n c link set lo up
$IP -n c route add default via 10.2.0.1
$IP netns exec router sh -c '
	echo 1 > /proc/sys/net/ipv4/ip_forward
	echo 1 > /proc/sys/net/ipv4/fib_multipath_hash_policy'
# Directors and reals: the VIP on lo, never answered by ARP; replies and
# checks go by the router.
for n in d1 d2 d3 r1 r2; do
	$IP netns exec $n sh -c "
		echo 1 > /proc/sys/net/ipv4/conf/all/arp_ignore
		echo 2 > /proc/sys/net/ipv4/conf/all/arp_announce"
	$IP -n $n addr add $VIP/32 dev lo
	$IP -n $n route add default via 10.1.0.254
done

# The reals: a line in, "NAME line" out, per connection.
real_start() {
	printf '#!/bin/sh\nwhile read -r l; do echo "%s $l"; done\n' "$1" >/tmp/name-$1.sh
	chmod +x /tmp/name-$1.sh
	$IP netns exec "$1" busybox nc -ll -p 7000 -e /tmp/name-$1.sh 2>/dev/null &
	echo $! >"/tmp/real-$1.pid"
}
real_stop() { kill "$(cat "/tmp/real-$1.pid")"; }
real_start r1
real_start r2

cat >/tmp/www.toml <<EOF
[announce]

[kernel]
sloppy_tcp = true

[[virtual]]
address = "$VIP:7000"
scheduler = "mh"
# mh-port: the flows of one client spread over the reals by their ports.
scheduler_flags = ["mh-port"]
check = { type = "connect", interval = 1, timeout = 1, fall = 2 }
  [[virtual.real]]
  address = "10.1.0.4:7000"
  [[virtual.real]]
  address = "10.1.0.5:7000"
EOF

daemon_start() {
	$IP netns exec "$1" "$bin" run /tmp/www.toml >>/tmp/$1.log 2>&1 &
	echo $! >/run/daemon-$1.pid
}
bird_start() { # NAME CONFIG
	$IP netns exec "$1" "$bird" -f -c "$2" -s /run/bird-$1.ctl -P /run/bird-$1.pid >>/tmp/bird-$1.log 2>&1 &
}
for n in 1 2 3; do
	sed "s/^router id .*/router id 10.1.0.$n;/; s/local 10.1.0.1 as/local 10.1.0.$n as/; s/^log .*//" \
		"$dist/bird/director.conf" >/tmp/bird-d$n.conf
	daemon_start d$n
	bird_start d$n /tmp/bird-d$n.conf
done
sed 's/^log .*//' "$dist/bird/router.conf" >/tmp/bird-router.conf
bird_start router /tmp/bird-router.conf

# next_hops: how many directors the router's route to the VIP goes to.
next_hops() { $IP -n router route show $VIP | grep -c "nexthop via\|^$VIP via"; }
hops_are() { [ "$(next_hops)" = "$1" ]; }
announced() { $IP -n "$1" route show proto 250 | grep -q "^$VIP "; }
# tables_alike D...: `ipvsadm -Sn` the same on every one named.
tables_alike() {
	first=$($IP netns exec "$1" ipvsadm -Sn --nosort)
	shift
	for d in "$@"; do
		[ "$($IP netns exec "$d" ipvsadm -Sn --nosort)" = "$first" ] || return 1
	done
}
real_in() { # DIRECTOR REAL: in the table with a weight above 0
	$IP netns exec "$1" ipvsadm -Sn | grep -q -- "-r $2 .*-w [1-9]"
}
real_serving_nowhere() { # REAL DIRECTOR...
	r=$1
	shift
	for d in "$@"; do ! real_in "$d" "$r" || return 1; done
}
real_serving_everywhere() {
	r=$1
	shift
	for d in "$@"; do real_in "$d" "$r" || return 1; done
}

wait_for 90 announced d1 && wait_for 30 announced d2 && wait_for 30 announced d3
result every_director_announces_the_vip_after_its_first_checks $?
wait_for 90 hops_are 3
result the_router_has_an_ecmp_route_with_a_next_hop_per_director $?
echo "router: $($IP -n router route show $VIP | tr '\n\t' '  ')"

# The held connections: a line every 0.2 s each, the answers in a file.
mkdir -p /tmp/held
rm -f /tmp/held.stop
i=1
while [ $i -le $HELD ]; do
	$IP netns exec c sh -c "sleep 100000 | {
		n=0
		while [ ! -f /tmp/held.stop ]; do echo \$n; n=\$((n + 1)); read -t $PERIOD x; done
	} | busybox nc $VIP 7000 >/tmp/held/$i.out 2>/dev/null" &
	i=$((i + 1))
	# One at a time: busybox nc -ll on the reals listens with a backlog of 1.
	sleep 0.1
done
# New connections every 0.1 s, each noted ok (a real answered) or fail.
: >/tmp/loop.log
$IP netns exec c sh -c "sleep 100000 | while [ ! -f /tmp/held.stop ]; do
		read -r up rest </proc/uptime
		t=\${up%.*}\${up#*.}
		case \"\$(echo x | busybox nc -w 1 $VIP 7000 2>/dev/null)\" in
		r*) echo \"\$t ok\" ;;
		*) echo \"\$t fail\" ;;
		esac
		read -t 0.1 x
	done >>/tmp/loop.log" &

# counts FILE: each held connection's answers so far.
counts() { for f in /tmp/held/*.out; do echo "$f $(wc -l <"$f")"; done >"$1"; }
# alive: how many held connections answered in the next 6 s (several
# lines, and TCP's retransmission after a few lost packets).
alive() {
	counts /tmp/held.a
	sleep 6
	counts /tmp/held.b
	awk 'NR == FNR { a[$1] = $2; next } $2 > a[$1] { n++ } END { print n + 0 }' /tmp/held.a /tmp/held.b
}
# one_real_each: how many held connections were always answered by one real.
one_real_each() {
	n=0
	for f in /tmp/held/*.out; do
		[ "$(cut -d' ' -f1 "$f" | sort -u | grep -c .)" = 1 ] && n=$((n + 1))
	done
	echo $n
}
per_director() {
	for d in d1 d2 d3; do
		printf '%s %s  ' $d "$($IP netns exec $d ipvsadm -Lnc | grep -c 10.2.0.2)"
	done
}

# every_one_answered: each held connection has had an answer.
every_one_answered() {
	for f in /tmp/held/*.out; do [ -s "$f" ] || return 1; done
	[ "$(ls /tmp/held | grep -c .)" = $HELD ]
}
wait_for 30 every_one_answered
a=$(alive)
echo "held connections answering: $a of $HELD; connection entries per director: $(per_director)"
[ "$a" = $HELD ]
result the_client_holds_50_connections_through_the_vip $?
busy=0
for d in d1 d2 d3; do
	[ "$($IP netns exec $d ipvsadm -Lnc | grep -c 10.2.0.2)" -gt 0 ] && busy=$((busy + 1))
done
[ $busy = 3 ]
result all_three_directors_carry_traffic $?
tables_alike d1 d2 d3
result the_mh_tables_are_alike_on_every_director $?

# 2. Director 2 dies (its link cut): the router drops it from the group.
t0=$(now)
$IP link set v-d2 down
wait_for 60 hops_are 2
result the_router_withdraws_the_dead_director $?
t1=$(now)
echo "director 2's link cut: the router's route had 2 next hops after $(((t1 - t0) * 10)) ms"
sleep 3
a=$(alive)
echo "held connections answering after director 2 died: $a of $HELD; same real throughout: $(one_real_each)"
[ "$a" = $HELD ] && [ "$(one_real_each)" = $HELD ]
result every_held_connection_carries_on_to_the_same_real $?

# 3. A real dies and comes back: every live director takes it out and back,
# their tables alike at each step.
real_stop r2
wait_for 30 real_serving_nowhere 10.1.0.5:7000 d1 d3 && tables_alike d1 d3
result the_live_directors_take_the_dead_real_out_alike $?
on_r2=$(grep -l "^r2 " /tmp/held/*.out | grep -c .)
echo "held connections answering with r2 dead: $(alive) of $HELD ($on_r2 were on r2; its listener stopped, the connections it took go on while r2 stays in at weight 0)"
real_start r2
wait_for 30 real_serving_everywhere 10.1.0.5:7000 d1 d3 && tables_alike d1 d3
result the_live_directors_put_the_real_back_alike $?

# 4. Director 2 comes back: it announces after its first checks, the router
# puts it back in the group; the connections alive now stay alive.
counts /tmp/held.before
sleep 6
counts /tmp/held.before2
awk 'NR == FNR { a[$1] = $2; next } $2 > a[$1] { print $1 }' /tmp/held.before /tmp/held.before2 >/tmp/held.live
live=$(grep -c . /tmp/held.live)
$IP link set v-d2 up
wait_for 60 hops_are 3
result the_director_that_came_back_is_in_the_group_again $?
wait_for 30 real_serving_everywhere 10.1.0.5:7000 d1 d2 d3 && tables_alike d1 d2 d3
result the_three_tables_are_alike_again $?
sleep 3
counts /tmp/held.after
sleep 6
counts /tmp/held.after2
still=$(awk 'NR == FNR { a[$1] = $2; next } $2 > a[$1] { print $1 }' /tmp/held.after /tmp/held.after2 |
	grep -cxFf /tmp/held.live)
echo "connections alive before director 2 came back: $live; still answering after: $still;" \
	"entries per director: $(per_director)"
[ "$still" = "$live" ]
result the_held_connections_carry_on_when_the_director_comes_back $?

# drain --director: the route goes, the router drops director 1; enable: back.
$IP netns exec d1 "$bin" drain --director >/dev/null
wait_for 30 hops_are 2 && ! announced d1
result drain_director_withdraws_the_vip $?
$IP netns exec d1 "$bin" enable --director >/dev/null
wait_for 60 hops_are 3
result enable_director_announces_it_again $?

touch /tmp/held.stop
sleep 2 # the loops end their turn (the idle pipes' sleeps stay: no wait)
total=$(grep -c . /tmp/loop.log)
fails=$(grep -c fail /tmp/loop.log)
gap=$(awk 'BEGIN { last = 0; gap = 0 }
	$2 == "ok" { if (last && ($1 - last) > gap) gap = $1 - last; last = $1 }
	END { print gap * 10 }' /tmp/loop.log)
echo "new connections every 0.1 s: $total tried, $fails failed; longest time between two answered ones: $gap ms"
[ "$total" -gt 20 ]
result new_connections_go_on_through_the_changes $?

# On stop, each daemon withdraws its route.
kill "$(cat /run/daemon-d3.pid)"
wait_for 15 sh -c "! $IP -n d3 route show proto 250 | grep -q ."
result a_stopping_daemon_withdraws_its_route $?

for d in d1 d2; do kill "$(cat /run/daemon-$d.pid)" 2>/dev/null; done
for n in d1 d2 d3 router; do kill "$(cat /run/bird-$n.pid)" 2>/dev/null; done
finish
