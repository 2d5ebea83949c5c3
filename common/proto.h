/*
 * proto.h — the fdbroker wire protocol, version 1 (documented in fdbroker-protocol(7)).
 *
 * Transport: an AF_UNIX SOCK_SEQPACKET socket pair (the "channel"). Every message is one
 * datagram: a fixed 16-byte header in native byte order, then `len` payload bytes, with
 * file descriptors (if the type carries any) as one SCM_RIGHTS control message.
 *
 * Payload fields are u32/i32 in native byte order and strings, each NUL-terminated inside
 * the message. Decoding goes through a cursor that checks every read; a decoder succeeds only
 * if the whole payload was consumed (no trailing bytes).
 *
 * Pure code: no I/O, no printing. Functions return 0 or -1 with errno (EPROTO for malformed
 * input, EMSGSIZE when an encoding does not fit).
 */
#ifndef FDBROKER_PROTO_H
#define FDBROKER_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROTO_VERSION 1u
#define PROTO_HDR_SIZE 16u
#define PROTO_MAX_PAYLOAD 65536u /* hard maximum payload, header excluded */
#define PROTO_MAX_FDS 253u       /* SCM_MAX_FD: the kernel's per-message limit */
#define PROTO_MAX_PATH 4096u     /* PATH_MAX, including the NUL */
#define PROTO_MAX_ADDRESS 512u   /* "tcp:[v6]:port", "unix:PATH" (sun_path is 108) */
#define PROTO_MAX_NAME 256u      /* fd names, as in LISTEN_FDNAMES */

struct proto_hdr {
	uint16_t version; /* PROTO_VERSION */
	uint16_t type;    /* enum proto_type */
	uint32_t len;     /* payload bytes that follow the header */
	uint32_t id;      /* request id; a reply echoes it */
	uint32_t flags;   /* reserved: must be 0 */
};

/*
 * Message types. The direction is part of the contract: a broker refuses any type a worker
 * may not send, before any handler runs.
 */
enum proto_type {
	/* broker -> worker, once, before execve: the pre-opened fds, in declaration order. */
	PROTO_SETUP = 1,
	/* worker -> broker, once, before execve: the seccomp notification listener (1 fd). */
	PROTO_LISTENER = 2,
	/* worker -> broker, instead of a successful execve: why it failed. */
	PROTO_EXEC_FAILED = 3,

	/* worker -> broker requests (runtime brokering, libfdbroker) */
	PROTO_OPEN = 16,
	PROTO_OPEN_MANY = 17,
	PROTO_CONNECT = 18,
	PROTO_LISTEN = 19,

	/* broker -> worker reply to any request; echoes the request id */
	PROTO_REPLY = 128,

	PROTO_TYPE_MAX = 129 /* sentinel for validation */
};

/* The most fds a message of `type` may carry; 0 for unknown types. */
size_t proto_max_fds(uint16_t type);

/* Validate a received header against the datagram size: version, flags, len == size - 16,
 * len <= PROTO_MAX_PAYLOAD, known type. 0 or -1/EPROTO. */
int proto_check_hdr(const struct proto_hdr *hdr, size_t datagram_size);

/* Fill a header. */
void proto_hdr_init(struct proto_hdr *hdr, uint16_t type, uint32_t id, size_t payload_len);

/* ---- decoding cursor ---------------------------------------------------------------------- */

struct proto_cur {
	const unsigned char *p;
	size_t len;
	size_t off;
	bool bad; /* sticky: once a read failed, every later read fails too */
};

void proto_cur_init(struct proto_cur *c, const void *p, size_t len);
int proto_get_u32(struct proto_cur *c, uint32_t *ret);
int proto_get_i32(struct proto_cur *c, int32_t *ret);
/* A string: bytes up to and including a NUL that lies inside the message, at most `max` bytes
 * including the NUL. *ret points into the message (not copied); *ret_len excludes the NUL. */
int proto_get_str(struct proto_cur *c, size_t max, const char **ret, size_t *ret_len);
/* 0 if every byte was consumed and no read failed, else -1/EPROTO. */
int proto_cur_end(const struct proto_cur *c);

/* ---- encoding buffer (caller-provided memory, no allocation) ------------------------------ */

struct proto_buf {
	unsigned char *p;
	size_t cap;
	size_t len;
	bool bad; /* sticky overflow flag */
};

void proto_buf_init(struct proto_buf *b, void *mem, size_t cap);
void proto_put_u32(struct proto_buf *b, uint32_t v);
void proto_put_i32(struct proto_buf *b, int32_t v);
void proto_put_str(struct proto_buf *b, const char *s); /* writes the NUL too */
/* 0, or -1/EMSGSIZE if anything did not fit. */
int proto_buf_finish(const struct proto_buf *b);

/* ---- typed messages ------------------------------------------------------------------------ */

/* PROTO_SETUP payload: u32 n, then n names. fds ride along in the same order. */
int proto_encode_setup(struct proto_buf *b, size_t n, const char *const names[]);
/* Decodes up to `max` names into ret_names (pointers into the message). */
int proto_decode_setup(const void *p, size_t len, const char *ret_names[], size_t max,
		       size_t *ret_n);

/* PROTO_EXEC_FAILED payload: i32 errno. */
int proto_encode_exec_failed(struct proto_buf *b, int err);
int proto_decode_exec_failed(const void *p, size_t len, int *ret_err);

/* PROTO_OPEN payload: i32 flags, u32 mode, path. */
struct proto_open {
	int32_t flags;
	uint32_t mode;
	const char *path;
	size_t path_len;
};
int proto_encode_open(struct proto_buf *b, int flags, mode_t mode, const char *path);
int proto_decode_open(const void *p, size_t len, struct proto_open *ret);

/* PROTO_OPEN_MANY payload: u32 n (1..PROTO_MAX_FDS), then n x (i32 flags, path). Decoding
 * walks the entries with proto_decode_open_many_next after proto_decode_open_many_begin. */
int proto_encode_open_many(struct proto_buf *b, size_t n, const char *const paths[],
			   const int flags[]);
int proto_decode_open_many_begin(struct proto_cur *c, const void *p, size_t len, size_t *ret_n);
int proto_decode_open_many_next(struct proto_cur *c, int32_t *ret_flags, const char **ret_path,
				size_t *ret_path_len);

/* PROTO_CONNECT payload: address ("tcp:HOST:PORT", "udp:HOST:PORT", "unix:PATH"). */
int proto_encode_connect(struct proto_buf *b, const char *address);
int proto_decode_connect(const void *p, size_t len, const char **ret_address);

/* PROTO_LISTEN payload: i32 backlog, address. */
int proto_encode_listen(struct proto_buf *b, const char *address, int backlog);
int proto_decode_listen(const void *p, size_t len, const char **ret_address, int32_t *ret_backlog);

/* PROTO_REPLY payload: i32 error (0 or a positive errno), u32 n, then n x i32 per-entry error
 * (n is 0 except for replies to PROTO_OPEN_MANY). A reply carries one fd per zero entry error
 * (or exactly one fd when n == 0 and error == 0). */
int proto_encode_reply(struct proto_buf *b, int err, size_t n, const int errs[]);
int proto_decode_reply(const void *p, size_t len, int32_t *ret_err, int32_t ret_errs[],
		       size_t max, size_t *ret_n);

#endif
