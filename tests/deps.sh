#!/bin/sh
# Check the build and test dependencies; as root on Debian, install what is missing with
# apt-get (saying so). Otherwise print the apt-get line to run and fail.
set -u
missing=""
have_pc() { pkg-config --exists "$1" 2>/dev/null; }
command -v cc >/dev/null 2>&1 || missing="$missing gcc"
command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
have_pc libseccomp || missing="$missing libseccomp-dev"
have_pc libcap || missing="$missing libcap-dev"
have_pc check || missing="$missing check"
command -v mandoc >/dev/null 2>&1 || missing="$missing mandoc"
command -v python3 >/dev/null 2>&1 || missing="$missing python3"
[ -z "$missing" ] && exit 0

echo "fdbroker: missing build/test dependencies:$missing" >&2
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "fdbroker: installing them with apt-get (Debian packages)..." >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 || exit 1
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >&2 || exit 1
	echo "fdbroker: dependencies installed." >&2
	exit 0
fi
echo "fdbroker: run as root:  apt-get install$missing" >&2
exit 1
