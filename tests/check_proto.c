/* check_proto.c — the wire contract: headers, cursor, encoder, and every typed message. */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>

#include "helpers.h"
#include "proto.h"

/* ---- a tiny payload builder, independent of the encoder under test ------------------------ */

struct bytes {
	unsigned char b[PROTO_MAX_PAYLOAD];
	size_t len;
};

static void add(struct bytes *x, const void *p, size_t n)
{
	ck_assert_uint_le(x->len + n, sizeof(x->b));
	memcpy(x->b + x->len, p, n);
	x->len += n;
}

static void add_u32(struct bytes *x, uint32_t v)
{
	add(x, &v, sizeof(v));
}

static void add_i32(struct bytes *x, int32_t v)
{
	add(x, &v, sizeof(v));
}

/* n copies of 'a' and then a NUL: a string of length n */
static void add_long(struct bytes *x, size_t n)
{
	ck_assert_uint_le(x->len + n + 1, sizeof(x->b));
	memset(x->b + x->len, 'a', n);
	x->b[x->len + n] = '\0';
	x->len += n + 1;
}

static char *long_str(size_t n)
{
	char *s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	memset(s, 'a', n);
	s[n] = '\0';
	return s;
}

static unsigned char mem[PROTO_MAX_PAYLOAD];

/* ---- round trips --------------------------------------------------------------------------- */

START_TEST(test_roundtrip_setup)
{
	const char *names[] = {"http", "", "db-socket"}, *out[4];
	struct proto_buf b;
	size_t n = 99;

	proto_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(proto_encode_setup(&b, 3, names), 0);
	ck_assert_int_eq(proto_decode_setup(b.p, b.len, out, 4, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(out[0], "http");
	ck_assert_str_eq(out[1], "");
	ck_assert_str_eq(out[2], "db-socket");

	proto_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(proto_encode_setup(&b, 0, NULL), 0);
	ck_assert_int_eq(proto_decode_setup(b.p, b.len, out, 0, &n), 0);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_roundtrip_exec_failed)
{
	struct proto_buf b;
	int err = 0;

	proto_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(proto_encode_exec_failed(&b, ENOENT), 0);
	ck_assert_int_eq(proto_decode_exec_failed(b.p, b.len, &err), 0);
	ck_assert_int_eq(err, ENOENT);
}
END_TEST

START_TEST(test_roundtrip_open)
{
	struct proto_open o;
	struct proto_buf b;

	proto_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(proto_encode_open(&b, O_RDWR | O_CREAT, 0640, "/var/lib/x"), 0);
	ck_assert_int_eq(proto_decode_open(b.p, b.len, &o), 0);
	ck_assert_int_eq(o.flags, O_RDWR | O_CREAT);
	ck_assert_uint_eq(o.mode, 0640);
	ck_assert_str_eq(o.path, "/var/lib/x");
	ck_assert_uint_eq(o.path_len, strlen("/var/lib/x"));
	/* points into the message, not a copy */
	ck_assert(o.path > (const char *)b.p && o.path < (const char *)b.p + b.len);
}
END_TEST

START_TEST(test_roundtrip_open_many)
{
	const char *paths[] = {"/a", "/bb", "/ccc"}, *path;
	int flags[] = {O_RDONLY, O_WRONLY, O_RDWR};
	struct proto_buf b;
	struct proto_cur c;
	size_t n = 0, i, len;
	int32_t f;

	proto_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(proto_encode_open_many(&b, 3, paths, flags), 0);
	ck_assert_int_eq(proto_decode_open_many_begin(&c, b.p, b.len, &n), 0);
	ck_assert_uint_eq(n, 3);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(proto_decode_open_many_next(&c, &f, &path, &len), 0);
		ck_assert_int_eq(f, flags[i]);
		ck_assert_str_eq(path, paths[i]);
		ck_assert_uint_eq(len, strlen(paths[i]));
	}
	ck_assert_int_eq(proto_cur_end(&c), 0);
	/* one more entry than announced: nothing left */
	ck_assert_int_eq(proto_decode_open_many_next(&c, &f, &path, &len), -1);
	ck_assert_int_eq(errno, EPROTO);
}
END_TEST

START_TEST(test_roundtrip_open_many_max)
{
	const char *paths[PROTO_MAX_FDS];
	int flags[PROTO_MAX_FDS];
	struct proto_buf b;
	struct proto_cur c;
	size_t n = 0, i;

	for (i = 0; i < PROTO_MAX_FDS; i++) {
		paths[i] = "/p";
		flags[i] = (int)i;
	}
	proto_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(proto_encode_open_many(&b, PROTO_MAX_FDS, paths, flags), 0);
	ck_assert_int_eq(proto_decode_open_many_begin(&c, b.p, b.len, &n), 0);
	ck_assert_uint_eq(n, PROTO_MAX_FDS);
}
END_TEST

START_TEST(test_roundtrip_connect)
{
	const char *a = NULL;
	struct proto_buf b;

	proto_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(proto_encode_connect(&b, "tcp:[::1]:443"), 0);
	ck_assert_int_eq(proto_decode_connect(b.p, b.len, &a), 0);
	ck_assert_str_eq(a, "tcp:[::1]:443");
}
END_TEST

START_TEST(test_roundtrip_listen)
{
	const char *a = NULL;
	struct proto_buf b;
	int32_t backlog = 0;

	proto_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(proto_encode_listen(&b, "unix:/run/x.sock", 128), 0);
	ck_assert_int_eq(proto_decode_listen(b.p, b.len, &a, &backlog), 0);
	ck_assert_str_eq(a, "unix:/run/x.sock");
	ck_assert_int_eq(backlog, 128);
}
END_TEST

START_TEST(test_roundtrip_reply)
{
	int errs[] = {0, EACCES, 0, ENOENT};
	int32_t err = -1, out[4];
	struct proto_buf b;
	size_t n = 99, i;

	proto_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(proto_encode_reply(&b, 0, 4, errs), 0);
	ck_assert_int_eq(proto_decode_reply(b.p, b.len, &err, out, 4, &n), 0);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(n, 4);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(out[i], errs[i]);

	proto_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(proto_encode_reply(&b, EPERM, 0, NULL), 0);
	ck_assert_int_eq(proto_decode_reply(b.p, b.len, &err, NULL, 0, &n), 0);
	ck_assert_int_eq(err, EPERM);
	ck_assert_uint_eq(n, 0);
}
END_TEST

/* ---- limits: the longest allowed string passes, one more byte does not --------------------- */

START_TEST(test_limit_path_4095_accepted_4096_rejected)
{
	static struct bytes x;
	char *ok = long_str(PROTO_MAX_PATH - 1), *big = long_str(PROTO_MAX_PATH);
	struct proto_open o;
	struct proto_buf b;

	proto_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(proto_encode_open(&b, 0, 0, ok), 0);
	ck_assert_int_eq(proto_decode_open(b.p, b.len, &o), 0);
	ck_assert_uint_eq(o.path_len, PROTO_MAX_PATH - 1);

	proto_buf_init(&b, mem, sizeof(mem));
	errno = 0;
	ck_assert_int_eq(proto_encode_open(&b, 0, 0, big), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	ck_assert_uint_eq(b.len, 0); /* nothing written */

	x.len = 0;
	add_i32(&x, 0);
	add_u32(&x, 0);
	add_long(&x, PROTO_MAX_PATH);
	errno = 0;
	ck_assert_int_eq(proto_decode_open(x.b, x.len, &o), -1);
	ck_assert_int_eq(errno, EPROTO);
	free(ok);
	free(big);
}
END_TEST

START_TEST(test_limit_address_and_name)
{
	char *ok = long_str(PROTO_MAX_ADDRESS - 1), *big = long_str(PROTO_MAX_ADDRESS);
	char *nok = long_str(PROTO_MAX_NAME - 1), *nbig = long_str(PROTO_MAX_NAME);
	const char *a, *names[1];
	struct proto_buf b;
	size_t n;

	proto_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(proto_encode_connect(&b, ok), 0);
	ck_assert_int_eq(proto_decode_connect(b.p, b.len, &a), 0);
	proto_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(proto_encode_connect(&b, big), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);

	proto_buf_init(&b, mem, sizeof(mem));
	names[0] = nok;
	ck_assert_int_eq(proto_encode_setup(&b, 1, names), 0);
	ck_assert_int_eq(proto_decode_setup(b.p, b.len, names, 1, &n), 0);
	proto_buf_init(&b, mem, sizeof(mem));
	names[0] = nbig;
	ck_assert_int_eq(proto_encode_setup(&b, 1, names), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	free(ok);
	free(big);
	free(nok);
	free(nbig);
}
END_TEST

/* ---- malformed payloads, one table for every decoder ---------------------------------------- */

enum dec { D_SETUP, D_EXEC_FAILED, D_OPEN, D_OPEN_MANY, D_CONNECT, D_LISTEN, D_REPLY };

struct item {
	char kind; /* 'u' u32, 'i' i32, 's' string + NUL, 'r' raw bytes, 'l' long string */
	int64_t v;
	const char *s;
};

/* The table reads best one case per line. */
/* clang-format off */
#define U(x) {'u', (x), NULL}
#define I(x) {'i', (x), NULL}
#define S(x) {'s', 0, (x)}
#define R(x) {'r', sizeof(x) - 1, (x)}
#define L(n) {'l', (n), NULL}

struct mcase {
	const char *name;
	enum dec dec;
	struct item items[8];
	size_t cut; /* decode with this many bytes less than were built */
};

static const struct mcase mcases[] = {
	{"setup: empty payload", D_SETUP, {{0}}, 0},
	{"setup: truncated u32", D_SETUP, {R("\1\0")}, 0},
	{"setup: name without NUL", D_SETUP, {U(1), R("abc")}, 0},
	{"setup: NUL only in the byte beyond len", D_SETUP, {U(1), S("abc")}, 1},
	{"setup: fewer names than n", D_SETUP, {U(2), S("a")}, 0},
	{"setup: more names than max", D_SETUP, {U(5), S("a"), S("b"), S("c"), S("d"), S("e")}, 0},
	{"setup: n above PROTO_MAX_FDS", D_SETUP, {U(254)}, 0},
	{"setup: name of PROTO_MAX_NAME bytes", D_SETUP, {U(1), L(PROTO_MAX_NAME)}, 0},
	{"setup: trailing bytes", D_SETUP, {U(1), S("a"), R("x")}, 0},

	{"exec_failed: truncated i32", D_EXEC_FAILED, {R("\1\0\0")}, 0},
	{"exec_failed: negative errno", D_EXEC_FAILED, {I(-2)}, 0},
	{"exec_failed: zero errno", D_EXEC_FAILED, {I(0)}, 0},
	{"exec_failed: absurd errno", D_EXEC_FAILED, {I(4096)}, 0},
	{"exec_failed: trailing bytes", D_EXEC_FAILED, {I(2), R("x")}, 0},

	{"open: empty payload", D_OPEN, {{0}}, 0},
	{"open: truncated u32", D_OPEN, {I(0), R("\0\0")}, 0},
	{"open: no path", D_OPEN, {I(0), U(0)}, 0},
	{"open: path without NUL", D_OPEN, {I(0), U(0), R("/etc/passwd")}, 0},
	{"open: NUL only in the byte beyond len", D_OPEN, {I(0), U(0), S("/etc/passwd")}, 1},
	{"open: empty path", D_OPEN, {I(0), U(0), S("")}, 0},
	{"open: embedded NUL", D_OPEN, {I(0), U(0), R("/ok\0/etc/shadow\0")}, 0},
	{"open: trailing bytes", D_OPEN, {I(0), U(0), S("/a"), R("x")}, 0},
	{"open: path of 4096 bytes", D_OPEN, {I(0), U(0), L(4096)}, 0},

	{"open_many: empty payload", D_OPEN_MANY, {{0}}, 0},
	{"open_many: n = 0", D_OPEN_MANY, {U(0)}, 0},
	{"open_many: n = 254", D_OPEN_MANY, {U(254), I(0), S("/a")}, 0},
	{"open_many: fewer entries than n", D_OPEN_MANY, {U(2), I(0), S("/a")}, 0},
	{"open_many: truncated flags", D_OPEN_MANY, {U(1), R("\0\0")}, 0},
	{"open_many: path without NUL", D_OPEN_MANY, {U(1), I(0), R("/a")}, 0},
	{"open_many: empty path in the last entry", D_OPEN_MANY, {U(2), I(0), S("/a"), I(0), S("")},
	 0},
	{"open_many: trailing bytes", D_OPEN_MANY, {U(1), I(0), S("/a"), R("x")}, 0},
	{"open_many: path of 4096 bytes", D_OPEN_MANY, {U(1), I(0), L(4096)}, 0},

	{"connect: empty payload", D_CONNECT, {{0}}, 0},
	{"connect: empty address", D_CONNECT, {S("")}, 0},
	{"connect: address without NUL", D_CONNECT, {R("tcp:h:1")}, 0},
	{"connect: NUL only in the byte beyond len", D_CONNECT, {S("tcp:h:1")}, 1},
	{"connect: trailing bytes", D_CONNECT, {S("tcp:h:1"), R("x")}, 0},
	{"connect: address of 512 bytes", D_CONNECT, {L(512)}, 0},

	{"listen: truncated i32", D_LISTEN, {R("\1")}, 0},
	{"listen: empty address", D_LISTEN, {I(5), S("")}, 0},
	{"listen: address without NUL", D_LISTEN, {I(5), R("unix:/x")}, 0},
	{"listen: trailing bytes", D_LISTEN, {I(5), S("unix:/x"), I(0)}, 0},

	{"reply: empty payload", D_REPLY, {{0}}, 0},
	{"reply: truncated n", D_REPLY, {I(0), R("\0\0")}, 0},
	{"reply: negative errno", D_REPLY, {I(-1), U(0)}, 0},
	{"reply: absurd errno", D_REPLY, {I(4096), U(0)}, 0},
	{"reply: negative entry errno", D_REPLY, {I(0), U(1), I(-13)}, 0},
	{"reply: fewer entries than n", D_REPLY, {I(0), U(2), I(0)}, 0},
	{"reply: n above max", D_REPLY, {I(0), U(5), I(0), I(0), I(0), I(0), I(0)}, 0},
	{"reply: trailing bytes", D_REPLY, {I(0), U(0), R("x")}, 0},
};
/* clang-format on */

static void build(struct bytes *x, const struct item *it)
{
	x->len = 0;
	for (; it->kind != 0; it++) {
		switch (it->kind) {
		case 'u':
			add_u32(x, (uint32_t)it->v);
			break;
		case 'i':
			add_i32(x, (int32_t)it->v);
			break;
		case 's':
			add(x, it->s, strlen(it->s) + 1);
			break;
		case 'r':
			add(x, it->s, (size_t)it->v);
			break;
		case 'l':
			add_long(x, (size_t)it->v);
			break;
		default:
			ck_abort_msg("bad item kind");
		}
	}
}

/* Decode; check the failure is EPROTO and that no ret_ parameter was written. */
static void expect_rejected(const struct mcase *m, const void *p, size_t len)
{
	const char *sentinel = "untouched", *names[4] = {sentinel}, *s = sentinel;
	struct proto_open o = {.flags = 77, .path = sentinel};
	int32_t e32 = 77, errs[4] = {77}, f = 77;
	size_t n = 77, len2 = 77;
	struct proto_cur c;
	int r = 0, e = 77;

	errno = 0;
	switch (m->dec) {
	case D_SETUP:
		r = proto_decode_setup(p, len, names, 4, &n);
		break;
	case D_EXEC_FAILED:
		r = proto_decode_exec_failed(p, len, &e);
		break;
	case D_OPEN:
		r = proto_decode_open(p, len, &o);
		break;
	case D_OPEN_MANY:
		r = proto_decode_open_many_begin(&c, p, len, &n);
		if (r == 0) /* not expected; walk it so a wrong accept shows which entry */
			while (r == 0 && n-- > 0)
				r = proto_decode_open_many_next(&c, &f, &s, &len2);
		break;
	case D_CONNECT:
		r = proto_decode_connect(p, len, &s);
		break;
	case D_LISTEN:
		r = proto_decode_listen(p, len, &s, &f);
		break;
	case D_REPLY:
		r = proto_decode_reply(p, len, &e32, errs, 4, &n);
		break;
	}
	ck_assert_msg(r == -1, "%s: accepted", m->name);
	ck_assert_msg(errno == EPROTO, "%s: errno %d, not EPROTO", m->name, errno);
	ck_assert_msg(names[0] == sentinel && s == sentinel && o.flags == 77 &&
	                  o.path == sentinel && e32 == 77 && errs[0] == 77 && e == 77 && n == 77 &&
	                  f == 77,
	              "%s: an out parameter was written on failure", m->name);
}

START_TEST(test_malformed_rejected)
{
	static struct bytes x;
	const struct mcase *m = &mcases[_i];

	build(&x, m->items);
	ck_assert_uint_ge(x.len, m->cut);
	expect_rejected(m, x.b, x.len - m->cut);
}
END_TEST

/* The control for the "NUL beyond len" rows: the same bytes with the full length decode. */
START_TEST(test_malformed_controls_accepted)
{
	static struct bytes x;
	struct proto_open o;
	const char *names[1], *a;
	size_t n;

	build(&x, (struct item[]){U(1), S("abc"), {0}});
	ck_assert_int_eq(proto_decode_setup(x.b, x.len, names, 1, &n), 0);
	build(&x, (struct item[]){I(0), U(0), S("/etc/passwd"), {0}});
	ck_assert_int_eq(proto_decode_open(x.b, x.len, &o), 0);
	build(&x, (struct item[]){S("tcp:h:1"), {0}});
	ck_assert_int_eq(proto_decode_connect(x.b, x.len, &a), 0);
}
END_TEST

/* ---- headers --------------------------------------------------------------------------------- */

static void expect_hdr_bad(const struct proto_hdr *h, size_t size, const char *what)
{
	errno = 0;
	ck_assert_msg(proto_check_hdr(h, size) == -1, "%s accepted", what);
	ck_assert_int_eq(errno, EPROTO);
}

START_TEST(test_header_checks)
{
	struct proto_hdr h, g;

	proto_hdr_init(&g, PROTO_OPEN, 42, 10);
	ck_assert_uint_eq(g.version, PROTO_VERSION);
	ck_assert_uint_eq(g.type, PROTO_OPEN);
	ck_assert_uint_eq(g.len, 10);
	ck_assert_uint_eq(g.id, 42);
	ck_assert_uint_eq(g.flags, 0);
	ck_assert_int_eq(proto_check_hdr(&g, PROTO_HDR_SIZE + 10), 0);

	h = g;
	h.version = 2;
	expect_hdr_bad(&h, PROTO_HDR_SIZE + 10, "version 2");
	h = g;
	h.version = 0;
	expect_hdr_bad(&h, PROTO_HDR_SIZE + 10, "version 0");
	h = g;
	h.flags = 1u << 31;
	expect_hdr_bad(&h, PROTO_HDR_SIZE + 10, "non-zero flags");
	expect_hdr_bad(&g, PROTO_HDR_SIZE + 9, "len larger than the datagram");
	expect_hdr_bad(&g, PROTO_HDR_SIZE + 11, "len smaller than the datagram");
	expect_hdr_bad(&g, 5, "datagram shorter than a header");
	h = g;
	h.type = 0;
	expect_hdr_bad(&h, PROTO_HDR_SIZE + 10, "type 0");
	h.type = 4;
	expect_hdr_bad(&h, PROTO_HDR_SIZE + 10, "type 4");
	h.type = PROTO_TYPE_MAX;
	expect_hdr_bad(&h, PROTO_HDR_SIZE + 10, "type PROTO_TYPE_MAX");
	h.type = 0xffff;
	expect_hdr_bad(&h, PROTO_HDR_SIZE + 10, "type 0xffff");

	proto_hdr_init(&h, PROTO_REPLY, 1, PROTO_MAX_PAYLOAD);
	ck_assert_int_eq(proto_check_hdr(&h, PROTO_HDR_SIZE + PROTO_MAX_PAYLOAD), 0);
	proto_hdr_init(&h, PROTO_REPLY, 1, PROTO_MAX_PAYLOAD + 1);
	expect_hdr_bad(&h, PROTO_HDR_SIZE + PROTO_MAX_PAYLOAD + 1, "len above the maximum");
	proto_hdr_init(&h, PROTO_REPLY, 1, 1024 * 1024);
	expect_hdr_bad(&h, PROTO_HDR_SIZE + 1024 * 1024, "1 MiB payload");
}
END_TEST

START_TEST(test_header_size_is_wire_size)
{
	ck_assert_uint_eq(sizeof(struct proto_hdr), PROTO_HDR_SIZE);
}
END_TEST

START_TEST(test_max_fds_per_type)
{
	ck_assert_uint_eq(proto_max_fds(PROTO_SETUP), PROTO_MAX_FDS);
	ck_assert_uint_eq(proto_max_fds(PROTO_LISTENER), 1);
	ck_assert_uint_eq(proto_max_fds(PROTO_EXEC_FAILED), 0);
	ck_assert_uint_eq(proto_max_fds(PROTO_OPEN), 0);
	ck_assert_uint_eq(proto_max_fds(PROTO_OPEN_MANY), 0);
	ck_assert_uint_eq(proto_max_fds(PROTO_CONNECT), 0);
	ck_assert_uint_eq(proto_max_fds(PROTO_LISTEN), 0);
	ck_assert_uint_eq(proto_max_fds(PROTO_REPLY), PROTO_MAX_FDS);
	ck_assert_uint_eq(proto_max_fds(0), 0);
	ck_assert_uint_eq(proto_max_fds(PROTO_TYPE_MAX), 0);
	ck_assert_uint_eq(proto_max_fds(0xffff), 0);
}
END_TEST

/* ---- cursor and encoding buffer -------------------------------------------------------------- */

START_TEST(test_cursor_sticky_bad)
{
	static const unsigned char p[] = "abc\0wxyz";
	struct proto_cur c;
	const char *s;
	uint32_t v;
	size_t len;

	proto_cur_init(&c, p, 8);
	/* NUL at index 3 needs max >= 4 */
	ck_assert_int_eq(proto_get_str(&c, 3, &s, &len), -1);
	ck_assert_int_eq(errno, EPROTO);
	ck_assert(c.bad);
	/* 8 bytes are there, but the cursor is bad for good */
	ck_assert_int_eq(proto_get_u32(&c, &v), -1);
	ck_assert_int_eq(proto_cur_end(&c), -1);

	proto_cur_init(&c, p, 8);
	ck_assert_int_eq(proto_get_str(&c, 4, &s, &len), 0);
	ck_assert_str_eq(s, "abc");
	ck_assert_uint_eq(len, 3);
	ck_assert_int_eq(proto_cur_end(&c), -1); /* 4 bytes left */
	ck_assert_int_eq(proto_get_u32(&c, &v), 0);
	ck_assert_int_eq(proto_cur_end(&c), 0);
	ck_assert_int_eq(proto_get_u32(&c, &v), -1); /* past the end */
	ck_assert_int_eq(proto_cur_end(&c), -1);
}
END_TEST

START_TEST(test_encode_overflow_emsgsize)
{
	unsigned char small[8];
	struct proto_buf b;

	proto_buf_init(&b, small, sizeof(small));
	errno = 0;
	ck_assert_int_eq(proto_encode_open(&b, 0, 0, "/etc/passwd"), -1);
	ck_assert_int_eq(errno, EMSGSIZE);

	/* sticky: a later put that would fit does not clear it */
	proto_buf_init(&b, small, sizeof(small));
	proto_put_u32(&b, 1);
	proto_put_str(&b, "toolong");
	proto_put_u32(&b, 2);
	ck_assert(b.bad);
	ck_assert_int_eq(proto_buf_finish(&b), -1);
	ck_assert_int_eq(errno, EMSGSIZE);

	proto_buf_init(&b, small, sizeof(small));
	proto_put_u32(&b, 1);
	proto_put_i32(&b, -1);
	ck_assert_int_eq(proto_buf_finish(&b), 0);
	ck_assert_uint_eq(b.len, 8);
}
END_TEST

/* However much room the caller gives, an encoding never exceeds PROTO_MAX_PAYLOAD. */
START_TEST(test_encode_caps_at_max_payload)
{
	size_t cap = 2 * 1024 * 1024, i;
	unsigned char *big = malloc(cap);
	const char *paths[PROTO_MAX_FDS];
	int flags[PROTO_MAX_FDS] = {0};
	char *p = long_str(PROTO_MAX_PATH - 1);
	struct proto_buf b;

	ck_assert_ptr_nonnull(big);
	for (i = 0; i < PROTO_MAX_FDS; i++)
		paths[i] = p;
	proto_buf_init(&b, big, cap);
	ck_assert_int_eq(proto_encode_open_many(&b, PROTO_MAX_FDS, paths, flags), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_uint_le(b.len, PROTO_MAX_PAYLOAD);
	free(p);
	free(big);
}
END_TEST

START_TEST(test_encode_refuses_invalid)
{
	const char *paths[] = {"/a"};
	int flags[] = {0}, errs[] = {-1};
	struct proto_buf b;

	proto_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(proto_encode_open(&b, 0, 0, ""), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(proto_encode_open_many(&b, 0, paths, flags), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(proto_encode_open_many(&b, PROTO_MAX_FDS + 1, paths, flags), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(proto_encode_reply(&b, -5, 0, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(proto_encode_reply(&b, 0, 1, errs), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(proto_encode_exec_failed(&b, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(proto_encode_connect(&b, ""), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(b.len, 0);
	ck_assert(!b.bad);
}
END_TEST

static Suite *proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc;

	tc = tcase_create("roundtrip");
	tcase_add_test(tc, test_roundtrip_setup);
	tcase_add_test(tc, test_roundtrip_exec_failed);
	tcase_add_test(tc, test_roundtrip_open);
	tcase_add_test(tc, test_roundtrip_open_many);
	tcase_add_test(tc, test_roundtrip_open_many_max);
	tcase_add_test(tc, test_roundtrip_connect);
	tcase_add_test(tc, test_roundtrip_listen);
	tcase_add_test(tc, test_roundtrip_reply);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_limit_path_4095_accepted_4096_rejected);
	tcase_add_test(tc, test_limit_address_and_name);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed_rejected");
	tcase_add_loop_test(tc, test_malformed_rejected, 0, sizeof(mcases) / sizeof(mcases[0]));
	tcase_add_test(tc, test_malformed_controls_accepted);
	suite_add_tcase(s, tc);

	tc = tcase_create("header");
	tcase_add_test(tc, test_header_checks);
	tcase_add_test(tc, test_header_size_is_wire_size);
	tcase_add_test(tc, test_max_fds_per_type);
	suite_add_tcase(s, tc);

	tc = tcase_create("encoding");
	tcase_add_test(tc, test_cursor_sticky_bad);
	tcase_add_test(tc, test_encode_overflow_emsgsize);
	tcase_add_test(tc, test_encode_caps_at_max_payload);
	tcase_add_test(tc, test_encode_refuses_invalid);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_suite(proto_suite());
}
