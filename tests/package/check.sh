#!/usr/bin/env bash
# The .deb of scripts/package, on the host: lintian (no error, no warning; the
# ones we accept are overridden in dist/debian/lintian-overrides, each with its
# reason), every file at its path with its mode and owner, the conffile, the
# sample that `validate` accepts and that the default directory does not read,
# the man pages rendered by man(1) without a warning, and the completions
# loaded by bash, zsh and fish. Extracts the package into DIR for the lab
# (tests/lab/package.sh). usage: check.sh DEB DIR
set -u
deb=$1
tree=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lab/lib.sh"
on_failure() { [ -z "${why:-}" ] || printf '%s\n' "$why"; }

why=$(lintian --fail-on error,warning "$deb" 2>&1)
code=$?
[ "$code" = 0 ] && ! printf '%s\n' "$why" | grep -q '^[EW]:'
result lintian_finds_no_error_and_no_warning $?

rm -rf "$tree"
mkdir -p "$tree"
dpkg-deb -x "$deb" "$tree"
# mode owner path, as dpkg-deb lists them.
listing=$(dpkg-deb -c "$deb" | awk '{line = $1 " " $2 " " $6; if ($7 != "") line = line " " $7 " " $8; print line}')
why=
for entry in \
	"-rwxr-xr-x usr/sbin/ipvsctl" \
	"-rw-r--r-- usr/share/man/man8/ipvsctl.8.gz" \
	"-rw-r--r-- usr/share/man/man8/ipvsctl-run.8.gz" \
	"-rw-r--r-- usr/share/man/man8/ipvsctl-sync-become.8.gz" \
	"-rw-r--r-- usr/share/man/man5/ipvsctl.toml.5.gz" \
	"-rw-r--r-- usr/share/bash-completion/completions/ipvsctl" \
	"-rw-r--r-- usr/share/zsh/vendor-completions/_ipvsctl" \
	"-rw-r--r-- usr/share/fish/vendor_completions.d/ipvsctl.fish" \
	"-rw-r--r-- usr/lib/systemd/system/ipvsctl.service" \
	"-rw-r--r-- etc/ipvsctl/site.toml.example" \
	"-rwxr-xr-x usr/lib/ocf/resource.d/ipvsctl/ipvsctl" \
	"-rwxr-xr-x usr/lib/ipvsctl/ipvsctl-heartbeat" \
	"lrwxrwxrwx etc/ha.d/resource.d/ipvsctl -> /usr/lib/ipvsctl/ipvsctl-heartbeat" \
	"-rwxr-xr-x usr/lib/ipvsctl/ipvsctl-keepalived-notify" \
	"-rwxr-xr-x usr/lib/ipvsctl/hooks/mail-alert" \
	"-rw-r--r-- usr/share/doc/ipvsctl/copyright" \
	"-rw-r--r-- usr/share/doc/ipvsctl/changelog.gz" \
	"-rw-r--r-- usr/share/doc/ipvsctl/changelog.Debian.gz" \
	"-rw-r--r-- usr/share/doc/ipvsctl/README.md.gz" \
	"-rw-r--r-- usr/share/doc/ipvsctl/ARCHITECTURE.md.gz" \
	"-rw-r--r-- usr/share/doc/ipvsctl/configuration.md.gz" \
	"-rw-r--r-- usr/share/doc/ipvsctl/grafana/ipvsctl.json.gz" \
	"-rw-r--r-- usr/share/doc/ipvsctl/examples/www.toml" \
	"-rw-r--r-- usr/share/doc/ipvsctl/examples/www.cf" \
	"-rw-r--r-- usr/share/doc/ipvsctl/examples/bird/director.conf" \
	"-rw-r--r-- usr/share/doc/ipvsctl/examples/bird/router.conf" \
	"-rw-r--r-- usr/share/lintian/overrides/ipvsctl"; do
	mode=${entry%% *}
	path=${entry#* }
	printf '%s\n' "$listing" | grep -qxF -- "$mode root/root ./$path" || why="$why
missing or wrong: $mode root/root ./$path"
done
# Nothing but root's, nothing writable by others, no setuid.
odd=$(printf '%s\n' "$listing" | grep -v ' root/root ' ; printf '%s\n' "$listing" | grep -E '^.{7}w|^...s|^......s' | grep -v '^l')
[ -z "$odd" ] || why="$why
not root's, or writable by others, or setuid: $odd"
[ -z "$why" ]
result every_file_is_at_its_path_with_its_mode $?

control=$(mktemp -d)
dpkg-deb -e "$deb" "$control"
why="conffiles: $(cat "$control/conffiles"); control: $(cat "$control/control")"
[ "$(cat "$control/conffiles")" = /etc/ipvsctl/site.toml.example ] &&
	grep -q '^Depends: .*libc6 (>= ' "$control/control" &&
	grep -q '^Recommends: ipvsadm$' "$control/control" &&
	[ ! -e "$control/postinst" ] # the unit is not enabled on install
result the_sample_is_a_conffile_and_depends_names_libc $?
rm -rf "$control"

# The sample is good, and not read where it lies: a fresh `systemctl enable --now`
# acts on nothing until an operator writes /etc/ipvsctl/*.toml.
bin=$tree/usr/sbin/ipvsctl
why=$("$bin" validate "$tree/etc/ipvsctl/site.toml.example" 2>&1)
good=$?
not_read=$("$bin" validate --config-dir "$tree/etc/ipvsctl" 2>&1)
empty=$?
why="$why / $not_read"
[ $good = 0 ] && [ $empty = 1 ] && printf '%s\n' "$not_read" | grep -q "holds no \*.toml file" &&
	grep -qx 'ExecStart=/usr/sbin/ipvsctl run' "$tree/usr/lib/systemd/system/ipvsctl.service"
result the_sample_validates_and_is_not_read_by_default $?

# man(1) renders every page without a warning; the pages say what the code says.
why=
for page in "$tree"/usr/share/man/man*/*.gz; do
	warnings=$(MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null)
	text=$(MANWIDTH=80 man -E UTF-8 -l "$page" 2>/dev/null)
	[ -z "$warnings" ] && [ -n "$text" ] || why="$why
$(basename "$page"): ${warnings:-empty}"
done
run_page=$(MANWIDTH=200 man -l "$tree/usr/share/man/man8/ipvsctl-run.8.gz" 2>/dev/null)
config_page=$(MANWIDTH=200 man -l "$tree/usr/share/man/man5/ipvsctl.toml.5.gz" 2>/dev/null)
printf '%s\n' "$run_page" | grep -q -- '--config-dir' || why="$why
ipvsctl-run(8) does not show --config-dir"
printf '%s\n' "$config_page" | grep -q '^\[\[VIRTUAL.REAL\]\]' || why="$why
ipvsctl.toml(5) has no [[VIRTUAL.REAL]] section"
[ -z "$why" ]
result man_renders_every_page_without_a_warning $?

# The completions load, and complete a subcommand and an option.
completions=$tree/usr/share
why=$(bash -c '
	source "$1"
	complete -p ipvsctl || exit 1
	COMP_WORDS=(ipvsctl vali); COMP_CWORD=1; COMP_LINE="ipvsctl vali"; COMP_POINT=${#COMP_LINE}
	_ipvsctl ipvsctl vali ipvsctl; echo "${COMPREPLY[*]}"' x \
	"$completions/bash-completion/completions/ipvsctl" 2>&1)
printf '%s\n' "$why" | grep -qx validate
result bash_completion_completes_a_subcommand $?
why=$(zsh -fc 'fpath=("$1" $fpath); autoload -Uz compinit; compinit -u -D; print -r -- ${_comps[ipvsctl]}' x \
	"$completions/zsh/vendor-completions" 2>&1)
[ "$why" = _ipvsctl ] && zsh -n "$completions/zsh/vendor-completions/_ipvsctl"
result zsh_completion_loads $?
why=$(fish --no-config -c 'source $argv[1]; complete -C"ipvsctl run --config"' \
	"$completions/fish/vendor_completions.d/ipvsctl.fish" 2>&1)
printf '%s\n' "$why" | grep -q '^--config-dir'
result fish_completion_completes_an_option $?
finish
