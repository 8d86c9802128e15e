// The canvas's palette: search layer types by name or description, grouped by category; a type the
// registry's shape rules refuse at that "+" is greyed out with the reason.  Appended to canvas.js by
// components/canvas/__init__.py (one module for Streamlit; function declarations are shared).

// ------------------------------------------------------------------ palette

function buildPalette(view) {
  const search = el("input", { type: "search", placeholder: "Search layers", "aria-label": "Search layer types" });
  const close = el("button", { type: "button", class: "cv-close", text: "Close", "aria-label": "Close the palette" });
  const where = el("div", { class: "cv-pal-where" });
  const msg = el("div", { class: "cv-pal-msg", role: "alert" });
  const list = el("div", { class: "cv-pal-list" });
  const box = el("div", { class: "cv-pal", hidden: true, role: "dialog", "aria-label": "Insert a layer" },
    el("div", { class: "cv-pal-head" }, search, close), where, msg, list);
  const pal = { box, search, where, msg, list, slot: null };
  const hide = () => { box.hidden = true; view.root.focus({ preventScroll: true }); };
  close.addEventListener("click", hide);
  search.addEventListener("input", () => fill(view));
  box.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { e.preventDefault(); hide(); }
    if (e.key === "Enter" && e.target === search) {
      e.preventDefault();
      const first = list.querySelector(".cv-item:not(.refused)");
      if (first) first.click();
    }
  });
  box.addEventListener("pointerdown", (e) => e.stopPropagation());
  pal.hide = hide;
  return pal;
}

function openPalette(view, slot, button) {
  const pal = view.pal;
  pal.slot = slot;
  pal.search.value = "";
  pal.msg.textContent = "";
  pal.where.textContent = `Insert into ${slot.chain === "trunk" ? "the trunk" : "head " + slot.chain} at position ${slot.index + 1} (receives ${slot.shape})`;
  fill(view);
  const r = view.root.getBoundingClientRect(), b = button.getBoundingClientRect();
  pal.box.hidden = false;
  pal.box.style.left = `${Math.max(4, Math.min(b.right - r.left + 8, r.width - pal.box.offsetWidth - 4))}px`;
  pal.box.style.top = `${Math.max(40, Math.min(b.top - r.top - 20, r.height - pal.box.offsetHeight - 4))}px`;
  pal.search.focus();
}

function fill(view) {
  const pal = view.pal, q = pal.search.value.trim().toLowerCase();
  const refused = view.data.refused[pal.slot.shape] || {};
  const out = [];
  for (const group of view.data.palette) {
    const types = group.types.filter(([name, text]) => !q || name.toLowerCase().includes(q) || text.toLowerCase().includes(q));
    if (!types.length) continue;
    out.push(el("div", { class: "cv-cat", text: group.category }));
    for (const [name, text] of types) {
      const reason = refused[name];
      out.push(el("button", {
        type: "button", class: `cv-item${reason ? " refused" : ""}`, "data-type": name,
        "aria-disabled": reason ? "true" : null, title: reason || text,
        "aria-label": reason ? `${name}: cannot go here. ${reason}` : `${name}: ${text}`,
        onclick: () => {
          if (reason) { pal.msg.textContent = `${name} cannot go here: ${reason}`; return; }
          pal.hide();
          view.send({ op: "insert", chain: pal.slot.chain, index: pal.slot.index, type: name });
        },
      }, el("b", { text: name }), el("span", { text: reason ? `cannot go here: ${reason}` : text })));
    }
  }
  pal.list.replaceChildren(...(out.length ? out : [el("div", { class: "cv-pal-where", text: "No layer type matches." })]));
}
