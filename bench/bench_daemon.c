#include "bench.h"
void bench_wl_daemon(bench_ctx_t *c) { (void)c; }
