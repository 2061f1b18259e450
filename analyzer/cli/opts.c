/*
 * opts.c - the one option parser of the graphleak commands (opts.h).
 */
#include "opts.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- values ------------------------------------------------------------------ */

int cli_parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int cli_parse_size(const char *s, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	uint64_t mul = 1;
	switch (*end) {
	case 'k': case 'K': mul = 1ull << 10; end++; break;
	case 'm': case 'M': mul = 1ull << 20; end++; break;
	case 'g': case 'G': mul = 1ull << 30; end++; break;
	case 't': case 'T': mul = 1ull << 40; end++; break;
	}
	if (*end == 'i' || *end == 'B')
		end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
	if (*end || v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

int cli_parse_seconds(const char *s, double *out)
{
	char *end;
	if (!s || !*s)
		return -1;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > 86400)
		return -1;
	*out = v;
	return 0;
}

int cli_parse_addr(const char *s, uint64_t *out)
{
	if (!s || !*s)
		return -1;
	const char *p = s;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	if (!*p || strspn(p, "0123456789abcdefABCDEF") != strlen(p) || strlen(p) > 16)
		return -1;
	*out = strtoull(p, NULL, 16);
	return 0;
}

int cli_parse_share(const char *s, double *out)
{
	char *end;
	if (!s || !*s)
		return -1;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !isfinite(v))
		return -1;
	int percent = *end == '%';
	if (percent)
		end++;
	if (*end)
		return -1;
	if (percent || v >= 1.0)
		v /= 100.0;
	if (!(v > 0.0) || v > 1.0)
		return -1;
	*out = v;
	return 0;
}

/* ---- suggestions ---------------------------------------------------------------- */

/* Edit distance (insertions, deletions, substitutions, and swaps of two
 * neighbours), letters compared without case; -1 when above `cap`. */
static int distance(const char *a, const char *b, int cap)
{
	size_t n = strlen(a), m = strlen(b);
	if (n > 64 || m > 64)
		return -1;
	if ((n > m ? n - m : m - n) > (size_t)cap)
		return -1;
	int d[65][65];
	for (size_t i = 0; i <= n; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= n; i++) {
		int best = cap + 1;
		for (size_t j = 1; j <= m; j++) {
			int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			int v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
			if (v < best)
				best = v;
		}
		if (best > cap)
			return -1;
	}
	return d[n][m] <= cap ? d[n][m] : -1;
}

long cli_suggest(const char *word, size_t n, const char *(*get)(size_t i, void *ctx), void *ctx)
{
	size_t len = strlen(word);
	int cap = len <= 3 ? 1 : len <= 8 ? 2 : 3; /* a likely slip, not any word */
	long best = -1;
	int best_d = cap + 1;
	for (size_t i = 0; i < n; i++) {
		const char *c = get(i, ctx);
		if (!c || !*c)
			continue;
		int d = distance(word, c, cap);
		if (d >= 0 && d < best_d) {
			best = (long)i;
			best_d = d;
		}
	}
	return best;
}

static const char *from_array(size_t i, void *ctx)
{
	return ((const char *const *)ctx)[i];
}

const char *cli_suggest_in(const char *word, const char *const *cands)
{
	size_t n = 0;
	while (cands[n])
		n++;
	long i = cli_suggest(word, n, from_array, (void *)cands);
	return i < 0 ? NULL : cands[i];
}

/* ---- the parser ------------------------------------------------------------------- */

static const char *opt_name(size_t i, void *ctx)
{
	const cli_opt *o = ctx;
	return o[i].name;
}

static int unknown(const cli_args *a, const char *arg)
{
	char word[128];
	snprintf(word, sizeof word, "%s", arg + (arg[1] == '-' ? 2 : 1));
	word[strcspn(word, "=")] = 0;
	size_t n = 0;
	while (a->opts[n].name)
		n++;
	long k = cli_suggest(word, n, opt_name, (void *)a->opts);
	const char *s = k < 0 ? NULL : a->opts[k].name;
	if (!s && strcmp(word, "help") && cli_suggest_in(word, (const char *const[]){"help", NULL}))
		s = "help";
	if (s)
		return cli_usage_error(a->cmd, "unknown option '%s'; did you mean --%s?", arg, s);
	return cli_usage_error(a->cmd, "unknown option '%s'", arg);
}

static int bad_value(const cli_args *a, const cli_opt *o, const char *shown, const char *v)
{
	switch (o->kind) {
	case CLI_COUNT:
		if (o->meta && strcmp(o->meta, "PID") == 0)
			return cli_usage_error(a->cmd, "%s takes a process id, not '%s'", shown, v);
		return cli_usage_error(a->cmd, "%s takes a whole number%s, not '%s'", shown,
				       strcmp(o->name, "limit") == 0 ? " (0: all)" : "", v);
	case CLI_SIZE:
		return cli_usage_error(a->cmd, "%s takes a size like 256k, 64M or 2G, not '%s'", shown, v);
	case CLI_SECONDS:
		return cli_usage_error(a->cmd, "%s takes seconds (e.g. 10 or 2.5), not '%s'", shown, v);
	case CLI_ADDR:
		return cli_usage_error(a->cmd, "%s takes an address like 0x7f3a12c45e10, not '%s'", shown, v);
	case CLI_SHARE:
		return cli_usage_error(a->cmd, "%s takes a share like 5%%, 5 or 0.05 (above 0, at most 100%%), not '%s'",
				       shown, v);
	default:
		return cli_usage_error(a->cmd, "%s needs a value", shown);
	}
}

static int store(const cli_args *a, const cli_opt *o, const char *shown, const char *v)
{
	int bad = 0;
	switch (o->kind) {
	case CLI_FLAG:
		*(int *)o->dest = 1;
		break;
	case CLI_STR:
		if (!*v)
			return cli_usage_error(a->cmd, "%s needs a value", shown);
		/* fall through */
	case CLI_OPTVAL:
		*(const char **)o->dest = v;
		break;
	case CLI_COUNT:
		bad = cli_parse_u64(v, o->dest);
		break;
	case CLI_SIZE:
		bad = cli_parse_size(v, o->dest);
		break;
	case CLI_SECONDS:
		bad = cli_parse_seconds(v, o->dest);
		break;
	case CLI_ADDR:
		bad = cli_parse_addr(v, o->dest);
		break;
	case CLI_SHARE:
		bad = cli_parse_share(v, o->dest);
		break;
	}
	if (bad)
		return bad_value(a, o, shown, v);
	if (o->seen)
		(*o->seen)++;
	return CLI_GO_ON;
}

int cli_describe;

void cli_describe_table(const cli_opt *opts)
{
	for (const cli_opt *o = opts; o->name; o++) {
		const char *kind = o->kind == CLI_FLAG ? "flag" : o->kind == CLI_OPTVAL ? "optval" : "value";
		printf("option\t--%s\t", o->name);
		if (o->letter)
			printf("-%c", o->letter);
		else
			putchar('-');
		printf("\t%s\t%s\n", kind, o->meta ? o->meta : "-");
	}
	printf("option\t--help\t-h\tflag\t-\n"); /* every parser takes it */
}

int cli_parse(cli_args *a, int argc, char **argv)
{
	a->npos = 0;
	a->program = 0;
	if (cli_describe) {
		cli_describe_table(a->opts);
		printf("args\t%d\t%s\n", a->max_pos, a->takes_program ? "program" : "-");
		return CLI_HELP_SHOWN;
	}
	int options_done = 0;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (options_done || arg[0] != '-' || arg[1] == 0) { /* "-" alone is a name (stdout) */
			if (a->takes_program) { /* the rest is the program's */
				a->program = i;
				return CLI_GO_ON;
			}
			if (a->npos >= a->max_pos) {
				if (a->max_pos == 0)
					return cli_usage_error(a->cmd, "unexpected argument '%s'", arg);
				return cli_usage_error(a->cmd, "unexpected argument '%s' (%s takes %d)", arg, a->cmd,
						       a->max_pos);
			}
			a->pos[a->npos++] = arg;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			options_done = 1;
			if (a->takes_program) {
				if (i + 1 >= argc)
					return cli_usage_error(a->cmd, "nothing after '--': give the program to run");
				a->program = i + 1;
				return CLI_GO_ON;
			}
			continue;
		}
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			fputs(a->usage, stdout);
			return CLI_HELP_SHOWN;
		}
		const cli_opt *o = NULL;
		const char *val = NULL;
		char shown[80];
		if (arg[1] == '-') { /* --name, --name=value */
			const char *name = arg + 2, *eq = strchr(name, '=');
			size_t nl = eq ? (size_t)(eq - name) : strlen(name);
			for (const cli_opt *p = a->opts; p->name; p++)
				if (strlen(p->name) == nl && strncmp(p->name, name, nl) == 0)
					o = p;
			if (!o)
				return unknown(a, arg);
			snprintf(shown, sizeof shown, "--%s", o->name);
			if (eq) {
				if (o->kind == CLI_FLAG)
					return cli_usage_error(a->cmd, "%s takes no value", shown);
				val = eq + 1;
			}
		} else { /* -n, -n5, -n 5 */
			for (const cli_opt *p = a->opts; p->name; p++)
				if (p->letter && p->letter == arg[1])
					o = p;
			if (!o)
				return unknown(a, arg);
			snprintf(shown, sizeof shown, "-%c", o->letter);
			if (arg[2]) {
				if (o->kind == CLI_FLAG || o->kind == CLI_OPTVAL)
					return unknown(a, arg);
				val = arg + 2;
			}
		}
		if (!val && o->kind == CLI_OPTVAL)
			val = "";
		if (!val && o->kind != CLI_FLAG) {
			if (i + 1 >= argc)
				return cli_usage_error(a->cmd, "%s needs a value%s%s", shown, o->meta ? " " : "",
						       o->meta ? o->meta : "");
			val = argv[++i];
		}
		int rc = store(a, o, shown, val ? val : "");
		if (rc != CLI_GO_ON)
			return rc;
	}
	return CLI_GO_ON;
}

int cli_exit(int parse_rc)
{
	return parse_rc == CLI_HELP_SHOWN ? GL_EXIT_OK : parse_rc;
}
