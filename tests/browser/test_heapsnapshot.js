// test_heapsnapshot.js GRAPHLEAK PYTHON WORKDIR: `graphleak export --format
// heapsnapshot` read by memlab (@memlab/core), a parser graphleak did not write.
//
// heap_leaks.py makes three leaks of different sizes (a module global, a class
// attribute, a default argument) and hostile dict keys, and dumps itself under
// `graphleak run`. For the three largest suspects of `graphleak suspects
// --json`, memlab's retained size must equal graphleak's to the byte, and its
// shortest retainer path must run through the same objects as graphleak's
// chain (sys.modules, the module, its __dict__, ... the suspect). The file must
// also be valid JSON by a second parser (python3's json), with its counts
// consistent, the hostile keys must come out as property names exactly as
// `export` (JSON lines) says them, and with --redact the values must be gone
// while the retained sizes stay.
'use strict';

const assert = require('assert');
const fs = require('fs');
const path = require('path');
const {execFileSync} = require('child_process');
const core = require('@memlab/core');
core.config.muteConsole = true; // its progress lines, not ours

const [graphleak, python, work] = process.argv.slice(2);
if (!graphleak || !python || !work) {
  console.error('usage: node test_heapsnapshot.js GRAPHLEAK PYTHON WORKDIR');
  process.exit(2);
}
fs.mkdirSync(work, {recursive: true});
const snap = path.join(work, 'hs.snap');
const out = path.join(work, 'hs.heapsnapshot');
const redacted = path.join(work, 'hs-redacted.heapsnapshot');
for (const f of [snap, out, redacted]) fs.rmSync(f, {force: true});

function run(args, env) {
  return execFileSync(graphleak, args, {
    encoding: 'utf8', maxBuffer: 1 << 30, env: Object.assign({}, process.env, env || {}),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

// the snapshot and what graphleak says about it
run(['run', '--', python, path.join(__dirname, 'heap_leaks.py')], {GL_SNAP: snap});
run(['export', snap, '--format', 'heapsnapshot', '-o', out]);
run(['export', snap, '--format=heapsnapshot', '--redact', '-o', redacted]);
const suspects = JSON.parse(run(['suspects', snap, '--json', '--min-share', '2%', '--limit', '3']));
assert.strictEqual(suspects.suspects.length, 3, 'three suspects');
const holders = suspects.suspects.map((x) => x.holder);
assert.deepStrictEqual(holders, ['module __main__, global CACHE', 'class Registry, attribute items',
  'function remember, __defaults__[0]'], 'the three leaks, largest first');

// object k of the snapshot (the k-th object line of the JSON lines) is node id 2k+3
const index = new Map();
const preview = new Map();
let k = 0;
for (const line of run(['export', snap]).split('\n')) {
  if (!line.startsWith('{"addr"')) continue;
  const o = JSON.parse(line);
  index.set(o.addr, k);
  if (o.preview !== undefined) preview.set(o.addr, o.preview);
  k++;
}
const idOf = (addr) => {
  assert(index.has(addr), `${addr} is in the snapshot`);
  return 2 * index.get(addr) + 3;
};
const addrOf = new Map([...index].map(([a, i]) => [2 * i + 3, a]));

// a second parser: python's json, and the counts agree
execFileSync(python, ['-c', `
import json, sys
for name in sys.argv[1:]:
    d = json.load(open(name, encoding="ascii"))
    meta = d["snapshot"]["meta"]
    nf, ef = len(meta["node_fields"]), len(meta["edge_fields"])
    nodes, edges, strings = d["nodes"], d["edges"], d["strings"]
    assert len(nodes) == d["snapshot"]["node_count"] * nf, name
    assert len(edges) == d["snapshot"]["edge_count"] * ef, name
    ec = meta["node_fields"].index("edge_count")
    assert sum(nodes[ec::nf]) == d["snapshot"]["edge_count"], name
    assert all(0 <= n < len(strings) for n in nodes[1::nf]), name
    ids = nodes[2::nf]
    assert len(set(ids)) == len(ids), "ids unique"
    assert all(t % nf == 0 and t < len(nodes) for t in edges[2::ef]), name
    named = [n for t, n in zip(edges[0::ef], edges[1::ef]) if meta["edge_types"][0][t] != "element"]
    assert all(0 <= n < len(strings) for n in named), name
    assert nodes[:3] == [meta["node_types"][0].index("synthetic"), strings.index("(graphleak roots)"), 0]
`, out, redacted], {stdio: 'inherit'});

async function load(file) {
  const heap = await core.utils.getSnapshotFromFile(file, {buildNodeIdIndex: true});
  const finder = new core.TraceFinder();
  finder.annotateShortestPaths(heap);
  finder.calculateAllNodesRetainedSizes(heap);
  return {heap, finder};
}

// the objects of memlab's shortest path from node 0 to node, synthetic ones left out
function memlabPath(heap, finder, node) {
  const ids = [];
  for (let p = finder.getPathToGCRoots(heap, node); p; p = p.next)
    if (p.node.id % 2 === 1) ids.push(p.node.id);
  return ids;
}

function propertyNames(heap) {
  const names = new Set();
  heap.edges.forEach((e) => {
    if (e.type === 'property') names.add(e.name_or_index);
  });
  return names;
}

(async () => {
  const {heap, finder} = await load(out);
  assert.strictEqual(heap.nodes.get(0).name, '(graphleak roots)');
  assert.strictEqual(heap.nodes.get(0).retainedSize, suspects.heap.size, 'the whole heap under node 0');
  for (const x of suspects.suspects) {
    const node = heap.getNodeById(idOf(x.object.addr));
    assert(node, `node of ${x.holder}`);
    assert.strictEqual(node.retainedSize, x.retained, `retained size of ${x.holder}`);
    assert.strictEqual(node.retainedSize, x.object.retained);
    // the chain: graphleak's raw path (root first) is memlab's shortest path
    const got = memlabPath(heap, finder, node).map((id) => addrOf.get(id));
    assert.deepStrictEqual(got, x.path.raw, `memlab's retainer path to ${x.holder}`);
    // and the holder's own step is a property named as graphleak names it
    const last = finder.getPathToGCRoots(heap, node);
    let edge = null;
    for (let p = last; p; p = p.next) if (p.edge) edge = p.edge;
    const step = x.path.steps[x.path.steps.length - 1].step;
    assert(step.endsWith(typeof edge.name_or_index === 'number' ? `[${edge.name_or_index}]`
      : `${edge.name_or_index}`), `last step ${step} is edge ${edge.name_or_index}`);
    console.log(`ok: ${x.holder}: retained ${node.retainedSize}, path of ${got.length} objects`);
  }

  // hostile keys: the key's text as export (JSON lines) gives it, as a property name
  const names = propertyNames(heap);
  const hostile = [...preview.values()].find((p) => p.startsWith('q"uote'));
  assert(hostile && hostile.includes('</script>') && hostile.includes('\u0000') && hostile.includes('\u202e'));
  assert(names.has(hostile), 'the hostile str key is a property name');
  assert(names.has("b'\\xff\\xfe</script>'"), 'a bytes key as code writes it');
  assert(names.has('<tuple>') && names.has('42'), 'other keys');
  assert(names.has('attr "name" </script>'), 'a hostile attribute name');
  const text = fs.readFileSync(out, 'latin1');
  assert(!/[^\x00-\x7f]/.test(text), 'ASCII only');
  assert(!text.includes('</script>'), 'no closing script tag in the text');
  console.log('ok: hostile names');

  // --redact: values withheld, names kept, the same retained sizes
  const r = await load(redacted);
  const rnames = propertyNames(r.heap);
  assert(!rnames.has(hostile) && !rnames.has('user-42'), 'str keys redacted');
  assert(rnames.has('CACHE') && rnames.has('items') && rnames.has('__main__'), 'names stay');
  r.heap.nodes.forEach((n) => {
    assert(!n.name.includes('xxxxxxxx') && !n.name.includes('hostile value'), `a value in ${n.name}`);
  });
  for (const x of suspects.suspects)
    assert.strictEqual(r.heap.getNodeById(idOf(x.object.addr)).retainedSize, x.retained);
  console.log('ok: --redact');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
