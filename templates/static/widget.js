/*
 * Checkfirst "Stuck? Ask" widget. Embed on any page:
 *
 *   <script src="https://HOST/static/widget.js" data-course="dl" data-assignment="rnn"
 *           data-version="3a" data-token="cfw_…" async></script>
 *
 * Plain JavaScript, no downloads; its styles live in a shadow root so the host page and the
 * widget cannot restyle each other. It calls HOST's ask API with the widget token as a bearer
 * token (never cookies). Every server string is shown with textContent; only http(s) links are
 * made. The host's origin must be allow-listed on the server (CHECKFIRST_CORS_ORIGINS).
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) {
    var found = document.querySelectorAll('script[src*="/static/widget.js"]');
    script = found.length ? found[found.length - 1] : null;
  }
  if (!script || !script.src) { return; }
  if (script.getAttribute("data-checkfirst-loaded")) { return; }
  script.setAttribute("data-checkfirst-loaded", "1");

  var API_BASE = new URL(script.src, document.baseURI).origin;
  var data = script.dataset;
  var CONTEXT = {
    course: data.course || null,
    assignment: data.assignment || null,
    notebook_version: data.version || null
  };
  var TOKEN = data.token || "";
  var TIMEOUT_MS = Number(data.timeout || 10000);

  var VERDICTS = {
    known_erratum: "Known erratum: the notebook is wrong here, not necessarily your code.",
    output_matches_correction: "Your output matches the corrected expected output: your code is most likely right.",
    output_matches_published: "Your output matches the notebook's published expected output.",
    rejected_report: "Reported before, but not an erratum: see the instructor's explanation.",
    fixed_in_your_version: "A matching erratum is already fixed in your notebook version.",
    unconfirmed_report: "Others reported this; an instructor has not confirmed it yet.",
    answered_before: "Answered before on the forum.",
    no_match: "No known erratum or answer matches this yet."
  };

  var CSS = [
    ":host { all: initial; }",
    ".cf { position: fixed; right: 16px; bottom: 16px; z-index: 2147483000;",
    "  font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; color: #1d2430; }",
    ".cf *, .cf *::before, .cf *::after { box-sizing: border-box; }",
    ".cf-open { display: block; margin-left: auto; border: 0; border-radius: 999px; padding: 10px 16px;",
    "  background: #2457c5; color: #fff; font: inherit; font-weight: 600; cursor: pointer;",
    "  box-shadow: 0 2px 8px rgba(0,0,0,.25); }",
    ".cf-open:hover { background: #1d47a3; }",
    ".cf button:focus-visible, .cf textarea:focus-visible, .cf a:focus-visible {",
    "  outline: 3px solid #f0b429; outline-offset: 2px; }",
    ".cf-panel { width: min(380px, calc(100vw - 32px)); max-height: min(560px, calc(100vh - 90px));",
    "  overflow: auto; margin-bottom: 10px; background: #fff; border: 1px solid #d5dbe3;",
    "  border-radius: 10px; box-shadow: 0 8px 28px rgba(0,0,0,.22); padding: 14px 16px; }",
    ".cf-panel[hidden] { display: none; }",
    ".cf-head { display: flex; align-items: center; justify-content: space-between; gap: 8px; }",
    ".cf-title { margin: 0; font-size: 15px; font-weight: 700; }",
    ".cf-close { border: 0; background: transparent; font-size: 20px; line-height: 1; cursor: pointer;",
    "  color: #5f6b7a; padding: 2px 6px; border-radius: 4px; }",
    ".cf-form { display: flex; flex-direction: column; gap: 6px; margin-top: 8px; }",
    ".cf-form label { font-weight: 600; font-size: 13px; }",
    ".cf-form textarea { width: 100%; min-height: 84px; resize: vertical; padding: 8px;",
    "  font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; color: #1d2430;",
    "  border: 1px solid #c2cad5; border-radius: 6px; background: #fff; }",
    ".cf-submit { align-self: flex-end; border: 0; border-radius: 6px; padding: 7px 14px;",
    "  background: #2457c5; color: #fff; font: inherit; font-weight: 600; cursor: pointer; }",
    ".cf-submit[aria-disabled='true'] { opacity: .6; cursor: progress; }",
    ".cf-status { min-height: 1.2em; color: #5f6b7a; font-size: 13px; margin-top: 6px; }",
    ".cf-status.cf-error { color: #b3261e; }",
    ".cf-verdict { font-weight: 700; margin: 8px 0 4px; }",
    ".cf-answer { white-space: pre-wrap; margin: 0 0 8px; }",
    ".cf-sources { margin: 0; padding-left: 20px; }",
    ".cf-sources li { margin: 6px 0; }",
    ".cf-sources a { color: #2457c5; font-weight: 600; text-decoration: none; }",
    ".cf-sources a:hover { text-decoration: underline; }",
    ".cf-badge { display: inline-block; padding: 0 7px; margin-right: 6px; border-radius: 9px;",
    "  font-size: 11px; color: #fff; background: #5f6b7a; vertical-align: 1px; }",
    ".cf-badge-verified, .cf-badge-answered { background: #1c7c43; }",
    ".cf-badge-fixed { background: #2457c5; }",
    ".cf-badge-rejected { background: #b3261e; }",
    ".cf-badge-reported { background: #a35a00; }",
    ".cf-snippet { color: #3b4452; font-size: 13px; }",
    ".cf-more { margin-top: 8px; font-size: 13px; }",
    ".cf-more summary { cursor: pointer; color: #2457c5; font-weight: 600; }",
    ".cf-meta { color: #5f6b7a; font-size: 12px; }",
    ".cf-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }"
  ].join("\n");

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  // Only http(s) links, resolved against the API's origin; anything else is shown as text.
  function safeHref(url) {
    if (typeof url !== "string" || !url) { return null; }
    try {
      var u = new URL(url, API_BASE + "/");
      return (u.protocol === "http:" || u.protocol === "https:") ? u.href : null;
    } catch (e) {
      return null;
    }
  }

  function stripMarkdown(text) {
    return String(text || "").replace(/\*\*|__|`/g, "");
  }

  var host = el("div");
  host.setAttribute("data-checkfirst-widget", "");
  var root = host.attachShadow({ mode: "open" });

  // A constructed stylesheet is not an inline <style>, so host pages with a strict CSP still work.
  var styled = false;
  try {
    if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function") {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
      styled = true;
    }
  } catch (e) { styled = false; }
  if (!styled) { root.appendChild(el("style", null, CSS)); }

  var wrap = el("div", "cf");
  var panelId = "cf-panel";
  var panel = el("section", "cf-panel");
  panel.id = panelId;
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-labelledby", "cf-title");

  var head = el("div", "cf-head");
  var title = el("h2", "cf-title", "Stuck? Ask Checkfirst");
  title.id = "cf-title";
  var close = el("button", "cf-close", "\u00d7");
  close.type = "button";
  close.setAttribute("aria-label", "Close");
  head.appendChild(title);
  head.appendChild(close);

  var form = el("form", "cf-form");
  var label = el("label", null, "Your question, error message or traceback");
  label.htmlFor = "cf-question";
  var textarea = el("textarea");
  textarea.id = "cf-question";
  textarea.name = "question";
  textarea.required = true;
  textarea.maxLength = 19000;
  textarea.placeholder = "AssertionError: Wrong values in a_next";
  var hint = el("span", "cf-sr", "Press Control+Enter to ask; Escape closes.");
  hint.id = "cf-hint";
  textarea.setAttribute("aria-describedby", "cf-hint");
  var submit = el("button", "cf-submit", "Ask");
  submit.type = "submit";
  form.appendChild(label);
  form.appendChild(textarea);
  form.appendChild(hint);
  form.appendChild(submit);

  var status = el("div", "cf-status");
  status.setAttribute("role", "status");
  var results = el("div", "cf-results");
  results.setAttribute("aria-live", "polite");

  panel.appendChild(head);
  panel.appendChild(form);
  panel.appendChild(status);
  panel.appendChild(results);

  var open = el("button", "cf-open", "Stuck? Ask");
  open.type = "button";
  open.setAttribute("aria-expanded", "false");
  open.setAttribute("aria-controls", panelId);

  wrap.appendChild(panel);
  wrap.appendChild(open);
  root.appendChild(wrap);

  function setOpen(value) {
    panel.hidden = !value;
    open.setAttribute("aria-expanded", value ? "true" : "false");
    if (value) { textarea.focus(); } else { open.focus(); }
  }

  open.addEventListener("click", function () { setOpen(panel.hidden); });
  close.addEventListener("click", function () { setOpen(false); });
  wrap.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) {
      event.preventDefault();
      event.stopPropagation();
      setOpen(false);
    }
  });
  // Focus may have fallen back to the page (e.g. a clicked link); Escape still closes.
  document.addEventListener("keydown", function (event) {
    var active = document.activeElement;
    if (event.key === "Escape" && !panel.hidden && (!active || active === document.body)) {
      setOpen(false);
    }
  });
  textarea.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : submit.click();
    }
  });

  function showError(message) {
    results.textContent = "";
    status.className = "cf-status cf-error";
    status.textContent = message;
  }

  function render(answer) {
    results.textContent = "";
    status.className = "cf-status";
    status.textContent = "";
    var verdictKey = String(answer.verdict || "");
    results.appendChild(el("p", "cf-verdict", VERDICTS[verdictKey] || verdictKey.replace(/_/g, " ")));
    // The answer's first paragraph up front, the rest folded under the sources.
    var paragraphs = stripMarkdown(answer.answer).split(/\n\s*\n/).filter(function (p) {
      return p.trim();
    });
    if (paragraphs.length) { results.appendChild(el("p", "cf-answer", paragraphs[0])); }
    var sources = Array.isArray(answer.sources) ? answer.sources : [];
    if (sources.length) {
      var list = el("ol", "cf-sources");
      list.setAttribute("aria-label", "Sources");
      sources.slice(0, 5).forEach(function (src) {
        if (!src || typeof src !== "object") { return; }
        var item = el("li");
        if (src.status) {
          var badge = el("span", "cf-badge", src.status);
          if (/^[a-z_]+$/.test(String(src.status))) { badge.classList.add("cf-badge-" + src.status); }
          item.appendChild(badge);
        }
        var href = safeHref(src.url);
        var heading;
        if (href) {
          heading = el("a", null, src.title || "Untitled");
          heading.href = href;
          heading.target = "_blank";
          heading.rel = "noopener noreferrer";
        } else {
          heading = el("span", null, src.title || "Untitled");
        }
        item.appendChild(heading);
        var meta = [src.type].concat(Array.isArray(src.labels) ? src.labels : []).filter(Boolean);
        if (meta.length) { item.appendChild(el("span", "cf-meta", " \u00b7 " + meta.join(" \u00b7 "))); }
        if (src.snippet) { item.appendChild(el("div", "cf-snippet", src.snippet)); }
        list.appendChild(item);
      });
      results.appendChild(list);
    }
    if (paragraphs.length > 1) {
      var more = el("details", "cf-more");
      more.appendChild(el("summary", null, "Full answer"));
      more.appendChild(el("p", "cf-answer", paragraphs.slice(1).join("\n\n")));
      results.appendChild(more);
    }
    var thread = safeHref(answer.new_thread_url);
    if (thread && !sources.length) {
      var p = el("p");
      var a = el("a", null, "Ask on the forum");
      a.href = thread;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      p.appendChild(a);
      results.appendChild(p);
    }
  }

  var busy = false;
  function setBusy(value) {
    busy = value;
    // aria-disabled rather than disabled: a disabled button would drop the keyboard focus.
    submit.setAttribute("aria-disabled", value ? "true" : "false");
    results.setAttribute("aria-busy", value ? "true" : "false");
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) { return; }
    var question = textarea.value.trim();
    if (!question) {
      showError("Type your question or paste the error first.");
      textarea.focus();
      return;
    }
    var body = { question: question };
    Object.keys(CONTEXT).forEach(function (k) { if (CONTEXT[k]) { body[k] = CONTEXT[k]; } });
    var headers = { "Content-Type": "application/json", "Accept": "application/json" };
    if (TOKEN) { headers.Authorization = "Bearer " + TOKEN; }
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    setBusy(true);
    status.className = "cf-status";
    status.textContent = "Checking the errata\u2026";
    fetch(API_BASE + "/api/v1/ask", {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "strict-origin-when-cross-origin",
      headers: headers,
      body: JSON.stringify(body),
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (payload) {
        if (!response.ok) {
          var detail = payload && typeof payload.detail === "string" ? payload.detail : "";
          showError(detail || ("The help server answered with an error (" + response.status + "). Try again later."));
          return;
        }
        render(payload || {});
      });
    }).catch(function () {
      showError("Couldn't reach the help server from this page. Try again later, or ask on the course forum.");
    }).then(function () {
      if (timer) { clearTimeout(timer); }
      setBusy(false);
    });
  });

  function mount() { document.body.appendChild(host); }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
})();
