// The playground at GET /: a notebook on one session of the service.

import * as api from "./api.js";
import { EXAMPLES } from "./examples.js";
import { renderGraph } from "./graph.js";
import { plotFunction, plotSeries } from "./plots.js";
import { decodeCells, encodeCells } from "./share.js";
import { describe, isTensor, pyRepr, series } from "./values.js";
import "./playground.css";

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

const state = {
  session: null, // the session's reply from POST /v1/sessions
  cells: [],
  counter: 0, // execution count, as In [n]
  queue: Promise.resolve(), // runs go one at a time, in order
  variables: [],
  loading: Promise.resolve(), // an example being loaded (Run all waits for it)
  lastPlot: null, // what the plot panel shows: {kind, title, xs, lines}
};
window.playground = state; // a handle for the browser tests and the curious

// ---------------------------------------------------------------- session

function showSession(note = "") {
  const s = state.session;
  $("session").textContent = s
    ? `session ${s.id} · ${s.device}${note ? " · " + note : ""}`
    : note;
}

async function newSession(note = "") {
  try {
    state.session = await api.createSession(0);
    state.counter = 0;
    showSession(note);
  } catch (problem) {
    state.session = null;
    if (problem.status === 401) $("key-box").hidden = false;
    showSession(`no session: ${problem.message}`);
    throw problem;
  }
}

async function sessionId() {
  if (state.session === null) await newSession();
  return state.session.id;
}

// ---------------------------------------------------------------- cells

function addCell(source = "", { after = null, focus = false, plot = false, error = null } = {}) {
  const cell = { source, plot, expectedError: error, node: null, editor: null, output: null };
  const editor = el("textarea", {
    class: "editor", spellcheck: "false", rows: "1", "aria-label": "Cell source",
  });
  editor.value = source;
  const prompt = el("div", { class: "prompt" }, "In [ ]:");
  const runButton = el("button", {
    type: "button", class: "run", title: "Run (Shift+Enter)", "aria-label": "Run cell",
    onclick: () => enqueue(cell),
  }, "▶");
  const removeButton = el("button", {
    type: "button", class: "remove", title: "Delete cell", "aria-label": "Delete cell",
    onclick: () => removeCell(cell),
  }, "✕");
  const output = el("div", { class: "output" });
  const node = el("div", { class: "cell" },
    el("div", { class: "cell-in" }, prompt, editor, el("div", { class: "cell-tools" },
      runButton, removeButton)),
    output);
  Object.assign(cell, { node, editor, output, prompt });
  editor.addEventListener("input", () => { cell.source = editor.value; grow(editor); });
  editor.addEventListener("keydown", (event) => onKey(event, cell));
  const index = after === null ? state.cells.length : state.cells.indexOf(after) + 1;
  state.cells.splice(index, 0, cell);
  const before = state.cells[index + 1];
  $("cells").insertBefore(node, before ? before.node : null);
  grow(editor);
  if (focus) editor.focus();
  return cell;
}

function removeCell(cell) {
  state.cells = state.cells.filter((c) => c !== cell);
  cell.node.remove();
  if (state.cells.length === 0) addCell("", { focus: true });
}

function clearCells() {
  state.cells = [];
  $("cells").replaceChildren();
}

function grow(editor) {
  editor.style.height = "auto";
  editor.style.height = `${editor.scrollHeight + 2}px`;
}

function onKey(event, cell) {
  const editor = cell.editor;
  if (event.key === "Enter" && (event.shiftKey || event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    enqueue(cell);
    if (event.shiftKey) {
      const next = state.cells[state.cells.indexOf(cell) + 1];
      if (next) next.editor.focus();
      else addCell("", { after: cell, focus: true });
    }
  } else if (event.key === "Tab" && !event.shiftKey) {
    event.preventDefault();
    editor.setRangeText("    ", editor.selectionStart, editor.selectionEnd, "end");
    cell.source = editor.value;
  } else if (event.key === "Enter") {
    // keep the line's indentation; one level more after a colon
    const start = editor.selectionStart;
    const line = editor.value.slice(editor.value.lastIndexOf("\n", start - 1) + 1, start);
    let indent = line.match(/^\s*/)[0];
    if (/:\s*$/.test(line)) indent += "    ";
    if (indent) {
      event.preventDefault();
      editor.setRangeText("\n" + indent, start, editor.selectionEnd, "end");
      cell.source = editor.value;
      grow(editor);
    }
  }
}

// ---------------------------------------------------------------- running

function enqueue(cell) {
  cell.node.classList.add("queued");
  const done = state.queue.then(() => runCell(cell));
  state.queue = done.catch(() => {});
  return done;
}

async function runCell(cell) {
  cell.node.classList.remove("queued", "failed", "ok");
  cell.node.classList.add("running");
  cell.prompt.textContent = "In [*]:";
  cell.output.replaceChildren();
  let ok = false;
  try {
    const id = await sessionId();
    let reply;
    try {
      reply = await api.runSource(id, cell.source);
    } catch (problem) {
      if (problem.status !== 404 || problem.code !== "not_found") throw problem;
      await newSession("the old session had expired: run the cells above again");
      reply = await api.runSource(state.session.id, cell.source);
    }
    showReply(cell, reply);
    ok = true;
  } catch (problem) {
    showProblem(cell, problem);
  } finally {
    state.counter += 1;
    cell.prompt.textContent = `In [${state.counter}]:`;
    cell.node.classList.remove("running");
    cell.node.classList.add(ok ? "ok" : "failed");
  }
  await refreshVariables();
  return ok;
}

function showReply(cell, reply) {
  if (reply.printed.length) {
    cell.output.append(el("pre", { class: "printed" }, reply.printed.join("\n")));
  }
  const result = reply.result;
  if (result !== null) {
    const out = el("div", { class: "result" },
      el("span", { class: "out-prompt" }, `Out[${state.counter + 1}]:`),
      el("pre", { class: "repr" }, pyRepr(result)));
    const values = series(result);
    if (values !== null) {
      const title = `Out[${state.counter + 1}]`;
      out.append(el("button", { type: "button", class: "plot-button",
        onclick: () => showSeries(title, values) }, "plot"));
      if (cell.plot) showSeries(cell.source.includes("loss") ? "loss" : title, values);
    }
    cell.output.append(out);
  }
}

function showProblem(cell, problem) {
  const body = problem.body || {};
  if (problem.status === 401) $("key-box").hidden = false;
  const where = body.location || {};
  const box = el("div", { class: "error", role: "alert" },
    el("div", { class: "error-head" },
      el("strong", {}, body.exception || body.title || "Error"),
      el("span", { class: "error-code" }, ` ${problem.code}${body.op ? " in " + body.op : ""}`)),
    el("pre", { class: "error-detail" }, problem.message));
  if (where.line) {
    box.append(sourceListing(cell.source, where.line, where.col));
    cell.editor.dataset.errorLine = where.line;
  }
  cell.output.append(box);
}

function sourceListing(source, line, col) {
  // The cell's lines around the failing one, that line marked (and its column, when known).
  const lines = source.split("\n");
  const first = Math.max(1, line - 2);
  const last = Math.min(lines.length, line + 2);
  const listing = el("pre", { class: "listing" });
  for (let n = first; n <= last; n++) {
    const text = `${String(n).padStart(3)} │ ${lines[n - 1] ?? ""}`;
    listing.append(el("span", { class: n === line ? "line failing" : "line",
      "data-line": n }, text));
    if (n === line && col) {
      listing.append(el("span", { class: "caret" }, `${" ".repeat(col + 5)}^`));
    }
  }
  return listing;
}

async function runAll() {
  await state.loading;
  for (const cell of state.cells) {
    const ok = await enqueue(cell);
    if (!ok && !cell.expectedError) break; // as a notebook: stop at the first real error
  }
}

// ---------------------------------------------------------------- variables and graph

async function refreshVariables() {
  if (state.session === null) return;
  let info;
  try {
    info = await api.getSession(state.session.id);
  } catch {
    return;
  }
  state.variables = info.variables || [];
  const rows = state.variables.map((v) => {
    const tensor = v.kind === "tensor";
    const actions = el("td", { class: "actions" });
    if (tensor) {
      actions.append(el("button", { type: "button", title: `Draw the graph of ${v.name}`,
        onclick: () => drawGraph(v.name) }, "graph"));
    }
    return el("tr", { "data-name": v.name },
      el("td", { class: "name" }, v.name),
      el("td", {}, describe(v)),
      el("td", {}, tensor ? (v.requires_grad ? "True" : "False") : ""),
      el("td", {}, v.grad_fn || ""),
      el("td", { class: "grad" }, v.grad ? el("pre", {}, v.grad) : ""),
      actions);
  });
  $("variables").tBodies[0].replaceChildren(...rows);
  $("no-variables").hidden = rows.length > 0;
  const select = $("graph-var");
  const chosen = select.value;
  const tensors = state.variables.filter((v) => v.kind === "tensor").map((v) => v.name);
  select.replaceChildren(...tensors.map((name) => el("option", { value: name }, name)));
  if (tensors.includes(chosen)) select.value = chosen;
  else {
    const withGraph = state.variables.filter((v) => v.grad_fn).map((v) => v.name);
    if (withGraph.length) select.value = withGraph[withGraph.length - 1];
  }
}

async function drawGraph(name) {
  const target = $("graph");
  $("graph-var").value = name;
  $("graph-title").textContent = `of ${name}`;
  target.replaceChildren(el("p", { class: "muted" }, "laying out…"));
  try {
    const dot = await api.graphDot(await sessionId(), name);
    const svg = await renderGraph(dot);
    target.replaceChildren(svg);
    target.dataset.name = name;
  } catch (problem) {
    target.replaceChildren(el("p", { class: "error" }, problem.message));
  }
}

// ---------------------------------------------------------------- plots

function showSeries(title, values) {
  plotSeries($("plot"), title, values);
  state.lastPlot = { kind: "series", title, xs: values.map((_, i) => i), lines: { [title]: values } };
  $("plot-note").textContent = `${values.length} points`;
}

async function plotFx(expr, lo, hi, points = 200) {
  $("fx-expr").value = expr;
  $("fx-lo").value = lo;
  $("fx-hi").value = hi;
  const source = [
    `x = torch.linspace(${Number(lo)}, ${Number(hi)}, ${points}, requires_grad=True)`,
    `y = ${expr}`,
    "y.sum().backward()",
  ].join("\n");
  $("plot-note").textContent = "computing…";
  try {
    const reply = await api.evaluate({ source, outputs: ["x", "y"], gradients: ["x"] });
    const xs = series(reply.outputs.x);
    const ys = series(reply.outputs.y);
    const grads = series(reply.gradients.x);
    plotFunction($("plot"), expr, xs, ys, grads);
    state.lastPlot = { kind: "function", title: expr, xs, lines: { f: ys, dfdx: grads } };
    $("plot-note").textContent =
      `${points} points; df/dx is x.grad after y.sum().backward(), computed by autograd`;
  } catch (problem) {
    $("plot-note").textContent = `${problem.code}: ${problem.message}`;
  }
}

// ---------------------------------------------------------------- examples and sharing

function loadCells(cells) {
  clearCells();
  for (const cell of cells) {
    const spec = typeof cell === "string" ? { source: cell } : cell;
    addCell(spec.source, { plot: spec.plot, error: spec.error });
  }
  if (state.cells.length === 0) addCell("");
}

async function loadExample(id) {
  const example = EXAMPLES.find((e) => e.id === id);
  if (!example) return;
  await state.queue;
  await restart(false);
  loadCells(example.cells);
  history.replaceState(null, "", location.pathname + location.search);
  if (example.fx) await plotFx(example.fx.expr, example.fx.lo, example.fx.hi);
}

async function share() {
  const fragment = await encodeCells(state.cells.map((c) => c.source));
  const url = `${location.origin}${location.pathname}#${fragment}`;
  history.replaceState(null, "", `#${fragment}`);
  $("share-box").hidden = false;
  $("share-url").value = url;
  $("share-url").select();
  try {
    await navigator.clipboard.writeText(url);
    $("share-note").textContent = "copied";
  } catch {
    $("share-note").textContent = "copy it from here";
  }
}

async function restart(fresh = true) {
  const old = state.session;
  state.session = null;
  if (old !== null) api.deleteSession(old.id).catch(() => {});
  for (const cell of state.cells) {
    cell.output.replaceChildren();
    cell.prompt.textContent = "In [ ]:";
    cell.node.classList.remove("ok", "failed");
  }
  $("graph").replaceChildren();
  $("graph-title").textContent = "";
  await newSession(fresh ? "restarted" : "");
  await refreshVariables();
}

// ---------------------------------------------------------------- start

async function start() {
  const menu = $("examples");
  for (const example of EXAMPLES) menu.append(el("option", { value: example.id }, example.title));
  menu.addEventListener("change", async () => {
    const id = menu.value;
    menu.value = "";
    state.loading = loadExample(id).catch(() => {});
    await state.loading;
  });
  $("run-all").addEventListener("click", runAll);
  $("restart").addEventListener("click", () => restart(true));
  $("share").addEventListener("click", share);
  $("add-cell").addEventListener("click", () => addCell("", {
    after: state.cells[state.cells.length - 1] ?? null, focus: true }));
  $("graph-draw").addEventListener("click", () => {
    if ($("graph-var").value) drawGraph($("graph-var").value);
  });
  $("fx-form").addEventListener("submit", (event) => {
    event.preventDefault();
    plotFx($("fx-expr").value, $("fx-lo").value, $("fx-hi").value);
  });
  $("api-key-save").addEventListener("click", async () => {
    api.setApiKey($("api-key").value.trim());
    $("key-box").hidden = true;
    await newSession().catch(() => {});
  });
  window.addEventListener("beforeunload", () => {
    if (state.session !== null) {
      fetch(`/v1/sessions/${state.session.id}`, { method: "DELETE", keepalive: true,
        headers: api.apiKey() ? { "X-API-Key": api.apiKey() } : {} }).catch(() => {});
    }
  });

  let shared = null;
  try {
    shared = location.hash ? await decodeCells(location.hash) : null;
  } catch {
    shared = null;
  }
  loadCells(shared ?? ["import torch\nx = torch.arange(4.0, requires_grad=True)\nx"]);
  if (shared) showSession("cells from a share link: run them when ready");
  await newSession(shared ? "cells from a share link" : "").catch(() => {});
  document.body.dataset.ready = "true";
}

start();
