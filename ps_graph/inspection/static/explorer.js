"use strict";
/* ps_graph ECM explorer: the script of the offline explorer page (issue 16).
 *
 * Reads the JSON document of <script type="application/json" id="ps-graph-data"> (its fields:
 * ps_graph.inspection.explorer) and draws it with vis-network (the global `vis`, inlined before
 * this script). Physics is off; positions are layered and deterministic: percepts left (natural
 * label order), hidden clips by layer, actions right (document order). Only what the filters keep
 * is handed to vis-network. Labels are shown as text only (textContent, canvas labels, title
 * attributes), never parsed as HTML. No network, no storage: works from file:// and in a
 * sandboxed <iframe srcdoc> (sandbox="allow-scripts"). Everything lives in one block scope.
 *
 * DOM: the page needs only the data block, vis-network and this script. Elements with these ids
 * are used where the page has them and created where not (the root is appended to <body>):
 *   ps-graph-app > ps-graph-header (ps-graph-title, ps-graph-status)
 *                > ps-graph-controls (ps-graph-search + datalist ps-graph-suggestions,
 *                  ps-graph-threshold + ps-graph-threshold-value, ps-graph-kinds holding the
 *                  checkboxes ps-graph-kind-percept / -hidden / -action, ps-graph-neighbourhood-on
 *                  + ps-graph-neighbourhood (k), ps-graph-collapse, ps-graph-compare [with "compare"])
 *                > ps-graph-timeline [with snapshots] (ps-graph-play, ps-graph-snapshot, ps-graph-snapshot-label)
 *                > ps-graph-main > ps-graph-network (vis-network's container)
 *                                > ps-graph-panel (ps-graph-legend, ps-graph-policy [with "policy_map"], ps-graph-details)
 * Once drawn, <body> has data-psgraph-ready="1", data-psgraph-nodes and data-psgraph-edges.
 *
 * window.psGraph (tests and notebooks; every call redraws at once):
 *   select(label) -> bool   select the clip whose label (as shown) is `label`, first match, percepts
 *                           first; opens the panel and highlights its top walks; false if none
 *                           matches. select(null) clears the selection.
 *   panel() -> null | {clip, kind, layer, visits, exact, probabilities: {action label: number},
 *                      walks: [{labels, p}], covered, edges: [{to, h, glow, p, pB?}],
 *                      compare?: {title, probabilities, walks}}
 *                           at the final state the numbers are the document's, unchanged (exact:
 *                           true); at an earlier snapshot they are computed from its hopping
 *                           probabilities (exact: false).
 *   snapshots() -> number   timeline snapshots (0 without a Timeline)
 *   setSnapshot(i)          edges, panel and policy map follow snapshot i; -1 and snapshots() - 1 are
 *                           the final state (the document's own edges and percept entries)
 *   snapshot() -> number    the current index (snapshots() - 1 at the final state, so -1 without any)
 *   setThreshold(p)         draw edges whose current p >= p
 *   setKinds([...])         draw edges between clips of these kinds ("percept", "hidden", "action")
 *   setNeighbourhood(k|null)  only edges within k steps (either direction) of the selected clip
 *   collapseHidden(bool)    true: no hidden clips; percepts link to actions by summary edges that
 *                           carry the action probabilities
 *   drawn() -> {nodes, edges}   drawn now: the kept edges, their clips, the selected clip and the decision's clips
 *   highlighted() -> {nodes: [labels], edges: [[from label, to label]]}   the selected clip's walks
 *   decision() -> null | {what, clips: [{label, role}], edges: [[from label, to label]]}   the document's "decision"
 *                           (to_html(..., decision=observation)): its clips and roles ("excited percept clip", "decider
 *                           (share 0.4444)", ...) and the deciding edges; drawn in red whatever the threshold: deciders
 *                           ringed, excited percept clips ringed dashed, deciding edges thick; the page opens on the decider.
 *   setCompare(bool)        colour edges by B - A (documents with "compare"); state() -> the filters;
 *   network                 the vis.Network.
 */
{
  const KINDS = ["percept", "hidden", "action"], KIND_COLOURS = {percept: "#4e79a7", hidden: "#b07aa1", action: "#59a14f"};
  const INK = "#333333", WALK = "#f28e2b", DECIDE = "#d62728", P0 = "#c4ccd6", P1 = "#1d3f72", LESS = "#c0392b", MID = "#c8c8c8", MORE = "#1f6fb4";
  const ROW_GAP = 62, BIG = 1500;
  const ARROWS = {left: "\u2190", right: "\u2192", up: "\u2191", down: "\u2193", north: "\u2191", south: "\u2193", east: "\u2192", west: "\u2190"};
  let M = null, S = null, net = null;
  const ui = {};
  // ------------------------------------------------------------------ small helpers
  // a new element: spec "tag" or "tag.class"; text (as text) and attributes optional
  function add(parent, spec, text, attrs) {
    const [tag, klass] = spec.split("."), node = document.createElement(tag);
    if (klass) node.className = klass;
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (parent) parent.appendChild(node);
    return node;
  }
  const ensure = (id, spec, parent, attrs) => document.getElementById(id) || Object.assign(add(parent, spec, null, attrs), {id});
  const own = (obj, key) => (obj && Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined);
  const absent = (x) => x === null || x === undefined;
  const fmt = (x, digits) => (absent(x) ? "\u2014" : digits ? x.toFixed(digits) : String(Number(x.toPrecision(5))));
  const label = (i) => M.clips[i].label;
  const snapLabel = () => M.doc.snapshots[S.snap].label;
  function mix(a, b, t) {
    t = Math.min(Math.max(t, 0), 1);
    const channel = (c, i) => parseInt(c.substr(i, 2), 16);
    return "#" + [1, 3, 5].map((i) => Math.round(channel(a, i) * (1 - t) + channel(b, i) * t).toString(16).padStart(2, "0")).join("");
  }
  const fail = (message) => { throw new Error("ps_graph explorer: " + message); };
  // ------------------------------------------------------------------ the document, indexed
  function indexDocument(doc) {
    const m = {doc, clips: doc.clips, edges: doc.edges, idx: new Map(), byLabel: new Map(), actionByLabel: new Map(),
      out: doc.clips.map(() => []), n: (doc.snapshots || []).length};
    doc.clips.forEach((c, i) => m.idx.set(c.id, i));
    doc.edges.forEach((e, j) => {
      e.s = m.idx.get(e.from); e.t = m.idx.get(e.to);
      if (e.s === undefined || e.t === undefined) fail(`edge ${j} (${e.from} -> ${e.to}) names a clip that is not in "clips"`);
      m.out[e.s].push(j);
    });
    for (const kind of KINDS) doc.clips.forEach((c, i) => { if (c.kind === kind && !m.byLabel.has(c.label)) m.byLabel.set(c.label, i); });
    (doc.actions || []).forEach((a) => m.actionByLabel.set(a.label, m.idx.get(a.id)));
    m.final = {h: doc.edges.map((e) => e.h), p: doc.edges.map((e) => e.p), glow: doc.edges.map((e) => e.glow)};
    const d = doc.decision, at = (id) => m.idx.get(id) ?? fail(`the decision names clip ${id}, which is not in "clips"`);
    m.decision = d ? {what: String(d.what), roles: new Map(d.clips.map((c) => [at(c.id), String(c.role || "")])),
      edges: new Map(d.edges.map(([a, b]) => [at(a) + ">" + at(b), [at(a), at(b)]]))} : null;
    return m;
  }
  const isFinal = () => S.snap === M.n - 1;
  const values = () => (isFinal() ? M.final : M.doc.snapshots[S.snap]);  // the last snapshot is the final state
  // the action distribution of a clip under hopping probabilities P (mass pushed on until absorbed)
  function distribution(start, P) {
    let mass = new Map([[start, 1]]);
    const absorbed = new Map();
    for (let step = 0; step < 10000 && mass.size; step++) {
      const next = new Map(); let left = 0;
      mass.forEach((m, c) => M.out[c].forEach((j) => {
        if (!(P[j] > 0)) return;
        const t = M.edges[j].t, into = M.clips[t].kind === "action" ? absorbed : next;
        into.set(t, (into.get(t) || 0) + m * P[j]);
      }));
      next.forEach((m) => { left += m; });
      mass = left > 1e-15 ? next : new Map();
    }
    return absorbed;
  }
  // the k most probable walks from start to an action, best first (explain's search)
  function topWalks(start, P, k) {
    const open = [{clips: [start], p: 1}], found = [];
    for (let expansions = 0; open.length && found.length < k && expansions < 20000; expansions++) {
      let best = 0; for (let i = 1; i < open.length; i++) if (open[i].p > open[best].p) best = i;
      const w = open.splice(best, 1)[0], last = w.clips[w.clips.length - 1];
      if (w.clips.length > 1 && M.clips[last].kind === "action") { found.push(w); continue; }
      for (const j of M.out[last]) if (P[j] > 0) open.push({clips: w.clips.concat([M.edges[j].t]), p: w.p * P[j]});
    }
    return found;
  }
  // what the panel says of clip ci (of agent B with B = true): the document's numbers at the final
  // state, else computed from the snapshot; null for actions
  function info(ci, B) {
    const key = (B ? "B" : S.snap) + ":" + ci; if (S.cache.has(key)) return S.cache.get(key);
    const clip = M.clips[ci], d = own(B ? (M.doc.compare || {}).percepts : M.doc.percepts, clip.id);
    let result = null;
    if (d && (B || isFinal())) {
      result = {exact: true, probabilities: d.probabilities, covered: d.covered,
        walks: d.walks.map((w) => ({clips: w.clips.map((id) => M.idx.get(id)), p: w.p}))};
    } else if (!B && clip.kind !== "action") {
      const P = values().p, absorbed = distribution(ci, P), probabilities = {};
      for (const a of M.doc.actions || []) {
        const p = absorbed.get(M.idx.get(a.id)) || 0;
        if (p > 0 || own(d && d.probabilities, a.label) !== undefined) probabilities[a.label] = p;
      }
      const walks = topWalks(ci, P, Math.max(5, d ? d.walks.length : 0));
      result = {exact: false, probabilities, walks, covered: walks.reduce((sum, w) => sum + w.p, 0)};
    }
    S.cache.set(key, result); return result;
  }
  // ------------------------------------------------------------------ what is drawn
  function candidateEdges(V) {
    const B = M.doc.compare;
    if (!S.collapsed) {
      return M.edges.flatMap((e, j) => (absent(V.h[j]) ? [] :
        [{s: e.s, t: e.t, p: V.p[j], h: V.h[j], glow: V.glow ? V.glow[j] : null, pB: B ? B.p[j] : undefined}]));
    }
    return M.clips.flatMap((c, ci) => {  // percept -> action, carrying the action probability
      const a = c.kind === "percept" ? info(ci) : null, b = a && B ? info(ci, true) : null;
      return !a ? [] : Object.keys(a.probabilities).flatMap((action) => {
        const t = M.actionByLabel.get(action), p = a.probabilities[action], pB = b ? own(b.probabilities, action) : undefined;
        return t !== undefined && p > 0 ? [{s: ci, t, p, h: null, glow: null, pB: B ? (pB === undefined ? null : pB) : undefined}] : [];
      });
    });
  }
  // the clips within k steps of start (either direction) over the edges E
  function near(E, start, k) {
    const adjacent = new Map(), seen = new Set([start]);
    const link = (a, b) => (adjacent.get(a) || adjacent.set(a, []).get(a)).push(b);
    E.forEach((x) => { link(x.s, x.t); link(x.t, x.s); });
    let frontier = [start];
    for (let step = 0; step < k && frontier.length; step++) {
      const next = [];
      for (const c of frontier) for (const t of adjacent.get(c) || []) if (!seen.has(t)) { seen.add(t); next.push(t); }
      frontier = next;
    }
    return seen;
  }
  // what the filters keep: edges at or above the threshold between clips of the kinds, within
  // k steps of the selected clip; the clips at their ends, and the selected clip
  function view() {
    const sel = S.selected, kind = (i) => S.kinds.has(M.clips[i].kind);
    const D = M.decision, decides = (x) => D !== null && D.edges.has(x.s + ">" + x.t);
    let E = candidateEdges(values()).filter((x) => (x.p >= S.threshold || decides(x)) && kind(x.s) && kind(x.t));
    const around = S.k !== null && sel !== null ? near(E, sel, S.k) : null;
    if (around) E = E.filter((x) => around.has(x.s) && around.has(x.t));
    const ends = new Set(sel === null ? [] : [sel]);
    E.forEach((x) => { ends.add(x.s); ends.add(x.t); });
    if (D) D.roles.forEach((_, i) => { if (kind(i) && !(S.collapsed && M.clips[i].kind === "hidden")) ends.add(i); });
    E.sort((a, b) => decides(a) - decides(b));  // the decision's edges drawn last, on top
    return {nodes: Array.from(ends).sort((a, b) => a - b), edges: E};
  }
  function highlight() {  // the selected clip and its walks (or the one in focus): clips, and edges by "s>t"
    const H = {nodes: new Set(), edges: new Map()}, a = S.selected === null ? null : info(S.selected);
    if (S.selected !== null) H.nodes.add(S.selected);
    (a ? a.walks : []).forEach((w, n) => {
      if (S.focus !== null && S.focus !== n) return;
      const cl = S.collapsed ? [w.clips[0], w.clips[w.clips.length - 1]] : w.clips;
      cl.forEach((c, i) => { H.nodes.add(c); if (i) H.edges.set(cl[i - 1] + ">" + c, [cl[i - 1], c]); });
    });
    return H;
  }
  // ------------------------------------------------------------------ vis-network items
  const tooltip = (lines) => add(null, "div.ps-tip", lines.join("\n"));
  // columns by layer (percepts in natural label order, others in document order; hidden clips of the
  // decision in the middle, in its order: deciders by share), the gap between columns chosen so that the drawing has about the drawing area's shape
  function layout(nodes) {
    const layers = new Map(), pos = new Map(), order = new Intl.Collator(undefined, {numeric: true});
    const inDecision = new Map(Array.from(M.decision ? M.decision.roles.keys() : [], (i, n) => [i, n]));
    nodes.forEach((i) => { const l = M.clips[i].layer; (layers.get(l) || layers.set(l, []).get(l)).push(i); });
    const keys = Array.from(layers.keys()).sort((a, b) => a - b), rows = Math.max(0, ...Array.from(layers.values(), (m) => m.length));
    const box = ui.graph.getBoundingClientRect(), aspect = box.height > 0 ? box.width / box.height : 1.5;
    const rowGap = Math.min(110, Math.max(ROW_GAP, (0.7 * (box.height || 600)) / Math.max(1, rows)));
    const gap = Math.min(700, Math.max(300, (aspect * rows * rowGap) / Math.max(1, keys.length - 1)));
    keys.forEach((l, rank) => {
      const members = layers.get(l), middle = (members.length - 1) / 2;
      if (M.clips[members[0]].kind === "percept") members.sort((a, b) => order.compare(label(a), label(b)));
      const marked = members.filter((i) => inDecision.has(i)).sort((a, b) => inDecision.get(a) - inDecision.get(b)), rest = members.filter((i) => !inDecision.has(i));
      if (M.clips[members[0]].kind === "hidden") members.splice(0, Infinity, ...rest.slice(0, rest.length >> 1), ...marked, ...rest.slice(rest.length >> 1));
      members.forEach((i, row) => pos.set(i, {x: rank * gap, y: (row - middle) * rowGap}));
    });
    return pos;
  }
  // a clip's part in the decision: "decider", "excited" (an excited percept clip that does not decide), "path" or null
  const roleOf = (i) => (M.decision ? M.decision.roles.get(i) : undefined);
  const part = (role) => (absent(role) ? null : /^decider/.test(role) ? "decider" : /^excited/.test(role) ? "excited" : "path");
  function nodeItem(i, pos, H, maxVisits) {
    const c = M.clips[i], colour = KIND_COLOURS[c.kind] || INK, on = H.nodes.has(i), sel = i === S.selected, role = roleOf(i), r = part(role);
    const ring = {background: colour, border: r ? DECIDE : on ? WALK : colour}, size = 8 + 10 * (maxVisits ? Math.sqrt((c.visits || 0) / maxVisits) : 0);
    const lines = [`${c.kind} clip: ${c.label}`, `layer ${c.layer}, ${c.visits} visits`, `id ${c.id}`].concat(r ? [`decision: ${role}`] : []);
    const share = r === "decider" && /share ([\d.]+)/.exec(role);  // shown under the label
    return {id: i, label: c.label + (share ? ` \u00b7 share ${share[1]}` : ""), x: pos.get(i).x, y: pos.get(i).y, size: (sel ? 4 : 0) + (r ? Math.max(size, 13) : size),
      borderWidth: sel || r === "decider" ? 6 : on || r ? 4 : 1, shapeProperties: {borderDashes: r === "excited" ? [5, 3] : false},
      color: {background: colour, border: ring.border, highlight: ring, hover: ring}, font: {color: INK, bold: sel || r === "decider"}, title: tooltip(lines)};
  }
  function edgeItem(x, n, H) {
    const key = x.s + ">" + x.t, decides = Boolean(M.decision && M.decision.edges.has(key));
    const on = H.edges.has(key), dim = S.selected !== null && !on && !decides && H.edges.size > 0 && !S.compare;
    let colour = decides ? DECIDE : mix(P0, P1, Math.sqrt(x.p));  // (comparing: the difference's colour, width marks it)
    if (S.compare && x.pB !== undefined) colour = x.pB === null ? MID : mix(MID, x.pB < x.p ? LESS : MORE, Math.abs(x.pB - x.p) / S.scale);
    const lines = [label(x.s) + " \u2192 " + label(x.t)];
    if (x.h !== null) lines.push("h = " + fmt(x.h), "glow = " + fmt(x.glow));
    lines.push((x.h === null ? "P(action) = " : "P(hop) = ") + fmt(x.p));
    if (decides) lines.push("decided: " + M.decision.what);
    if (x.pB !== undefined) lines.push("B: " + fmt(x.pB) + (x.pB === null ? " (B has no such edge)" : ", B \u2212 A = " + fmt(x.pB - x.p)));
    return {id: "e" + n, from: x.s, to: x.t, width: 1 + 6 * x.p + (decides ? 5 : on ? 3 : 0), dashes: S.compare && x.pB === null,
      color: {color: on && !decides ? WALK : colour, opacity: dim ? 0.3 : 1, highlight: INK, hover: INK}, title: tooltip(lines)};
  }
  function draw(refit) {
    const H = (S.H = highlight()), v = view(), pos = layout(v.nodes), key = v.nodes.join(",");
    const maxVisits = v.nodes.reduce((m, i) => Math.max(m, M.clips[i].visits || 0), 0);
    S.scale = v.edges.reduce((m, x) => (absent(x.pB) ? m : Math.max(m, Math.abs(x.pB - x.p))), 1e-9);
    const camera = key === S.nodeKey && !refit ? {position: net.getViewPosition(), scale: net.getScale()} : null;
    net.setOptions({edges: {smooth: v.edges.length > BIG ? false : {enabled: true, type: "curvedCW", roundness: 0.12}}});
    net.setData({nodes: new vis.DataSet(v.nodes.map((i) => nodeItem(i, pos, H, maxVisits))),
      edges: new vis.DataSet(v.edges.map((x, n) => edgeItem(x, n, H)))});
    if (camera) net.moveTo(camera);
    else { net.fit({animation: false}); net.moveTo({scale: Math.min(1.2, 0.9 * net.getScale())}); }
    S.nodeKey = key;
    S.drawn = {nodes: v.nodes.length, edges: v.edges.length};
    Object.assign(document.body.dataset, {psgraphNodes: String(S.drawn.nodes), psgraphEdges: String(S.drawn.edges), psgraphReady: "1"});
    ui.status.textContent = `drawn: ${S.drawn.nodes} of ${M.clips.length} clips, ${S.drawn.edges} of ${M.edges.length} edges` +
      (S.k === null ? "" : S.selected === null ? " \u00b7 select a clip to see its neighbourhood"
        : ` \u00b7 ${S.k}-step neighbourhood of \u201c${label(S.selected)}\u201d`);
    legend();
    if (ui.policy) policyMap();
    panel();
  }
  // ------------------------------------------------------------------ the side panel
  function section(title, note) {
    const box = add(ui.details, "section.ps-section");
    add(box, "h3", title); if (note) add(box, "p.ps-note", note);
    return box;
  }
  // a table: a label column, then numbers, or [p, colour] pairs shown as a bar and the number
  function table(box, klass, head, rows) {
    const t = add(box, "table." + klass), tr = add(t, "tr"); head.forEach((h) => add(tr, "th", h));
    rows.forEach((cells) => {
      const row = add(t, "tr");
      cells.forEach((c, n) => {
        const td = add(row, n ? "td.ps-num" : "td.ps-label", n === 0 ? c : Array.isArray(c) ? null : fmt(c));
        if (!Array.isArray(c)) return;
        const width = (Math.max(0, Math.min(1, c[0] || 0)) * 100).toFixed(2);
        add(add(td, "span.ps-bar"), "span.ps-bar-fill", null, {style: `width:${width}%;background:${c[1]}`});
        add(td, "span", fmt(c[0], 4));
      });
    });
  }
  function probabilityTable(a, b) {
    const box = section("Action probabilities", a.exact ? "exact (the numbers explain() gives)" : "computed from this snapshot's hopping probabilities");
    const extra = b ? Object.keys(b.probabilities).filter((l) => own(a.probabilities, l) === undefined) : [];
    table(box, "ps-probs", ["action", b ? "A" : "P"].concat(b ? ["B: " + M.doc.compare.title] : []),
      Object.keys(a.probabilities).concat(extra).map((l) => [l, [own(a.probabilities, l), P1]].concat(b ? [[own(b.probabilities, l), MORE]] : [])));
  }
  function walkList(a, title, clickable) {
    const box = section(title, a.walks.length ? `they cover ${(100 * a.covered).toFixed(2)} % of the probability` : "no walk to an action");
    const list = add(box, "ol.ps-walks");
    a.walks.forEach((w, n) => {
      const li = add(list, clickable && S.focus === n ? "li.ps-focus" : "li");
      add(li, "span.ps-num", fmt(w.p, 4));
      add(li, "span.ps-path", w.clips.map(label).join(" \u2192 "));
      if (!clickable) return;
      li.title = "click: highlight only this walk (again: all walks)";
      li.addEventListener("click", () => { S.focus = S.focus === n ? null : n; draw(); });
    });
  }
  function panelData() {
    if (S.selected === null) return null;
    const ci = S.selected, c = M.clips[ci], V = values(), a = info(ci), B = M.doc.compare, b = B ? info(ci, true) : null;
    const walks = (x) => (x ? x.walks.map((w) => ({labels: w.clips.map(label), p: w.p})) : []);
    const data = {clip: c.label, kind: c.kind, layer: c.layer, visits: c.visits, exact: a ? a.exact : true,
      probabilities: Object.assign({}, a ? a.probabilities : {}), walks: walks(a), covered: a ? a.covered : null,
      edges: M.out[ci].filter((j) => !absent(V.h[j])).map((j) => Object.assign({to: label(M.edges[j].t), h: V.h[j],
        glow: V.glow ? V.glow[j] : null, p: V.p[j]}, B ? {pB: B.p[j]} : {}))};
    if (b) data.compare = {title: B.title, probabilities: Object.assign({}, b.probabilities), walks: walks(b)};
    return data;
  }
  function panel() {
    const d = panelData(), B = M.doc.compare;
    ui.details.textContent = "";
    if (!d) return add(ui.details, "p.ps-hint", "Click a clip, or type its label in \u201cAsk a clip\u201d, to see why the agent acts as it does.");
    const head = add(ui.details, "div.ps-clip");
    add(head, "span.ps-dot", null, {style: "background:" + KIND_COLOURS[d.kind]});
    add(head, "h2", d.clip);
    add(head, "button.ps-close", "\u00d7", {title: "clear the selection"}).addEventListener("click", () => api.select(null));
    add(ui.details, "p.ps-meta", `${d.kind} clip \u00b7 layer ${d.layer} \u00b7 ${d.visits} visits` + (M.n ? " \u00b7 at " + snapLabel() : ""));
    if (part(roleOf(S.selected))) add(ui.details, "p.ps-role", `In ${M.decision.what}: ${roleOf(S.selected)}`);
    const a = info(S.selected), b = B ? info(S.selected, true) : null;
    if (a) probabilityTable(a, b);
    if (a) walkList(a, "Most probable walks" + (b ? " (A)" : ""), true);
    if (b) walkList(b, "Most probable walks (B)", false);
    const box = section("Out-edges", d.edges.length ? null : "none at this snapshot");
    const rows = d.edges.map((r) => [r.to, r.h, r.glow, r.p].concat(B ? [r.pB] : []));
    if (rows.length) table(box, "ps-edges", ["to", "h", "glow", "p"].concat(B ? ["p (B)"] : []), rows);
  }
  function policyMap() {
    const pm = M.doc.policy_map, box = ui.policy, current = S.selected === null ? null : M.clips[S.selected].id;
    box.textContent = "";
    add(box, "h3", "Policy map" + (isFinal() ? "" : " at " + snapLabel()));
    const grid = add(box, "div.ps-grid", null, {style: `grid-template-columns: repeat(${pm.cols}, minmax(1.6em, 2.6em))`});
    for (const cell of pm.cells) {
      let action = cell.action, p = cell.p;
      const ci = cell.clip === null ? undefined : M.idx.get(cell.clip), a = ci === undefined || isFinal() ? null : info(ci);
      if (a) [action, p] = Object.entries(a.probabilities).reduce((best, e) => (e[1] > best[1] ? e : best), [null, -1]);
      const text = absent(action) ? "" : String(action), tile = cell.tile ? " ps-tile-" + String(cell.tile).replace(/[^A-Za-z]/g, "") : "";
      const node = add(grid, "button.ps-cell" + tile + (cell.clip !== null && cell.clip === current ? " ps-current" : ""),
        own(ARROWS, text.toLowerCase()) || text || cell.tile || "", {
          style: `grid-row:${cell.row + 1};grid-column:${cell.col + 1};background:${absent(p) ? "#f4f4f4" : mix("#ffffff", "#9ecae1", p)}`,
          title: cell.label + (cell.tile ? ` [${cell.tile}]` : "") + (text ? `\n${text}  p = ${fmt(p, 4)}` : "")});
      if (ci === undefined) node.disabled = true; else node.addEventListener("click", () => selectIndex(ci));
    }
  }
  function legend() {
    const row = add(null, "div.ps-legend-row"), ramp = (...stops) => add(row, "span.ps-ramp", null, {style: `background:linear-gradient(90deg,${stops})`});
    ui.legend.replaceChildren(row);
    if (S.compare) {
      add(row, "span", "edge colour B \u2212 A:  " + fmt(-S.scale, 2)); ramp(LESS, MID, MORE);
      add(row, "span", "+" + fmt(S.scale, 2)); add(row, "span.ps-dashed", "B lacks the edge");
    } else {
      add(row, "span", "edge width & colour P(hop):  0"); ramp(P0, mix(P0, P1, 0.7), P1); add(row, "span", "1");
    }
    add(row, "span.ps-walk-key", "top walks of the selected clip");
    if (!M.decision) return;
    const d = add(ui.legend, "div.ps-legend-row ps-decision-key");
    add(add(d, "div.ps-decision-what", "Decision: "), "span", M.decision.what);
    [["decider", "deciders"], ["excited", "excited percepts"], ["edge", "deciding edge"]].forEach(([k, text]) => add(d, "span.ps-key-" + k, text));
  }
  // ------------------------------------------------------------------ page and controls
  function labelled(parent, text, input, after) {  // <label>text input</label>, or input then text
    const lab = add(parent, "label.ps-control");
    lab.append(...(after ? [input, add(null, "span", text)] : [add(null, "span", text), input]));
    return input;
  }
  const input = (id, attrs) => ensure(id, "input", null, attrs);
  function buildControls(bar) {
    ui.search = labelled(bar, "Ask a clip", input("ps-graph-search", {type: "search", list: "ps-graph-suggestions",
      placeholder: "a label\u2026", autocomplete: "off"}));
    ui.suggestions = ensure("ps-graph-suggestions", "datalist", bar);
    ui.threshold = labelled(bar, "min P(hop)", input("ps-graph-threshold", {type: "range", min: "0", max: "1", step: "0.01"}));
    ui.thresholdValue = ensure("ps-graph-threshold-value", "output", ui.threshold.parentNode);
    ui.kinds = ensure("ps-graph-kinds", "span.ps-control", bar);
    ui.kind = {};
    for (const kind of KINDS) {
      ui.kind[kind] = labelled(ui.kinds, kind, input("ps-graph-kind-" + kind, {type: "checkbox"}), true);
      ui.kind[kind].parentNode.style.setProperty("--kind", KIND_COLOURS[kind]);
    }
    ui.nearOn = labelled(bar, "neighbourhood, k =", input("ps-graph-neighbourhood-on", {type: "checkbox",
      title: "draw only what lies within k steps of the selected clip"}), true);
    ui.near = ensure("ps-graph-neighbourhood", "input", ui.nearOn.parentNode, {type: "number", min: "0", max: "50", step: "1", value: "1"});
    ui.collapse = labelled(bar, "collapse hidden layers", input("ps-graph-collapse", {type: "checkbox"}), true);
    if (M.doc.compare) ui.compare = labelled(bar, "colour by B \u2212 A", input("ps-graph-compare", {type: "checkbox"}), true);
  }
  function buildPage() {
    const root = ensure("ps-graph-app", "div", document.body), header = ensure("ps-graph-header", "header", root);
    ensure("ps-graph-title", "h1", header).textContent = M.doc.title || "ECM explorer";
    ui.status = ensure("ps-graph-status", "span", header);
    buildControls(ensure("ps-graph-controls", "div", root));
    if (M.n) {
      const row = ensure("ps-graph-timeline", "div", root);
      ui.play = ensure("ps-graph-play", "button", row, {type: "button"});
      ui.snap = labelled(row, "training", input("ps-graph-snapshot", {type: "range", min: "0", max: String(M.n - 1), step: "1"}));
      ui.snapLabel = ensure("ps-graph-snapshot-label", "span", row);
    }
    const main = ensure("ps-graph-main", "div", root);
    ui.graph = ensure("ps-graph-network", "div", main);
    const side = ensure("ps-graph-panel", "aside", main);
    ui.legend = ensure("ps-graph-legend", "div", side);
    if (M.doc.policy_map) ui.policy = ensure("ps-graph-policy", "div", side);
    ui.details = ensure("ps-graph-details", "div", side);
  }
  function sync() {
    ui.threshold.value = String(S.threshold); ui.thresholdValue.textContent = S.threshold.toFixed(2);
    for (const k of KINDS) ui.kind[k].checked = S.kinds.has(k);
    ui.nearOn.checked = S.k !== null; if (S.k !== null) ui.near.value = String(S.k);
    ui.collapse.checked = S.collapsed; if (ui.compare) ui.compare.checked = S.compare;
    if (ui.snap) { ui.snap.value = String(S.snap); ui.snapLabel.textContent = `${snapLabel()} (${S.snap + 1} of ${M.n})`; }
    if (ui.play) ui.play.textContent = S.timer ? "\u275a\u275a pause" : "\u25b6 play";
  }
  function update(changes, refit) { Object.assign(S, changes); sync(); draw(refit); }
  function selectIndex(i) { update({selected: i, focus: null}, S.k !== null); }  // i = null: none
  function suggest() {  // at most 30 labels containing what was typed
    const q = ui.search.value.toLowerCase(), options = [];
    ui.search.classList.remove("ps-nomatch");
    for (const text of q ? M.byLabel.keys() : []) if (text.toLowerCase().includes(q) && options.push(add(null, "option", null, {value: text})) >= 30) break;
    ui.suggestions.replaceChildren(...options);
  }
  function play() {
    const stop = () => { clearInterval(S.timer); S.timer = null; sync(); };
    if (S.timer) return stop();
    if (S.snap >= M.n - 1) api.setSnapshot(0);
    S.timer = setInterval(() => (S.snap >= M.n - 1 ? stop() : api.setSnapshot(S.snap + 1)), 700);
    sync();
  }
  function wire() {
    const ask = () => { if (ui.search.value && !api.select(ui.search.value)) ui.search.classList.add("ps-nomatch"); };
    ui.search.addEventListener("input", suggest);
    ui.search.addEventListener("change", ask);
    ui.search.addEventListener("keydown", (e) => { if (e.key === "Enter") ask(); });
    ui.threshold.addEventListener("input", () => api.setThreshold(Number(ui.threshold.value)));
    for (const k of KINDS) ui.kind[k].addEventListener("change", () => api.setKinds(KINDS.filter((x) => ui.kind[x].checked)));
    const nearChange = () => api.setNeighbourhood(ui.nearOn.checked ? Math.max(0, Math.floor(Number(ui.near.value) || 0)) : null);
    ui.nearOn.addEventListener("change", nearChange);
    ui.near.addEventListener("change", () => { ui.nearOn.checked = true; nearChange(); });
    ui.collapse.addEventListener("change", () => api.collapseHidden(ui.collapse.checked));
    if (ui.compare) ui.compare.addEventListener("change", () => api.setCompare(ui.compare.checked));
    if (ui.snap) ui.snap.addEventListener("input", () => api.setSnapshot(Number(ui.snap.value)));
    if (ui.play) ui.play.addEventListener("click", play);
    net.on("click", (params) => { if (params.nodes.length) selectIndex(params.nodes[0]); });
  }
  // ------------------------------------------------------------------ window.psGraph
  function checkKinds(kinds) {
    if (!Array.isArray(kinds) || kinds.some((k) => !KINDS.includes(k)))
      throw new TypeError(`setKinds: expected an array of clip kinds from ${JSON.stringify(KINDS)}; got ${JSON.stringify(kinds)}`);
    return new Set(kinds);
  }
  const api = {
    select(text) { const i = absent(text) ? null : M.byLabel.get(String(text)); if (i !== undefined) selectIndex(i); return i !== undefined; },
    panel: panelData,
    snapshots: () => M.n,
    snapshot: () => S.snap,
    setSnapshot(i) {
      if (!Number.isInteger(i) || i < -1 || i >= Math.max(M.n, 1))
        throw new RangeError(`setSnapshot: expected an integer from -1 (the final state) to ${M.n - 1} (${M.n} snapshots); got ${i}`);
      update({snap: i === -1 ? M.n - 1 : M.n ? i : -1, cache: new Map()});
    },
    setThreshold(p) {
      if (typeof p !== "number" || !(p >= 0 && p <= 1)) throw new RangeError(`setThreshold: expected a hopping probability in [0, 1]; got ${p}`);
      update({threshold: p});
    },
    drawn: () => ({nodes: S.drawn.nodes, edges: S.drawn.edges}),
    setKinds(kinds) { update({kinds: checkKinds(kinds)}, true); },
    setNeighbourhood(k) {
      if (k !== null && !(Number.isInteger(k) && k >= 0)) throw new RangeError(`setNeighbourhood: expected null (whole graph) or an integer k >= 0; got ${k}`);
      update({k}, true);
    },
    collapseHidden(on) { update({collapsed: Boolean(on), focus: null}, true); },
    setCompare(on) { update({compare: Boolean(on) && Boolean(M.doc.compare)}); },
    highlighted: () => ({nodes: Array.from(S.H.nodes, label), edges: Array.from(S.H.edges.values(), (e) => e.map(label))}),
    decision: () => (M.decision && {what: M.decision.what, clips: Array.from(M.decision.roles, ([i, role]) => ({label: label(i), role})),
      edges: Array.from(M.decision.edges.values(), (e) => e.map(label))}),
    state: () => ({snapshot: S.snap, threshold: S.threshold, kinds: Array.from(S.kinds), neighbourhood: S.k, collapsed: S.collapsed,
      compare: S.compare, selected: S.selected === null ? null : label(S.selected)}),
  };
  const start = () => {
    const block = document.getElementById("ps-graph-data");
    if (!block) fail('the page has no <script type="application/json" id="ps-graph-data"> block');
    if (typeof vis === "undefined") fail("vis-network is not loaded: inline it before explorer.js");
    M = indexDocument(JSON.parse(block.textContent));
    const dv = M.doc.default_view || {}, sel = absent(dv.selected) ? undefined : M.idx.get(dv.selected);
    S = {snap: M.n - 1, threshold: dv.threshold || 0, kinds: checkKinds(dv.kinds || KINDS), k: absent(dv.neighbourhood) ? null : dv.neighbourhood,
      collapsed: Boolean(dv.collapsed), compare: false, selected: sel === undefined ? null : sel, focus: null, cache: new Map(), timer: null,
      drawn: {nodes: 0, edges: 0}, nodeKey: null, scale: 1};
    buildPage();
    net = new vis.Network(ui.graph, {nodes: [], edges: []}, {physics: {enabled: false}, layout: {improvedLayout: false},
      nodes: {shape: "dot", font: {size: 14, face: "system-ui, sans-serif", strokeWidth: 4, strokeColor: "#ffffff"}},
      edges: {arrows: {to: {enabled: true, scaleFactor: 0.5}}, selectionWidth: 0, hoverWidth: 0},
      interaction: {hover: true, tooltipDelay: 120, hideEdgesOnDrag: M.edges.length > 5000}});
    api.network = net; window.psGraph = api;
    wire(); sync(); draw(true);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
}
