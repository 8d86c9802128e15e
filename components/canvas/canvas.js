// The model canvas: draws the layout builder/design/layout.py computed and turns clicks, drags and keys
// into one action at a time for Python (builder/session/canvas.py applies it as one undoable edit).
// Plain JavaScript, no build step and nothing fetched: Streamlit serves this file as it is.

const VIEWS = new WeakMap();           // per mounted canvas: its elements and view state
const VIEW_KEY = "builder-canvas-view"; // a view the user chose survives a remount (page switch, reload)
const READABLE = 0.8;                  // the automatic view never shrinks text below this; pan to see more
const DRAG_PX = 6;                     // a press that moves less than this is a click

export default function canvas(component) {
  const { data, parentElement, setStateValue } = component;
  let view = VIEWS.get(parentElement);
  if (!view) {
    view = mount(parentElement);
    VIEWS.set(parentElement, view);
  }
  view.send = (action) => setStateValue("action", { ...action, nonce: `${Date.now()}-${Math.random()}` });
  view.data = data || { boxes: [], edges: [], slots: [], palette: [], refused: {} };
  draw(view);
  return () => view.cleanup();
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  children.forEach((c) => node.append(c));
  return node;
}

function mount(parent) {
  const view = { k: 1, tx: 24, ty: 16, fitted: null, chosen: false };
  try {
    const saved = sessionStorage.getItem(VIEW_KEY);
    if (saved) Object.assign(view, JSON.parse(saved), { chosen: true });
  } catch (e) { /* nothing kept: fit on first draw */ }
  const bar = el("div", { class: "cv-bar", role: "toolbar", "aria-label": "Canvas tools" });
  const tool = (label, aria, fn) => bar.appendChild(el("button", { type: "button", "aria-label": aria, title: aria, text: label, onclick: fn }));
  tool("−", "Zoom out", () => zoom(view, 1 / 1.25));
  tool("+", "Zoom in", () => zoom(view, 1.25));
  tool("Fit", "Fit the whole model in view", () => { fit(view, true); choose(view); });
  view.undoBtn = tool("Undo", "Undo (Ctrl+Z)", () => view.send({ op: "undo" }));
  view.redoBtn = tool("Redo", "Redo (Ctrl+Shift+Z)", () => view.send({ op: "redo" }));
  bar.appendChild(el("span", { class: "cv-hint", text: "Click a box to edit it · + inserts · ↳ adds a head · drag to reorder" }));
  view.world = el("div", { class: "cv-world" });
  view.svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  view.svg.setAttribute("class", "cv-edges");
  view.nodes = el("div", { class: "cv-nodes" });
  view.world.append(view.svg, view.nodes);
  view.viewport = el("div", { class: "cv-view" }, view.world);
  view.live = el("div", { class: "cv-live", "aria-live": "polite" });
  view.root = el("div", {
    class: "cv", tabindex: "0", role: "application",
    "aria-label": "Model graph. Arrow keys move the selection, Enter edits it, Delete removes it, Ctrl+Z undoes.",
  }, bar, view.viewport, view.live);
  view.pal = buildPalette(view);
  view.root.appendChild(view.pal.box);
  parent.appendChild(view.root);

  const onKey = (e) => key(view, e);
  view.root.addEventListener("keydown", onKey);
  view.viewport.addEventListener("wheel", (e) => wheel(view, e), { passive: false });
  view.viewport.addEventListener("pointerdown", (e) => press(view, e));
  const resized = new ResizeObserver(() => { if (!view.chosen && view.data) fit(view, false); });
  resized.observe(view.viewport);
  view.cleanup = () => { view.root.removeEventListener("keydown", onKey); resized.disconnect(); };
  return view;
}

// ------------------------------------------------------------------ drawing

function draw(view) {
  const d = view.data;
  view.byKey = new Map(d.boxes.map((b) => [b.key, b]));
  view.undoBtn.disabled = !d.undo;
  view.redoBtn.disabled = !d.redo;
  view.svg.setAttribute("width", d.width + 40);
  view.svg.setAttribute("height", d.height + 40);
  view.svg.replaceChildren(...d.edges.map(([a, b]) => edge(view.byKey.get(a), view.byKey.get(b))));
  const items = [];
  const firstOfHead = new Map();
  for (const b of d.boxes) if (b.role === "branch" || b.role === "output") if (!firstOfHead.has(b.chain)) firstOfHead.set(b.chain, b.key);
  for (const b of d.boxes) {
    items.push(nodeBox(view, b, firstOfHead.get(b.chain) === b.key));
    if (b.role === "input" || b.role === "trunk") items.push(forkButton(view, b));
  }
  for (const s of d.slots) items.push(plusButton(view, s));
  view.nodes.replaceChildren(...items);
  // Until the user pans or zooms, the view follows the model's width (after the browser sized the viewport).
  if (!view.chosen && view.fitted !== d.width) requestAnimationFrame(() => fit(view, false));
  else if (d.selected) reveal(view, view.byKey.get(d.selected));
  apply(view);
}

function edge(a, b) {
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  if (!a || !b) return path;
  const x1 = a.x + a.w / 2, y1 = a.y + a.h, x2 = b.x + b.w / 2, y2 = b.y, m = (y1 + y2) / 2;
  path.setAttribute("d", `M${x1},${y1} C${x1},${m} ${x2},${m} ${x2},${y2}`);
  return path;
}

function title(b) {
  if (b.role === "input") return "Input";
  if (b.role === "output") return `${b.id} (output)`;
  return b.type;
}

function describe(b) {
  const where = b.role === "trunk" ? "trunk" : b.role === "input" ? "" : `head ${b.chain}`;
  const problem = b.problem ? `. Problem: ${b.problem}` : b.warning ? `. Warning: ${b.warning}` : "";
  return `${title(b)}${where ? " in " + where : ""}: ${b.lines.join(" ")}${problem}`;
}

function nodeBox(view, b, isFirstOfHead) {
  const cls = ["cv-node", b.role, b.problem ? "bad" : b.warning ? "warn" : "", view.data.selected === b.key ? "sel" : ""];
  const node = el("div", {
    class: cls.join(" "), role: "button", tabindex: "-1", "data-key": b.key, "aria-label": describe(b),
    "aria-pressed": view.data.selected === b.key ? "true" : "false", title: b.problem || b.warning || null,
    style: `left:${b.x}px;top:${b.y}px;min-height:${b.h}px`,
  }, el("div", { class: "cv-title", text: title(b) }));
  b.lines.forEach((line) => node.appendChild(el("div", { class: "cv-line", text: line })));
  if (view.data.selected === b.key && b.role !== "input") node.appendChild(actionsFor(view, b));
  if (isFirstOfHead) {
    node.appendChild(el("button", {
      type: "button", class: "cv-attach", "data-head": b.chain, style: `left:${b.w / 2 - 7}px;top:-8px`,
      "aria-label": `Attachment of head ${b.chain}: drag it onto another trunk layer to branch from there`,
      title: "drag onto a trunk layer to branch this head from it",
    }));
  }
  return node;
}

function forkButton(view, b) {
  return el("button", {
    type: "button", class: "cv-fork", text: "↳", style: `left:${b.x + b.w + 6}px;top:${b.y + 4}px`,
    "aria-label": `Add a head branching from ${b.role === "input" ? "the input" : b.id}`,
    title: "add a head that branches here",
    onclick: (e) => { e.stopPropagation(); view.send({ op: "branch", node: b.key }); },
  });
}

function plusButton(view, s) {
  const where = s.chain === "trunk" ? "the trunk" : `head ${s.chain}`;
  return el("button", {
    type: "button", class: "cv-plus", text: "+", style: `left:${s.x + (view.data.boxes[0] || { w: 240 }).w / 2 - 11}px;top:${s.y - 11}px`,
    "data-chain": s.chain, "data-index": s.index,
    "aria-label": `Insert a layer in ${where} at position ${s.index + 1}`, title: `insert a layer in ${where} here`,
    onclick: (e) => { e.stopPropagation(); openPalette(view, s, e.currentTarget); },
  });
}

const ICONS = {   // static, trusted markup: the two actions drawn on the selected box
  duplicate: '<svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true"><rect x="5" y="5" width="9" height="9" rx="1.5"/><path d="M3 11V3.5A1.5 1.5 0 0 1 4.5 2H11"/></svg>',
  delete: '<svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true"><path d="M3 4h10M6.5 4V2.5h3V4M4.5 4l.7 9.5h5.6l.7-9.5"/></svg>',
};

function actionsFor(view, b) {
  // Inside the box's top-right corner, so they never cover the "+" on the edge above it.
  const box = el("div", { class: "cv-actions" });
  const act = (op, aria) => {
    const button = el("button", {
      type: "button", "aria-label": aria, title: aria,
      onclick: (e) => { e.stopPropagation(); view.send({ op, node: b.key }); },
    });
    button.innerHTML = ICONS[op];
    box.appendChild(button);
  };
  if (b.role === "trunk" || b.role === "branch") {
    act("duplicate", `Duplicate ${b.id}`);
    act("delete", `Delete ${b.id}`);
  } else if (b.role === "output") {
    act("delete", `Delete head ${b.chain}`);
  }
  return box;
}

// ------------------------------------------------------------------ view: pan, zoom, fit

function apply(view) {
  view.world.style.transform = `translate(${view.tx}px,${view.ty}px) scale(${view.k})`;
  if (view.chosen) {
    try { sessionStorage.setItem(VIEW_KEY, JSON.stringify({ k: view.k, tx: view.tx, ty: view.ty })); } catch (e) { /* private mode */ }
  }
}

function choose(view) {
  view.chosen = true;
  apply(view);
}

function fit(view, whole) {
  const d = view.data, vw = view.viewport.clientWidth || 600, vh = view.viewport.clientHeight || 500;
  const kw = (vw - 48) / (d.width + 40), kh = (vh - 32) / (d.height + 40);
  view.k = whole ? Math.max(0.04, Math.min(1, kw, kh)) : Math.max(READABLE, Math.min(1, kw));
  view.tx = Math.max(12, (vw - (d.width + 40) * view.k) / 2);
  view.ty = 16;
  view.fitted = d.width;
  apply(view);
}

function zoom(view, factor, cx, cy) {
  const r = view.viewport.getBoundingClientRect();
  const x = cx === undefined ? r.width / 2 : cx - r.left, y = cy === undefined ? r.height / 2 : cy - r.top;
  const k = Math.max(0.04, Math.min(2.5, view.k * factor));
  view.tx = x - ((x - view.tx) * k) / view.k;
  view.ty = y - ((y - view.ty) * k) / view.k;
  view.k = k;
  choose(view);
}

function wheel(view, e) {
  if (e.ctrlKey || e.metaKey) {
    e.preventDefault();
    zoom(view, e.deltaY < 0 ? 1.1 : 1 / 1.1, e.clientX, e.clientY);
    return;
  }
  // Like a scrolling box: the wheel pans the model while there is more of it that way, then scrolls the page.
  const dx = e.shiftKey ? e.deltaY : e.deltaX, dy = e.shiftKey ? 0 : e.deltaY;
  const tx = clamp(view.tx - dx, view.viewport.clientWidth, (view.data.width + 40) * view.k);
  const ty = clamp(view.ty - dy, view.viewport.clientHeight, (view.data.height + 40) * view.k);
  if (tx === view.tx && ty === view.ty) return;
  e.preventDefault();
  view.tx = tx;
  view.ty = ty;
  choose(view);
}

function clamp(offset, room, size) {
  // The model's near edge may not leave the view's start, nor its far edge the view's end (when larger than it).
  const low = Math.min(16, room - size - 16), high = Math.max(16, room - size - 16);
  return Math.max(low, Math.min(high, offset));
}

function reveal(view, b) {
  if (!b) return;
  const vw = view.viewport.clientWidth, vh = view.viewport.clientHeight;
  const x = b.x * view.k + view.tx, y = b.y * view.k + view.ty;
  if (y < 0 || y + b.h * view.k > vh) view.ty -= y - Math.max(40, (vh - b.h * view.k) / 2);
  if (x < 0 || x + b.w * view.k > vw) view.tx -= x - Math.max(20, (vw - b.w * view.k) / 2);
}

function toWorld(view, e) {
  const r = view.viewport.getBoundingClientRect();
  return { x: (e.clientX - r.left - view.tx) / view.k, y: (e.clientY - r.top - view.ty) / view.k };
}

function boxAt(view, p, roles) {
  return view.data.boxes.find((b) => roles.includes(b.role) && p.x >= b.x && p.x <= b.x + b.w && p.y >= b.y && p.y <= b.y + b.h);
}

// ------------------------------------------------------------------ pointer: select, drag, pan

function press(view, e) {
  if (e.button !== 0 || e.target.closest(".cv-plus, .cv-fork, .cv-actions, .cv-pal")) return;
  const attach = e.target.closest(".cv-attach");
  const node = e.target.closest(".cv-node");
  const start = { x: e.clientX, y: e.clientY, tx: view.tx, ty: view.ty };
  let moved = false, ghost = null;
  view.root.focus({ preventScroll: true });
  const box = node && view.byKey.get(node.dataset.key);
  const move = (ev) => {
    const dx = ev.clientX - start.x, dy = ev.clientY - start.y;
    if (!moved && Math.hypot(dx, dy) < DRAG_PX) return;
    moved = true;
    if (attach) {
      const from = view.byKey.get(node.dataset.key), p = toWorld(view, ev);
      if (!ghost) { ghost = document.createElementNS("http://www.w3.org/2000/svg", "path"); ghost.setAttribute("class", "cv-ghost"); view.svg.appendChild(ghost); }
      ghost.setAttribute("d", `M${from.x + from.w / 2},${from.y} L${p.x},${p.y}`);
    } else if (box && box.index >= 0) {
      node.classList.add("dragging");
      node.style.transform = `translate(${dx / view.k}px,${dy / view.k}px)`;
    } else {
      view.tx = start.tx + dx; view.ty = start.ty + dy; choose(view);
    }
  };
  const up = (ev) => {
    window.removeEventListener("pointermove", move);
    window.removeEventListener("pointerup", up);
    if (ghost) ghost.remove();
    if (!moved) {
      if (box) select(view, box.key);
      return;
    }
    const p = toWorld(view, ev);
    if (attach) {
      const target = boxAt(view, p, ["input", "trunk"]);
      if (target) view.send({ op: "rebranch", head: attach.dataset.head, node: target.key });
    } else if (box && box.index >= 0) {
      node.style.transform = "";
      node.classList.remove("dragging");
      const others = view.data.boxes.filter((b) => b.chain === box.chain && b.index >= 0 && b.key !== box.key);
      const index = others.filter((b) => b.y + b.h / 2 < p.y).length;
      if (index !== box.index) view.send({ op: "move", node: box.key, index });
    }
  };
  window.addEventListener("pointermove", move);
  window.addEventListener("pointerup", up);
}

function select(view, key) {
  view.nodes.querySelectorAll(".cv-node.sel").forEach((n) => n.classList.remove("sel"));
  const node = view.nodes.querySelector(`.cv-node[data-key="${CSS.escape(key)}"]`);
  if (node) node.classList.add("sel");
  const b = view.byKey.get(key);
  if (b) view.live.textContent = `Selected ${describe(b)}`;
  view.send({ op: "select", node: key });
}

// ------------------------------------------------------------------ keyboard

function neighbour(view, b, dir) {
  const boxes = view.data.boxes.filter((o) => o.key !== b.key);
  const cy = (o) => o.y + o.h / 2;
  let pool;
  if (dir === "ArrowUp") pool = boxes.filter((o) => o.x === b.x && o.y < b.y).sort((p, q) => q.y - p.y);
  else if (dir === "ArrowDown") pool = boxes.filter((o) => o.x === b.x && o.y > b.y).sort((p, q) => p.y - q.y);
  else {
    const lanes = [...new Set(boxes.map((o) => o.x))].filter((x) => (dir === "ArrowLeft" ? x < b.x : x > b.x));
    if (!lanes.length) return null;
    const lane = dir === "ArrowLeft" ? Math.max(...lanes) : Math.min(...lanes);
    pool = boxes.filter((o) => o.x === lane).sort((p, q) => Math.abs(cy(p) - cy(b)) - Math.abs(cy(q) - cy(b)));
  }
  return pool[0] || null;
}

function key(view, e) {
  if (e.target.closest(".cv-pal")) return;
  const mod = e.ctrlKey || e.metaKey;
  const sel = view.byKey.get(view.data.selected);
  if (mod && e.key.toLowerCase() === "z") { e.preventDefault(); view.send({ op: e.shiftKey ? "redo" : "undo" }); return; }
  if (mod && e.key.toLowerCase() === "y") { e.preventDefault(); view.send({ op: "redo" }); return; }
  if (e.key.startsWith("Arrow")) {
    e.preventDefault();
    const next = sel ? neighbour(view, sel, e.key) : view.data.boxes[0];
    if (next) select(view, next.key);
  } else if (e.key === "Enter" && sel) {
    e.preventDefault();
    const target = document.querySelector(".st-key-inspector input, .st-key-inspector textarea, .st-key-inspector button");
    if (target) target.focus();
  } else if ((e.key === "Delete" || e.key === "Backspace") && sel && sel.role !== "input") {
    e.preventDefault();
    view.send({ op: "delete", node: sel.key });
  }
}
