/* tlscfg.c — TLS configurations and the device key (see tlscfg.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "tlscfg.h"
#include "util.h"

int
fsy_err_from_nng(int rv)
{
	switch (rv) {
	case 0:
		return FSY_OK;
	case NNG_ENOMEM:
		return FSY_ENOMEM;
	case NNG_ETIMEDOUT:
		return FSY_ETIMEOUT;
	case NNG_ECONNREFUSED:
		return FSY_ECONNREFUSED;
	case NNG_ECLOSED:
	case NNG_ECONNSHUT:
	case NNG_ECONNRESET:
	case NNG_ECONNABORTED:
	case NNG_ECANCELED:
		return FSY_ECLOSED;
	case NNG_ECRYPTO:
	case NNG_EPEERAUTH:
		return FSY_ETLS;
	case NNG_EMSGSIZE:
		return FSY_ETOOBIG;
	case NNG_EPERM:
		return FSY_EPERM;
	case NNG_EINVAL:
	case NNG_EADDRINVAL:
		return FSY_EINVAL;
	case NNG_EBUSY:
	case NNG_EADDRINUSE:
		return FSY_EBUSY;
	case NNG_EPROTO:
		return FSY_EPROTO;
	default:
		return FSY_EIO;
	}
}

/* Reads a whole (small) text file into a NUL-terminated heap buffer. */
static int
read_file(const char *what, const char *path, char **out, char *err,
    size_t errlen)
{
	FILE *f = NULL;
	char *buf = NULL;
	size_t n = 0;
	int rv = FSY_OK;

	*out = NULL;
	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		rv = FSY_EIO;
		goto out;
	}
	if ((buf = malloc(FSY_PEM_MAX + 1)) == NULL) {
		rv = FSY_ENOMEM;
		snprintf(err, errlen, "%s %s: out of memory", what, path);
		goto out;
	}
	n = fread(buf, 1, FSY_PEM_MAX + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s %s: read error", what, path);
		rv = FSY_EIO;
		goto out;
	}
	if (n > FSY_PEM_MAX) {
		snprintf(err, errlen, "%s %s: larger than %d bytes", what, path,
		    FSY_PEM_MAX);
		rv = FSY_ETOOBIG;
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	buf = NULL;
out:
	if (f)
		fclose(f);
	free(buf);
	return rv;
}

/* Checks that text holds a PEM block of the given label. */
static int
has_pem(const char *text, const char *label)
{
	char tag[64];

	snprintf(tag, sizeof(tag), "-----BEGIN %s", label);
	return strstr(text, tag) != NULL;
}

static int
build(const fsy_config_t *c, int server, nng_tls_config **out, char *err,
    size_t errlen)
{
	nng_tls_config *tls = NULL;
	char *ca = NULL, *cert = NULL, *key = NULL, *crl = NULL;
	int rv, nrv;

	*out = NULL;
	if ((rv = read_file("ca", c->ca, &ca, err, errlen)) != FSY_OK ||
	    (rv = read_file("cert", c->cert, &cert, err, errlen)) != FSY_OK ||
	    (rv = read_file("key", c->key, &key, err, errlen)) != FSY_OK)
		goto out;
	if (server && c->crl[0] &&
	    (rv = read_file("crl", c->crl, &crl, err, errlen)) != FSY_OK)
		goto out;
	rv = FSY_ETLS;
	if (!has_pem(ca, "CERTIFICATE")) {
		snprintf(err, errlen, "ca %s: no PEM certificate in it", c->ca);
		goto out;
	}
	if (!has_pem(cert, "CERTIFICATE")) {
		snprintf(err, errlen, "cert %s: no PEM certificate in it", c->cert);
		goto out;
	}
	if (!has_pem(key, "") || !strstr(key, "PRIVATE KEY")) {
		snprintf(err, errlen, "key %s: no PEM private key in it", c->key);
		goto out;
	}
	if (crl && !has_pem(crl, "X509 CRL")) {
		snprintf(err, errlen, "crl %s: no PEM CRL in it", c->crl);
		goto out;
	}
	if ((nrv = nng_tls_config_alloc(&tls, server ? NNG_TLS_MODE_SERVER
	    : NNG_TLS_MODE_CLIENT)) != 0) {
		snprintf(err, errlen, "TLS: %s", nng_strerror(nrv));
		rv = fsy_err_from_nng(nrv);
		goto out;
	}
	if ((nrv = nng_tls_config_ca_chain(tls, ca, crl)) != 0) {
		snprintf(err, errlen, "ca %s%s%s: %s (not a valid PEM "
		    "certificate%s?)", c->ca, crl ? " / crl " : "",
		    crl ? c->crl : "", nng_strerror(nrv), crl ? " or CRL" : "");
		goto out;
	}
	if ((nrv = nng_tls_config_own_cert(tls, cert, key, NULL)) != 0) {
		snprintf(err, errlen, "cert %s / key %s: %s (not a valid PEM "
		    "certificate and unencrypted key?)", c->cert, c->key,
		    nng_strerror(nrv));
		goto out;
	}
	if ((nrv = nng_tls_config_auth_mode(tls,
	    NNG_TLS_AUTH_MODE_REQUIRED)) != 0) {
		snprintf(err, errlen, "TLS auth mode: %s", nng_strerror(nrv));
		goto out;
	}
	if (!server) {
		char host[256] = "";
		if (c->server_name[0])
			snprintf(host, sizeof(host), "%s", c->server_name);
		else {
			nng_url *u = NULL;
			if (nng_url_parse(&u, c->hub) == 0) {
				snprintf(host, sizeof(host), "%s", u->u_hostname);
				nng_url_free(u);
			}
		}
		if (host[0] && (nrv = nng_tls_config_server_name(tls, host)) != 0) {
			snprintf(err, errlen, "TLS server name %s: %s", host,
			    nng_strerror(nrv));
			goto out;
		}
	}
	*out = tls;
	tls = NULL;
	rv = FSY_OK;
out:
	if (tls)
		nng_tls_config_free(tls);
	if (key) {
		sodium_memzero(key, strlen(key));
		free(key);
	}
	free(ca);
	free(cert);
	free(crl);
	return rv;
}

int
fsy_tls_server(const fsy_config_t *c, nng_tls_config **out, char *err,
    size_t errlen)
{
	return build(c, 1, out, err, errlen);
}

int
fsy_tls_client(const fsy_config_t *c, nng_tls_config **out, char *err,
    size_t errlen)
{
	return build(c, 0, out, err, errlen);
}

void
fsy_tls_files_digest(const fsy_config_t *c, int server, uint8_t out[32])
{
	const char *files[] = {c->ca, c->cert, c->key, server ? c->crl : ""};
	crypto_generichash_state h;
	char err[8];

	crypto_generichash_init(&h, NULL, 0, 32);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *text = NULL;
		crypto_generichash_update(&h, (const uint8_t *)files[i],
		    strlen(files[i]) + 1);
		if (files[i][0] && read_file("", files[i], &text, err,
		    sizeof(err)) == FSY_OK) {
			crypto_generichash_update(&h, (const uint8_t *)text,
			    strlen(text) + 1);
			sodium_memzero(text, strlen(text));
			free(text);
		}
	}
	crypto_generichash_final(&h, out, 32);
}

int
fsy_device_key_load(const char *path, uint8_t sk[64], char *err,
    size_t errlen)
{
	char buf[512], hex[129] = "";
	uint8_t pk[32], sk2[64];
	struct stat sb;
	const char *p;
	size_t n = 0;
	int fd = -1, rv = FSY_OK;
	ssize_t r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &sb) != 0) {
		snprintf(err, errlen, "device_key %s: %s", path, strerror(errno));
		rv = FSY_EIO;
		goto out;
	}
	if (sb.st_mode & 077) {
		snprintf(err, errlen, "device_key %s: readable by others (mode "
		    "%04o); run chmod 600 %s", path, (unsigned)(sb.st_mode & 07777),
		    path);
		rv = FSY_EPERM;
		goto out;
	}
	while (n < sizeof(buf) - 1 &&
	    (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	p = buf + strspn(buf, " \t\r\n");
	if (strlen(p) >= 128) {
		memcpy(hex, p, 128);
		hex[128] = '\0';
	}
	if (strlen(p) < 128 || fsy_unhex(hex, sk, 64) != FSY_OK ||
	    strspn(p + 128, " \t\r\n") != strlen(p + 128)) {
		snprintf(err, errlen, "device_key %s: want 128 hex digits (the "
		    "device's Ed25519 secret key)", path);
		rv = FSY_EINVAL;
		goto out;
	}
	crypto_sign_seed_keypair(pk, sk2, sk);
	if (sodium_memcmp(sk2, sk, 64) != 0) {
		snprintf(err, errlen, "device_key %s: the public half does not "
		    "match the seed (damaged key file)", path);
		rv = FSY_EINVAL;
	}
out:
	sodium_memzero(buf, sizeof(buf));
	sodium_memzero(hex, sizeof(hex));
	sodium_memzero(sk2, sizeof(sk2));
	if (rv != FSY_OK)
		sodium_memzero(sk, 64);
	if (fd >= 0)
		close(fd);
	return rv;
}
