// The /ask chat page. Strict CSP: no inline handlers; answers arrive as server-sanitized HTML
// (core.markdown.render); everything else is inserted as text nodes.
(function () {
  "use strict";
  var form = document.getElementById("ask-form");
  if (!form) return;
  var log = document.getElementById("ask-log");
  var errorBox = document.getElementById("ask-error");
  var submit = document.getElementById("ask-submit");
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var conversationId = null;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function localLink(url, text) {
    var a = el("a", null, text);
    // Only same-site paths: sources and new-thread links are always local.
    if (typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/") a.href = url;
    return a;
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json" },
      body: JSON.stringify(body),
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) throw new Error(data.detail || ("The server answered " + r.status + "; try again."));
        return data;
      });
    });
  }

  // The verdict leads, as a plain sentence; the colour and the icon repeat it for a glance.
  var VERDICTS = {
    known_erratum: ["warn", "!", "This is a known erratum: the notebook has a mistake here. The workaround is below."],
    output_matches_correction: ["ok", "✓", "Your output matches the corrected output: your code is most likely right and the notebook's printed output is wrong."],
    output_matches_published: ["ok", "✓", "Your output matches the notebook's expected output: this part of your code looks right."],
    rejected_report: ["bad", "✗", "This was reported before and is not an erratum: the notebook is right, so check your code."],
    fixed_in_your_version: ["info", "i", "Already fixed in your version of the notebook: the cause is probably elsewhere."],
    unconfirmed_report: ["warn", "?", "Someone reported this, but the course staff have not confirmed it yet."],
    answered_before: ["info", "✓", "This was asked and answered before: the answer is below."],
    no_match: ["none", "?", "No match: nothing in the errata or the forum answers this yet."],
  };
  var answers = 0;

  // "[2]" in the answer's text becomes a link to source 2 (never inside code: "a[4]" stays).
  function linkCitations(root, prefix, count) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, null);
    var nodes = [];
    while (walker.nextNode()) {
      if (!walker.currentNode.parentElement.closest("code, pre, a")) nodes.push(walker.currentNode);
    }
    var marker = /(^|\s)\[(\d{1,2})\](?=$|[\s.,;:)])/g;
    nodes.forEach(function (node) {
      var text = node.nodeValue;
      if (!marker.test(text)) return;
      marker.lastIndex = 0;
      var frag = document.createDocumentFragment();
      var last = 0;
      text.replace(marker, function (all, space, n, at) {
        var k = parseInt(n, 10);
        if (k < 1 || k > count) return all;
        frag.appendChild(document.createTextNode(text.slice(last, at) + space));
        var a = el("a", "cite", "[" + k + "]");
        a.href = "#" + prefix + "-src-" + k;
        a.setAttribute("aria-label", "source " + k);
        frag.appendChild(a);
        last = at + all.length;
        return all;
      });
      frag.appendChild(document.createTextNode(text.slice(last)));
      node.parentNode.replaceChild(frag, node);
    });
  }

  function get(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); });
  }

  // The lead source in full: the whole accepted (or endorsed) answer, or the erratum's
  // workaround, so a quoted fragment ("Grace is right. Also…") never stands alone.
  function showLeadInFull(source, box, lead, prefix) {
    var m;
    if (source.type === "erratum") {
      get("/api/v1/errata/" + source.id).then(function (e) {
        var text = (e.workaround || "").trim();
        if (!text) return;
        box.appendChild(el("h3", null, "Workaround"));
        box.appendChild(el("p", "ask-workaround", text));
        box.hidden = false;
      }).catch(function () {});
      return;
    }
    m = /^\/threads\/(\d+)(?:#post-(\d+))?$/.exec(source.url || "");
    if (!m) return;
    get("/api/v1/threads/" + m[1]).then(function (t) {
      var postId = m[2] ? parseInt(m[2], 10) : t.thread.accepted_post_id;
      var post = (t.replies || []).filter(function (p) { return p.id === postId; })[0];
      if (!post || post.deleted || !(post.accepted || post.endorsed)) return;
      var who = post.author ? (post.author.display_name || post.author.username || "") : "";
      // The full answer replaces the lead's quote of it; the heading keeps the citation.
      var h = el("h3", null, (post.accepted ? "The accepted answer" : "The endorsed answer") +
        (who ? " by " + who : "") + " in “" + t.thread.title + "” ");
      var cite = el("a", "cite", "[1]");
      cite.href = "#" + prefix + "-src-1";
      cite.setAttribute("aria-label", "source 1");
      h.appendChild(cite);
      box.appendChild(h);
      if (/^<p>An? (accepted|endorsed) answer in /.test(lead.innerHTML)) lead.hidden = true;
      var body = el("div", "md");
      body.innerHTML = post.body_html; // sanitized server-side by nh3 (allowlist)
      box.appendChild(body);
      box.hidden = false;
    }).catch(function () {});
  }

  function renderAnswer(data) {
    answers += 1;
    var prefix = "ask-" + answers;
    var card = el("article", "card ask-answer");
    card.dataset.verdict = data.verdict;
    var v = VERDICTS[data.verdict] || ["none", "?", data.verdict];
    var verdict = el("div", "verdict verdict-" + v[0]);
    verdict.appendChild(el("span", "verdict-icon", v[1])).setAttribute("aria-hidden", "true");
    var heading = el("h2", "verdict-text", v[2]);
    heading.id = prefix + "-title";
    heading.tabIndex = -1;
    verdict.appendChild(heading);
    card.setAttribute("aria-labelledby", heading.id);
    card.appendChild(verdict);

    // The first statement leads; the rest of the composed answer folds under "More".
    var all = el("div");
    all.innerHTML = data.answer_html; // sanitized server-side by nh3 (allowlist)
    var count = (data.sources || []).length;
    linkCitations(all, prefix, count);
    var blocks = Array.prototype.slice.call(all.children);
    var lead = el("div", "md ask-lead");
    if (blocks.length) lead.appendChild(blocks.shift());
    card.appendChild(lead);
    var full = el("div", "ask-full");
    full.hidden = true;
    card.appendChild(full);
    if (count && ["no_match"].indexOf(data.verdict) < 0) showLeadInFull(data.sources[0], full, lead, prefix);
    if (blocks.length) {
      var more = el("details", "ask-more");
      more.appendChild(el("summary", null, "More from the sources (" + blocks.length + ")"));
      var rest = el("div", "md");
      blocks.forEach(function (b) { rest.appendChild(b); });
      more.appendChild(rest);
      card.appendChild(more);
    }
    if (count) {
      card.appendChild(el("h3", "ask-sources-title", "Sources"));
      var list = el("ol", "ask-sources small");
      data.sources.forEach(function (s, i) {
        var li = el("li");
        li.id = prefix + "-src-" + (i + 1);
        li.tabIndex = -1;
        li.appendChild(localLink(s.url, s.title));
        li.appendChild(document.createTextNode(" "));
        li.appendChild(el("span", "badge badge-" + s.status, s.type + " · " + s.status));
        (s.labels || []).forEach(function (label) {
          li.appendChild(document.createTextNode(" "));
          li.appendChild(el("span", "badge badge-unconfirmed", label));
        });
        list.appendChild(li);
      });
      card.appendChild(list);
    }
    if (data.new_thread_url) {
      var p = el("p");
      var a = localLink(data.new_thread_url, "Post this as a new question");
      a.className = "button small";
      p.appendChild(a);
      card.appendChild(p);
    }
    if (data.ask_id) {
      var fb = el("div", "ask-feedback small muted");
      fb.appendChild(document.createTextNode("Was this helpful? "));
      [["Yes", true], ["No", false]].forEach(function (pair) {
        var b = el("button", "button secondary small", pair[0]);
        b.type = "button";
        b.addEventListener("click", function () {
          // The token proves this browser asked: nobody else can rate the answer.
          post("/api/v1/ask/" + data.ask_id + "/feedback", {
            helpful: pair[1], feedback_token: data.feedback_token
          })
            .then(function () { fb.textContent = "Thanks for the feedback."; })
            .catch(function (e) { fb.textContent = e.message; });
        });
        fb.appendChild(b);
        fb.appendChild(document.createTextNode(" "));
      });
      card.appendChild(fb);
    }
    log.appendChild(card);
    // Focus follows the answer, so keyboard and screen-reader users land on the verdict.
    heading.focus();
  }

  function value(id) {
    var node = document.getElementById(id);
    return node && node.value.trim() ? node.value : null;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    errorBox.hidden = true;
    var question = value("ask-question");
    if (!question) { showError("Type a question or paste the error you see."); return; }
    var body = {
      question: question,
      course: value("ask-course"),
      assignment: value("ask-assignment"),
      notebook_version: value("ask-version"),
      output: value("ask-output"),
      expected: value("ask-expected"),
      conversation_id: conversationId,
    };
    log.appendChild(el("div", "card ask-mine", question));
    submit.disabled = true;
    post("/api/v1/chat", body)
      .then(function (data) {
        conversationId = data.conversation_id;
        form.dataset.conversation = String(conversationId);
        if (data.context && data.context.notebook_version) {
          document.getElementById("ask-version").value = data.context.notebook_version;
        }
        renderAnswer(data);
        document.getElementById("ask-question").value = "";
      })
      .catch(function (e) { showError(e.message); })
      .then(function () { submit.disabled = false; });
  });

  // Ctrl+Enter (Cmd+Enter on a Mac) sends from any field of the form, as in chat apps.
  form.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (!submit.disabled) form.requestSubmit ? form.requestSubmit(submit) : submit.click();
    }
  });

  // Choosing an assignment sets its course (slugs repeat across courses).
  var courseSelect = document.getElementById("ask-course");
  var assignmentSelect = document.getElementById("ask-assignment");
  assignmentSelect.addEventListener("change", function () {
    var opt = assignmentSelect.options[assignmentSelect.selectedIndex];
    if (opt && opt.dataset.course) courseSelect.value = opt.dataset.course;
  });

  document.getElementById("ask-new").addEventListener("click", function () {
    conversationId = null;
    form.dataset.conversation = "";
    while (log.firstChild) log.removeChild(log.firstChild);
  });
})();
