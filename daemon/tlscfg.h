/*
 * tlscfg.h — the daemon's credentials: nng TLS configurations built from
 * the PEM files named in the config, and the device's Ed25519 key.
 */
#ifndef FSY_TLSCFG_H
#define FSY_TLSCFG_H

#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

#include "config.h"

#define FSY_PEM_MAX (1024 * 1024) /* largest certificate/key/CRL file */

/*
 * Builds the hub's server TLS configuration from c: its certificate and
 * key (cert, key), the CA that signs device certificates (ca) with the
 * optional CRL (crl); a client certificate is REQUIRED. On success *out
 * holds one reference (nng_tls_config_free). Returns FSY_OK, FSY_EIO (a
 * file cannot be read), FSY_ETLS (a file is not what it should be) or
 * FSY_ENOMEM, with a message naming the file in err.
 */
int fsy_tls_server(const fsy_config_t *c, nng_tls_config **out, char *err,
    size_t errlen);

/*
 * Builds the agent's client TLS configuration from c: the head-office CA
 * that must have signed the hub's certificate (ca), the laptop's client
 * certificate and key (cert, key), and the name the hub's certificate must
 * carry (server_name, else the host of the hub URL). Same returns as
 * fsy_tls_server.
 */
int fsy_tls_client(const fsy_config_t *c, nng_tls_config **out, char *err,
    size_t errlen);

/*
 * Reads the device's Ed25519 secret key from path: 128 hex digits (the
 * libsodium secret key, seed then public key), surrounding blanks allowed.
 * The file must not be readable by group or others, and the public half
 * must match the seed. Returns FSY_OK with sk filled, FSY_EIO, FSY_EPERM
 * (file mode) or FSY_EINVAL (contents), with a message in err.
 */
int fsy_device_key_load(const char *path, uint8_t sk[64], char *err,
    size_t errlen);

/*
 * Hashes the contents of the TLS files c names for the given side
 * (server: cert, key, ca, crl; client: ca, cert, key) into out, so that a
 * reload can tell whether they changed. Unreadable files hash as empty.
 */
void fsy_tls_files_digest(const fsy_config_t *c, int server,
    uint8_t out[32]);

/* Translates an nng error code to an FSY_E* code. */
int fsy_err_from_nng(int rv);

#endif /* FSY_TLSCFG_H */
