// The playground's behaviour. It reads the API's field defaults and descriptions from /openapi.json and this
// deployment's limits and model from /x/playground, sends a real multipart POST /image-to-image (with the bearer
// token when the server needs one, and the X-Img2img-Job header naming a random job id), and meanwhile reads
// /x/jobs/{id}/events — Server-Sent Events through fetch(), which can send the Authorization header — for the
// step accounting, progress, previews and, at the end, the trace. Results stay in the page for the compare view.
"use strict";

const FIELDS = ["prompt", "negative_prompt", "strength", "guidance_scale", "image_guidance_scale",
                "num_inference_steps", "seed", "num_images_per_prompt", "safety_check", "loras"];
const TOKEN_KEY = "img2img.token";
const $ = (id) => document.getElementById(id);

const state = {
  config: null,        // GET /x/playground
  schema: null,        // Body_genImageToImage of /openapi.json
  image: null,         // the File to upload
  inputURL: null,      // object URL of that file
  running: null,       // AbortController of the request in flight
  runs: 0,             // requests that returned images
  results: [],         // every image made in this page: {label, url, seed, nsfw}
};

// ---- Start-up: what the server says about itself -------------------------------------------------------------

async function start() {
  $("token").value = sessionStorage.getItem(TOKEN_KEY) || "";
  wireForm();
  try {
    const [openapi, config] = await Promise.all([getJSON("/openapi.json"), getJSON("/x/playground")]);
    state.schema = openapi.components.schemas.Body_genImageToImage;
    applyDefaults(state.schema);
    applyConfig(config);
    document.body.dataset.state = "idle";
  } catch (error) {
    showError(`Could not read this server's description: ${error.message}`);
    document.body.dataset.state = "error";
  }
}

async function getJSON(path) {
  const response = await fetch(path, { cache: "no-store" });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return response.json();
}

/** Each field's default and description as the API documents them. */
function applyDefaults(schema) {
  for (const name of FIELDS) {
    const property = schema.properties[name];
    const input = $(name);
    if (!property || !input) continue;
    if (property.description) {
      input.title = property.description;
      const label = document.querySelector(`label[for="${name}"]`);
      if (label) label.title = property.description;
    }
    if (property.default === undefined) continue;
    if (input.type === "checkbox") input.checked = property.default === true;
    else input.value = property.default;
  }
  $("strength-range").value = $("strength").value;
  $("image").title = schema.properties.image?.description || "";
}

/** Limits, the model's fields and the auth requirement; polls while the model loads. */
function applyConfig(config) {
  state.config = config;
  const limits = config.limits;
  $("server-line").textContent = `${config.model_id} · version ${config.version} · model ${config.health}`
    + (config.auth_required ? " · bearer token required" : "");
  $("token-box").hidden = !config.auth_required;
  $("num_inference_steps").max = limits.max_steps;
  $("num_images_per_prompt").max = limits.max_images;
  $("prompt").maxLength = limits.max_prompt_characters;
  $("negative_prompt").maxLength = limits.max_prompt_characters;
  $("image-hint").textContent = `PNG or JPEG, at most ${formatBytes(limits.max_upload_bytes)} and `
    + `${limits.max_image_pixels.toLocaleString()} pixels on this server.`;
  $("lora-hint").textContent = `At most ${limits.max_loras} LoRAs, strengths ≥ 0; ids resolve on the server.`;
  const model = config.model;
  if (!model) {
    $("model-hint").textContent = config.health === "LOADING" ? "The model is loading…" : "The model failed to load.";
    if (config.health === "LOADING") setTimeout(() => getJSON("/x/playground").then(applyConfig, () => {}), 2000);
    return;
  }
  const notes = [`At most ${limits.max_steps} steps and ${limits.max_images} images per request;`
    + ` steps below 1 use the model's default of ${model.default_steps}.`];
  for (const element of document.querySelectorAll(".ip2p")) element.hidden = !model.reads_image_guidance_scale;
  if (!model.reads_strength) notes.push("This model does not read strength.");
  if (!model.reads_guidance_scale) notes.push("This model runs with guidance 0 (the runner's rule).");
  if (!model.reads_image) notes.push("This model ignores the image (text-to-image, as the runner serves it).");
  $("strength").disabled = $("strength-range").disabled = !model.reads_strength;
  $("guidance_scale").disabled = !model.reads_guidance_scale;
  $("model-hint").textContent = notes.join(" ");
}

// ---- The form -------------------------------------------------------------------------------------------------

function wireForm() {
  $("token").addEventListener("input", () => sessionStorage.setItem(TOKEN_KEY, $("token").value));
  $("strength-range").addEventListener("input", () => { $("strength").value = $("strength-range").value; });
  $("strength").addEventListener("input", () => { $("strength-range").value = $("strength").value; });
  $("seed-random").addEventListener("click", () => {
    $("seed").value = crypto.getRandomValues(new Uint32Array(1))[0];
  });
  $("image").addEventListener("change", () => setImage($("image").files[0]));
  const zone = $("dropzone");
  zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    if (event.dataTransfer.files.length) setImage(event.dataTransfer.files[0]);
  });
  $("lora-add").addEventListener("click", () => { addLoRARow("", 1); syncLoRAText(); });
  $("loras").addEventListener("input", syncLoRARows);
  $("request-form").addEventListener("submit", (event) => { event.preventDefault(); submit(); });
  $("cancel").addEventListener("click", () => state.running?.abort());
  for (const id of ["compare-a", "compare-b", "compare-swipe"]) $(id).addEventListener("input", drawCompare);
}

function setImage(file) {
  if (!file) return;
  state.image = file;
  if (state.inputURL) URL.revokeObjectURL(state.inputURL);
  state.inputURL = URL.createObjectURL(file);
  const thumb = $("input-thumb");
  thumb.src = state.inputURL;
  thumb.hidden = false;
  $("dropzone-text").textContent = `${file.name} (${formatBytes(file.size)})`;
}

/** The LoRA editor: rows of id and strength, kept in step with the JSON text that is sent. */
function addLoRARow(id, strength) {
  const row = document.createElement("div");
  row.className = "lora-row";
  const name = Object.assign(document.createElement("input"), { type: "text", value: id, placeholder: "org/lora-id" });
  const weight = Object.assign(document.createElement("input"), { type: "number", value: strength, min: 0, step: 0.05 });
  const remove = Object.assign(document.createElement("button"), { type: "button", textContent: "×", title: "remove" });
  name.addEventListener("input", syncLoRAText);
  weight.addEventListener("input", syncLoRAText);
  remove.addEventListener("click", () => { row.remove(); syncLoRAText(); });
  row.append(name, weight, remove);
  $("lora-rows").append(row);
  updateLoRAButton();
}

function syncLoRAText() {
  const entries = [...document.querySelectorAll(".lora-row")]
    .map((row) => row.querySelectorAll("input"))
    .filter(([name]) => name.value.trim() !== "")
    .map(([name, weight]) => [name.value.trim(), Number(weight.value)]);
  $("loras").value = entries.length ? JSON.stringify(Object.fromEntries(entries)) : "";
  updateLoRAButton();
}

/** Typed JSON rebuilds the rows when it parses as an object; otherwise it is sent as typed (the server judges it). */
function syncLoRARows() {
  let parsed;
  try { parsed = JSON.parse($("loras").value || "{}"); } catch { return; }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return;
  $("lora-rows").replaceChildren();
  for (const [id, strength] of Object.entries(parsed)) addLoRARow(id, strength);
  updateLoRAButton();
}

function updateLoRAButton() {
  const limit = state.config?.limits.max_loras ?? Infinity;
  $("lora-add").disabled = document.querySelectorAll(".lora-row").length >= limit;
}

/** The multipart form as the API takes it: every field with a value, the image as a file. */
function formData() {
  const data = new FormData();
  for (const name of FIELDS) {
    const input = $(name);
    if (input.disabled || input.hidden) continue;
    if (input.type === "checkbox") data.append(name, input.checked ? "true" : "false");
    else if (input.value !== "") data.append(name, input.value);
  }
  if (state.image) data.append("image", state.image, state.image.name);
  return data;
}

// ---- One request ----------------------------------------------------------------------------------------------

/** A random job id (crypto.randomUUID needs a secure context; plain-HTTP deployments are common). */
function jobID() {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function authHeaders() {
  const token = $("token").value.trim();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function submit() {
  if (state.running) return;
  const controller = new AbortController();
  state.running = controller;
  const id = jobID();
  resetView();
  setBusy(true);
  const watch = watchJob(id, controller.signal);
  try {
    const response = await fetch("/image-to-image", {
      method: "POST", body: formData(), signal: controller.signal,
      headers: { ...authHeaders(), [state.config.job_header]: id },
    });
    const text = await response.text();
    let body;
    try { body = JSON.parse(text); } catch { body = text; }
    if (response.ok) showResults(++state.runs, body.images);
    else showServerError(response.status, body);
    // The events end with the request; the trace comes just before. Wait briefly for them, not forever.
    await Promise.race([watch, delay(5000)]);
  } catch (error) {
    if (error.name === "AbortError") showError("Cancelled: the server stops the run at its next step.");
    else showError(`The request failed: ${error.message}`);
  } finally {
    controller.abort();
    state.running = null;
    setBusy(false);
    if (document.body.dataset.state === "running") document.body.dataset.state = "done";
  }
}

function setBusy(busy) {
  $("submit").disabled = busy;
  $("cancel").disabled = !busy;
  if (busy) document.body.dataset.state = "running";
}

function resetView() {
  $("error").hidden = true;
  $("live").hidden = false;
  $("accounting").textContent = "";
  $("progress").value = 0;
  $("progress-text").textContent = "sending…";
  $("preview-box").hidden = true;
  $("preview").dataset.count = "0";
  $("trace").hidden = true;
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads the job's Server-Sent Events until the stream ends; resolves quietly on abort or error. */
async function watchJob(id, signal) {
  const path = state.config.events_path.replace("{id}", encodeURIComponent(id));
  let response;
  try {
    response = await fetch(path, { headers: authHeaders(), signal, cache: "no-store" });
  } catch {
    return;
  }
  if (!response.ok || !response.body) return;  // 401 and the like: the POST's answer says why
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const progress = { plan: null };
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = parseEvent(block);
        if (event) handleEvent(event, progress);
      }
    }
  } catch {
    // aborted
  }
}

/** One SSE block: `event: NAME` and `data: JSON` lines; comments (keep-alives) give null. */
function parseEvent(block) {
  let name = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") name = value;
    else if (field === "data") data.push(value);
  }
  return data.length ? { name, data: JSON.parse(data.join("\n")) } : null;
}

function handleEvent({ name, data }, progress) {
  switch (name) {
    case "plan":
      progress.plan = data;
      $("accounting").textContent = data.accounting
        + (data.images > 1 ? `, for each of ${data.images} images` : "")
        + (data.tflops != null ? ` · ${data.tflops.toPrecision(3)} TFLOP` : "");
      break;
    case "queued":
      $("progress-text").textContent = "queued: waiting for the inference thread…";
      break;
    case "started":
      $("progress-text").textContent = `running (waited ${data.queue_wait_seconds.toFixed(1)} s in the queue)…`;
      break;
    case "step": showStep(data, progress.plan); break;
    case "preview": showPreview(data, progress.plan); break;
    case "trace": showTrace(data.entries); break;
    case "end": break;
  }
}

function showStep(step, plan) {
  const images = plan?.images ?? step.image + 1;
  const total = step.count * images;
  const done = step.image * step.count + step.index + 1;
  const bar = $("progress");
  bar.max = total;
  bar.value = done;
  bar.dataset.done = done;
  bar.dataset.total = total;
  const left = done < total ? ` · about ${formatSeconds(step.elapsed / done * (total - done))} left` : "";
  // Schedulers that call the UNet more often than they step (PNDM's warm-up, Heun) count UNet calls.
  const unit = plan && plan.steps_run !== step.count ? "UNet call" : "step";
  $("progress-text").textContent = `${unit} ${step.index + 1}/${step.count}`
    + (images > 1 ? ` of image ${step.image + 1}/${images}` : "")
    + ` · timestep ${formatTimestep(step.timestep)} · ${formatSeconds(step.elapsed)}${left}`;
}

function showPreview(preview, plan) {
  const image = $("preview");
  image.src = preview.url;
  image.dataset.count = String(Number(image.dataset.count || 0) + 1);
  image.onload = () => image.classList.toggle("small", image.naturalWidth < 256);
  $("preview-box").hidden = false;
  const images = plan?.images ?? 1;
  const how = state.config.model?.previews === "taesd" ? "tiny autoencoder" : "latent projection";
  $("preview-caption").textContent = `predicted clean image after step ${preview.index + 1}`
    + (images > 1 ? ` of image ${preview.image + 1}` : "") + ` (${how})`;
}

// ---- Results, side by side, trace ------------------------------------------------------------------------------

function showResults(run, images) {
  $("results").hidden = false;
  const list = $("result-list");
  list.replaceChildren();
  images.forEach((item, index) => {
    const label = `run ${run} · image ${index + 1} · seed ${item.seed}`;
    state.results.push({ label, url: item.url, seed: item.seed, nsfw: item.nsfw });
    const card = document.createElement("figure");
    card.className = "card";
    const img = Object.assign(document.createElement("img"), { src: item.url, alt: label });
    img.onload = () => img.classList.toggle("small", img.naturalWidth < 256);
    img.addEventListener("click", () => showSideBySide(item, label));
    const meta = document.createElement("figcaption");
    meta.className = "meta";
    const seed = Object.assign(document.createElement("span"), { className: "seed", textContent: `seed ${item.seed}` });
    const flag = Object.assign(document.createElement("span"), {
      className: `badge ${item.nsfw ? "nsfw" : "safe"}`, textContent: item.nsfw ? "nsfw" : "not flagged" });
    const download = Object.assign(document.createElement("a"), {
      href: item.url, download: `img2img-seed-${item.seed}.png`, textContent: "download" });
    meta.append(seed, " ", flag, " ", download);
    card.append(img, meta);
    list.append(card);
  });
  if (images.length) showSideBySide(images[0], `run ${run} · image 1 · seed ${images[0].seed}`);
  updateCompare();
}

function showSideBySide(item, label) {
  $("side-by-side").hidden = !state.inputURL;
  $("sbs-input").src = state.inputURL || "";
  $("sbs-output").src = item.url;
  $("sbs-caption").textContent = label;
  for (const id of ["sbs-input", "sbs-output"]) {
    const img = $(id);
    img.onload = () => img.classList.toggle("small", img.naturalWidth < 256);
  }
}

/** Columns the trace is known to have come first, formatted; any other field follows as it comes. */
const TRACE_COLUMNS = {
  stage: { title: "stage", format: String },
  image: { title: "image", format: String },
  output_shape: { title: "output", format: (v) => (Array.isArray(v) ? v.join("×") : String(v)) },
  seconds: { title: "seconds", format: (v) => v.toFixed(3), total: true },
  cpu_seconds: { title: "cpu s", format: (v) => v.toFixed(3), total: true },
  flops: { title: "GFLOP", format: (v) => (v / 1e9).toFixed(3), total: true },
  peak_resident_bytes: { title: "peak RSS MB", format: (v) => String(Math.round(v / 2 ** 20)), max: true },
};

function showTrace(entries) {
  if (!entries?.length) return;
  const keys = Object.keys(TRACE_COLUMNS).filter((key) => entries.some((entry) => key in entry));
  for (const entry of entries) for (const key of Object.keys(entry)) if (!keys.includes(key)) keys.push(key);
  const hasRate = keys.includes("flops") && keys.includes("seconds");
  const longest = Math.max(...entries.map((entry) => entry.seconds || 0));
  const table = $("trace-table");
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const key of keys) head.append(cell("th", TRACE_COLUMNS[key]?.title ?? key.replaceAll("_", " ")));
  if (hasRate) head.append(cell("th", "GFLOP/s"));
  if (longest > 0) head.append(cell("th", "time"));
  const body = table.createTBody();
  for (const entry of entries) {
    const row = body.insertRow();
    for (const key of keys) row.append(cell("td", formatValue(key, entry[key])));
    if (hasRate) row.append(cell("td", entry.seconds > 0 ? (entry.flops / entry.seconds / 1e9).toFixed(1) : ""));
    if (longest > 0) {
      const bar = Object.assign(document.createElement("span"), { className: "bar" });
      bar.style.width = `${Math.max(1, Math.round(80 * (entry.seconds || 0) / longest))}px`;
      const td = cell("td", "");
      td.append(bar);
      row.append(td);
    }
  }
  const total = body.insertRow();
  total.className = "total";
  for (const [index, key] of keys.entries()) {
    const column = TRACE_COLUMNS[key];
    const values = entries.map((entry) => entry[key]).filter((v) => typeof v === "number");
    let text = index === 0 ? "total" : "";
    if (column?.total) text = column.format(values.reduce((a, b) => a + b, 0));
    if (column?.max && values.length) text = column.format(Math.max(...values));
    total.append(cell("td", text));
  }
  if (hasRate) {
    const seconds = entries.reduce((a, e) => a + (e.seconds || 0), 0);
    const flops = entries.reduce((a, e) => a + (e.flops || 0), 0);
    total.append(cell("td", seconds > 0 ? (flops / seconds / 1e9).toFixed(1) : ""));
  }
  if (longest > 0) total.append(cell("td", ""));
  $("trace").hidden = false;
}

function formatValue(key, value) {
  if (value === undefined || value === null) return "";
  if (TRACE_COLUMNS[key]) return TRACE_COLUMNS[key].format(value);
  if (Array.isArray(value)) return value.join("×");
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function cell(tag, text) {
  return Object.assign(document.createElement(tag), { textContent: text });
}

// ---- Compare: two results overlaid, and their difference as a heat-map ----------------------------------------

function updateCompare() {
  if (state.results.length < 1) return;
  $("compare").hidden = false;
  for (const [id, pick] of [["compare-a", state.results.length - 2], ["compare-b", state.results.length - 1]]) {
    const select = $(id);
    select.replaceChildren(...state.results.map((result, index) =>
      Object.assign(document.createElement("option"), { value: index, textContent: result.label })));
    select.value = String(Math.max(0, pick));
  }
  drawCompare();
}

const pixelCache = new Map();
let compareDrawing = 0;  // the latest drawCompare call: an older one still decoding leaves the canvases alone

/** The RGBA pixels of a result at width × height. */
async function pixels(url, width, height) {
  const key = `${url.length}:${url.slice(-64)}:${width}x${height}`;
  if (pixelCache.has(key)) return pixelCache.get(key);
  const image = new Image();
  image.src = url;
  await image.decode();
  const canvas = Object.assign(document.createElement("canvas"), { width, height });
  const context = canvas.getContext("2d");
  context.imageSmoothingEnabled = false;
  context.drawImage(image, 0, 0, width, height);
  const data = context.getImageData(0, 0, width, height);
  pixelCache.set(key, data);
  return data;
}

async function drawCompare() {
  const a = state.results[Number($("compare-a").value)];
  const b = state.results[Number($("compare-b").value)];
  if (!a || !b) return;
  const drawing = ++compareDrawing;
  const first = new Image();
  first.src = a.url;
  await first.decode();
  const width = first.naturalWidth, height = first.naturalHeight;  // B is scaled to A's size when they differ
  const [pa, pb] = await Promise.all([pixels(a.url, width, height), pixels(b.url, width, height)]);
  if (drawing !== compareDrawing) return;
  const swipe = Math.round(Number($("compare-swipe").value) * width);
  const overlay = $("compare-overlay");
  Object.assign(overlay, { width, height });
  const mixed = new ImageData(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const source = x < swipe ? pa.data : pb.data;
      mixed.data.set(source.subarray(i, i + 4), i);
      if (x === swipe) mixed.data.set([255, 255, 255, 255], i);
    }
  }
  overlay.getContext("2d").putImageData(mixed, 0, 0);

  const diff = new Float32Array(width * height);
  let max = 0, sum = 0, squares = 0;
  for (let p = 0; p < width * height; p++) {
    let d = 0;
    for (let c = 0; c < 3; c++) {
      const delta = pa.data[p * 4 + c] - pb.data[p * 4 + c];
      d += Math.abs(delta);
      squares += delta * delta;
      max = Math.max(max, Math.abs(delta));
    }
    diff[p] = d / 3;
    sum += d;
  }
  const heat = $("compare-heat");
  Object.assign(heat, { width, height });
  const map = new ImageData(width, height);
  const scale = Math.max(...diff, 1);
  for (let p = 0; p < width * height; p++) map.data.set([...heatColor(diff[p] / scale), 255], p * 4);
  heat.getContext("2d").putImageData(map, 0, 0);
  const mse = squares / (width * height * 3);
  const psnr = mse === 0 ? "∞" : (10 * Math.log10(255 * 255 / mse)).toFixed(2);
  const stats = $("compare-stats");
  stats.textContent = `|A − B| (black 0, white ${scale.toFixed(0)}): max ${max}, mean ${(sum / (width * height * 3)).toFixed(2)}, `
    + `PSNR ${psnr} dB` + (b.url === a.url ? " (the same image)" : "");
  stats.dataset.max = String(max);
}

/** Black → red → yellow → white for t in [0, 1]. */
function heatColor(t) {
  return [Math.min(1, 3 * t), Math.min(1, Math.max(0, 3 * t - 1)), Math.max(0, 3 * t - 2)].map((v) => Math.round(255 * v));
}

// ---- Errors -------------------------------------------------------------------------------------------------------

/** The server's own message: `detail.msg` (HTTPError), or every invalid field of a 422. */
function showServerError(status, body) {
  const box = $("error");
  box.replaceChildren();
  const detail = body?.detail;
  if (Array.isArray(detail)) {
    box.append(`${status}: the request has invalid fields:`);
    const list = document.createElement("ul");
    for (const issue of detail) list.append(cell("li", `${(issue.loc || []).slice(1).join(".")}: ${issue.msg}`));
    box.append(list);
  } else {
    const message = detail?.msg ?? (typeof detail === "string" ? detail : JSON.stringify(body));
    box.append(`${status}: ${message}`);
  }
  box.dataset.status = String(status);
  box.hidden = false;
  document.body.dataset.state = "error";
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  delete box.dataset.status;
  box.hidden = false;
  document.body.dataset.state = "error";
}

// ---- Formatting -----------------------------------------------------------------------------------------------

function formatBytes(bytes) {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${Math.round(bytes / 1024)} KiB`;
}

function formatSeconds(seconds) {
  return seconds < 60 ? `${seconds.toFixed(1)} s` : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

function formatTimestep(t) {
  return Number.isInteger(t) ? String(t) : t.toFixed(2);
}

start();
