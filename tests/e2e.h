/* e2e.h — running build/fdbroker from end-to-end tests. */
#ifndef FDBROKER_TEST_E2E_H
#define FDBROKER_TEST_E2E_H

#include <stdbool.h>
#include <sys/types.h>

struct e2e_result {
	int status;  /* exit status, or 128+N for signal N, or -1 on timeout */
	char *out;   /* captured stdout */
	char *err;   /* captured stderr */
};

/* A temp dir holding a policy file written from text; freed by e2e_env_free. */
struct e2e_env {
	char *dir;
	char *policy;
};

void e2e_env_init(struct e2e_env *env, const char *policy_text);
void e2e_env_free(struct e2e_env *env);

/* Run build/fdbroker with argv (NULL-terminated, without the program name), capturing
 * output, waiting at most timeout_s seconds (then SIGKILL, status -1). If ret_pid is not
 * NULL, the function returns right after start with *ret_pid set and the result is
 * collected later with e2e_wait. */
void e2e_run(const char *const argv[], int timeout_s, struct e2e_result *ret);
pid_t e2e_start(const char *const argv[], struct e2e_result *ret);
void e2e_wait(pid_t pid, int timeout_s, struct e2e_result *ret);
void e2e_result_free(struct e2e_result *r);

/* Skip (with a printed reason) unless root; returns true when the test should go on. */
bool e2e_need_root(const char *test);

/* Connect to 127.0.0.1:port (TCP), read until EOF into a malloc'd string (NULL on error),
 * retrying the connect for up to timeout_s. */
char *e2e_tcp_fetch(int port, int timeout_s);
/* The same, sending an HTTP/1.0 GET / first. */
char *e2e_http_get(int port, int timeout_s);

#endif
