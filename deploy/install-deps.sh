#!/bin/sh
# Install the Debian 12 packages fieldsync needs to build, test and run.
# Idempotent and non-interactive: installs only what is missing.
set -eu

PKGS="build-essential cmake pkg-config git openssl
libuv1-dev libsqlite3-dev libnng-dev libmbedtls-dev libmsgpack-dev
libcmocka-dev libsodium-dev libzstd-dev libinih-dev libcsv-dev
libjansson-dev uuid-dev libsystemd-dev sqlite3 procps jq"
# Used by `make test` for the bounded fuzz runs and `make bench`.
PKGS="$PKGS clang libclang-rt-14-dev"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 && SUDO="sudo" || {
		echo "install-deps: need root (or sudo) to install:$missing" >&2
		exit 1
	}
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
