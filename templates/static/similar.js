// "Similar threads and errata" while a question is typed (fills <div id="similar">), and
// "related" under a thread (fills <div id="related">). Built with DOM nodes and textContent
// only, so no result text is ever parsed as HTML.
(function () {
  "use strict";
  var LABELS = { thread: "Thread", post: "Reply", erratum: "Erratum" };

  function render(box, heading, hits) {
    box.replaceChildren();
    if (!hits.length) { box.hidden = true; return; }
    box.hidden = false;
    var h = document.createElement("h3");
    h.textContent = heading;
    box.appendChild(h);
    var list = document.createElement("ul");
    list.className = "similar-list";
    hits.forEach(function (hit) {
      var li = document.createElement("li");
      var badge = document.createElement("span");
      badge.className = "badge badge-type";
      badge.textContent = LABELS[hit.type] || hit.type;
      li.appendChild(badge);
      if (hit.settled && hit.type === "thread") {
        var ok = document.createElement("span");
        ok.className = "badge badge-accepted";
        ok.textContent = "answered";
        li.appendChild(ok);
      }
      if (hit.status) {
        var st = document.createElement("span");
        st.className = "badge badge-status badge-" + hit.status;
        st.textContent = hit.status;
        li.appendChild(st);
      }
      var a = document.createElement("a");
      a.href = hit.url;
      a.textContent = hit.title;
      li.appendChild(a);
      if (hit.text) {
        var p = document.createElement("p");
        p.className = "snippet";
        p.textContent = hit.text;
        li.appendChild(p);
      }
      list.appendChild(li);
    });
    box.appendChild(list);
  }

  function fetchHits(url, box, heading) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { data: [] }; })
      .then(function (page) { render(box, heading, page.data || []); })
      .catch(function () { /* suggestions are optional: stay quiet */ });
  }

  // Beside the title: this course's (and assignment's) threads and errata, answered first.
  function watchNewQuestion(box) {
    var form = box.closest("form") || document;
    var title = form.querySelector("[name=title]");
    if (!title) return;
    var body = form.querySelector("[name=body]");
    var course = form.querySelector("[name=course]");
    var timer = null;
    var last = "";
    function update() {
      if (!course || !course.value) { render(box, "", []); return; }
      var params = new URLSearchParams();
      params.set("course", course.value);
      params.set("title", title.value.slice(0, 500));
      if (body) params.set("body", body.value.slice(0, 2000));
      var key = params.toString();
      if (key === last) return;
      last = key;
      if ((title.value + (body ? body.value : "")).trim().length < 8) { render(box, "", []); return; }
      fetchHits("/threads/similar?" + key, box, "Already asked? Check these first");
    }
    function later() { clearTimeout(timer); timer = setTimeout(update, 400); }
    title.addEventListener("input", later);
    if (body) body.addEventListener("input", later);
    if (course) course.addEventListener("change", later);
    later();
  }

  function showRelated(box) {
    var id = box.dataset.threadId || (location.pathname.match(/\/threads\/(\d+)/) || [])[1];
    if (!id) return;
    var type = box.dataset.type || "thread";
    fetchHits("/api/v1/related?type=" + encodeURIComponent(type) + "&id=" + encodeURIComponent(id),
      box, "Related threads and errata");
  }

  function init() {
    var similar = document.getElementById("similar");
    if (similar) watchNewQuestion(similar);
    var related = document.getElementById("related");
    if (related) showRelated(related);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
