/*
 * opts.h - every command's options in one table, parsed by one function.
 *
 * A command declares its options once:
 *
 *     uint64_t limit = 20; int json = 0; const char *out = NULL;
 *     const cli_opt opts[] = {
 *             CLI_LIMIT(&limit),
 *             CLI_JSON(&json),
 *             {"output", 'o', CLI_STR, &out, "FILE"},
 *             {0}};
 *     cli_args a = {.cmd = "top", .usage = top_usage, .opts = opts, .pos = pos, .max_pos = 1};
 *     int rc = cli_parse(&a, argc, argv);
 *     if (rc != CLI_GO_ON)
 *             return cli_exit(rc);
 *
 * and gets, the same everywhere: -h/--help (the usage text, exit 0),
 * `--name VALUE`, `--name=VALUE`, `-n VALUE` and `-nVALUE`, values checked by
 * kind with one message per kind, "did you mean --limit?" for a misspelt
 * option, and positional arguments (at most max_pos; `--` ends the options).
 */
#ifndef GRAPHLEAK_OPTS_H
#define GRAPHLEAK_OPTS_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
	CLI_FLAG,    /* int: set to 1 */
	CLI_STR,     /* const char *: the value as given, not empty */
	CLI_COUNT,   /* uint64_t: a whole number from 0 */
	CLI_SIZE,    /* uint64_t: bytes, with a suffix k, M, G, T (binary): 256k */
	CLI_SECONDS, /* double: seconds above 0, decimals allowed, at most a day */
	CLI_ADDR,    /* uint64_t: an object's address, 0x7f3a12c45e10 (hex; 0x optional) */
	CLI_SHARE,   /* double: a share of a whole in (0, 1]: 5%, 0.05, or 5 (from 1 up: percent) */
	CLI_OPTVAL,  /* const char *: a value only after '=' (--signal or --signal=SIGHUP); "" without */
} cli_kind;

typedef struct cli_opt {
	const char *name; /* the long name without its dashes ("limit"); NULL ends a table */
	char letter;      /* the short name ('n'), or 0 */
	cli_kind kind;
	void *dest;       /* by kind: int *, const char **, uint64_t *, double * */
	const char *meta; /* what the value is, in messages ("N", "SNAP") */
	int *seen;        /* if not NULL: how many times the option was given */
} cli_opt;

/* The options every command that has them means the same way. */
#define CLI_JSON(p) {"json", 0, CLI_FLAG, (p), NULL, NULL}
#define CLI_REDACT(p) {"redact", 0, CLI_FLAG, (p), NULL, NULL}
#define CLI_LIMIT(p) {"limit", 'n', CLI_COUNT, (p), "N", NULL} /* 0: all */
#define CLI_OUTPUT(p, meta) {"output", 'o', CLI_STR, (p), (meta), NULL}

typedef struct cli_args {
	const char *cmd;     /* "top": for messages */
	const char *usage;   /* printed by --help */
	const cli_opt *opts; /* ends with {0} */
	const char **pos;    /* the positional arguments, out */
	int max_pos;         /* room in pos */
	int takes_program;   /* `run`: the first positional argument (or what follows `--`) and all
			      * after it are a program's command line, not ours */
	int npos;            /* out: how many positional arguments */
	int program;         /* out, with takes_program: the program's index in argv (0: none) */
} cli_args;

#define CLI_GO_ON 0
#define CLI_HELP_SHOWN (-1)

/* Parses argv[1..]: CLI_GO_ON, CLI_HELP_SHOWN (the usage printed), or
 * GL_EXIT_USAGE (a message printed, with a suggestion where one fits).
 * While cli_describe is set it parses nothing: it describes the table
 * (below) on stdout and returns CLI_HELP_SHOWN. */
int cli_parse(cli_args *a, int argc, char **argv);

/*
 * For the build's generators of the man page and the bash completion
 * (dist/generate.cmake), through the hidden `graphleak __complete`: the
 * option tables themselves, so that neither can disagree with the parser.
 * Every command reaches cli_parse before doing anything, so calling it with
 * cli_describe set only describes. A table is one line per option,
 * tab-separated:
 *     option  --output  -o  value  SNAP
 * (the short name or -; flag, value: the next word or after '=', optval:
 * only after '='; what the value is, or -), -h/--help last; cli_parse adds
 * "args MAX_POS program|-" (how many positional arguments; whether they are
 * a program's command line).
 */
extern int cli_describe;
void cli_describe_table(const cli_opt *opts);

/* The exit status for a cli_parse() result that is not CLI_GO_ON. */
int cli_exit(int parse_rc);

/* Value parsers, also for values that do not come from an option. 0 or -1. */
int cli_parse_u64(const char *s, uint64_t *out);
int cli_parse_size(const char *s, uint64_t *out);
int cli_parse_seconds(const char *s, double *out);
int cli_parse_addr(const char *s, uint64_t *out);
int cli_parse_share(const char *s, double *out);

/* The index of the candidate closest to word (edit distance; letters
 * compared without case), if it is close enough to be a likely misspelling,
 * else -1. get(i, ctx) gives candidate i of n (NULL skips it); the string
 * need only last until the next call. */
long cli_suggest(const char *word, size_t n, const char *(*get)(size_t i, void *ctx), void *ctx);

/* The same for a NULL-ended array of strings. */
const char *cli_suggest_in(const char *word, const char *const *cands);

#endif /* GRAPHLEAK_OPTS_H */
