/*
 * proto.c — header checks, the decoding cursor, the encoding buffer and the typed messages.
 *
 * Everything a peer sends is hostile until a decoder accepted it: every read goes through the
 * cursor, which is bounds-checked and sticky (one failed read fails the whole decode), and
 * every decoder ends with proto_cur_end so trailing bytes are refused. Typed decoders write
 * their ret_ parameters only on success. Encoders enforce the same limits as the decoders,
 * so whatever we encode, the other side decodes.
 */
#include "proto.h"

#include <errno.h>
#include <string.h>

/* Errors on the wire are errno values; anything above this is not one (the kernel's own
 * limit for an error return, MAX_ERRNO). */
#define WIRE_ERRNO_MAX 4095

size_t proto_max_fds(uint16_t type)
{
	switch (type) {
	case PROTO_SETUP:
		return PROTO_MAX_FDS;
	case PROTO_LISTENER:
		return 1;
	case PROTO_EXEC_FAILED:
	case PROTO_OPEN:
	case PROTO_OPEN_MANY:
	case PROTO_CONNECT:
	case PROTO_LISTEN:
		return 0;
	case PROTO_REPLY:
		return PROTO_MAX_FDS;
	default:
		return 0;
	}
}

static bool type_known(uint16_t type)
{
	switch (type) {
	case PROTO_SETUP:
	case PROTO_LISTENER:
	case PROTO_EXEC_FAILED:
	case PROTO_OPEN:
	case PROTO_OPEN_MANY:
	case PROTO_CONNECT:
	case PROTO_LISTEN:
	case PROTO_REPLY:
		return true;
	default:
		return false;
	}
}

int proto_check_hdr(const struct proto_hdr *hdr, size_t datagram_size)
{
	if (datagram_size < PROTO_HDR_SIZE || hdr->version != PROTO_VERSION || hdr->flags != 0 ||
	    hdr->len != datagram_size - PROTO_HDR_SIZE || hdr->len > PROTO_MAX_PAYLOAD ||
	    !type_known(hdr->type)) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

void proto_hdr_init(struct proto_hdr *hdr, uint16_t type, uint32_t id, size_t payload_len)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->version = PROTO_VERSION;
	hdr->type = type;
	/* Truncation is harmless: fdpass_send refuses a header whose len differs from the
	 * payload it is given, and no valid payload exceeds PROTO_MAX_PAYLOAD. */
	hdr->len = payload_len > UINT32_MAX ? UINT32_MAX : (uint32_t)payload_len;
	hdr->id = id;
	hdr->flags = 0;
}

/* ---- decoding cursor ---------------------------------------------------------------------- */

static int cur_fail(struct proto_cur *c)
{
	c->bad = true;
	errno = EPROTO;
	return -1;
}

void proto_cur_init(struct proto_cur *c, const void *p, size_t len)
{
	c->p = p;
	c->len = p != NULL ? len : 0;
	c->off = 0;
	c->bad = false;
}

int proto_get_u32(struct proto_cur *c, uint32_t *ret)
{
	uint32_t v;

	if (c->bad || c->len - c->off < sizeof(v))
		return cur_fail(c);
	memcpy(&v, c->p + c->off, sizeof(v));
	c->off += sizeof(v);
	*ret = v;
	return 0;
}

int proto_get_i32(struct proto_cur *c, int32_t *ret)
{
	int32_t v;

	if (c->bad || c->len - c->off < sizeof(v))
		return cur_fail(c);
	memcpy(&v, c->p + c->off, sizeof(v));
	c->off += sizeof(v);
	*ret = v;
	return 0;
}

int proto_get_str(struct proto_cur *c, size_t max, const char **ret, size_t *ret_len)
{
	const unsigned char *s, *nul;
	size_t room;

	if (c->bad || max == 0)
		return cur_fail(c);
	s = c->p + c->off;
	room = c->len - c->off;
	/* The NUL must lie inside the message and within max bytes (NUL included). */
	nul = memchr(s, '\0', room < max ? room : max);
	if (nul == NULL)
		return cur_fail(c);
	c->off += (size_t)(nul - s) + 1;
	*ret = (const char *)s;
	if (ret_len != NULL)
		*ret_len = (size_t)(nul - s);
	return 0;
}

int proto_cur_end(const struct proto_cur *c)
{
	if (c->bad || c->off != c->len) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

/* A string that must not be empty (paths, addresses). */
static int get_nonempty(struct proto_cur *c, size_t max, const char **ret, size_t *ret_len)
{
	const char *s;
	size_t len;

	if (proto_get_str(c, max, &s, &len) < 0)
		return -1;
	if (len == 0)
		return cur_fail(c);
	*ret = s;
	if (ret_len != NULL)
		*ret_len = len;
	return 0;
}

/* An error field: 0 or a positive errno value. */
static int get_err(struct proto_cur *c, bool zero_ok, int32_t *ret)
{
	int32_t v;

	if (proto_get_i32(c, &v) < 0)
		return -1;
	if (v < 0 || v > WIRE_ERRNO_MAX || (v == 0 && !zero_ok))
		return cur_fail(c);
	*ret = v;
	return 0;
}

/* ---- encoding buffer ---------------------------------------------------------------------- */

void proto_buf_init(struct proto_buf *b, void *mem, size_t cap)
{
	b->p = mem;
	b->cap = mem != NULL ? cap : 0;
	b->len = 0;
	b->bad = false;
}

static void put(struct proto_buf *b, const void *v, size_t n)
{
	/* A payload never exceeds PROTO_MAX_PAYLOAD, whatever room the caller gave us. */
	if (b->bad || b->cap - b->len < n || PROTO_MAX_PAYLOAD - b->len < n) {
		b->bad = true;
		return;
	}
	if (n > 0)
		memcpy(b->p + b->len, v, n);
	b->len += n;
}

void proto_put_u32(struct proto_buf *b, uint32_t v)
{
	put(b, &v, sizeof(v));
}

void proto_put_i32(struct proto_buf *b, int32_t v)
{
	put(b, &v, sizeof(v));
}

void proto_put_str(struct proto_buf *b, const char *s)
{
	if (s == NULL) {
		b->bad = true;
		return;
	}
	put(b, s, strlen(s) + 1);
}

int proto_buf_finish(const struct proto_buf *b)
{
	if (b->bad) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/* ---- typed messages ------------------------------------------------------------------------ */

/* Encoders check their arguments against the decoders' limits before writing anything. */
static int check_str(const char *s, size_t max, bool allow_empty)
{
	size_t len;

	if (s == NULL) {
		errno = EINVAL;
		return -1;
	}
	len = strnlen(s, max);
	if (len == 0 && !allow_empty) {
		errno = EINVAL;
		return -1;
	}
	if (len >= max) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int check_errno(int err, bool zero_ok)
{
	if (err < 0 || err > WIRE_ERRNO_MAX || (err == 0 && !zero_ok)) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int proto_encode_setup(struct proto_buf *b, size_t n, const char *const names[])
{
	size_t i;

	if (n > PROTO_MAX_FDS || (n > 0 && names == NULL)) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++)
		if (check_str(names[i], PROTO_MAX_NAME, true) < 0)
			return -1;
	proto_put_u32(b, (uint32_t)n);
	for (i = 0; i < n; i++)
		proto_put_str(b, names[i]);
	return proto_buf_finish(b);
}

int proto_decode_setup(const void *p, size_t len, const char *ret_names[], size_t max,
                       size_t *ret_n)
{
	const char *names[PROTO_MAX_FDS];
	struct proto_cur c;
	uint32_t n, i;

	proto_cur_init(&c, p, len);
	if (proto_get_u32(&c, &n) < 0)
		return -1;
	if (n > PROTO_MAX_FDS || n > max) {
		errno = EPROTO;
		return -1;
	}
	for (i = 0; i < n; i++)
		if (proto_get_str(&c, PROTO_MAX_NAME, &names[i], NULL) < 0)
			return -1;
	if (proto_cur_end(&c) < 0)
		return -1;
	if (n > 0)
		memcpy(ret_names, names, n * sizeof(names[0]));
	*ret_n = n;
	return 0;
}

int proto_encode_exec_failed(struct proto_buf *b, int err)
{
	if (check_errno(err, false) < 0)
		return -1;
	proto_put_i32(b, err);
	return proto_buf_finish(b);
}

int proto_decode_exec_failed(const void *p, size_t len, int *ret_err)
{
	struct proto_cur c;
	int32_t err;

	proto_cur_init(&c, p, len);
	if (get_err(&c, false, &err) < 0 || proto_cur_end(&c) < 0)
		return -1;
	*ret_err = err;
	return 0;
}

int proto_encode_open(struct proto_buf *b, int flags, mode_t mode, const char *path)
{
	if (check_str(path, PROTO_MAX_PATH, false) < 0)
		return -1;
	proto_put_i32(b, flags);
	proto_put_u32(b, (uint32_t)mode);
	proto_put_str(b, path);
	return proto_buf_finish(b);
}

int proto_decode_open(const void *p, size_t len, struct proto_open *ret)
{
	struct proto_open o;
	struct proto_cur c;

	proto_cur_init(&c, p, len);
	if (proto_get_i32(&c, &o.flags) < 0 || proto_get_u32(&c, &o.mode) < 0 ||
	    get_nonempty(&c, PROTO_MAX_PATH, &o.path, &o.path_len) < 0 || proto_cur_end(&c) < 0)
		return -1;
	*ret = o;
	return 0;
}

int proto_encode_open_many(struct proto_buf *b, size_t n, const char *const paths[],
                           const int flags[])
{
	size_t i;

	if (n == 0 || n > PROTO_MAX_FDS || paths == NULL || flags == NULL) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++)
		if (check_str(paths[i], PROTO_MAX_PATH, false) < 0)
			return -1;
	proto_put_u32(b, (uint32_t)n);
	for (i = 0; i < n; i++) {
		proto_put_i32(b, flags[i]);
		proto_put_str(b, paths[i]);
	}
	return proto_buf_finish(b);
}

static int open_many_entry(struct proto_cur *c, int32_t *ret_flags, const char **ret_path,
                           size_t *ret_path_len)
{
	if (proto_get_i32(c, ret_flags) < 0)
		return -1;
	return get_nonempty(c, PROTO_MAX_PATH, ret_path, ret_path_len);
}

/*
 * The whole message is validated here, trailing bytes included, so a broker walking the
 * entries never starts work on a request that turns out malformed half-way. The cursor is
 * then rewound to the first entry.
 */
int proto_decode_open_many_begin(struct proto_cur *c, const void *p, size_t len, size_t *ret_n)
{
	struct proto_cur walk;
	const char *path;
	uint32_t n, i;
	int32_t flags;

	proto_cur_init(&walk, p, len);
	if (proto_get_u32(&walk, &n) < 0)
		return -1;
	if (n == 0 || n > PROTO_MAX_FDS) {
		errno = EPROTO;
		return -1;
	}
	*c = walk;
	for (i = 0; i < n; i++)
		if (open_many_entry(&walk, &flags, &path, NULL) < 0)
			goto bad;
	if (proto_cur_end(&walk) < 0)
		goto bad;
	*ret_n = n;
	return 0;
bad:
	c->bad = true;
	errno = EPROTO;
	return -1;
}

int proto_decode_open_many_next(struct proto_cur *c, int32_t *ret_flags, const char **ret_path,
                                size_t *ret_path_len)
{
	const char *path;
	size_t path_len;
	int32_t flags;

	if (open_many_entry(c, &flags, &path, &path_len) < 0)
		return -1;
	*ret_flags = flags;
	*ret_path = path;
	if (ret_path_len != NULL)
		*ret_path_len = path_len;
	return 0;
}

int proto_encode_connect(struct proto_buf *b, const char *address)
{
	if (check_str(address, PROTO_MAX_ADDRESS, false) < 0)
		return -1;
	proto_put_str(b, address);
	return proto_buf_finish(b);
}

int proto_decode_connect(const void *p, size_t len, const char **ret_address)
{
	struct proto_cur c;
	const char *a;

	proto_cur_init(&c, p, len);
	if (get_nonempty(&c, PROTO_MAX_ADDRESS, &a, NULL) < 0 || proto_cur_end(&c) < 0)
		return -1;
	*ret_address = a;
	return 0;
}

int proto_encode_listen(struct proto_buf *b, const char *address, int backlog)
{
	if (check_str(address, PROTO_MAX_ADDRESS, false) < 0)
		return -1;
	proto_put_i32(b, backlog);
	proto_put_str(b, address);
	return proto_buf_finish(b);
}

int proto_decode_listen(const void *p, size_t len, const char **ret_address, int32_t *ret_backlog)
{
	struct proto_cur c;
	const char *a;
	int32_t backlog;

	proto_cur_init(&c, p, len);
	if (proto_get_i32(&c, &backlog) < 0 || get_nonempty(&c, PROTO_MAX_ADDRESS, &a, NULL) < 0 ||
	    proto_cur_end(&c) < 0)
		return -1;
	*ret_address = a;
	*ret_backlog = backlog;
	return 0;
}

int proto_encode_reply(struct proto_buf *b, int err, size_t n, const int errs[])
{
	size_t i;

	if (check_errno(err, true) < 0)
		return -1;
	if (n > PROTO_MAX_FDS || (n > 0 && errs == NULL)) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++)
		if (check_errno(errs[i], true) < 0)
			return -1;
	proto_put_i32(b, err);
	proto_put_u32(b, (uint32_t)n);
	for (i = 0; i < n; i++)
		proto_put_i32(b, errs[i]);
	return proto_buf_finish(b);
}

int proto_decode_reply(const void *p, size_t len, int32_t *ret_err, int32_t ret_errs[], size_t max,
                       size_t *ret_n)
{
	int32_t errs[PROTO_MAX_FDS];
	struct proto_cur c;
	int32_t err;
	uint32_t n, i;

	proto_cur_init(&c, p, len);
	if (get_err(&c, true, &err) < 0 || proto_get_u32(&c, &n) < 0)
		return -1;
	if (n > PROTO_MAX_FDS || n > max) {
		errno = EPROTO;
		return -1;
	}
	for (i = 0; i < n; i++)
		if (get_err(&c, true, &errs[i]) < 0)
			return -1;
	if (proto_cur_end(&c) < 0)
		return -1;
	if (n > 0)
		memcpy(ret_errs, errs, n * sizeof(errs[0]));
	*ret_err = err;
	*ret_n = n;
	return 0;
}
