#!/bin/sh
# pki.sh — the head-office certificate authority for fieldsync (openssl).
#
#   pki.sh init DIR [HOST...]     CA + hub certificate (SANs: each HOST given,
#                                 a name or an IP address, plus localhost and
#                                 127.0.0.1), an empty CRL
#   pki.sh device DIR DEVICE_ID   client certificate for one laptop
#   pki.sh revoke DIR DEVICE_ID   revoke a laptop's certificate, new CRL
#   pki.sh crl DIR                re-issue the CRL (before it expires)
#
# Layout of DIR (private keys are mode 0600, DIR itself 0700):
#   ca.key ca.crt            head-office CA (ca.crt goes to every laptop
#                            and to the hub's [hub] ca)
#   hub.key hub.crt          the hub's server certificate ([hub] cert/key)
#   crl.pem                  revoked device certificates ([hub] crl)
#   devices/ID.key ID.crt    one laptop's client certificate ([agent]
#                            cert/key); copy to the laptop, then delete the
#                            key here
#   ca/                      openssl ca database (index, serials)
#
# Keys are ECDSA P-256 (what Debian's mbedTLS 2.28 build of nng supports
# best). The CRL is valid for FSY_CRL_DAYS days (default 365): an expired
# CRL makes the hub refuse every client, so re-issue it with `crl` in time.
# The hub reads crl.pem at start and on SIGHUP. See docs/SECURITY.md.
set -eu

CA_DAYS=${FSY_CA_DAYS:-3650}
CERT_DAYS=${FSY_CERT_DAYS:-825}
CRL_DAYS=${FSY_CRL_DAYS:-365}

die() {
	echo "pki.sh: $*" >&2
	exit 1
}

usage() {
	sed -n '3,10p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

need_openssl() {
	command -v openssl >/dev/null 2>&1 || die "openssl is not installed"
}

newkey() { # newkey FILE
	(umask 077 && openssl genpkey -algorithm EC \
	    -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null) ||
		die "cannot make a key in $1"
}

write_cnf() { # write_cnf DIR
	cat >"$1/ca/openssl.cnf" <<EOF
[ ca ]
default_ca = fsy_ca

[ fsy_ca ]
dir              = $1
database         = \$dir/ca/index.txt
new_certs_dir    = \$dir/ca/newcerts
serial           = \$dir/ca/serial
crlnumber        = \$dir/ca/crlnumber
certificate      = \$dir/ca.crt
private_key      = \$dir/ca.key
default_md       = sha256
default_days     = $CERT_DAYS
default_crl_days = $CRL_DAYS
policy           = fsy_policy
unique_subject   = no
copy_extensions  = none
email_in_dn      = no

[ fsy_policy ]
organizationName = optional
commonName       = supplied

[ req ]
distinguished_name = req_dn
prompt             = no

[ req_dn ]
CN = fieldsync

[ ext_hub ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyAgreement
extendedKeyUsage       = serverAuth
subjectAltName         = \${ENV::FSY_SAN}
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

[ ext_device ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyAgreement
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

[ ext_crl ]
authorityKeyIdentifier = keyid
EOF
}

# sign DIR CSR OUT EXT CN
sign() {
	openssl ca -batch -config "$1/ca/openssl.cnf" -extensions "$4" \
	    -subj "/O=fieldsync/CN=$5" -in "$2" -out "$3" -notext \
	    >/dev/null 2>"$1/ca/last.err" || {
		cat "$1/ca/last.err" >&2
		die "signing $5 failed"
	}
}

gencrl() { # gencrl DIR
	openssl ca -batch -config "$1/ca/openssl.cnf" -gencrl \
	    -crlexts ext_crl -out "$1/crl.pem.new" >/dev/null 2>"$1/ca/last.err" || {
		cat "$1/ca/last.err" >&2
		die "cannot issue the CRL"
	}
	mv "$1/crl.pem.new" "$1/crl.pem"
}

is_ip() {
	case "$1" in
	*:*) return 0 ;; # IPv6
	*[!0-9.]*) return 1 ;;
	*.*.*.*) return 0 ;;
	*) return 1 ;;
	esac
}

cmd_init() {
	[ $# -ge 1 ] || usage
	dir=$1
	shift
	[ -e "$dir/ca.key" ] && die "$dir already holds a CA (ca.key); refusing to overwrite it"
	mkdir -p "$dir" || die "cannot create $dir"
	dir=$(cd "$dir" && pwd)
	chmod 700 "$dir"
	mkdir -p "$dir/ca/newcerts" "$dir/devices"
	: >"$dir/ca/index.txt"
	echo "unique_subject = no" >"$dir/ca/index.txt.attr"
	openssl rand -hex 16 >"$dir/ca/serial"
	echo 1000 >"$dir/ca/crlnumber"

	san="DNS:localhost,IP:127.0.0.1"
	cn=""
	for h in "$@"; do
		case "$h" in
		*[!A-Za-z0-9.:-]* | "") die "bad host name or address: '$h'" ;;
		esac
		[ -z "$cn" ] && cn=$h
		if is_ip "$h"; then
			san="$san,IP:$h"
		else
			san="$san,DNS:$h"
		fi
	done
	[ -z "$cn" ] && cn=localhost
	write_cnf "$dir"

	newkey "$dir/ca.key"
	openssl req -new -x509 -key "$dir/ca.key" -days "$CA_DAYS" -sha256 \
	    -subj "/O=fieldsync/CN=fieldsync head-office CA" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" \
	    -addext "subjectKeyIdentifier=hash" \
	    -out "$dir/ca.crt" 2>"$dir/ca/last.err" || {
		cat "$dir/ca/last.err" >&2
		die "cannot make the CA certificate"
	}

	newkey "$dir/hub.key"
	openssl req -new -key "$dir/hub.key" -subj "/O=fieldsync/CN=$cn" \
	    -out "$dir/ca/hub.csr" 2>/dev/null || die "cannot make the hub request"
	FSY_SAN=$san sign "$dir" "$dir/ca/hub.csr" "$dir/hub.crt" ext_hub "$cn"
	rm -f "$dir/ca/hub.csr"
	FSY_SAN=$san gencrl "$dir"
	echo "pki.sh: CA and hub certificate ($san) in $dir"
}

check_id() {
	case "$1" in
	[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]) ;;
	*) die "bad device id '$1': want a lower-case UUID (the device id of \`device issue\`)" ;;
	esac
}

check_ca() {
	[ -f "$1/ca.key" ] && [ -f "$1/ca/openssl.cnf" ] ||
		die "$1 holds no CA: run 'pki.sh init $1' first"
}

cmd_device() {
	[ $# -eq 2 ] || usage
	dir=$(cd "$1" 2>/dev/null && pwd) || die "no directory $1"
	id=$2
	check_ca "$dir"
	check_id "$id"
	[ -e "$dir/devices/$id.crt" ] && die "device $id already has a certificate in $dir/devices"
	newkey "$dir/devices/$id.key"
	openssl req -new -key "$dir/devices/$id.key" -subj "/O=fieldsync/CN=$id" \
	    -out "$dir/ca/$id.csr" 2>/dev/null || die "cannot make the request for $id"
	FSY_SAN=DNS:unused sign "$dir" "$dir/ca/$id.csr" "$dir/devices/$id.crt" ext_device "$id"
	rm -f "$dir/ca/$id.csr"
	echo "pki.sh: client certificate for $id in $dir/devices/$id.crt (key $id.key)"
}

cmd_revoke() {
	[ $# -eq 2 ] || usage
	dir=$(cd "$1" 2>/dev/null && pwd) || die "no directory $1"
	id=$2
	check_ca "$dir"
	check_id "$id"
	[ -f "$dir/devices/$id.crt" ] || die "no certificate for device $id in $dir/devices"
	FSY_SAN=DNS:unused openssl ca -batch -config "$dir/ca/openssl.cnf" \
	    -revoke "$dir/devices/$id.crt" -crl_reason keyCompromise \
	    >/dev/null 2>"$dir/ca/last.err" || {
		grep -q "Already revoked" "$dir/ca/last.err" ||
			{ cat "$dir/ca/last.err" >&2; die "cannot revoke $id"; }
	}
	FSY_SAN=DNS:unused gencrl "$dir"
	echo "pki.sh: $id revoked; install $dir/crl.pem on the hub and send it SIGHUP"
}

cmd_crl() {
	[ $# -eq 1 ] || usage
	dir=$(cd "$1" 2>/dev/null && pwd) || die "no directory $1"
	check_ca "$dir"
	FSY_SAN=DNS:unused gencrl "$dir"
	echo "pki.sh: new CRL in $dir/crl.pem, valid $CRL_DAYS days"
}

[ $# -ge 1 ] || usage
need_openssl
sub=$1
shift
case "$sub" in
init) cmd_init "$@" ;;
device) cmd_device "$@" ;;
revoke) cmd_revoke "$@" ;;
crl) cmd_crl "$@" ;;
-h | --help | help) usage ;;
*) echo "pki.sh: unknown command '$sub'" >&2; usage ;;
esac
