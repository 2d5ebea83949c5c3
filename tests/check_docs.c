/*
 * check_docs.c — the manual pages agree with the code.
 *
 *  - every command and long option in `fdbroker --help` is documented in man/fdbroker.1, and
 *    every option (.Fl) and command (.Cm) documented there exists in --help;
 *  - every statement keyword of policy/parse.c's statement table is documented as a
 *    statement (`.It Ic KEYWORD`) in man/fdbroker.policy.5;
 *  - every group of policy_groups[] has a `.Ss @group` subsection in fdbroker.policy.5 that
 *    lists each of its members;
 *  - `mandoc -T lint -W warning man/...` prints nothing.
 *
 * Runs with cwd = repository root; $FDBROKER_BUILD (default "build") names the build.
 */
#define _GNU_SOURCE
#include <check.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "policy.h"

#define MAN1 "man/fdbroker.1"
#define MAN5 "man/fdbroker.policy.5"

static const char *const man_pages[] = {
	"man/fdbroker.1",
	"man/fdbroker.policy.5",
	"man/libfdbroker.3",
	"man/fdbroker-protocol.7",
	NULL,
};

/* A growable list of strings. */
struct words {
	char **v;
	size_t n;
};

static void words_add(struct words *w, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (strlen(w->v[i]) == len && strncmp(w->v[i], s, len) == 0)
			return;
	w->v = realloc(w->v, (w->n + 1) * sizeof(*w->v));
	ck_assert_ptr_nonnull(w->v);
	w->v[w->n] = strndup(s, len);
	ck_assert_ptr_nonnull(w->v[w->n]);
	w->n++;
}

static void words_free(struct words *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	w->v = NULL;
	w->n = 0;
}

/* The whole output of a shell command, or NULL if it could not run. */
static char *run_output(const char *cmd, int *ret_status)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	FILE *f = popen(cmd, "r");

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	*ret_status = pclose(f);
	return buf;
}

static char *read_or_fail(const char *path)
{
	char *s = th_read_file(path);

	ck_assert_msg(s != NULL, "cannot read %s (tests run from the repository root)", path);
	return s;
}

static bool is_word_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '@';
}

/* Does `word` occur in text with no word character right before or after it? */
static bool has_word(const char *text, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = strstr(text, word); p != NULL; p = strstr(p + 1, word))
		if ((p == text || !is_word_char(p[-1])) && !is_word_char(p[n]))
			return true;
	return false;
}

/* ---- fdbroker --help vs fdbroker(1) ------------------------------------------------------- */

static char *help_text(void)
{
	char *cmd = th_fmt("'%s/fdbroker' --help", th_build_dir());
	int status = -1;
	char *out = run_output(cmd, &status);

	ck_assert_msg(out != NULL && status == 0, "%s failed (status %d)", cmd, status);
	free(cmd);
	return out;
}

/* Commands: the word after "fdbroker " on the usage lines, when it is not an option. */
static void help_commands(const char *help, struct words *ret)
{
	const char *p;

	for (p = strstr(help, "  fdbroker "); p != NULL; p = strstr(p + 1, "  fdbroker ")) {
		const char *w = p + strlen("  fdbroker "), *e = w;
		while (is_word_char(*e))
			e++;
		if (e > w && w[0] != '-')
			words_add(ret, w, (size_t)(e - w));
	}
}

/* Long options: every "--name" token. */
static void help_long_options(const char *help, struct words *ret)
{
	const char *p;

	for (p = strstr(help, "--"); p != NULL; p = strstr(p + 2, "--")) {
		const char *e = p + 2;
		while (is_word_char(*e))
			e++;
		if (e > p + 2)
			words_add(ret, p, (size_t)(e - p));
	}
}

/* Is `tok` an mdoc macro name (Ar, Oc, Ns, ...)? Two or three letters, capital first. */
static bool is_macro(const char *tok)
{
	size_t n = strlen(tok);

	return n >= 2 && n <= 3 && isupper((unsigned char)tok[0]) && islower((unsigned char)tok[1]);
}

/*
 * The arguments of every `Fl` and `Cm` macro on the macro lines of an mdoc page:
 * `.Fl p Ar x` gives "-p", `.Fl -help | -version` gives "--help" and "--version",
 * `.Cm run` gives "run". Punctuation (",", "|", ".") is skipped; the bare "--" of
 * `.Fl -` (end of options) is not an option.
 */
static void man_flags_and_cmds(const char *page, struct words *flags, struct words *cmds)
{
	char *copy = strdup(page), *line, *save = NULL;

	ck_assert_ptr_nonnull(copy);
	for (line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *tok, *save2 = NULL;
		int mode = 0; /* 1: after Fl, 2: after Cm */

		if (line[0] != '.')
			continue;
		for (tok = strtok_r(line + 1, " \t", &save2); tok != NULL;
		     tok = strtok_r(NULL, " \t", &save2)) {
			if (strcmp(tok, "Fl") == 0) {
				mode = 1;
				continue;
			}
			if (strcmp(tok, "Cm") == 0) {
				mode = 2;
				continue;
			}
			if (is_macro(tok)) {
				mode = 0;
				continue;
			}
			if (mode == 0 || strchr(",|.;:()", tok[0]) != NULL)
				continue;
			if (mode == 1) {
				char *f = th_fmt("-%s", tok);
				if (strcmp(f, "--") != 0)
					words_add(flags, f, strlen(f));
				free(f);
			} else if (isalpha((unsigned char)tok[0])) {
				words_add(cmds, tok, strlen(tok));
			}
		}
	}
	free(copy);
}

START_TEST(help_options_are_documented)
{
	char *help = help_text(), *man = read_or_fail(MAN1);
	struct words flags = {0}, cmds = {0}, hcmds = {0}, hopts = {0};
	size_t i;

	man_flags_and_cmds(man, &flags, &cmds);
	help_commands(help, &hcmds);
	help_long_options(help, &hopts);
	ck_assert_msg(hcmds.n >= 2, "found no commands in --help");
	ck_assert_msg(hopts.n >= 4, "found no long options in --help");

	for (i = 0; i < hcmds.n; i++) {
		bool found = false;
		size_t j;
		for (j = 0; j < cmds.n; j++)
			found |= strcmp(cmds.v[j], hcmds.v[i]) == 0;
		ck_assert_msg(found, "command '%s' of --help is not documented (.Cm) in %s",
			      hcmds.v[i], MAN1);
	}
	for (i = 0; i < hopts.n; i++) {
		bool found = false;
		size_t j;
		for (j = 0; j < flags.n; j++)
			found |= strcmp(flags.v[j], hopts.v[i]) == 0;
		ck_assert_msg(found, "option '%s' of --help is not documented (.Fl) in %s",
			      hopts.v[i], MAN1);
	}
	/* The other way round: nothing documented that --help does not know. */
	for (i = 0; i < flags.n; i++)
		ck_assert_msg(has_word(help, flags.v[i]),
			      "option '%s' documented in %s is not in --help", flags.v[i], MAN1);
	for (i = 0; i < cmds.n; i++)
		ck_assert_msg(has_word(help, cmds.v[i]),
			      "command or value '%s' documented in %s is not in --help", cmds.v[i],
			      MAN1);
	words_free(&flags);
	words_free(&cmds);
	words_free(&hcmds);
	words_free(&hopts);
	free(help);
	free(man);
}
END_TEST

/* ---- statements ----------------------------------------------------------------------------- */

/* The keywords of parse.c's table `statements[] = { {"version", st_version}, ... }`. */
static void parser_keywords(struct words *ret)
{
	char *src = read_or_fail("policy/parse.c");
	const char *p = strstr(src, "statements[] = {"), *end;

	ck_assert_msg(p != NULL, "policy/parse.c: no 'statements[] = {' table");
	end = strstr(p, "};");
	ck_assert_ptr_nonnull(end);
	for (p = strstr(p, "{\""); p != NULL && p < end; p = strstr(p + 1, "{\"")) {
		const char *q = strchr(p + 2, '"');
		ck_assert_ptr_nonnull(q);
		words_add(ret, p + 2, (size_t)(q - p - 2));
	}
	free(src);
}

START_TEST(statements_are_documented)
{
	char *man = read_or_fail(MAN5);
	struct words kw = {0};
	size_t i;

	parser_keywords(&kw);
	ck_assert_msg(kw.n >= 12, "found only %zu statements in policy/parse.c", kw.n);
	for (i = 0; i < kw.n; i++) {
		char *needle = th_fmt("\n.It Ic %s", kw.v[i]);
		const char *p;
		bool found = false;
		for (p = strstr(man, needle); p != NULL && !found; p = strstr(p + 1, needle)) {
			char c = p[strlen(needle)];
			found = c == ' ' || c == '\n';
		}
		ck_assert_msg(found, "statement '%s' has no '.It Ic %s' entry in %s", kw.v[i],
			      kw.v[i], MAN5);
		free(needle);
	}
	words_free(&kw);
	free(man);
}
END_TEST

/* ---- syscall groups -------------------------------------------------------------------------- */

START_TEST(groups_are_documented)
{
	char *man = read_or_fail(MAN5);
	const struct policy_group *g;

	for (g = policy_groups; g->name != NULL; g++) {
		char *head = th_fmt("\n.Ss %s\n", g->name), *section;
		const char *start = strstr(man, head), *end;
		size_t i;

		ck_assert_msg(start != NULL, "group %s has no '.Ss %s' subsection in %s", g->name,
			      g->name, MAN5);
		start += strlen(head);
		end = start + strcspn(start, "\0");
		{
			const char *ss = strstr(start, "\n.Ss "), *sh = strstr(start, "\n.Sh ");
			if (ss != NULL && ss < end)
				end = ss;
			if (sh != NULL && sh < end)
				end = sh;
		}
		section = strndup(start, (size_t)(end - start));
		ck_assert_ptr_nonnull(section);
		for (i = 0; g->members[i] != NULL; i++)
			ck_assert_msg(has_word(section, g->members[i]),
				      "member '%s' of %s is not listed in its subsection of %s",
				      g->members[i], g->name, MAN5);
		free(section);
		free(head);
	}
	free(man);
}
END_TEST

/* ---- mandoc lint ---------------------------------------------------------------------------- */

START_TEST(mandoc_lint_is_clean)
{
	char *cmd, *out;
	int status = -1, i;
	size_t len = 0;
	char list[1024] = "";

	if (system("command -v mandoc >/dev/null 2>&1") != 0) {
		printf("SKIP mandoc_lint_is_clean: mandoc is not installed "
		       "(apt-get install mandoc)\n");
		return;
	}
	for (i = 0; man_pages[i] != NULL; i++) {
		char *text = read_or_fail(man_pages[i]); /* every page must exist */
		free(text);
		len += (size_t)snprintf(list + len, sizeof(list) - len, " '%s'", man_pages[i]);
	}
	cmd = th_fmt("mandoc -T lint -W warning%s 2>&1", list);
	out = run_output(cmd, &status);
	ck_assert_ptr_nonnull(out);
	ck_assert_msg(out[0] == '\0', "mandoc -T lint is not clean:\n%s", out);
	free(out);
	free(cmd);
}
END_TEST

static Suite *docs_suite(void)
{
	Suite *s = suite_create("docs");
	TCase *tc;

	tc = tcase_create("fdbroker.1 matches --help");
	tcase_add_test(tc, help_options_are_documented);
	suite_add_tcase(s, tc);

	tc = tcase_create("fdbroker.policy.5 matches the parser");
	tcase_add_test(tc, statements_are_documented);
	tcase_add_test(tc, groups_are_documented);
	suite_add_tcase(s, tc);

	tc = tcase_create("pages are lint-clean");
	tcase_add_test(tc, mandoc_lint_is_clean);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_suite(docs_suite());
}
