/*
 * cmd_render.c - `graphleak render`: a picture of who holds what, for bug
 * reports. The objects come from analyzer/words/subgraph.h, the drawing from
 * render/render.h (Graphviz's C API).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cycles.h"
#include "growth.h"
#include "humanfmt.h"
#include "progress.h"
#include "render.h"
#include "report.h"
#include "subgraph.h"
#include "vec.h"

static const char render_usage[] =
	"usage: graphleak render SNAP MODE [-o FILE] [--format FMT] [--max-depth N] [--max-objects K]\n"
	"                        [--min-share P] [--redact]\n"
	"\n"
	"Draws who holds what as a picture for a bug report, top-down from the\n"
	"root holder to the objects: the root holder marked (gold double box) and\n"
	"named in words (module service, global cache), every reference labelled\n"
	"with what it is (the dict key, .attribute, [index], local name), every\n"
	"object with its type, a short preview, its size and what it retains, and\n"
	"many similar siblings folded into one \"+ 19,841 more ...\" box, so a\n"
	"10,000-entry dict stays readable. Drawn with Graphviz's library; no\n"
	"`dot` program is needed.\n"
	"\n"
	"modes (exactly one):\n"
	"  --backrefs TYPE  who holds the objects of TYPE (full name, or its last\n"
	"                   part: Profile matches service.Profile): the union of\n"
	"                   their shortest retainer chains, for a sample of them\n"
	"                   (shortest chains first, one per direct holder first)\n"
	"  --id ADDR        every holder of one object, each with the chain that\n"
	"                   keeps it alive (at most 8); for garbage, its cycle and\n"
	"                   what refers to it\n"
	"  --referrers ADDR who refers to one object, backwards to --max-depth (3),\n"
	"                   stopping at holders and roots (like objgraph's\n"
	"                   show_backrefs)\n"
	"  --refs ADDR      what one object references, to --max-depth (like\n"
	"                   objgraph's show_refs)\n"
	"  --cycles         cyclic garbage and cycles with __del__ (finalizers\n"
	"                   marked), one box per cycle with what gc does with it\n"
	"  --suspects       the top leak suspects (what retains the most memory)\n"
	"                   with their chains and what they keep alive\n"
	"  --growth         the containers that grow across the snapshots given\n"
	"                   (two or more, oldest first, as `graphleak growth`),\n"
	"                   their length at each snapshot on the node\n"
	"\n"
	"options:\n"
	"  -o, --output FILE  where to write; the format comes from the extension:\n"
	"                     .svg, .dot (the graph, not laid out), .png, .pdf, and\n"
	"                     what else this Graphviz has (.ps .eps .jpg .gif ...).\n"
	"                     \"-\" writes to stdout (SVG unless --format). Default:\n"
	"                     a .svg named after the mode (Profile-backrefs.svg,\n"
	"                     0x7f3a12c45e10-refs.svg, cycles.svg, suspects.svg)\n"
	"  --format FMT       the format, whatever the file is called (svg, png, ...)\n"
	"  --max-depth N      at most N references per chain, the rest left out in\n"
	"                     one dashed step (root and holder always shown; default\n"
	"                     20, 0 no limit); with --refs and --referrers, how\n"
	"                     far to follow (3)\n"
	"  --max-objects K    --backrefs: objects of TYPE drawn (default 5);\n"
	"                     --refs, --referrers, --cycles: objects drawn (40);\n"
	"                     --suspects:\n"
	"                     suspects drawn (3); --growth: containers drawn (3)\n"
	"  --min-share P      --suspects: what retains at least P% of the heap (10)\n"
	"  --redact           safe to post: keeps type, module, class, function,\n"
	"                     attribute and local names and numbers; every str and\n"
	"                     bytes value and every dict key that is not an\n"
	"                     attribute name becomes its length and a short hash:\n"
	"                     str(41) #a1b2c3\n"
	"  -h, --help         show this help\n"
	"\n"
	"Heap text is always escaped: a key like <script> or \\N cannot become markup\n"
	"or a Graphviz escape. The same snapshot and command give the same bytes.\n"
	"\n"
	"examples:\n"
	"  graphleak render app.snap --backrefs Profile -o profile.svg\n"
	"  graphleak render app.snap --backrefs Profile -o chain.png --redact\n"
	"  graphleak render app.snap --refs 0x7f3a12c45e10 --max-depth 2 -o refs.dot\n"
	"  graphleak render app.snap --referrers 0x7f3a12c45e10 -o who.svg\n"
	"  graphleak render app.snap --cycles -o cycles.pdf\n";

typedef gl_vec(uint32_t) u32vec;

/* Python version from the header as major * 100 + minor (0 unknown). */

/* A file name made of the safe characters of `what`. */
static void default_name(gl_sb *b, const char *what, const char *suffix)
{
	for (const char *p = what; *p && b->len < 80; p++) {
		char c = *p;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
			 c == '_' || c == '-';
		gl_sb_append(b, ok ? &c : "_", 1);
	}
	gl_sb_puts(b, suffix);
}

enum { M_NONE, M_BACKREFS, M_ID, M_REFS, M_REFERRERS, M_CYCLES, M_SUSPECTS, M_GROWTH };

/* A picture of more objects than this is refused: unreadable on any screen
 * or page, and the layout takes minutes (--max-objects 100000 ran 7.2 s and
 * gave a 32767x36 px smear). */
#define RENDER_MAX_NODES 1500

/* --id draws at most this many holders' chains */
#define RENDER_HOLDERS 8

int cmd_render(int argc, char **argv)
{
	const char *snap = NULL, *out = NULL, *fmtopt = NULL, *type = NULL;
	int redact = 0, n_back = 0, n_id = 0, n_refs = 0, n_referrers = 0, f_cycles = 0, f_suspects = 0, f_growth = 0;
	int n_depth = 0, n_max = 0, n_share = 0;
	uint64_t id_addr = 0, refs_addr = 0, referrers_addr = 0, depth = 0, maxobj = 0;
	double share = 0.10;
	const char *snaps[GL_GROWTH_MAX_SNAPS + 1];
	const cli_opt opts[] = {
		{"backrefs", 0, CLI_STR, &type, "TYPE", &n_back},
		{"id", 0, CLI_ADDR, &id_addr, "ADDR", &n_id},
		{"refs", 0, CLI_ADDR, &refs_addr, "ADDR", &n_refs},
		{"referrers", 0, CLI_ADDR, &referrers_addr, "ADDR", &n_referrers},
		{"cycles", 0, CLI_FLAG, &f_cycles, NULL, NULL},
		{"suspects", 0, CLI_FLAG, &f_suspects, NULL, NULL},
		{"growth", 0, CLI_FLAG, &f_growth, NULL, NULL},
		CLI_OUTPUT(&out, "FILE"),
		{"format", 0, CLI_STR, &fmtopt, "FMT", NULL},
		{"max-depth", 0, CLI_COUNT, &depth, "N", &n_depth},
		{"max-objects", 0, CLI_COUNT, &maxobj, "K", &n_max},
		{"min-share", 0, CLI_SHARE, &share, "P", &n_share},
		CLI_REDACT(&redact),
		{0}};
	cli_args ca = {.cmd = "render", .usage = render_usage, .opts = opts, .pos = snaps,
		       .max_pos = GL_GROWTH_MAX_SNAPS};
	int prc = cli_parse(&ca, argc, argv);
	if (prc != CLI_GO_ON)
		return cli_exit(prc);
	size_t nsnaps = (size_t)ca.npos;
	int modes = n_back + n_id + n_refs + n_referrers + f_cycles + f_suspects + f_growth;
	int mode = n_back ? M_BACKREFS : n_id ? M_ID : n_refs ? M_REFS : n_referrers ? M_REFERRERS : f_cycles ? M_CYCLES
		   : f_suspects ? M_SUSPECTS : f_growth ? M_GROWTH : M_NONE;
	gl_growth gr;
	memset(&gr, 0, sizeof gr);
	if (!nsnaps)
		return cli_usage_error("render", "no snapshot given");
	if (modes != 1)
		return cli_usage_error("render", "give exactly one of --backrefs TYPE, --id ADDR, --refs ADDR, "
						 "--referrers ADDR, --cycles, --suspects, --growth");
	if (mode == M_GROWTH && nsnaps < 2)
		return cli_usage_error("render", "--growth compares two snapshots or more, oldest first");
	if (mode != M_GROWTH && nsnaps > 1)
		return cli_usage_error("render", "unexpected argument '%s' (one snapshot, but for --growth)", snaps[1]);
	if (mode == M_GROWTH && report_sort_by_time(snaps, nsnaps))
		return GL_EXIT_FAIL;
	snap = snaps[nsnaps - 1];
	uint64_t addr = mode == M_ID ? id_addr : mode == M_REFERRERS ? referrers_addr : refs_addr;
	char addrbuf[32];
	snprintf(addrbuf, sizeof addrbuf, "%#llx", (unsigned long long)addr);
	const char *addrtxt = addrbuf;
	if (!n_depth)
		depth = mode == M_REFS || mode == M_REFERRERS ? 3 : 20;
	if (!n_max)
		maxobj = mode == M_BACKREFS ? 5 : (mode == M_SUSPECTS || mode == M_GROWTH) ? 3 : 40;
	if (depth > 100000)
		return cli_usage_error("render", "--max-depth takes a whole number up to 100000, not %llu",
				       (unsigned long long)depth);
	if ((mode == M_REFS || mode == M_REFERRERS) && depth == 0)
		return cli_usage_error("render", "--max-depth for --refs and --referrers takes a number from 1");
	if (maxobj == 0 || maxobj > 100000)
		return cli_usage_error("render", "--max-objects takes a whole number from 1 to 100000, not %llu",
				       (unsigned long long)maxobj);
	if (n_share && mode != M_SUSPECTS)
		return cli_usage_error("render", "--min-share goes with --suspects");
	share *= 100.0; /* percent, as the picture says it */

	/* the output and its format, checked before any work */
	gl_sb name = {0}, list = {0}, title = {0}, sub = {0}, tgt = {0};
	gl_err err;
	gl_err_clear(&err);
	int rc = GL_EXIT_FAIL;
	gl_snap *s = NULL;
	gl_analysis a;
	memset(&a, 0, sizeof a);
	gl_subgraph sg;
	gl_sg_init(&sg);
	u32vec ids = {0};
	char *data = NULL;
	size_t len = 0;
	gl_renderer *r = gl_render_new(&err);
	if (!r) {
		fprintf(stderr, "graphleak render: %s\n", err.msg);
		return GL_EXIT_FAIL;
	}
	if (!out) {
		switch (mode) {
		case M_BACKREFS: default_name(&name, type, "-backrefs.svg"); break;
		case M_ID: default_name(&name, addrtxt, "-chain.svg"); break;
		case M_REFS: default_name(&name, addrtxt, "-refs.svg"); break;
		case M_REFERRERS: default_name(&name, addrtxt, "-referrers.svg"); break;
		case M_CYCLES: gl_sb_puts(&name, "cycles.svg"); break;
		case M_GROWTH: gl_sb_puts(&name, "growth.svg"); break;
		default: gl_sb_puts(&name, "suspects.svg"); break;
		}
		out = gl_sb_str(&name);
	}
	const char *fmt = fmtopt ? fmtopt : strcmp(out, "-") == 0 ? "svg" : gl_render_format_of(out);
	if (fmtopt) {
		gl_sb probe = {0};
		gl_sb_printf(&probe, "x.%s", fmtopt);
		fmt = gl_render_format_of(gl_sb_str(&probe));
		gl_sb_free(&probe);
	}
	if (!fmt || !gl_render_has_format(r, fmt)) {
		gl_render_formats(r, &list);
		if (fmtopt)
			cli_usage_error("render", "this Graphviz cannot write '%s'; it can write %s", fmtopt, gl_sb_str(&list));
		else if (!gl_render_format_of(out))
			cli_usage_error("render", "cannot tell the format of '%s' from its name: end it in %s, or give --format",
					out, gl_sb_str(&list));
		else
			cli_usage_error("render", "this Graphviz cannot write %s files; it can write %s", fmt,
					gl_sb_str(&list));
		rc = GL_EXIT_USAGE;
		goto done;
	}

	unsigned need = GL_AN_PATHS | (mode == M_CYCLES ? GL_AN_SCC : GL_AN_DOM);
	if (mode == M_GROWTH) {
		/* the last snapshot stays loaded, the others are compared and freed */
		if (report_growth(snaps, nsnaps, 256 * 1024, 100, redact, &s, &a, &gr, NULL)) {
			s = NULL;
			goto done;
		}
	} else if (report_open(snap, need, redact, &s, &a)) {
		s = NULL;
		goto done;
	}
	double t0 = gl_now();
	char n1[GL_FMT_BUF], n2[GL_FMT_BUF], n3[GL_FMT_BUF];
	gl_render_opts ro = {NULL, NULL, NULL};
	int sgrc = 0;
	if (mode == M_BACKREFS) {
		gl_sb tname = {0};
		uint32_t tsid;
		if (report_find_type("render", s, snap, type, &tsid) != GL_EXIT_OK)
			goto done;
		for (uint32_t id = 0; id < s->n_objects; id++)
			if (s->type[id] == tsid) {
				if (!ids.n)
					report_type(s, id, &tname);
				if (gl_vec_push(&ids, id) < 0) {
					sgrc = -1;
					break;
				}
			}
		if (sgrc == 0)
			sgrc = gl_sg_backrefs(&sg, &a, ids.v, ids.n, (size_t)maxobj, (uint32_t)depth);
		gl_sb_printf(&title, "Who holds %s: %s object%s, %s", gl_sb_str(&tname), gl_fmt_count(n1, sg.stats.targets),
			     sg.stats.targets == 1 ? "" : "s", gl_fmt_bytes(n2, sg.stats.size));
		gl_sb_printf(&sub, "%s drawn (shortest chains first); their chains come through %s container%s",
			     gl_fmt_count(n1, sg.stats.drawn), gl_fmt_count(n3, sg.stats.retainers),
			     sg.stats.retainers == 1 ? "" : "s");
		if (sg.stats.unreached)
			gl_sb_printf(&sub, "; %s no root reaches", gl_fmt_count(n1, sg.stats.unreached));
		gl_sb_puts(&tgt, gl_sb_str(&tname));
		gl_sb_free(&tname);
	} else if (mode == M_ID || mode == M_REFS || mode == M_REFERRERS) {
		uint32_t id = gl_snap_find_addr(s, addr);
		if (id == GL_NO_ID) {
			fprintf(stderr, "graphleak render: %s: no object at 0x%llx in this snapshot\n", snap,
				(unsigned long long)addr);
			goto done;
		}
		gl_sb d = {0};
		report_type(s, id, &d);
		if (mode == M_ID) {
			uint32_t u = GL_NONE;
			size_t nh = 0;
			sgrc = gl_sg_add_holders(&sg, &a, id, RENDER_HOLDERS, (uint32_t)depth, &u, &nh);
			if (sgrc == 0 && u != GL_NONE) {
				sg.nodes.v[u].roles |= GL_SG_TARGET;
				sgrc = gl_sg_collapse_siblings(&sg, &a);
			}
			gl_sb_printf(&title, "Who holds %s at 0x%llx", gl_sb_str(&d), (unsigned long long)addr);
			if (a.dist[id] == GL_NONE)
				gl_sb_puts(&sub, "no root reaches it: garbage");
			else if (nh > 1)
				gl_sb_printf(&sub, "%s holders keep it%s; it is freed only when all let go",
					     gl_fmt_count(n1, nh), nh > RENDER_HOLDERS ? " (the first 8 drawn)" : "");
		} else if (mode == M_REFERRERS) {
			sgrc = gl_sg_referrers(&sg, &a, id, (uint32_t)depth, (size_t)maxobj);
			gl_sb_printf(&title, "Who refers to %s at 0x%llx", gl_sb_str(&d), (unsigned long long)addr);
			gl_sb_printf(&sub, "backwards to depth %llu, to the holders; %s objects drawn",
				     (unsigned long long)depth, gl_fmt_count(n1, sg.nodes.n));
		} else {
			sgrc = gl_sg_refs(&sg, &a, id, (uint32_t)depth, (size_t)maxobj);
			gl_sb_printf(&title, "What %s at 0x%llx references", gl_sb_str(&d), (unsigned long long)addr);
			gl_sb_printf(&sub, "to depth %llu, %s objects drawn", (unsigned long long)depth,
				     gl_fmt_count(n1, sg.nodes.n));
		}
		gl_sb_puts(&tgt, gl_sb_str(&d));
		gl_sb_free(&d);
	} else if (mode == M_CYCLES) {
		int off = gl_gc_is_off(s);
		sgrc = gl_sg_cycles(&sg, &a, (size_t)maxobj, off, gl_py_version(s, NULL, 0));
		uint64_t garbage = 0;
		for (uint32_t v = 0; v < s->n_objects; v++)
			garbage += a.dist[v] == GL_NONE;
		gl_sb_printf(&title, "Reference cycles: %s object%s no root reaches (gc %s)", gl_fmt_count(n1, garbage),
			     garbage == 1 ? "" : "s", off ? "disabled or automatic collection off" : "enabled");
		gl_sb_printf(&sub, "%s cycle%s drawn: the biggest with __del__, then the biggest garbage",
			     gl_fmt_count(n1, sg.clusters.n), sg.clusters.n == 1 ? "" : "s");
	} else if (mode == M_GROWTH) {
		sgrc = gl_sg_growth(&sg, &a, &gr, (size_t)maxobj, (uint32_t)depth);
		gl_sb_printf(&title, "What keeps growing across %zu snapshots: %s container%s", nsnaps,
			     gl_fmt_count(n1, gr.ngrowers), gr.ngrowers == 1 ? "" : "s");
		gl_sb_printf(&sub, "%s -> %s; %s drawn, most retained growth first", snaps[0], snaps[nsnaps - 1],
			     gl_fmt_count(n2, gr.ngrowers < maxobj ? gr.ngrowers : (size_t)maxobj));
	} else {
		uint64_t total = a.retained[s->n_objects];
		uint64_t threshold = (uint64_t)((double)total * share / 100.0);
		size_t found = 0;
		sgrc = gl_sg_suspects(&sg, &a, threshold ? threshold : 1, (size_t)maxobj, (uint32_t)depth, &found);
		gl_sb_printf(&title, "Leak suspects: what retains at least %g%% of a %s heap", share, gl_fmt_bytes(n1, total));
		gl_sb_printf(&sub, "%s found, %s drawn", gl_fmt_count(n1, found),
			     gl_fmt_count(n2, found < maxobj ? found : (size_t)maxobj));
	}
	if (sgrc < 0 || gl_sb_failed(&title) || gl_sb_failed(&sub) || gl_sb_failed(&tgt)) {
		fprintf(stderr, "graphleak render: out of memory\n");
		goto done;
	}
	cli_timing("subgraph", t0);
	if (sg.nodes.n > RENDER_MAX_NODES) {
		char c1[GL_FMT_BUF], c2[GL_FMT_BUF];
		fprintf(stderr, "graphleak render: the picture would draw %s objects; beyond %s nobody can read it "
				"(and Graphviz takes minutes). Draw fewer: --max-objects %d or less%s\n",
			gl_fmt_count(c1, sg.nodes.n), gl_fmt_count(c2, RENDER_MAX_NODES), mode == M_BACKREFS ? 20 : 200,
			mode == M_REFS || mode == M_REFERRERS ? ", or a smaller --max-depth"
							       : "; graphleak path lists them all as text");
		goto done;
	}
	ro.title = gl_sb_str(&title);
	ro.target = tgt.len ? gl_sb_str(&tgt) : NULL;
	ro.subtitle = sub.len ? gl_sb_str(&sub) : NULL;
	double t1 = gl_now();
	if (gl_render_draw(r, &a, &sg, &ro, fmt, &data, &len, &err) < 0) {
		fprintf(stderr, "graphleak render: %s\n", err.msg);
		goto done;
	}
	cli_timing("draw", t1);
	double t2 = gl_now();
	if (gl_render_write(out, data, len, &err) < 0) {
		fprintf(stderr, "graphleak render: %s\n", err.msg);
		goto done;
	}
	cli_timing("write", t2);
	cli_timing("render", t0);
	if (strcmp(out, "-") != 0)
		fprintf(stderr, "graphleak render: wrote %s (%s objects, %s folded groups)\n", out,
			gl_fmt_count(n1, sg.nodes.n), gl_fmt_count(n2, sg.more.n));
	rc = GL_EXIT_OK;
done:
	free(data);
	gl_growth_free(&gr);
	gl_vec_free(&ids);
	gl_sg_free(&sg);
	if (s)
		report_close(s, &a);
	gl_render_free(r);
	gl_sb_free(&name);
	gl_sb_free(&list);
	gl_sb_free(&tgt);
	gl_sb_free(&title);
	gl_sb_free(&sub);
	return rc;
}
