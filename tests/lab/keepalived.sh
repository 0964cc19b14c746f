#!/bin/sh
# The failover that drops nothing, with keepalived doing VRRP in both
# directors (dist/keepalived/director{1,2}.conf) and ipvsctl doing IPVS with
# connection sync. Two ways to run the pair:
#   symmetric  the recommended one: `ipvsctl run` on both directors all the
#              time, `[sync] state = "both"`, keepalived with no notify script
#              only moves the VIP;
#   roles      role switching: the notify script (dist/keepalived/
#              ipvsctl-keepalived-notify) makes the VIP's director the sync
#              master and the other the sync backup; both keep the daemon.
# Director 1 holds the VIP; a real's server stops while director 2 is
# passive; director 1's link is cut and the VIP moves to director 2: the held
# connection goes on, and from the first request director 2 answers none
# fails (none reaches the dead real); the link comes back and director 1
# takes over again. The site: directors.sh.
# usage: keepalived.sh IPVSCTL KEEPALIVED [symmetric|roles]
# (DIST overrides dist/, to measure other scripts with the same test.)
set -u
bin=$1
keepalived=$2
mode=${3:-symmetric}
here=$(cd "$(dirname "$0")" && pwd)
dist=${DIST:-$here/../../dist}
resource=$dist/heartbeat/ipvsctl-heartbeat
notify=$dist/keepalived/ipvsctl-keepalived-notify
case $mode in
symmetric) SYNC_STATE=both ;;
roles) SYNC_STATE=master ;;
*) echo "usage: $0 IPVSCTL KEEPALIVED [symmetric|roles]" >&2; exit 2 ;;
esac
. "$here/directors.sh"
echo "--- keepalived and ipvsctl: $mode"

vip_on() { $IP -n "$1" addr show dev eth0 | grep -q "$VIP/32"; }
answers() { $IP netns exec "$1" "$bin" status >/dev/null 2>&1; }
both_sync_daemons() {
	$IP netns exec "$1" ipvsadm -L --daemon | grep -q "^master" &&
		$IP netns exec "$1" ipvsadm -L --daemon | grep -q "^backup"
}

# keepalived refuses scripts on a path others may write (/tmp): /run/ka.
mkdir -p /run/ka
chmod 700 /run/ka
n=1
for d in d1 d2; do
	mkdir -p /run/$d
	if [ "$mode" = symmetric ]; then
		# The daemon runs on both, whatever the VRRP state (systemd's job on
		# a real director); the samples name no notify script.
		$IP netns exec $d "$bin" run /tmp/www.toml >>/tmp/$d.log 2>&1 &
		echo $! >/run/$d/daemon.pid
		wait_for 15 answers $d
		! grep -q '^[^#]*notify' "$dist/keepalived/director$n.conf"
		result "director${n}_conf_names_no_notify_script" $?
		cp "$dist/keepalived/director$n.conf" /run/ka/$d.conf
	else
		cat >/run/ka/notify-$d.sh <<EOF
#!/bin/sh
export IPVSCTL=$bin IPVSCTL_LOG=/tmp/$d.log IPVSCTL_HEARTBEAT=$resource
exec sh $notify "\$1" /tmp/www.toml >>/tmp/notify-$d.log 2>&1
EOF
		chmod 700 /run/ka/notify-$d.sh
		# The samples' vrrp_instance with the notify lines of the script's header.
		sed "/notify_\|enable_script_security\|script_user/d; /^ *router_id/a\\
    enable_script_security\\
    script_user root
/virtual_ipaddress {/,/}/!b; /}/a\\
    notify_master \"/bin/sh /run/ka/notify-$d.sh master\"\\
    notify_backup \"/bin/sh /run/ka/notify-$d.sh backup\"\\
    notify_fault  \"/bin/sh /run/ka/notify-$d.sh fault\"" \
			"$dist/keepalived/director$n.conf" >/run/ka/$d.conf
	fi
	$IP netns exec $d "$keepalived" -n -D -l --vrrp -f /run/ka/$d.conf \
		-p /run/ka/$d.pid -r /run/ka/$d-vrrp.pid >/tmp/keepalived-$d.log 2>&1 &
	n=$((n + 1))
done

# Director 1 elected; director 2 passive, its daemon running and its table
# right (the same as director 1's).
if [ "$mode" = symmetric ]; then
	standby_ok() { both_sync_daemons d1 && both_sync_daemons d2; }
else
	# Director 1's notify_master may still be on its way: a connection made
	# before its sync master runs is not synced (until 50 more packets).
	master_runs() { $IP netns exec "$1" ipvsadm -L --daemon | grep -q "^master"; }
	standby_ok() {
		wait_for 15 master_runs d1 && wait_for 15 backup_runs d2 &&
			[ "$(resource d2 status)" = running ]
	}
fi
wait_for 30 vip_on d1 && ! vip_on d2 && wait_for 15 answers d2 &&
	wait_for 15 table_is d1 192.168.0.4:7000 192.168.0.5:7000 &&
	wait_for 15 table_is d2 192.168.0.4:7000 192.168.0.5:7000 && standby_ok
result keepalived_elects_director_1_and_director_2_keeps_its_table_right $?

traffic_start

# The server of the real the held connection does not use stops while
# director 2 is passive: both directors' checks take it out (director 2's
# too, though it has no traffic). (Packets of connections to a real taken out
# are dropped: expire_nodest_conn 0; so not the held connection's real.)
held=$($IP netns exec d1 ipvsadm -Lnc | awk '/ESTABLISHED/ && /192.168.0.50/ { print $NF; exit }')
if [ "$held" = 192.168.0.4:7000 ]; then
	dead=r2 live=192.168.0.4:7000 dead_real=192.168.0.5:7000
else
	dead=r1 live=192.168.0.5:7000 dead_real=192.168.0.4:7000
fi
echo "the held connection goes to $held; $dead ($dead_real) stops"
echo_stop $dead
wait_for 15 table_is d1 $live && wait_for 15 table_is d2 $live
result the_passive_director_takes_a_dead_real_out $?

t0=$(now)
$IP link set v-d1 down
wait_for 30 vip_on d2
t1=$(now)
echo "director 1's link cut: the VIP was on director 2 after $(((t1 - t0) * 10)) ms"
held_says after && wait_for 15 table_is d2 $live
result the_held_connection_goes_on_through_director_2 $?
sleep 2
late=$(failed_after_takeover "$t1")
echo "requests that failed after director 2 answered its first: $late"
[ "$late" = 0 ]
result no_request_reaches_the_dead_real_after_the_takeover $?

wait_for 15 synced d1 || true
$IP link set v-d1 up
wait_for 30 vip_on d1 && wait_for 15 table_is d1 $live &&
	wait_for 10 sh -c "! $IP -n d2 addr show dev eth0 | grep -q $VIP/32"
result director_1_takes_over_again $?
held_says back
result the_held_connection_goes_on_after_the_failback $?
traffic_report

# The real comes back: both directors put it in again.
echo_start $dead
wait_for 15 table_is d1 192.168.0.4:7000 192.168.0.5:7000 &&
	wait_for 15 table_is d2 192.168.0.4:7000 192.168.0.5:7000
result both_directors_put_the_real_back_when_it_answers_again $?

# Stopped, and waited for: keepalived logs to the console as it stops, and a
# line written over the lab's exit marker would lose the exit code.
pids=$(cat /run/ka/d1.pid /run/ka/d2.pid 2>/dev/null)
for p in $pids; do kill "$p" 2>/dev/null; done
gone() { for p in $pids; do [ ! -e /proc/$p ] || return 1; done; }
wait_for 15 gone || true
sleep 1
finish
