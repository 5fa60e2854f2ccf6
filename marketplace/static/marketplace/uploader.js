// The portal's uploader: files go from the browser straight to object storage through presigned
// multipart part URLs (the web server never holds the bytes). Upload state lives in localStorage,
// so after a reload or a network failure the same files resume: the server lists the parts storage
// already holds and only the missing ones are sent. Then the server verifies, signs and publishes.
(() => {
  "use strict";
  const root = document.getElementById("uploader");
  if (!root) return;

  const api = root.dataset.api;
  const stateKey = "slm-upload:" + root.dataset.repo;
  const PARALLEL = 3;
  const RETRIES = 2;
  const $ = (id) => document.getElementById(id);
  const list = $("file-list");
  const startButton = $("start");
  const cancelButton = $("cancel");
  const result = $("result");
  let items = []; // {file, path, row, sent}
  let inflight = new Set();
  let cancelled = false;

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function call(method, url, body) {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = { error: response.statusText }; }
    if (!response.ok) {
      const error = new Error(data.error || ("HTTP " + response.status));
      error.data = data;
      throw error;
    }
    return data;
  }

  const saved = () => JSON.parse(localStorage.getItem(stateKey) || "null");
  const save = (state) => localStorage.setItem(stateKey, JSON.stringify(state));
  const forget = () => localStorage.removeItem(stateKey);
  if (saved() && saved().draft) $("resume-notice").hidden = false;

  function human(bytes) {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i++; }
    return bytes.toFixed(i ? 1 : 0) + " " + units[i];
  }

  function setFiles(entries) {
    items = entries.filter((e) => !e.path.split("/").some((s) => s.startsWith(".")));
    list.replaceChildren();
    for (const item of items) {
      const row = document.createElement("li");
      row.dataset.path = item.path;
      const name = document.createElement("span");
      name.className = "mono break";
      name.textContent = item.path + " (" + human(item.file.size) + ")";
      const bar = document.createElement("progress");
      bar.max = Math.max(item.file.size, 1);
      bar.value = 0;
      bar.setAttribute("aria-label", "Progress of " + item.path);
      const state = document.createElement("span");
      state.className = "state small";
      state.textContent = "waiting";
      row.append(name, bar, state);
      list.append(row);
      item.row = row;
      item.sent = 0;
    }
    startButton.disabled = items.length === 0;
    updateTotal();
  }

  function fromInput(input) {
    const entries = [];
    for (const file of input.files) {
      const relative = file.webkitRelativePath || file.name;
      // A chosen folder's own name is not part of the repository paths.
      const path = file.webkitRelativePath ? relative.split("/").slice(1).join("/") : relative;
      entries.push({ file, path });
    }
    setFiles(entries);
  }
  for (const input of [$("pick-folder"), $("pick-files")]) {
    input.addEventListener("change", (e) => fromInput(e.target));
    // This script is deferred: files chosen while the page was still loading fired their change
    // event before anyone listened, so take them now.
    if (input.files.length) fromInput(input);
  }

  // Drag and drop of files and whole folders (FileSystemEntry traversal).
  const zone = $("drop-zone");
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", async (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    const entries = [];
    const walk = async (entry, prefix) => {
      if (entry.isFile) {
        const file = await new Promise((ok, ko) => entry.file(ok, ko));
        entries.push({ file, path: prefix + entry.name });
      } else if (entry.isDirectory) {
        const reader = entry.createReader();
        let batch;
        do {
          batch = await new Promise((ok, ko) => reader.readEntries(ok, ko));
          for (const child of batch) await walk(child, prefix + entry.name + "/");
        } while (batch.length);
      }
    };
    const roots = [...e.dataTransfer.items].map((i) => i.webkitGetAsEntry()).filter(Boolean);
    for (const entry of roots) {
      if (roots.length === 1 && entry.isDirectory) {
        const reader = entry.createReader();
        let batch;
        do {
          batch = await new Promise((ok, ko) => reader.readEntries(ok, ko));
          for (const child of batch) await walk(child, "");
        } while (batch.length);
      } else {
        await walk(entry, "");
      }
    }
    setFiles(entries);
  });

  function updateTotal() {
    const total = items.reduce((n, i) => n + i.file.size, 0);
    const sent = items.reduce((n, i) => n + i.sent, 0);
    $("total-progress").max = Math.max(total, 1);
    $("total-progress").value = sent;
    $("total-text").textContent = human(sent) + " of " + human(total);
  }

  function mark(item, text, cls) {
    item.row.querySelector(".state").textContent = text;
    if (cls) item.row.className = cls;
    item.row.querySelector("progress").value = item.sent;
    updateTotal();
  }

  function putPart(url, blob, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      inflight.add(xhr);
      xhr.open("PUT", url);
      xhr.upload.onprogress = (e) => onProgress(e.loaded);
      xhr.onload = () => {
        inflight.delete(xhr);
        const etag = xhr.getResponseHeader("ETag");
        if (xhr.status >= 200 && xhr.status < 300 && etag) resolve(etag);
        else reject(new Error("storage answered " + xhr.status + (etag ? "" : " without an ETag (bucket CORS must expose it)")));
      };
      xhr.onerror = () => { inflight.delete(xhr); reject(new Error("network error")); };
      xhr.onabort = () => { inflight.delete(xhr); reject(new Error("cancelled")); };
      xhr.send(blob);
    });
  }

  async function uploadFile(draft, item) {
    mark(item, "preparing");
    const info = await call("POST", api + "uploads/" + draft + "/files", { path: item.path, size: item.file.size });
    const parts = {};
    for (const [n, etag] of Object.entries(info.done)) parts[n] = etag;
    const partSize = info.part_size;
    const sizeOf = (n) => Math.min(partSize, item.file.size - (n - 1) * partSize);
    const doneBytes = () => Object.keys(parts).reduce((s, n) => s + sizeOf(Number(n)), 0);
    item.sent = info.completed ? item.file.size : doneBytes();
    const skipped = Object.keys(info.done).length;
    if (!info.completed) {
      mark(item, skipped ? "resuming (" + skipped + " part(s) already stored)" : "uploading");
      const queue = Object.keys(info.urls).map(Number).sort((a, b) => a - b);
      const progress = {};
      const worker = async () => {
        while (queue.length && !cancelled) {
          const n = queue.shift();
          const blob = item.file.slice((n - 1) * partSize, (n - 1) * partSize + sizeOf(n));
          for (let attempt = 0; ; attempt++) {
            try {
              parts[n] = await putPart(info.urls[String(n)], blob, (loaded) => {
                progress[n] = loaded;
                item.sent = doneBytes() + Object.entries(progress).filter(([k]) => !(k in parts)).reduce((s, [, v]) => s + v, 0);
                mark(item, "uploading");
              });
              delete progress[n];
              break;
            } catch (error) {
              if (cancelled || attempt >= RETRIES) throw error;
              await new Promise((ok) => setTimeout(ok, 500 * (attempt + 1)));
            }
          }
          item.sent = doneBytes();
          mark(item, "uploading");
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL, queue.length) }, worker));
      if (cancelled) throw new Error("cancelled");
    }
    mark(item, "hashing in storage");
    const list_ = Object.entries(parts).map(([n, etag]) => ({ partNumber: Number(n), etag }));
    const done = await call("POST", api + "files/" + info.session + "/complete", { parts: list_ });
    item.sent = item.file.size;
    mark(item, "stored · sha256 " + done.sha256.slice(0, 12) + "…", "done");
  }

  function step(name, cls) {
    const li = $("steps").querySelector('[data-step="' + name + '"]');
    li.className = cls;
  }

  async function publish(draft) {
    step("verify", "active");
    step("sign", "active");
    let finished = false;
    const poll = async () => {
      while (!finished) {
        await new Promise((ok) => setTimeout(ok, 400));
        try {
          const state = await call("GET", api + "uploads/" + draft);
          if (state.status === "verifying") step("verify", "active");
        } catch (e) { /* the publish answer decides */ }
      }
    };
    poll();
    try {
      const state = await call("POST", api + "uploads/" + draft + "/publish", {});
      finished = true;
      for (const s of ["verify", "sign", "publish"]) step(s, "done");
      forget();
      result.className = "notice ok";
      result.replaceChildren();
      const link = document.createElement("a");
      link.href = state.model_url;
      link.textContent = "Published " + root.dataset.repo + " at " + state.commit.slice(0, 10);
      result.append(link);
    } catch (error) {
      finished = true;
      step("verify", "failed");
      step("sign", "");
      forget(); // the draft is failed: a new attempt starts a new one
      result.className = "notice bad";
      result.textContent = "Refused: " + error.message;
    }
  }

  // The model card editor: its fields become README.md (validated by the server first).
  function cardFields() {
    const card = {};
    for (const el of document.querySelectorAll("[data-card]")) card[el.dataset.card] = el.value;
    const compliance = {};
    for (const el of document.querySelectorAll("[data-compliance]")) compliance[el.dataset.compliance] = el.value;
    compliance.frameworks = [...document.querySelectorAll("[data-framework]:checked")].map((el) => el.value);
    card.compliance = compliance;
    return { card };
  }
  const cardErrors = $("card-errors");
  function showCardErrors(errors) {
    cardErrors.replaceChildren(...errors.map((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      return li;
    }));
  }
  $("card-preview-button").addEventListener("click", async () => {
    const preview = $("card-preview");
    try {
      const answer = await call("POST", root.dataset.previewUrl, cardFields());
      showCardErrors([]);
      preview.innerHTML = answer.html; // sanitised by the server (the model page's renderer)
      preview.hidden = false;
    } catch (error) {
      showCardErrors((error.data && error.data.errors) || [error.message]);
      preview.hidden = true;
    }
  });

  startButton.addEventListener("click", async () => {
    cancelled = false;
    startButton.disabled = true;
    cancelButton.hidden = false;
    result.textContent = "";
    result.className = "";
    $("steps").hidden = false;
    step("upload", "active");
    let state = saved();
    let current = null;
    try {
      if (state && state.draft) {
        const current = await call("GET", api + "uploads/" + state.draft).catch(() => null);
        if (!current || current.status !== "draft") state = null;
      }
      if (!state || !state.draft) {
        const draft = await call("POST", root.dataset.startUrl, { message: $("commit-message").value });
        state = { draft: draft.draft, started: Date.now() };
        save(state);
      }
      $("resume-notice").hidden = true;
      if ($("card-use").checked) {
        items = items.filter((item) => {
          if (item.path !== "README.md") return true;
          item.row.remove();
          return false;
        });
        try {
          await call("POST", api + "uploads/" + state.draft + "/card", cardFields());
        } catch (error) {
          showCardErrors((error.data && error.data.errors) || [error.message]);
          throw new Error("model card refused: " + error.message);
        }
      }
      for (const item of items) {
        current = item;
        await uploadFile(state.draft, item);
      }
      current = null;
      step("upload", "done");
      cancelButton.hidden = true;
      await publish(state.draft);
    } catch (error) {
      if (current) mark(current, cancelled ? "cancelled" : "interrupted", "failed");
      step("upload", "failed");
      result.className = "notice bad";
      result.textContent = cancelled
        ? "Upload cancelled."
        : "Upload interrupted (" + error.message + "). Reload the page or press the button again with the same files to resume: parts already stored are skipped.";
      startButton.disabled = cancelled || items.length === 0;
    }
  });

  cancelButton.addEventListener("click", async () => {
    cancelled = true;
    for (const xhr of inflight) xhr.abort();
    const state = saved();
    if (state && state.draft) await call("POST", api + "uploads/" + state.draft + "/cancel", {}).catch(() => null);
    forget();
    cancelButton.hidden = true;
    for (const item of items) mark(item, "cancelled", "failed");
  });
})();
