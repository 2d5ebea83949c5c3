/*
 * suggest.c — "did you mean 'listen'?" for a misspelt keyword.
 *
 * Optimal string alignment distance (Levenshtein plus transposition of neighbours): a
 * swapped pair of letters is the commonest typo and should cost 1, not 2.
 */
#include "suggest.h"

#include <string.h>

#define SUGGEST_MAX_LEN 64 /* longer words are never keywords: distance "far" */

static int min3(int a, int b, int c)
{
	int m = a < b ? a : b;
	return m < c ? m : c;
}

int suggest_distance(const char *a, const char *b)
{
	int d[SUGGEST_MAX_LEN + 1][SUGGEST_MAX_LEN + 1];
	size_t la = strlen(a), lb = strlen(b), i, j;

	if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN)
		return 3;
	for (i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			int cost = a[i - 1] == b[j - 1] ? 0 : 1;

			d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1;
		}
	}
	return d[la][lb];
}

const char *suggest(const char *word, const char *const *known)
{
	const char *best = NULL;
	int bestd = 3, dist;
	size_t len = strlen(word);

	for (; *known != NULL; known++) {
		dist = suggest_distance(word, *known);
		/* "ab" is within 2 of every 2-4 letter word: a suggestion must keep some letters */
		if (dist < bestd && (size_t)dist < len) {
			best = *known;
			bestd = dist;
		}
	}
	return best;
}
