// Oogst's own JavaScript: live progress (server-sent events), drag-and-drop upload, play the recording from a transcript line,
// a participant's answers saved as they are given.
"use strict";

function clock(s) {
  s = Math.round(s);
  const m = Math.floor(s / 60), r = s % 60;
  return m + ":" + String(r).padStart(2, "0");
}

function watchProgress() {
  // Server-sent events (text/event-stream) while a job is queued or running; polling where EventSource is missing.
  const box = document.getElementById("progress");
  if (!box) return;
  const labels = JSON.parse(document.getElementById("labels").textContent);
  const status = document.getElementById("status"), bar = document.getElementById("bar");
  const detail = document.getElementById("detail"), lines = document.getElementById("lines");
  const live = s => s === "queued" || s === "running";
  function show(state) {
    const stopping = state.stopping && (state.control === "pause" ? labels.pausing : labels.cancelling);
    status.textContent = stopping || labels[state.status] || "";
    status.className = "badge " + state.status + (stopping ? " stopping" : "");
    const p = state.progress || {};
    const done = new Set([...(state.stages || []), ...(p.done || []), ...(p.skipped || [])]);
    document.querySelectorAll("#stages li").forEach(li => {
      li.classList.toggle("done", done.has(li.dataset.stage));
      li.classList.toggle("active", state.status === "running" && p.stage === li.dataset.stage);
    });
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
    // over, paused, or asked to stop: the page as the server renders it now (its buttons and notes change)
    const changed = (live(state.status) ? !live(box.dataset.status) : state.status !== box.dataset.status)
      || String(!!state.stopping) !== box.dataset.stopping;
    if (changed) { location.reload(); return false; }
    return live(state.status);
  }
  const controls = document.getElementById("job-controls");
  if (controls) controls.addEventListener("submit", ev => {
    // Pause or cancel: say at once that it was asked; the page then follows the job to its new state.
    const asked = ev.submitter && ev.submitter.id === "pause-job" ? labels.pausing
      : ev.submitter && ev.submitter.id === "cancel-job" ? labels.cancelling : null;
    if (asked) { status.textContent = asked; status.classList.add("stopping"); }
  });
  if (!live(box.dataset.status)) return;
  if (window.EventSource && box.dataset.events) {
    const events = new EventSource(box.dataset.events);
    events.onmessage = e => { if (!show(JSON.parse(e.data))) events.close(); };
    return;
  }
  async function poll() {
    let state;
    try {
      state = await (await fetch(box.dataset.url, {credentials: "same-origin"})).json();
    } catch (e) { setTimeout(poll, 2000); return; }
    if (show(state)) setTimeout(poll, 1000);
  }
  poll();
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

function playFromLink() {
  // A link to a moment (`moment_href`: ...?at=SECONDS#tN, from the summary on the overview page): the player
  // starts there. A browser that refuses to play unasked still has it at that moment for the play button.
  const player = document.getElementById("player");
  const at = parseFloat(new URLSearchParams(location.search).get("at"));
  if (!player || !(at >= 0)) return;
  const go = () => {
    player.currentTime = at;
    const playing = player.play();
    if (playing && playing.catch) playing.catch(() => {});
  };
  if (player.readyState >= 1) go(); else player.addEventListener("loadedmetadata", go, {once: true});
}

function markCurrentTab() {
  document.querySelectorAll(".tabs a").forEach(a => { if (a.getAttribute("href") === location.pathname) a.setAttribute("aria-current", "page"); });
}

function submitOnce() {
  // A double click would send the same change twice; the second, made on the page before the first, is refused.
  document.querySelectorAll("form[method=post]").forEach(form => {
    if (form.id === "upload-form" || form.hasAttribute("data-autosave")) return;
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

function watchMeaning() {
  // The search page: the meaning results come from the worker (it has the sentence encoder loaded); ask for them
  // until they are there, under the word results the page already shows. After 20 s say why it takes long.
  const box = document.getElementById("meaning-results");
  if (!box || !box.dataset.url) return;
  const began = Date.now();
  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin", cache: "no-store"}).then(r => {
      const wait = document.getElementById("meaning-wait");
      if (r.status === 200) return r.text().then(html => {
        const list = document.createElement("div");
        list.id = "meaning-list";
        list.innerHTML = html;  // rendered and escaped by the server
        if (wait) wait.replaceWith(list);
      });
      if (Date.now() - began > 20000 && wait) wait.textContent = box.dataset.waiting;
      if (Date.now() - began < 120000) setTimeout(poll, Date.now() - began > 20000 ? 3000 : 400);
    }).catch(() => setTimeout(poll, 3000));
  }
  poll();
}

function autosave() {
  // The participant's page: each form (an insight, an action point, "Mist er iets?") is posted as it is answered,
  // a choice at once, a text when the field is left, and "Bewaard." shows without leaving the page. The same POST as
  // without JavaScript; when it fails the form is sent the plain way, so nothing is lost.
  document.querySelectorAll("form[data-autosave]").forEach(form => {
    const button = form.querySelector("button[type=submit]");
    let sent = null, last = Promise.resolve();  // one post of a form at a time, in the order given: a slow earlier
                                                // post must not arrive after, and undo, a later one
    function say(text) {
      if (!button) return;
      const id = button.id.replace(/^save-/, "saved-");
      let note = document.getElementById(id);
      if (!note) {
        note = document.createElement("span");
        note.id = id;
        note.className = "saved";
        note.setAttribute("role", "status");
        button.after(note);
      }
      note.textContent = text;
    }
    function save() {
      const body = new URLSearchParams(new FormData(form));
      if (sent === body.toString()) return last;
      sent = body.toString();
      say("…");
      last = last.then(() => fetch(form.action, {method: "POST", body: body, credentials: "same-origin",
                                                 cache: "no-store", headers: {"Accept": "application/json"}})
        .then(r => r.ok ? r.json() : Promise.reject(r.status))
        .then(answer => { if (sent === body.toString()) say(answer.message); })
        .catch(() => { sent = null; HTMLFormElement.prototype.submit.call(form); }));
      return last;
    }
    form.addEventListener("submit", ev => { ev.preventDefault(); save(); });
    form.querySelectorAll("input[type=radio]").forEach(input => input.addEventListener("change", save));
    form.querySelectorAll("textarea").forEach(box => {
      box.addEventListener("change", save);
      box.addEventListener("input", () => { sent = null; say(""); });
    });
  });
}

// A page from the back/forward cache would show the session as it was before a send or a delete: ask again.
window.addEventListener("pageshow", ev => { if (ev.persisted) location.reload(); });

document.addEventListener("DOMContentLoaded", () => { watchProgress(); dragAndDrop(); uploadWithProgress(); playFromLines(); playFromLink(); markCurrentTab(); submitOnce(); showProblem(); watchMeaning(); autosave(); });
