// The composer (new question, reply): live preview, title counter, inline errors that scroll
// and focus to the field, drafts kept in localStorage. No inline handlers (the CSP forbids them).
(function () {
  "use strict";
  var form = document.getElementById("composer");
  if (!form) return;
  var csrf = (document.querySelector("meta[name=csrf-token]") || {}).content || "";
  var title = form.querySelector("[name=title]");
  var body = form.querySelector("[name=body]");
  var course = form.querySelector("[name=course]");
  var draftKey = form.dataset.draftKey ? "checkfirst:draft:" + form.dataset.draftKey : null;

  // After a refused post the server answers at the form's address (/threads/8/reply); put the
  // page's own address back, so a reload or a shared link shows the thread.
  if (form.dataset.pageUrl && location.pathname !== form.dataset.pageUrl) {
    history.replaceState(null, "", form.dataset.pageUrl + "#reply");
  }

  function errorBox(field) { return document.getElementById(field.id.replace(/^(thread|reply)-/, "") + "-error"); }

  function showError(field, message) {
    var box = errorBox(field);
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
    field.setAttribute("aria-invalid", "true");
    var ids = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (ids.indexOf(box.id) < 0) ids.push(box.id);
    field.setAttribute("aria-describedby", ids.join(" "));
  }

  function clearError(field) {
    var box = errorBox(field);
    if (box && !box.hidden) { box.hidden = true; box.textContent = ""; }
    field.removeAttribute("aria-invalid");
  }

  function focusField(field) {
    field.scrollIntoView({ block: "center" });
    field.focus({ preventScroll: true });
  }

  // Counter: visible, and never a silent cut (there is no maxlength on the input).
  var counter = document.getElementById("title-count");
  var max = title ? parseInt(title.dataset.max || "200", 10) : 0;
  function updateCounter() {
    if (!title || !counter) return;
    var n = title.value.length;
    counter.classList.toggle("over", n > max);
    counter.querySelector(".count").textContent = String(n);
    var extra = counter.querySelector(".extra");
    if (!extra) { extra = document.createElement("span"); extra.className = "extra"; counter.appendChild(extra); }
    extra.textContent = n > max ? " — " + (n - max) + " too many; shorten the title" : "";
  }

  function validate() {
    var problems = [];
    [course, title, body].forEach(function (field) {
      if (!field) return;
      clearError(field);
      if (!field.value.trim()) problems.push([field, field.dataset.error || "This field is required."]);
      else if (field === title && title.value.trim().length > max) {
        problems.push([title, "The title is longer than " + max + " characters; shorten it."]);
      }
    });
    problems.forEach(function (p) { showError(p[0], p[1]); });
    return problems.length ? problems[0][0] : null;
  }

  // Drafts, one per thread (or the new-question form), cleared when the post is sent.
  function saveDraft() {
    if (!draftKey) return;
    var data = { body: body ? body.value : "", title: title ? title.value : "" };
    try {
      if (data.body || data.title) localStorage.setItem(draftKey, JSON.stringify(data));
      else localStorage.removeItem(draftKey);
    } catch (e) { /* private mode or full storage: drafts are a convenience */ }
  }
  function restoreDraft() {
    if (!draftKey) return;
    var saved = null;
    try { saved = JSON.parse(localStorage.getItem(draftKey) || "null"); } catch (e) { saved = null; }
    if (!saved) return;
    // What the server sent back (after an error, or a prefilled link) wins over the draft.
    if (body && !body.value && saved.body) body.value = saved.body;
    if (title && !title.value && saved.title) title.value = saved.title;
  }

  // Live preview, rendered by the server's one Markdown sanitizer.
  var preview = form.querySelector(".preview");
  var previewBody = preview ? preview.querySelector(".preview-body") : null;
  var previewTimer = null;
  var lastPreview = null;
  var controller = null;
  function updatePreview() {
    if (!preview || !body) return;
    var text = body.value;
    if (text === lastPreview) return;
    lastPreview = text;
    if (!text.trim()) { preview.hidden = true; previewBody.replaceChildren(); return; }
    if (controller) controller.abort();
    controller = new AbortController();
    var data = new URLSearchParams();
    data.set("body", text);
    fetch("/preview", {
      method: "POST", body: data, credentials: "same-origin", signal: controller.signal,
      headers: { "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" },
    })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) return;
        previewBody.innerHTML = html; // sanitized server-side by core.markdown (nh3 allowlist)
        preview.hidden = !html;
      })
      .catch(function () { /* preview is optional */ });
  }

  restoreDraft();
  updateCounter();
  updatePreview();

  form.addEventListener("input", function (event) {
    if (event.target === title) updateCounter();
    if (event.target.getAttribute("aria-invalid") && event.target.value.trim()) clearError(event.target);
    saveDraft();
    if (event.target === body) { clearTimeout(previewTimer); previewTimer = setTimeout(updatePreview, 300); }
  });
  form.addEventListener("change", function (event) {
    if (event.target === course && course.value) clearError(course);
  });
  form.addEventListener("submit", function (event) {
    var bad = validate();
    if (bad) { event.preventDefault(); focusField(bad); return; }
    try { if (draftKey) localStorage.removeItem(draftKey); } catch (e) { /* ignore */ }
  });

  // An error the server found is shown at its field: bring it into view and focus it.
  var shown = form.querySelector(".field-error:not([hidden])");
  if (shown) {
    var field = form.querySelector("[aria-describedby~='" + shown.id + "']");
    if (field) {
      focusField(field);
      // Chromium may drop a focus given while the page still loads; give it again after.
      window.addEventListener("load", function () {
        if (document.activeElement === document.body) focusField(field);
      });
    }
  }
})();
