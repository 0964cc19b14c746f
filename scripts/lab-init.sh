#!/usr/bin/busybox sh
# shellcheck shell=sh
#
# /init (PID 1) of the ipvsctl lab VM. scripts/lab copies this file into the
# cached base initramfs; it is not meant to run on a host.
#
# Contract with scripts/lab:
#   /.ipvsctl-lab/config   sourced; sets LAB_NO_IPVS=0|1
#   /.ipvsctl-lab/run.sh   the user's command (cd + env + exec), run by sh
#   /etc/ipvsctl-lab/ipvs-modules, base-modules   modules to preload
# Whatever happens, the last thing printed is "IPVSCTL-LAB-EXIT=<code>",
# then the VM powers off.

PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
LAB=/.ipvsctl-lab
EXIT_MARKER=IPVSCTL-LAB-EXIT

# Applet links go to /bin (= /usr/bin); files already there, notably
# /usr/bin/ip (iproute2, also reachable as /sbin/ip), are left alone.
/usr/bin/busybox --install -s /bin

mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/null >/dev/console 2>&1

finish() {
	printf '\n%s=%s\n' "$EXIT_MARKER" "$1"
	sync
	poweroff -f
	sleep 5
	exit "$1" # poweroff failed: init exits, the kernel panics, qemu stops (panic=-1 -no-reboot)
}

fail() {
	echo "lab-init: $*" >&2
	finish 125
}

# Mount a tmpfs on DIR unless files for the run were already unpacked there
# (e.g. --file /tmp/x/hello); the initramfs root is a tmpfs anyway.
mount_tmpfs() {
	mkdir -p "$1" || return 1
	if [ -z "$(ls -A "$1")" ]; then
		mount -t tmpfs -o "mode=$2,nosuid,nodev" tmpfs "$1" || return 1
	fi
	chmod "$2" "$1"
}

mount -t proc proc /proc || fail "cannot mount /proc"
mount -t sysfs sysfs /sys || fail "cannot mount /sys"
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts || fail "cannot mount /dev/pts"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm || fail "cannot mount /dev/shm"
mount_tmpfs /tmp 1777 || fail "cannot set up /tmp"
mount_tmpfs /run 0755 || fail "cannot set up /run"
mkdir -p /var /run/netns /root
[ -e /var/run ] || ln -s ../run /var/run
[ -e /var/tmp ] || ln -s ../tmp /var/tmp

hostname lab
/sbin/ip link set lo up || fail "cannot bring up lo"
echo /sbin/modprobe >/proc/sys/kernel/modprobe || fail "cannot set kernel.modprobe"

[ -r "$LAB/config" ] || fail "missing $LAB/config"
LAB_NO_IPVS=0
# shellcheck source=/dev/null
. "$LAB/config"

if [ "$LAB_NO_IPVS" = 1 ]; then
	# Make IPVS really absent: nothing (ipvsadm, the kernel's own
	# request_module) can load it afterwards.
	rm -rf /lib/modules/*/kernel/net/netfilter/ipvs
else
	while read -r m; do
		modprobe "$m" || fail "cannot load module $m"
	done </etc/ipvsctl-lab/ipvs-modules
	[ -e /proc/net/ip_vs ] || fail "ip_vs loaded but /proc/net/ip_vs is missing"
fi
while read -r m params; do
	# shellcheck disable=SC2086 # module parameters, one word each
	modprobe "$m" $params || fail "cannot load module $m"
done </etc/ipvsctl-lab/base-modules

HOME=/root
USER=root
LOGNAME=root
SHELL=/bin/sh
TERM=dumb
export HOME USER LOGNAME SHELL TERM
cd /root || fail "cannot cd /root"

# Output goes through a pipe, not the console tty, so programs see a
# non-terminal stdout (no colours, no tty line discipline surprises). A
# background process that keeps the pipe open is cut off 2 s after the
# command itself exits.
mkfifo "$LAB/out" || fail "cannot create $LAB/out"
cat "$LAB/out" &
catpid=$!
sh "$LAB/run.sh" >"$LAB/out" 2>&1 </dev/null
rc=$?
i=0
while kill -0 "$catpid" 2>/dev/null && [ "$i" -lt 20 ]; do
	usleep 100000
	i=$((i + 1))
done
kill "$catpid" 2>/dev/null
finish "$rc"
