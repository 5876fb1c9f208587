// Errata report form: live "similar errata" suggestions while the title and description are
// typed (debounced), and reloading the form when the course changes so its assignments show.
// Results are built with DOM nodes and textContent only: no server text is parsed as HTML.
(function () {
  "use strict";
  var form = document.getElementById("erratum-form");
  var box = document.getElementById("similar-errata");
  var course = document.getElementById("erratum-course");
  var assignment = document.getElementById("erratum-assignment");
  var title = document.getElementById("erratum-title");
  var description = document.getElementById("erratum-description");
  if (!form || !box || !course || !title) return;

  if (course.tagName === "SELECT") {
    course.addEventListener("change", function () {
      if (course.value) window.location.assign("/errata/report?course=" + encodeURIComponent(course.value));
    });
  }

  var timer = null;
  var lastQuery = "";
  var controller = null;

  function render(items) {
    box.replaceChildren();
    if (!items.length) { box.hidden = true; return; }
    box.hidden = false;
    var h = document.createElement("h3");
    h.textContent = "Already reported? Check these first";
    box.appendChild(h);
    var list = document.createElement("ul");
    list.className = "list similar-errata-list";
    items.forEach(function (item) {
      var li = document.createElement("li");
      var badge = document.createElement("span");
      badge.className = "badge badge-" + item.status;
      badge.textContent = item.status;
      li.appendChild(badge);
      li.appendChild(document.createTextNode(" "));
      var a = document.createElement("a");
      a.href = item.url;
      a.target = "_blank";
      a.rel = "noopener";
      a.textContent = "#" + item.id + " " + item.title;
      li.appendChild(a);
      var meta = document.createElement("span");
      meta.className = "meta";
      var bits = [];
      if (item.location) bits.push(item.location);
      bits.push(item.affects_count + " affected");
      meta.textContent = " · " + bits.join(" · ");
      li.appendChild(meta);
      list.appendChild(li);
    });
    box.appendChild(list);
    var hint = document.createElement("p");
    hint.className = "meta";
    hint.textContent = "If one of these is your problem, open it and press \u201cAffects me too\u201d instead of reporting again.";
    box.appendChild(hint);
  }

  function search() {
    var t = title.value.trim();
    var q = description ? description.value.trim().slice(0, 2000) : "";
    if (!course.value || (t.length < 3 && q.length < 3)) { render([]); return; }
    var params = new URLSearchParams({ course: course.value, title: t, q: q, limit: "5" });
    if (assignment && assignment.value) params.set("assignment", assignment.value);
    var query = params.toString();
    if (query === lastQuery) return;
    lastQuery = query;
    if (controller) controller.abort();
    controller = new AbortController();
    fetch("/api/v1/errata/similar?" + query, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      signal: controller.signal
    })
      .then(function (r) { return r.ok ? r.json() : { data: [] }; })
      .then(function (body) { render(body.data || []); })
      .catch(function () { /* aborted or offline: keep what is shown */ });
  }

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(search, 300);
  }

  title.addEventListener("input", schedule);
  if (description) description.addEventListener("input", schedule);
  if (assignment) assignment.addEventListener("change", schedule);
  schedule();
})();
