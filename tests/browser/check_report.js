#!/usr/bin/env node
/*
 * check_report.js REPORT.html SCREENSHOT.png: opens a graphleak report from disk in Debian's
 * chromium (headless, driven by playwright-core; $GRAPHLEAK_CHROMIUM or /usr/bin/chromium),
 * and prints what a person would see, as one JSON object, for test_report.py to judge:
 *   errors    console errors, page errors, failed requests, CSP violations
 *   requests  every URL the page asked for besides itself (it must need none)
 *   sections  the ids of the page's sections, in order; headings their titles
 *   sort      the types table's first column before and after one click on "objects", the
 *             header's aria-sort after it, and the "objects" column after the click
 *   filter    rows left visible after typing into the filter
 *   images    the pictures: count, how many decoded with a size, how many have their room
 *             (width, height) reserved before they decode
 *   pwned     whether anything the heap carried ran: window.__pwned, a dialog, a new element
 *             with an on* attribute or a <script> not the page's own two
 *   text      the page's visible text (for the checks of what it says)
 * Then saves a full-page screenshot.
 */
"use strict";
const path = require("path");
const { chromium } = require("playwright-core");

async function main() {
	const [report, shot] = process.argv.slice(2);
	if (!report || !shot) {
		console.error("usage: check_report.js REPORT.html SCREENSHOT.png");
		process.exit(2);
	}
	const browser = await chromium.launch({
		executablePath: process.env.GRAPHLEAK_CHROMIUM || "/usr/bin/chromium",
		args: ["--no-sandbox", "--disable-gpu", "--no-first-run"],
	});
	const out = { errors: [], requests: [], dialogs: [] };
	try {
		const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
		const url = "file://" + path.resolve(report);
		page.on("console", (m) => {
			if (m.type() === "error" || m.type() === "warning")
				out.errors.push(m.type() + ": " + m.text());
		});
		page.on("pageerror", (e) => out.errors.push("pageerror: " + e.message));
		page.on("requestfailed", (r) => out.errors.push("requestfailed: " + r.url()));
		page.on("request", (r) => {
			if (r.url() !== url && !r.url().startsWith("data:"))
				out.requests.push(r.url());
		});
		page.on("dialog", async (d) => {
			out.dialogs.push(d.type() + ": " + d.message());
			await d.dismiss();
		});
		await page.goto(url, { waitUntil: "load" });
		try {
			await page.waitForSelector("body[data-ready='1']", { timeout: 30000 });
		} catch (e) {
			// the page's script did not finish: say why (its errors), for the test to show
			out.errors.push("the page never became ready: " + e.message.split("\n")[0]);
			process.stdout.write(JSON.stringify(out) + "\n");
			process.exitCode = 1;
			return;
		}
		out.title = await page.title();
		out.sections = await page.$$eval("main > section", (s) => s.map((e) => e.id));
		out.headings = await page.$$eval("main > section > h2", (s) => s.map((e) => e.textContent));
		out.suspects = await page.$$eval("#suspects .suspect", (s) => s.map((e) => e.querySelector("h3").textContent));
		out.images = await page.$$eval("img", (is) => ({
			count: is.length,
			decoded: is.filter((i) => i.complete && i.naturalWidth > 0).length,
			data: is.filter((i) => i.src.startsWith("data:image/svg+xml;base64,")).length,
			// the room each takes is known before it decodes: nothing below moves under the mouse
			sized: is.filter((i) => Number(i.getAttribute("width")) > 0 && Number(i.getAttribute("height")) > 0).length,
		}));
		// lazy images decode when scrolled to: make them all load, before the clicks below
		await page.$$eval("img", (is) => is.forEach((i) => (i.loading = "eager")));
		await page.waitForFunction(() => Array.from(document.images).every((i) => i.complete), null, { timeout: 30000 });
		out.images.decoded = await page.$$eval("img", (is) => is.filter((i) => i.naturalWidth > 0).length);
		// and the room reserved is the picture's own size (within a pixel of rounding)
		out.images.fits = await page.$$eval("img", (is) => is.filter((i) =>
			Math.abs(i.naturalWidth - Number(i.getAttribute("width"))) <= 1 &&
			Math.abs(i.naturalHeight - Number(i.getAttribute("height"))) <= 1).length);
		const firstCol = () => page.$$eval("#types-table tbody tr", (rs) => rs.slice(0, 5).map((r) => r.children[0].textContent));
		const column = () => page.$$eval("#types-table tbody tr", (rs) => rs.map((r) => Number(r.children[1].getAttribute("data-v"))));
		out.sort = { before: await firstCol() };
		await page.click("#types-table th:nth-child(2)");
		out.sort.after = await firstCol();
		out.sort.aria = await page.getAttribute("#types-table th:nth-child(2)", "aria-sort");
		out.sort.counts = await column();
		await page.click("#types-table th:nth-child(2)");
		out.sort.aria2 = await page.getAttribute("#types-table th:nth-child(2)", "aria-sort");
		out.sort.counts2 = await column();
		await page.fill("#types input.filter", "dict");
		out.filter = await page.$$eval("#types-table tbody tr", (rs) => rs.filter((r) => !r.hidden).map((r) => r.children[0].textContent));
		await page.fill("#types input.filter", "");
		out.charts = await page.$$eval("svg.chart polyline", (p) => p.length);
		out.chartIds = await page.$$eval("svg.chart", (c) => c.map((e) => e.id));
		out.pwned = await page.evaluate(() => ({
			flag: typeof window.__pwned !== "undefined",
			scripts: document.scripts.length,
			handlers: Array.from(document.querySelectorAll("*")).filter((e) =>
				Array.from(e.attributes).some((a) => a.name.startsWith("on"))).length,
			foreign: document.querySelectorAll("main script, main iframe, main object, main embed, main img:not(figure img)").length,
		}));
		out.text = await page.evaluate(() => document.body.innerText);
		await page.screenshot({ path: shot, fullPage: true });
	} finally {
		await browser.close();
	}
	process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((e) => {
	console.error("check_report.js: " + (e && e.stack ? e.stack : e));
	process.exit(1);
});
