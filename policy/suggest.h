/* suggest.h — private to policy/: "did you mean" for misspelt keywords. */
#ifndef FDBROKER_POLICY_SUGGEST_H
#define FDBROKER_POLICY_SUGGEST_H

/* Edit distance (insert, delete, substitute, swap neighbours), capped at 3 for long input. */
int suggest_distance(const char *a, const char *b);
/* The known word (NULL-terminated list) within distance 2 of `word`, or NULL. */
const char *suggest(const char *word, const char *const *known);

#endif
