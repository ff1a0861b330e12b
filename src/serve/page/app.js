// The web view of mailkit serve: plain DOM, textContent only (no HTML from messages ever
// reaches this document); message HTML is shown in a sandboxed iframe served with its own CSP.
"use strict";

const state = { mailbox: null, offset: 0, limit: 50, q: "" };
const $ = (id) => document.getElementById(id);

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  return node;
}

async function getJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(url + ": " + response.status);
  return response.json();
}

function people(list) {
  return (list || []).map((p) => p.name ? p.name + " <" + (p.address || "") + ">" : (p.address || "")).join(", ");
}

function messageUrl(mailbox, uid) {
  return "/api/messages/" + encodeURIComponent(mailbox) + "/" + uid;
}

async function loadMailboxes() {
  const boxes = await getJson("/api/mailboxes");
  const ul = $("mailboxes");
  ul.replaceChildren();
  const all = el("li");
  const allLink = el("a", "all mailboxes", { href: "#/" });
  if (!state.mailbox) allLink.className = "current";
  all.append(allLink);
  ul.append(all);
  for (const box of boxes) {
    const li = el("li");
    const a = el("a", box.address + " (" + box.messages + ")", { href: "#/box/" + encodeURIComponent(box.address) });
    if (state.mailbox === box.address) a.className = "current";
    li.append(a);
    ul.append(li);
  }
}

async function loadList() {
  const params = new URLSearchParams({ offset: state.offset, limit: state.limit });
  if (state.mailbox) params.set("mailbox", state.mailbox);
  if (state.q) params.set("q", state.q);
  const listing = await getJson("/api/messages?" + params);
  const body = document.querySelector("#messages tbody");
  body.replaceChildren();
  for (const m of listing.messages) {
    const row = el("tr", undefined, { "data-uid": m.uid });
    row.append(
      el("td", new Date(m.received * 1000).toLocaleString()),
      el("td", m.mailbox),
      el("td", people(m.from)),
      el("td", m.subject || "(no subject)", { class: "subject" }),
      el("td", m.size + " B"),
    );
    row.addEventListener("click", () => { location.hash = "#/m/" + encodeURIComponent(m.mailbox) + "/" + m.uid; });
    body.append(row);
  }
  const end = Math.min(listing.total, state.offset + listing.messages.length);
  $("range").textContent = listing.total ? (state.offset + 1) + "–" + end + " of " + listing.total : "no messages";
  $("prev").disabled = state.offset === 0;
  $("next").disabled = end >= listing.total;
}

async function showMessage(mailbox, uid) {
  const url = messageUrl(mailbox, uid);
  const view = await getJson(url);
  $("list-pane").hidden = true;
  $("message").hidden = false;
  $("subject").textContent = view.subject || "(no subject)";
  $("raw").href = url + "/raw";
  $("delete").onclick = async () => {
    await fetch(url, { method: "DELETE" });
    location.hash = "#/";
  };
  const headers = $("headers");
  headers.replaceChildren();
  for (const h of view.headers) {
    const row = el("tr");
    row.append(el("th", h.name), el("td", h.value));
    headers.append(row);
  }
  const text = await fetch(url + "/text");
  $("text").textContent = text.ok ? await text.text() : "";
  const hasHtml = view.parts.some((p) => p.content_type === "text/html" && p.disposition !== "attachment");
  $("html-box").hidden = !hasHtml;
  $("html").src = hasHtml ? url + "/html" : "about:blank";
  const parts = $("parts");
  parts.replaceChildren();
  for (const p of view.parts) {
    const li = el("li", undefined, { class: "part" });
    li.style.marginLeft = (p.depth * 1.5) + "em"; // CSSOM, which the CSP allows (attributes it would not)
    li.append(el("span", p.id + "  " + p.content_type + (p.charset ? "  charset=" + p.charset : "") + "  " + p.size + " B"));
    if (p.filename || p.disposition === "attachment") {
      li.append(" ", el("a", p.filename || "attachment", { href: url + "/parts/" + encodeURIComponent(p.id), download: p.filename || "" }));
    }
    parts.append(li);
  }
  const hops = $("hops");
  hops.replaceChildren();
  for (const hop of view.received) {
    hops.append(el("li", [hop.from, "→", hop.by, hop.protocol ? "with " + hop.protocol : "", hop.time || ""].filter(Boolean).join(" ")));
  }
  const warnings = $("warnings");
  warnings.replaceChildren();
  for (const w of view.warnings) warnings.append(el("li", w.code + (w.part ? " (part " + w.part + ")" : "")));
  $("warnings-box").hidden = view.warnings.length === 0;
}

async function route() {
  const hash = location.hash.replace(/^#\/?/, "");
  const parts = hash.split("/").map(decodeURIComponent);
  try {
    if (parts[0] === "m" && parts.length === 3) {
      await showMessage(parts[1], parts[2]);
      return;
    }
    state.mailbox = parts[0] === "box" ? parts[1] : null;
    state.offset = 0;
    $("message").hidden = true;
    $("list-pane").hidden = false;
    await Promise.all([loadMailboxes(), loadList()]);
  } catch (err) {
    $("status").textContent = "error: " + err.message;
  }
}

function live() {
  const events = new EventSource("/api/events");
  events.addEventListener("ready", () => { $("status").textContent = "live"; });
  events.addEventListener("delivery", () => {
    if ($("message").hidden) { loadMailboxes(); loadList(); }
  });
  events.onerror = () => { $("status").textContent = "reconnecting…"; };
}

document.addEventListener("DOMContentLoaded", () => {
  $("search").addEventListener("submit", (e) => { e.preventDefault(); state.q = $("q").value; state.offset = 0; loadList(); });
  $("prev").addEventListener("click", () => { state.offset = Math.max(0, state.offset - state.limit); loadList(); });
  $("next").addEventListener("click", () => { state.offset += state.limit; loadList(); });
  $("back").addEventListener("click", (e) => { e.preventDefault(); location.hash = "#/"; });
  window.addEventListener("hashchange", route);
  route();
  // Live updates start a moment after the first render: headless snapshots (chromium
  // --virtual-time-budget) wait for open requests, and the event stream never ends.
  setTimeout(live, 1000);
});
