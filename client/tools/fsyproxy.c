/*
 * fsyproxy — a fault-injecting TCP proxy for the network torture test
 * (tests/it_fault.sh). It relays every connection to 127.0.0.1:LISTEN to
 * HOST:PORT and, per chunk of bytes read, at random (seeded):
 *   drops it, cuts it short and closes the connection, sends it twice,
 *   sends it before the chunk before it, holds the connection still for
 *   30 s (a black hole: the laptop's round times out), or delays it;
 * and refuses new connections now and then. Over TLS every such fault
 * ends as a failed handshake, a record that does not authenticate, a
 * closed connection or a timeout — what a bad network does to the
 * daemons. Probabilities are per mille; 0 turns a fault off.
 *
 *   fsyproxy --listen PORT --to HOST:PORT [--seed N] [--drop PM] [--cut PM]
 *            [--dup PM] [--reorder PM] [--stall PM] [--refuse PM]
 *            [--delay MS] [--stats FILE]
 *
 * --stats FILE gets the counters as one JSON object every second and at
 * exit (SIGTERM or SIGINT). Exit status: 0 after a signal, 2 on a usage
 * error, 1 when the listening socket cannot be made.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINKS 64
#define CHUNK 16384
#define STALL_MS 30000

typedef struct chunk {
	struct chunk *next;
	int64_t due_ms;     /* not written before */
	size_t len, off;
	uint8_t data[];
} chunk_t;

typedef struct queue {
	chunk_t *head, *tail;
} queue_t;

typedef struct link {
	int fd[2];          /* 0: the client, 1: the upstream */
	queue_t q[2];       /* q[i]: bytes to write to fd[i] */
	int closing;        /* close once both queues are written */
	int used;
} link_t;

typedef struct opts {
	int listen_port;
	char host[64];
	int port;
	uint64_t seed;
	uint32_t drop, cut, dup, reorder, stall, refuse, delay_ms;
	const char *stats;
} opts_t;

typedef struct counters {
	uint64_t connections, refused, chunks, bytes, dropped, cut, duplicated;
	uint64_t reordered, stalled, delayed;
} counters_t;

/* Set by SIGTERM/SIGINT: the one piece of global state a signal needs. */
static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int64_t
now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static int
chance(uint64_t *s, uint32_t per_mille)
{
	return per_mille && rnd(s) % 1000 < per_mille;
}

static int
nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void
queue_free(queue_t *q)
{
	while (q->head) {
		chunk_t *c = q->head;
		q->head = c->next;
		free(c);
	}
	q->tail = NULL;
}

static void
link_close(link_t *l)
{
	for (int i = 0; i < 2; i++) {
		if (l->fd[i] >= 0)
			close(l->fd[i]);
		l->fd[i] = -1;
		queue_free(&l->q[i]);
	}
	l->used = 0;
	l->closing = 0;
}

/* Appends n bytes due at due_ms (never before the chunk ahead of them). */
static int
enqueue(queue_t *q, const uint8_t *p, size_t n, int64_t due_ms)
{
	chunk_t *c = malloc(sizeof(*c) + n);

	if (c == NULL)
		return -1;
	memcpy(c->data, p, n);
	c->len = n;
	c->off = 0;
	c->next = NULL;
	c->due_ms = q->tail && q->tail->due_ms > due_ms ? q->tail->due_ms : due_ms;
	if (q->tail)
		q->tail->next = c;
	else
		q->head = c;
	q->tail = c;
	return 0;
}

/* Swaps the last two chunks when neither was started: reordering. */
static int
swap_last(queue_t *q)
{
	chunk_t *a = q->head, *prev = NULL;

	if (a == NULL || a->next == NULL)
		return 0;
	while (a->next != q->tail) {
		prev = a;
		a = a->next;
	}
	if (a->off != 0)
		return 0;
	chunk_t *b = q->tail;
	b->next = a;
	a->next = NULL;
	if (prev)
		prev->next = b;
	else
		q->head = b;
	q->tail = a;
	b->due_ms = a->due_ms;
	return 1;
}

/* Reads what fd[from] has and queues it for the other side, with faults. */
static void
relay(link_t *l, int from, const opts_t *o, uint64_t *s, counters_t *k)
{
	uint8_t buf[CHUNK];
	queue_t *q = &l->q[1 - from];
	ssize_t n = read(l->fd[from], buf, sizeof(buf));
	int64_t due = now_ms();

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		l->closing = 1;
		return;
	}
	if (n < 0)
		return;
	k->chunks++;
	k->bytes += (uint64_t)n;
	if (chance(s, o->drop)) {
		k->dropped++;
		return;
	}
	if (chance(s, o->cut)) {
		n = (ssize_t)(rnd(s) % (uint64_t)n);
		k->cut++;
		l->closing = 1;
	}
	if (chance(s, o->stall)) {
		due += STALL_MS;
		k->stalled++;
	} else if (o->delay_ms) {
		due += (int64_t)(rnd(s) % o->delay_ms);
		k->delayed++;
	}
	if (n > 0 && enqueue(q, buf, (size_t)n, due) != 0) {
		l->closing = 1;
		return;
	}
	if (n > 0 && chance(s, o->dup)) {
		k->duplicated++;
		if (enqueue(q, buf, (size_t)n, due) != 0)
			l->closing = 1;
	}
	if (chance(s, o->reorder) && swap_last(q))
		k->reordered++;
}

/* Writes what is due of queue i; -1 when the peer is gone. */
static int
flush(link_t *l, int i)
{
	queue_t *q = &l->q[i];
	int64_t now = now_ms();

	while (q->head && q->head->due_ms <= now) {
		chunk_t *c = q->head;
		ssize_t n = write(l->fd[i], c->data + c->off, c->len - c->off);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->off += (size_t)n;
		if (c->off < c->len)
			return 0;
		q->head = c->next;
		if (q->head == NULL)
			q->tail = NULL;
		free(c);
	}
	return 0;
}

static int
connect_up(const opts_t *o)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)o->port);
	if (inet_pton(AF_INET, o->host, &a.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    nonblock(fd) != 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void
write_stats(const opts_t *o, const counters_t *k)
{
	char tmp[512];
	FILE *f;

	if (o->stats == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", o->stats);
	if ((f = fopen(tmp, "w")) == NULL)
		return;
	fprintf(f, "{\"connections\": %llu, \"refused\": %llu, \"chunks\": %llu, "
	    "\"bytes\": %llu, \"dropped\": %llu, \"cut\": %llu, "
	    "\"duplicated\": %llu, \"reordered\": %llu, \"stalled\": %llu, "
	    "\"delayed\": %llu}\n",
	    (unsigned long long)k->connections, (unsigned long long)k->refused,
	    (unsigned long long)k->chunks, (unsigned long long)k->bytes,
	    (unsigned long long)k->dropped, (unsigned long long)k->cut,
	    (unsigned long long)k->duplicated, (unsigned long long)k->reordered,
	    (unsigned long long)k->stalled, (unsigned long long)k->delayed);
	if (fclose(f) == 0)
		rename(tmp, o->stats);
}

static int
listen_on(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(fd, 64) != 0 || nonblock(fd) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
on_accept(int lfd, link_t *links, const opts_t *o, uint64_t *s,
    counters_t *k)
{
	int c = accept(lfd, NULL, NULL), slot = -1, one = 1;

	if (c < 0)
		return;
	for (int i = 0; i < MAX_LINKS && slot < 0; i++)
		if (!links[i].used)
			slot = i;
	if (slot < 0 || chance(s, o->refuse)) {
		k->refused++;
		close(c);
		return;
	}
	link_t *l = &links[slot];
	memset(l, 0, sizeof(*l));
	l->fd[0] = c;
	l->fd[1] = connect_up(o);
	if (l->fd[1] < 0 || nonblock(c) != 0) {
		if (l->fd[1] >= 0)
			close(l->fd[1]);
		close(c);
		k->refused++;
		return;
	}
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	l->used = 1;
	k->connections++;
}

/* The event loop: until a signal. */
static int
serve(const opts_t *o)
{
	link_t links[MAX_LINKS];
	struct pollfd pf[1 + 2 * MAX_LINKS];
	int map[1 + 2 * MAX_LINKS];
	counters_t k;
	uint64_t s = o->seed * 0x9e3779b97f4a7c15ULL + 1;
	int64_t next_stats = 0;
	int lfd = listen_on(o->listen_port);

	if (lfd < 0) {
		fprintf(stderr, "fsyproxy: cannot listen on 127.0.0.1:%d: %s\n",
		    o->listen_port, strerror(errno));
		return 1;
	}
	memset(links, 0, sizeof(links));
	memset(&k, 0, sizeof(k));
	while (!stopping) {
		int n = 0, timeout = 1000;
		int64_t now = now_ms();

		pf[n].fd = lfd;
		pf[n].events = POLLIN;
		map[n++] = -1;
		for (int i = 0; i < MAX_LINKS; i++) {
			link_t *l = &links[i];
			if (!l->used)
				continue;
			if (l->closing && l->q[0].head == NULL && l->q[1].head == NULL) {
				link_close(l);
				continue;
			}
			for (int side = 0; side < 2; side++) {
				queue_t *q = &l->q[side];
				pf[n].fd = l->fd[side];
				pf[n].events = l->closing ? 0 : POLLIN;
				if (q->head && q->head->due_ms <= now)
					pf[n].events |= POLLOUT;
				else if (q->head && q->head->due_ms - now < timeout)
					timeout = (int)(q->head->due_ms - now);
				map[n++] = i * 2 + side;
			}
		}
		if (poll(pf, (nfds_t)n, timeout < 0 ? 0 : timeout) < 0 &&
		    errno != EINTR)
			break;
		for (int j = 0; j < n; j++) {
			if (map[j] < 0) {
				if (pf[j].revents & POLLIN)
					on_accept(lfd, links, o, &s, &k);
				continue;
			}
			link_t *l = &links[map[j] / 2];
			int side = map[j] % 2;
			if (!l->used)
				continue;
			if (pf[j].revents & (POLLIN | POLLHUP | POLLERR))
				relay(l, side, o, &s, &k);
			if (l->used && flush(l, side) != 0) {
				l->closing = 1;
				queue_free(&l->q[side]);
			}
		}
		/* a closing link delivers what is queued, then goes */
		for (int i = 0; i < MAX_LINKS; i++)
			if (links[i].used && links[i].closing)
				for (int side = 0; side < 2; side++)
					if (flush(&links[i], side) != 0)
						queue_free(&links[i].q[side]);
		if (now_ms() >= next_stats) {
			write_stats(o, &k);
			next_stats = now_ms() + 1000;
		}
	}
	for (int i = 0; i < MAX_LINKS; i++)
		if (links[i].used)
			link_close(&links[i]);
	close(lfd);
	write_stats(o, &k);
	return 0;
}

static int
parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
usage(const char *msg)
{
	fprintf(stderr, "fsyproxy: %s\nusage: fsyproxy --listen PORT --to "
	    "HOST:PORT [--seed N] [--drop PM] [--cut PM] [--dup PM] [--reorder "
	    "PM] [--stall PM] [--refuse PM] [--delay MS] [--stats FILE]\n", msg);
	return 2;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	opts_t o;
	uint32_t v;

	memset(&o, 0, sizeof(o));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		uint32_t *pm = NULL;
		if (val == NULL)
			return usage("every option takes a value");
		i++;
		if (strcmp(a, "--listen") == 0) {
			if (parse_u32(val, 65535, &v) != 0 || v == 0)
				return usage("--listen: a port 1-65535");
			o.listen_port = (int)v;
		} else if (strcmp(a, "--to") == 0) {
			const char *c = strrchr(val, ':');
			if (c == NULL || (size_t)(c - val) >= sizeof(o.host) ||
			    parse_u32(c + 1, 65535, &v) != 0 || v == 0)
				return usage("--to: HOST:PORT (an IPv4 address)");
			memcpy(o.host, val, (size_t)(c - val));
			o.host[c - val] = '\0';
			o.port = (int)v;
		} else if (strcmp(a, "--seed") == 0) {
			o.seed = strtoull(val, NULL, 10);
		} else if (strcmp(a, "--stats") == 0) {
			o.stats = val;
		} else if (strcmp(a, "--delay") == 0) {
			if (parse_u32(val, 60000, &o.delay_ms) != 0)
				return usage("--delay: 0-60000 ms");
		} else {
			if (strcmp(a, "--drop") == 0)
				pm = &o.drop;
			else if (strcmp(a, "--cut") == 0)
				pm = &o.cut;
			else if (strcmp(a, "--dup") == 0)
				pm = &o.dup;
			else if (strcmp(a, "--reorder") == 0)
				pm = &o.reorder;
			else if (strcmp(a, "--stall") == 0)
				pm = &o.stall;
			else if (strcmp(a, "--refuse") == 0)
				pm = &o.refuse;
			if (pm == NULL)
				return usage("unknown option");
			if (parse_u32(val, 1000, pm) != 0)
				return usage("a probability is 0-1000 per mille");
		}
	}
	if (o.listen_port == 0 || o.port == 0)
		return usage("--listen and --to are required");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return serve(&o);
}
