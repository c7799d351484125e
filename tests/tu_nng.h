/* tu_nng.h — the in-process hub and agents of tu_sync.h, over real nng
 * REQ/REP sockets on loopback. The hub runs in its own thread and is the
 * only user of its store while it runs. */
#ifndef FSY_TU_NNG_H
#define FSY_TU_NNG_H

#include <nng/nng.h>

#include "tu_sync.h"

typedef struct tu_nng_hub tu_nng_hub_t;

/* Starts serving h on a free loopback TCP port; writes the URL to url. */
tu_nng_hub_t *tu_nng_hub_start(tu_hub_t *h, char *url, size_t n);

/* Stops the thread and closes the socket; h's store is usable again. */
void tu_nng_hub_stop(tu_nng_hub_t *nh);

/* Opens a REQ socket dialled to url with a 5 s receive timeout. */
nng_socket tu_nng_dial(const char *url);

/* One sync round of agent a over socket s. Returns FSY_OK or an error. */
int tu_nng_sync(tu_agent_t *a, nng_socket s);

#endif
