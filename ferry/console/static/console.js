// Ferry console: progressive enhancement only (every page works without it, uploads aside).
"use strict";
(function () {
  const root = document.documentElement;
  const stored = localStorage.getItem("ferry-theme");
  if (stored) root.dataset.theme = stored;
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const MULTIPART_THRESHOLD = 16 * 1024 * 1024;
  const PART_SIZE = 8 * 1024 * 1024;

  function toggleTheme() {
    const dark = root.dataset.theme ? root.dataset.theme === "dark"
      : matchMedia("(prefers-color-scheme: dark)").matches;
    root.dataset.theme = dark ? "light" : "dark";
    localStorage.setItem("ferry-theme", root.dataset.theme);
  }

  function send(method, url, body, headers, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader("x-csrf-token", csrf());
      xhr.setRequestHeader("accept", "application/json");
      for (const [name, value] of Object.entries(headers || {})) xhr.setRequestHeader(name, value);
      if (onProgress) xhr.upload.onprogress = (e) => onProgress(e.loaded);
      xhr.onload = () => {
        let answer = {};
        try { answer = JSON.parse(xhr.responseText || "{}"); } catch (e) { answer = {}; }
        if (xhr.status >= 200 && xhr.status < 300) resolve(answer);
        else reject(new Error((answer.code || xhr.status) + ": " + (answer.message || xhr.statusText)));
      };
      xhr.onerror = () => reject(new Error("network error"));
      xhr.send(body);
    });
  }

  async function uploadOne(base, key, file, report) {
    const q = "?key=" + encodeURIComponent(key);
    const type = file.type || "application/octet-stream";
    if (file.size < MULTIPART_THRESHOLD) {
      return send("PUT", base + "/upload" + q, file, { "content-type": type }, report);
    }
    const { upload_id } = await send("POST", base + "/multipart" + q, null, { "x-upload-content-type": type });
    const parts = [];
    for (let offset = 0, n = 1; offset < file.size; offset += PART_SIZE, n++) {
      const blob = file.slice(offset, offset + PART_SIZE);
      const url = base + "/multipart" + q + "&uploadId=" + encodeURIComponent(upload_id) + "&partNumber=" + n;
      const { etag } = await send("PUT", url, blob, {}, (loaded) => report(offset + loaded));
      parts.push({ part: n, etag });
    }
    return send("POST", base + "/multipart" + q + "&uploadId=" + encodeURIComponent(upload_id),
      JSON.stringify(parts), { "content-type": "application/json" });
  }

  async function uploadAll(zone, files) {
    const mount = document.querySelector('link[rel="stylesheet"]').href.split("/static/")[0];
    const base = mount + "/buckets/" + zone.dataset.bucket;
    const box = document.getElementById("upload-progress");
    let failed = false;
    for (const file of files) {
      const key = zone.dataset.prefix + (file.webkitRelativePath || file.name);
      const row = document.createElement("div");
      row.innerHTML = '<progress max="100" value="0"></progress><span class="mono"></span><span class="state muted">uploading</span>';
      row.querySelector(".mono").textContent = key;
      box.appendChild(row);
      const bar = row.querySelector("progress");
      try {
        await uploadOne(base, key, file, (done) => { bar.value = file.size ? 100 * done / file.size : 100; });
        bar.value = 100;
        row.querySelector(".state").textContent = "done";
        row.classList.add("uploaded");
      } catch (error) {
        failed = true;
        row.querySelector(".state").textContent = error.message;
        row.querySelector(".state").className = "state error";
      }
    }
    if (!failed) location.reload();
  }

  function refreshFragments() {
    for (const el of document.querySelectorAll("[data-refresh]")) {
      setTimeout(async () => {
        const answer = await fetch(location.href, { headers: { "x-console-fragment": "1" } });
        if (!answer.ok) return;
        const holder = document.createElement("div");
        holder.innerHTML = await answer.text();
        const fresh = holder.querySelector("#" + el.id);
        if (fresh) { el.replaceWith(fresh); refreshFragments(); }
      }, Number(el.dataset.refresh));
    }
  }

  // The failures page's backlog: polled every 2 s, the table refreshed, the chart extended.
  const BACKLOG_POLL_MS = 2000, BACKLOG_SAMPLES = 30;
  function size(bytes) {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let value = bytes, unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
    return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
  }
  function watchBacklog(section) {
    const samples = [];
    const esc = (v) => String(v).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
    async function poll() {
      try {
        const answer = await fetch(section.dataset.backlog, { headers: { accept: "application/json" } });
        if (!answer.ok) return;
        const { rules } = await answer.json();
        const body = section.querySelector("#backlog-table tbody");
        const seconds = (v, digits) => (v === null || v === undefined ? "—" : v.toFixed(digits) + " s");
        body.innerHTML = rules.length ? rules.map((r) => `<tr data-rule="${esc(r.rule_id)}"><td>${esc(r.rule_id)}</td><td>${r.pending}</td><td>${size(r.pending_bytes)}</td><td>${r.retrying}</td><td>${seconds(r.oldest_pending_s, 1)}</td><td>${r.failed}</td><td>${r.replicated}</td><td>${r.latency_p50_s === null ? "—" : seconds(r.latency_p50_s, 2) + " / " + seconds(r.latency_p99_s, 2)}</td></tr>`).join("")
          : '<tr><td colspan="8" class="muted">Nothing owed: every replication is done.</td></tr>';
        samples.push({ pending: rules.reduce((n, r) => n + r.pending, 0), failed: rules.reduce((n, r) => n + r.failed, 0) });
        if (samples.length > BACKLOG_SAMPLES) samples.shift();
        const top = Math.max(1, ...samples.map((s) => Math.max(s.pending, s.failed)));
        // Right-aligned: the newest sample at the right edge; one sample draws a flat line.
        const shown = samples.length === 1 ? [samples[0], samples[0]] : samples;
        const x = (i) => (600 - 600 * (shown.length - 1 - i) / (BACKLOG_SAMPLES - 1)).toFixed(1);
        const line = (name) => shown.map((s, i) => `${x(i)},${(115 - 110 * s[name] / top).toFixed(1)}`).join(" ");
        section.querySelector(".line-pending").setAttribute("points", line("pending"));
        section.querySelector(".line-failed").setAttribute("points", line("failed"));
        section.querySelector("#backlog-scale").textContent = `(scale 0–${top}, last ${samples.length * BACKLOG_POLL_MS / 1000} s)`;
      } finally { setTimeout(poll, BACKLOG_POLL_MS); }
    }
    poll();
  }

  // The rule editor's live check (PutBucketReplication's document checks, its messages).
  function validateLive(form) {
    const out = document.getElementById("rule-validation");
    let timer = null;
    const check = async () => {
      const answer = await fetch(out.dataset.validate, {
        method: "POST", body: new URLSearchParams(new FormData(form)),
        headers: { "x-csrf-token": csrf(), accept: "application/json" },
      });
      const verdict = await answer.json().catch(() => ({}));
      out.className = "validation " + (verdict.ok ? "valid" : "invalid");
      out.textContent = verdict.ok ? "✓ PutBucketReplication would accept this document"
        : (verdict.code || answer.status) + ": " + (verdict.message || "");
    };
    form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(check, 350); });
  }

  // The object's tag editor: rows of key=value inputs, named tag_key_N / tag_value_N.
  function editTags(form) {
    const rows = form.querySelector("#tag-rows");
    let next = rows.children.length;
    // The last row is emptied, not removed: "Add tag" clones a row.
    const wire = (row) => row.querySelector(".remove-tag").addEventListener("click", () => {
      if (rows.children.length > 1) row.remove();
      else for (const input of row.querySelectorAll("input")) input.value = "";
    });
    for (const row of rows.children) wire(row);
    form.querySelector("#add-tag").addEventListener("click", () => {
      const row = rows.lastElementChild.cloneNode(true);
      const [key, value] = row.querySelectorAll("input");
      key.name = "tag_key_" + next; value.name = "tag_value_" + next;
      key.value = ""; value.value = "";
      row.dataset.index = String(next++);
      rows.appendChild(row); wire(row); key.focus();
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const tagEditor = document.getElementById("tag-editor");
    if (tagEditor) editTags(tagEditor);
    const editor = document.getElementById("editor");
    if (editor) validateLive(editor);
    const backlog = document.getElementById("backlog");
    if (backlog) watchBacklog(backlog);
    const toggle = document.getElementById("theme-toggle");
    if (toggle) toggle.addEventListener("click", toggleTheme);
    for (const form of document.querySelectorAll("form[data-confirm]")) {
      form.addEventListener("submit", (e) => { if (!confirm(form.dataset.confirm)) e.preventDefault(); });
    }
    const zone = document.getElementById("upload-zone");
    if (zone) {
      for (const id of ["upload-files", "upload-folder"]) {
        document.getElementById(id).addEventListener("change", (e) => uploadAll(zone, e.target.files));
      }
      zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
      zone.addEventListener("dragleave", () => zone.classList.remove("over"));
      zone.addEventListener("drop", (e) => { e.preventDefault(); zone.classList.remove("over"); uploadAll(zone, e.dataTransfer.files); });
    }
    const status = document.getElementById("replication-status");
    if (status && status.textContent.trim() === "PENDING") {
      // Follow the status until it settles, but never over edits the user has not saved yet.
      let edited = false;
      document.addEventListener("input", () => { edited = true; });
      setTimeout(() => { if (!edited) location.reload(); }, 1500);
    }
    for (const cell of document.querySelectorAll("[data-epoch-ms]")) {
      cell.textContent = new Date(Number(cell.dataset.epochMs)).toISOString().replace(".000", "");
    }
    refreshFragments();
  });
  document.addEventListener("keydown", (e) => {
    if (e.target.closest("input, textarea, select") || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "t") toggleTheme();
    if (e.key === "/") { const first = document.querySelector("main input:not([type=hidden])"); if (first) { e.preventDefault(); first.focus(); } }
  });
})();
