// Oogst's own JavaScript: live progress, drag-and-drop upload, play the recording from a transcript line.
"use strict";

function clock(s) {
  s = Math.round(s);
  const m = Math.floor(s / 60), r = s % 60;
  return m + ":" + String(r).padStart(2, "0");
}

function watchProgress() {
  const box = document.getElementById("progress");
  if (!box) return;
  const labels = JSON.parse(document.getElementById("labels").textContent);
  const status = document.getElementById("status"), bar = document.getElementById("bar");
  const detail = document.getElementById("detail"), lines = document.getElementById("lines");
  async function poll() {
    let state;
    try {
      state = await (await fetch(box.dataset.url, {credentials: "same-origin"})).json();
    } catch (e) { setTimeout(poll, 2000); return; }
    status.textContent = labels[state.status] || "";
    status.className = "badge " + state.status;
    const p = state.progress || {};
    const done = new Set([...(state.stages || []), ...(p.done || []), ...(p.skipped || [])]);
    document.querySelectorAll("#stages li").forEach(li => {
      li.classList.toggle("done", done.has(li.dataset.stage));
      li.classList.toggle("active", state.status === "running" && p.stage === li.dataset.stage);
    });
    const worker = document.getElementById("worker");
    if (worker) worker.textContent = state.status === "running" && state.worker ? labels.on_worker + " " + state.worker : "";
    if (state.status === "running" && p.stage) {
      bar.hidden = false;
      bar.value = p.fraction || 0;
      let text = Math.round(100 * (p.fraction || 0)) + "%";
      if (p.total_seconds) text += " · " + clock((p.fraction || 0) * p.total_seconds) + " / " + clock(p.total_seconds) + " " + labels.audio;
      if (p.eta != null) text += " · " + labels.eta + " " + clock(p.eta);
      detail.textContent = text;
    } else if (state.status === "queued") {
      bar.hidden = true;
      detail.textContent = state.ahead ? state.ahead + " " + labels.ahead : "";
    } else {
      bar.hidden = true;
      detail.textContent = "";
    }
    lines.replaceChildren(...(state.lines || []).map(l => {
      const para = document.createElement("p");
      para.textContent = clock(l.start) + "  " + l.text;
      return para;
    }));
    if (state.status === "failed" && state.error && !document.getElementById("job-error")) {
      const err = document.createElement("p");
      err.className = "problem"; err.id = "job-error"; err.textContent = state.error;
      box.appendChild(err);
    }
    if (state.status === "done" && box.dataset.status !== "done") { location.reload(); return; }
    if (state.status === "queued" || state.status === "running") setTimeout(poll, 1000);
  }
  if (box.dataset.status === "queued" || box.dataset.status === "running") poll();
}

function dragAndDrop() {
  const drop = document.getElementById("drop"), input = document.getElementById("file");
  if (!drop || !input) return;
  ["dragenter", "dragover"].forEach(e => drop.addEventListener(e, ev => { ev.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach(e => drop.addEventListener(e, ev => { ev.preventDefault(); drop.classList.remove("over"); }));
  drop.addEventListener("drop", ev => { if (ev.dataTransfer.files.length) input.files = ev.dataTransfer.files; });
}

function uploadWithProgress() {
  // A recording can be gigabytes: show how far the upload is, then follow the server's redirect (or its error page).
  const form = document.getElementById("upload-form"), bar = document.getElementById("upload-progress");
  if (!form || !bar || !window.XMLHttpRequest) return;
  form.addEventListener("submit", ev => {
    ev.preventDefault();
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    bar.hidden = false;
    form.querySelector("button[type=submit]").disabled = true;
    xhr.upload.addEventListener("progress", e => { if (e.lengthComputable) bar.value = e.loaded / e.total; });
    xhr.addEventListener("load", () => {
      if (xhr.status < 400 && xhr.responseURL && xhr.responseURL !== form.action) { location.href = xhr.responseURL; return; }
      document.open(); document.write(xhr.responseText); document.close();
    });
    xhr.addEventListener("error", () => { form.submit(); });
    xhr.send(new FormData(form));
  });
}

function playFromLines() {
  const player = document.getElementById("player");
  if (!player) return;
  document.querySelectorAll("[data-start]").forEach(el => el.addEventListener("click", () => {
    player.currentTime = parseFloat(el.dataset.start);
    player.play();
  }));
}

function markCurrentTab() {
  document.querySelectorAll(".tabs a").forEach(a => { if (a.getAttribute("href") === location.pathname) a.setAttribute("aria-current", "page"); });
}

function submitOnce() {
  // A double click would send the same change twice; the second, made on the page before the first, is refused.
  document.querySelectorAll("form[method=post]").forEach(form => {
    if (form.id === "upload-form") return;
    form.addEventListener("submit", () => {
      setTimeout(() => form.querySelectorAll("button[type=submit]").forEach(b => { b.disabled = true; }), 0);
    });
  });
}

function showProblem() {
  // A form that came back with a problem: bring it into view, select the pasted line that was wrong.
  const problem = document.getElementById("problem");
  if (problem && problem.scrollIntoView) problem.scrollIntoView({block: "center"});
  const box = document.querySelector("textarea[data-bad-line]");
  if (!box) return;
  const lines = box.value.split("\n"), n = parseInt(box.dataset.badLine, 10) - 1;
  if (!(n >= 0 && n < lines.length)) return;
  const start = lines.slice(0, n).reduce((sum, line) => sum + line.length + 1, 0);
  box.focus();
  box.setSelectionRange(start, start + lines[n].length);
}

// A page from the back/forward cache would show the session as it was before a send or a delete: ask again.
window.addEventListener("pageshow", ev => { if (ev.persisted) location.reload(); });

document.addEventListener("DOMContentLoaded", () => { watchProgress(); dragAndDrop(); uploadWithProgress(); playFromLines(); markCurrentTab(); submitOnce(); showProblem(); });
