/*
 * graphleak report: the page's script, embedded into the HTML by the build (analyzer/cli/
 * CMakeLists: cmake/embed.cmake) and allowed by the page's Content-Security-Policy through its
 * SHA-256, so no other script can run there.
 *
 * Everything the page shows comes from the JSON in the page's data element (type
 * application/json, id graphleak-data: what the commands' --json print), put into the page with
 * createElement and textContent only: no text of the heap is ever parsed as HTML. The pictures
 * are SVG files as data: URLs in <img>, which cannot run scripts either.
 */
"use strict";
(function () {
	var data = JSON.parse(document.getElementById("graphleak-data").textContent);

	/* el("td", {class: "num"}, "12", child, ...): an element; strings become text nodes */
	function el(tag, attrs) {
		var e = document.createElement(tag);
		if (attrs)
			Object.keys(attrs).forEach(function (k) {
				e.setAttribute(k, attrs[k]);
			});
		for (var i = 2; i < arguments.length; i++) {
			var c = arguments[i];
			if (c === null || c === undefined)
				continue;
			e.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
		}
		return e;
	}
	function svg(tag, attrs) {
		var e = document.createElementNS("http://www.w3.org/2000/svg", tag);
		Object.keys(attrs || {}).forEach(function (k) {
			e.setAttribute(k, attrs[k]);
		});
		return e;
	}
	/* numbers as the command line prints them: 1,234 and 1.89 MiB */
	function count(n) {
		return Number(n).toLocaleString("en-US");
	}
	function bytes(n) {
		var v = Number(n), neg = v < 0, units = ["B", "KiB", "MiB", "GiB", "TiB"], u = 0;
		v = Math.abs(v);
		while (v >= 1024 && u < units.length - 1) {
			v /= 1024;
			u++;
		}
		var s = u === 0 ? String(v) : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
		return (neg ? "-" : "") + s + " " + units[u];
	}
	function signedBytes(n) {
		return (n >= 0 ? "+" : "") + bytes(n);
	}
	function pct(f) {
		return (100 * f).toFixed(1) + "%";
	}
	function section(id, title) {
		var s = el("section", {id: id}, el("h2", null, title));
		document.getElementById("app").appendChild(s);
		return s;
	}
	function note(text) {
		return el("p", {class: "note"}, text);
	}
	/* p: {src: an SVG data: URL, width, height}; the size reserves the room before it decodes */
	function picture(p, caption) {
		if (!p || typeof p.src !== "string")
			return null;
		var a = {src: p.src, alt: caption, loading: "lazy"};
		if (p.width > 0 && p.height > 0) {
			a.width = String(p.width);
			a.height = String(p.height);
		}
		return el("figure", null, el("img", a), el("figcaption", null, caption));
	}
	function bar(px) {
		var b = el("span", {class: "bar"});
		b.style.width = Math.round(Math.min(300, Math.max(0, px))) + "px"; /* CSSOM: the policy refuses style attributes */
		return b;
	}
	function mix(rows, max) {
		return (rows || []).slice(0, max || 5).map(function (r) {
			return count(r.count) + " " + r.type + " " + bytes(r.size);
		}).join(", ");
	}
	function siteText(site) {
		return site.frames.map(function (f) {
			return f.file + ":" + f.line;
		}).join(" \u2190 ") || "(no frame)";
	}
	function sitesList(sites, group) {
		if (!sites || !sites.length)
			return null;
		var ul = el("ul", {class: "sites"});
		sites.slice(0, 5).forEach(function (st) {
			ul.appendChild(el("li", null, el("code", null, siteText(st)), " ",
				el("span", {class: "muted"}, count(st.count) + " objects, " + bytes(st.size) +
					(group ? ", " + pct(st.count / group) : ""))));
		});
		return ul;
	}

	/* a table whose headers sort it: cols [{key, title, num, fmt}] */
	function sortableTable(id, cols, rows, filterKey) {
		var table = el("table", {id: id, class: "sortable"});
		var hr = el("tr");
		var tbody = el("tbody");
		cols.forEach(function (c, i) {
			var th = el("th", {class: "sortable" + (c.num ? " num" : ""), scope: "col", "data-col": String(i)}, c.title);
			th.addEventListener("click", function () {
				var asc = th.getAttribute("aria-sort") !== "ascending";
				hr.querySelectorAll("th").forEach(function (o) {
					o.removeAttribute("aria-sort");
				});
				th.setAttribute("aria-sort", asc ? "ascending" : "descending");
				var trs = Array.prototype.slice.call(tbody.children);
				trs.sort(function (a, b) {
					var x = a.children[i].getAttribute("data-v"), y = b.children[i].getAttribute("data-v");
					var r = c.num ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0;
					return asc ? r : -r;
				});
				trs.forEach(function (tr) {
					tbody.appendChild(tr);
				});
			});
			hr.appendChild(th);
		});
		rows.forEach(function (r) {
			var tr = el("tr");
			cols.forEach(function (c) {
				var v = r[c.key];
				var td = el("td", {class: c.num ? "num" : "mono", "data-v": String(v === undefined ? "" : v)},
					c.fmt ? c.fmt(v, r) : String(v));
				tr.appendChild(td);
			});
			tr.setAttribute("data-filter", String(r[filterKey] || "").toLowerCase());
			tbody.appendChild(tr);
		});
		table.appendChild(el("thead", null, hr));
		table.appendChild(tbody);
		var input = el("input", {class: "filter", type: "search", placeholder: "filter by type name", "aria-label": "filter"});
		input.addEventListener("input", function () {
			var q = input.value.toLowerCase();
			Array.prototype.forEach.call(tbody.children, function (tr) {
				tr.hidden = q !== "" && tr.getAttribute("data-filter").indexOf(q) < 0;
			});
		});
		return el("div", null, el("div", null, input), el("div", {class: "scroll"}, table));
	}

	var last = data.snapshots[data.snapshots.length - 1];
	var proc = data.process || {};
	document.title = "graphleak report: " + (proc.argv && proc.argv.length ? proc.argv.join(" ") : last.path);

	/* the head: what was snapshotted, and the table of contents */
	var head = el("header", {class: "top"}, el("h1", null, "graphleak report"),
		el("p", null, (proc.argv || []).join(" ") || "(no arguments recorded)"),
		el("p", null, "pid " + proc.pid + ", Python " + (proc.python || "?") + ", " + (proc.time || "time unknown") +
			", " + count(data.heap.objects) + " objects, " + bytes(data.heap.size) + " recorded" +
			(data.snapshots.length > 1 ? ", " + data.snapshots.length + " snapshots" : "")));
	var nav = el("nav");
	[["process", "Process"], ["memory", "Memory"], ["suspects", "Suspects"], ["types", "Types"], ["cycles", "Cycles"],
	 ["growth", "Growth"], ["sites", "Allocation sites"]].forEach(function (p) {
		nav.appendChild(el("a", {href: "#" + p[0]}, p[1]));
	});
	document.body.insertBefore(nav, document.body.firstChild);
	document.body.insertBefore(head, nav);

	/* the process */
	(function () {
		var s = section("process", "Process");
		var dl = el("dl", {class: "facts"});
		function fact(k, v) {
			if (v === undefined || v === null || v === "")
				return;
			dl.appendChild(el("dt", null, k));
			dl.appendChild(el("dd", null, v));
		}
		fact("snapshot", data.snapshots.map(function (x) { return x.path; }).join(" \u2192 "));
		fact("argv", (proc.argv || []).join(" "));
		fact("executable", proc.executable);
		fact("python", proc.python);
		fact("pid", proc.pid);
		fact("taken", proc.time);
		fact("heap", count(data.heap.objects) + " objects, " + count(data.heap.edges) + " references, " + bytes(data.heap.size));
		fact("gc", proc.gc);
		s.appendChild(dl);
		(proc.threads || []).forEach(function (t) {
			var d = el("details", null, el("summary", null, "thread " + t.name + " (" + t.frames.length + " frames)"));
			var ol = el("ol", {class: "steps", start: "0"});
			t.frames.forEach(function (f) {
				ol.appendChild(el("li", null, f.function + "  " + f.file + ":" + f.line));
			});
			d.appendChild(ol);
			s.appendChild(d);
		});
	})();

	/* memory: the parts of RSS */
	(function () {
		var s = section("memory", "Memory");
		var m = data.memory;
		if (!m || !m.known) {
			s.appendChild(note("The snapshot has no memory figures (an older shim, or a JSON-lines import)."));
			return;
		}
		s.appendChild(el("p", null, "RSS " + bytes(m.rss) + " (" + count(m.rss) + " bytes), of which:"));
		var t = el("table", {id: "memory-parts"});
		t.appendChild(el("tr", null, el("th", null, "part"), el("th", {class: "num"}, "bytes"), el("th", {class: "num"}, "share"), el("th")));
		Object.keys(m.parts).forEach(function (k) {
			var v = m.parts[k], f = m.rss ? v / m.rss : 0;
			t.appendChild(el("tr", null, el("td", null, data.memory_labels[k] || k), el("td", {class: "num"}, bytes(v)),
				el("td", {class: "num"}, pct(f)), el("td", null, bar(300 * f))));
		});
		s.appendChild(t);
		if (data.growth && data.growth.memory && data.growth.memory.says)
			s.appendChild(el("p", {class: "verdict"}, "Across the snapshots: " + data.growth.memory.says));
	})();

	/* suspects: each with every holder, its chain, what it retains, where it was made, its picture */
	(function () {
		var s = section("suspects", "Leak suspects");
		var j = data.suspects;
		s.appendChild(el("p", {class: "muted"}, "What retains at least " + pct(j.min_share) + " of the " + bytes(j.heap.size) +
			" heap, most first: the memory that would be freed if the object went away."));
		if (j.garbage && j.garbage.share >= 0.1)
			s.appendChild(note(pct(j.garbage.share) + " of the heap (" + bytes(j.garbage.size) +
				") is garbage no root reaches: see Cycles."));
		if (!j.suspects.length)
			s.appendChild(note("Nothing retains " + pct(j.min_share) + " of the heap or more: no single holder dominates it."));
		j.suspects.forEach(function (x) {
			var c = el("div", {class: "card suspect", id: "suspect-" + x.rank});
			c.appendChild(el("h3", null, "#" + x.rank + " ", el("span", {class: "holder"}, x.holder), " (" + x.object.description + ")"));
			c.appendChild(el("p", null, "retains " + bytes(x.retained) + " (" + pct(x.share) + " of the heap) in " + count(x.objects) + " objects"));
			c.appendChild(el("div", {class: "chain"}, x.path.chain));
			if (x.holders && x.holders.length > 1) {
				var ul = el("ul", {class: "holders"});
				x.holders.forEach(function (h, i) {
					ul.appendChild(el("li", null, (i ? "also held by " : "held by ") + h.holder,
						h.example && h.example.chain ? el("span", {class: "muted mono"}, "  " + h.example.chain) : null));
				});
				if (x.holders_total > x.holders.length)
					ul.appendChild(el("li", {class: "muted"}, "... and " + count(x.holders_total - x.holders.length) + " more"));
				c.appendChild(ul);
			}
			var ol = el("ol", {class: "steps"});
			x.path.steps.forEach(function (st) {
				ol.appendChild(el("li", st.holder ? {class: "holder-step"} : null, st.step + "   " + st.object.description +
					", " + bytes(st.object.size) + (st.holder ? "   \u2190 the holder" : "")));
			});
			c.appendChild(el("details", null, el("summary", null, "the chain, step by step"), ol));
			c.appendChild(el("p", null, "retains: " + mix(x.retains, 6)));
			var sl = sitesList(x.sites, x.objects);
			if (sl)
				c.appendChild(el("div", null, "allocated at:", sl));
			var fig = picture(x.picture, "Who holds " + x.object.description + " at " + x.object.addr);
			if (fig)
				c.appendChild(fig);
			s.appendChild(c);
		});
		if (j.suspects_total > j.suspects.length)
			s.appendChild(el("p", {class: "muted"}, "... and " + count(j.suspects_total - j.suspects.length) + " more suspects."));
	})();

	/* types: sortable and filterable */
	(function () {
		var s = section("types", "Types");
		var t = data.types;
		s.appendChild(el("p", {class: "muted"}, count(t.total.types) + " types, " + count(t.total.count) + " objects, " +
			bytes(t.total.size) + ". Retained: what would be freed if every object of the type went away. " +
			"Click a column to sort."));
		var total = t.total.size || 1;
		var rows = t.types.map(function (r) {
			return {type: r.type, count: r.count, size: r.size, retained: r.retained, share: r.size / total};
		});
		s.appendChild(sortableTable("types-table", [
			{key: "type", title: "type"},
			{key: "count", title: "objects", num: true, fmt: count},
			{key: "size", title: "size", num: true, fmt: bytes},
			{key: "retained", title: "retained", num: true, fmt: bytes},
			{key: "share", title: "share of size", num: true, fmt: pct}], rows, "type"));
		if (t.other.types)
			s.appendChild(el("p", {class: "muted"}, "and " + count(t.other.types) + " more types: " + count(t.other.count) +
				" objects, " + bytes(t.other.size)));
	})();

	/* cycles, grouped by shape */
	(function () {
		var s = section("cycles", "Cycles");
		var c = data.cycles;
		var g = c.garbage;
		s.appendChild(el("p", null, "Cyclic garbage: " + count(g.objects) + " objects, " + bytes(g.size) + ", in " +
			count(g.cycles_total) + " cycles no root reaches (gc " + (c.gc.enabled ? c.gc.automatic ? "enabled" :
			"enabled, automatic collection off" : "disabled") + ")."));
		s.appendChild(el("p", {class: "verdict"}, "verdict: " + g.verdict));
		function shapes(title, list, total) {
			if (!list.length)
				return;
			s.appendChild(el("h3", null, title + " (" + count(total) + " shapes)"));
			var t = el("table", {class: "cycles"});
			t.appendChild(el("tr", null, el("th", {class: "num"}, "cycles"), el("th", {class: "num"}, "objects each"),
				el("th", {class: "num"}, "bytes in all"), el("th", null, "types"), el("th", null, "verdict / e.g.")));
			list.forEach(function (x) {
				t.appendChild(el("tr", null, el("td", {class: "num"}, count(x.count)), el("td", {class: "num"}, count(x.objects)),
					el("td", {class: "num"}, bytes(x.all_size)), el("td", null, mix(x.types, 4)),
					el("td", {class: "mono"}, (x.verdict ? x.verdict + "; " : "") + "e.g. " + x.examples.join(", ") +
						(x.path ? "; held by " + x.path.chain : ""))));
			});
			s.appendChild(t);
		}
		shapes("Garbage cycles", g.cycles, g.shapes_total);
		shapes("Cycles with finalizers", c.finalizer_cycles, c.finalizer_shapes_total);
		if (c.gc_garbage && c.gc_garbage.objects)
			s.appendChild(el("p", null, "gc.garbage: " + count(c.gc_garbage.objects) + " objects (" + mix(c.gc_garbage.types, 4) + ")"));
		var fig = picture(data.cycles_picture, "The biggest cycles: with __del__ first, then the biggest garbage");
		if (fig)
			s.appendChild(fig);
	})();

	/* growth across the snapshots: a chart per type, the growing containers */
	(function () {
		var s = section("growth", "Growth");
		var g = data.growth;
		if (!g) {
			s.appendChild(note("One snapshot: give two or more of one process (graphleak report a.snap b.snap c.snap) " +
				"to see what keeps growing."));
			return;
		}
		var n = g.snapshots.length;
		s.appendChild(el("p", {class: "muted"}, n + " snapshots: " + g.snapshots.map(function (x) {
			return x.path;
		}).join(" \u2192 ")));
		var types = g.types.filter(function (t) {
			return t.size_delta > 0;
		}).slice(0, 8);
		if (types.length) {
			s.appendChild(chart(types, n, "size", bytes, "Bytes per type in each snapshot: the types that grew most", "growth-chart"));
			s.appendChild(chart(types, n, "count", count, "Objects per type in each snapshot, the same types", "growth-chart-count"));
		}
		s.appendChild(el("h3", null, "Growing containers"));
		if (!g.growing.length)
			s.appendChild(el("p", null, "none: no container's length or retained size rose past the thresholds"));
		g.growing.forEach(function (r, i) {
			var c = el("div", {class: "card grower"});
			c.appendChild(el("h3", null, "#" + (i + 1) + " ", el("span", {class: "holder"}, r.holder), " (" + r.type + ")"));
			c.appendChild(el("p", null, "length " + r.length.map(function (v) { return v === null ? "-" : count(v); }).join(" \u2192 ") +
				"; retained " + r.retained.map(function (v) { return v === null ? "-" : bytes(v); }).join(" \u2192 ") +
				"; " + r.verdict + (r.new_objects ? "; " + count(r.new_objects) + " new objects (" + bytes(r.new_size) + ") under it" : "")));
			c.appendChild(el("div", {class: "chain"}, r.chain));
			r.also_held_by.forEach(function (h) {
				c.appendChild(el("p", {class: "muted"}, "also held by " + h));
			});
			s.appendChild(c);
		});
		s.appendChild(el("h3", null, "Types, by change in bytes"));
		var rows = g.types.map(function (t) {
			return {type: t.type, count: t.count[n - 1], count_delta: t.count_delta, size: t.size[n - 1], size_delta: t.size_delta};
		});
		s.appendChild(sortableTable("growth-types", [
			{key: "type", title: "type"},
			{key: "count", title: "objects (last)", num: true, fmt: count},
			{key: "count_delta", title: "change", num: true, fmt: function (v) { return (v >= 0 ? "+" : "") + count(v); }},
			{key: "size", title: "size (last)", num: true, fmt: bytes},
			{key: "size_delta", title: "change", num: true, fmt: signedBytes}], rows, "type"));
		var no = g.new_objects;
		s.appendChild(el("h3", null, "New since " + no.since + ": " + count(no.count) + " objects, " + bytes(no.size)));
		var ul = el("ul");
		no.holders.forEach(function (h) {
			ul.appendChild(el("li", null, count(h.count) + " objects, " + bytes(h.size) + ": " + h.holder));
		});
		if (no.unreached)
			ul.appendChild(el("li", null, count(no.unreached) + " no root reaches (garbage)"));
		s.appendChild(ul);
		var fig = picture(data.growth_picture, "What keeps growing, most retained growth first");
		if (fig)
			s.appendChild(fig);
	})();

	/* a line chart of one figure per type (key: "size" or "count") over the snapshots, as SVG */
	function chart(types, n, key, fmt, caption, id) {
		var W = 720, H = 260, L = 70, R = 16, T = 12, B = 30;
		var max = 1;
		types.forEach(function (t) {
			t[key].forEach(function (v) {
				max = Math.max(max, v);
			});
		});
		var colours = ["#3d6fb6", "#c0392b", "#2e8b57", "#9a6b00", "#7d3c98", "#d35400", "#16a085", "#5b6475"];
		var g = svg("svg", {class: "chart", id: id, width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img"});
		g.appendChild(svg("line", {class: "axis", x1: L, y1: H - B, x2: W - R, y2: H - B}));
		g.appendChild(svg("line", {class: "axis", x1: L, y1: T, x2: L, y2: H - B}));
		function x(i) {
			return L + (n > 1 ? i * (W - L - R) / (n - 1) : 0);
		}
		function y(v) {
			return H - B - v * (H - T - B) / max;
		}
		for (var k = 0; k <= 4; k++) {
			var tv = max * k / 4, lab = svg("text", {x: L - 6, y: y(tv) + 4, "text-anchor": "end"});
			lab.textContent = fmt(Math.round(tv));
			g.appendChild(lab);
		}
		for (var i = 0; i < n; i++) {
			var xl = svg("text", {x: x(i), y: H - B + 16, "text-anchor": "middle"});
			xl.textContent = "#" + (i + 1);
			g.appendChild(xl);
		}
		var legend = el("div", {class: "legend"});
		types.forEach(function (t, j) {
			var pts = t[key].map(function (v, i) {
				return x(i).toFixed(1) + "," + y(v).toFixed(1);
			}).join(" ");
			var pl = svg("polyline", {points: pts, fill: "none", stroke: colours[j % colours.length], "stroke-width": 2});
			var tt = svg("title", {});
			tt.textContent = t.type + ": " + t[key].map(fmt).join(" \u2192 ");
			pl.appendChild(tt);
			g.appendChild(pl);
			var swatch = el("i");
			swatch.style.background = colours[j % colours.length]; /* CSSOM: the policy refuses style attributes */
			legend.appendChild(el("span", null, swatch,
				t.type + " " + (key === "size" ? signedBytes(t.size_delta) : (t.count_delta >= 0 ? "+" : "") + count(t.count_delta))));
		});
		return el("figure", null, g, legend, el("figcaption", null, caption));
	}

	/* allocation sites */
	(function () {
		var s = section("sites", "Allocation sites");
		if (data.sites_note) {
			s.appendChild(note(data.sites_note));
			return;
		}
		var any = false;
		data.suspects.suspects.forEach(function (x) {
			var sl = sitesList(x.sites, x.objects);
			if (!sl)
				return;
			any = true;
			s.appendChild(el("h3", null, "#" + x.rank + " " + x.holder));
			s.appendChild(sl);
		});
		if (data.growth && data.growth.new_objects.sites && data.growth.new_objects.sites.length) {
			any = true;
			s.appendChild(el("h3", null, "The objects new since " + data.growth.new_objects.since));
			s.appendChild(sitesList(data.growth.new_objects.sites, data.growth.new_objects.count));
		}
		if (!any)
			s.appendChild(note("No suspect's objects have a recorded allocation site."));
	})();

	document.getElementById("app").appendChild(el("footer", null, "graphleak " + data.version + ", report " + data.schema +
		(data.redacted ? "; str and bytes values redacted" : "")));
	document.body.setAttribute("data-ready", "1");
})();
