// The explorer page: one session per tab, settings in the URL, views pushed by server-sent events.

import { SettingsForm } from "./form.js";
import { KIND_MARK, drawBoundary, drawCurves, drawSecond, drawSpectra, drawTrajectories } from "./draw.js";

const $ = (sel) => document.querySelector(sel);
let session = null, info = null, source = null, form = null, pending = null, applying = Promise.resolve();
const arrivals = [];

async function api(path, options = {}) {
  const res = await fetch(path, options);
  const type = res.headers.get("content-type") || "";
  const body = type.includes("json") ? await res.json() : await res.text();
  if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
  return body;
}

const post = (path, body) => api(path, {
  method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
});

function showError(message) {
  const box = $("#error");
  box.hidden = !message;
  box.textContent = message || "";
  form.markInvalid(message);
}

function adopt(newInfo) {
  info = newInfo;
  session = info.session;
  history.replaceState(null, "", "?" + info.query);
  $("#model-desc").textContent = `${info.model}, ${info.n_parameters} parameters`;
  $("#export").href = `/api/session/${session}/study.toml`;
  $("#checkpoint").href = `/api/session/${session}/checkpoint.pt`;
  document.body.dataset.session = session;
  document.body.dataset.query = info.query;
  listen();
}

function listen() {
  if (source) source.close();
  source = new EventSource(`/api/session/${session}/stream`);
  source.onmessage = (ev) => render(JSON.parse(ev.data));
  source.addEventListener("failure", (ev) => showError(JSON.parse(ev.data).error));
}

async function apply(values) {
  // Serialise applications: the latest form state wins; errors are shown inline and the old session stays.
  pending = values;
  applying = applying.then(async () => {
    if (pending === null) return;
    const v = pending; pending = null;
    try {
      const newInfo = session ? await post(`/api/session/${session}/settings`, v) : await post("/api/session", v);
      showError(null);
      adopt(newInfo);
    } catch (err) {
      showError(err.message);
    }
  });
  return applying;
}

async function control(action) {
  if (!session) return;
  try {
    await post(`/api/session/${session}/control`, { action });
  } catch (err) {
    showError(err.message);
  }
}

function rate(version) {
  const now = performance.now();
  arrivals.push(now);
  while (arrivals.length && now - arrivals[0] > 2000) arrivals.shift();
  const r = arrivals.length > 1 ? (arrivals.length - 1) / ((now - arrivals[0]) / 1000) : 0;
  $("#rate").dataset.rate = r.toFixed(2);
  $("#rate").textContent = `${r.toFixed(1)} updates/s`;
}

function render(view) {
  if (!info || view.session !== session) return;
  const status = $("#status");
  status.dataset.status = view.status;
  status.dataset.epoch = view.epoch;
  const acc = view.curves.test_accuracy.at(-1);
  status.textContent = `${view.status}: epoch ${view.epoch}/${view.epochs}` + (acc != null ? `, test acc ${acc.toFixed(3)}` : "");
  if (view.error) showError(view.error);
  const boundary = $("#boundary");
  drawBoundary(boundary, view, info);
  boundary.dataset.version = view.version;
  boundary.dataset.generation = view.generation;
  boundary.dataset.epoch = view.epoch;
  drawSecond($("#second"), view);
  $("#second-label").textContent = view.second.label;
  if (view.second.n_layers) {  // the layer slider spans the model's hidden layers (0: the last)
    const slider = $("#f-layer");
    slider.max = String(view.second.n_layers);
    $("#f-layer-value").textContent = slider.value === "0" ? `last (${view.second.n_layers})` : slider.value;
  }
  drawCurves($("#curves"), view.curves);
  drawSpectra($("#spectra"), view.spectra);
  renderAnalysis(view);
  rate(view.version);
}

let lastView = null;
setInterval(() => lastView && lastView.analysis && !lastView.analysis.error && ageLine(lastView), 1000);

function ageLine(view) {
  const a = view.analysis, busy = view.analysis_running ? "; computing a newer one ..." : "";
  const age = (Date.now() / 1000 - a.computed_at).toFixed(0);
  $("#analysis-age").textContent = `analysis of epoch ${a.epoch} (${a.seconds} s to compute, ${age} s ago${busy})`;
}

function renderAnalysis(view) {
  lastView = view;
  const a = view.analysis, list = $("#critical-points");
  if (!a) { $("#analysis-age").textContent = view.analysis_running ? "computing the first analysis ..." : "no analysis yet"; return; }
  if (a.error) { $("#analysis-age").textContent = a.error; return; }
  ageLine(view);
  $("#cp-summary").textContent = a.summary;
  list.replaceChildren(...a.critical_points.map((cp) => {
    const li = document.createElement("li");
    li.dataset.kind = cp.kind;
    li.textContent = `${KIND_MARK[cp.kind] || ""} ${cp.kind} at (${cp.x.toFixed(3)}, ${cp.y.toFixed(3)}), f = ${cp.value.toFixed(3)}, index ${cp.index}${cp.continuum ? ", continuum" : ""}`;
    return li;
  }));
  list.dataset.count = a.critical_points.length;
  list.dataset.version = a.version;
  list.dataset.epoch = a.epoch;
  list.dataset.generation = view.generation;
  const t = $("#tunnel");
  t.dataset.status = a.tunnel ? a.tunnel.status : "none";
  t.dataset.width = a.tunnel?.narrowest_width ?? "";
  t.textContent = a.tunnel ? a.tunnel.summary : (a.notes || []).join("; ");
  const th = $("#theory");
  th.textContent = a.verdict;
  th.dataset.agree = String(a.agree);
  th.dataset.theoryClass = a.theory["class"];
  $("#theorems").textContent = `theorems: ${a.theory.theorems.join(", ") || "n/a"}; effective widths ${a.theory.effective_widths.join("-")}`;
  $("#explanation").textContent = a.theory.explanation;
  const box = $("#trajectories-box");
  box.hidden = !a.trajectories;
  if (a.trajectories) drawTrajectories($("#trajectories"), a.trajectories);
}

async function uploadCsv(file) {
  $("#csv-status").textContent = "uploading ...";
  try {
    const res = await api(`/api/upload?name=${encodeURIComponent(file.name)}`, { method: "POST", body: file });
    $("#f-upload").value = res.token;
    $("#csv-status").textContent = `${res.name}: ${res.n_points} points`;
    showError(null);
    await apply(form.read());
  } catch (err) {
    $("#csv-status").textContent = "";
    showError(err.message);
  }
}

async function main() {
  const opts = await api("/api/options");
  form = new SettingsForm($("#controls"), opts, (values) => apply(values));
  const query = Object.fromEntries(new URLSearchParams(location.search));
  const start = Object.keys(query).length ? query : opts.defaults;
  form.fill({ ...opts.defaults, ...start });
  try {
    adopt(await post("/api/session", start));
    form.fill(info.settings);
  } catch (err) {
    showError(err.message);  // a bad shared link: show why, and start from the defaults
    adopt(await post("/api/session", opts.defaults));
    form.fill(info.settings);
  }
  for (const action of ["play", "pause", "step", "reset"]) $("#" + action).addEventListener("click", () => control(action));
  $("#csv-file").addEventListener("change", (ev) => ev.target.files[0] && uploadCsv(ev.target.files[0]));
  $("#copy-link").addEventListener("click", () => navigator.clipboard?.writeText(location.href));
  window.addEventListener("beforeunload", () => navigator.sendBeacon?.(`/api/session/${session}/close`));
  document.body.dataset.ready = "true";
}

main();
