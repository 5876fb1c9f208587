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

  var VERDICTS = {
    known_erratum: "Known erratum",
    output_matches_correction: "Your output matches the corrected output",
    output_matches_published: "Your output matches the notebook",
    rejected_report: "Reported before: not an erratum",
    fixed_in_your_version: "Fixed in your version",
    unconfirmed_report: "Unconfirmed report",
    answered_before: "Answered before",
    no_match: "No match",
  };

  function renderAnswer(data) {
    var card = el("article", "card ask-answer");
    card.dataset.verdict = data.verdict;
    card.appendChild(el("span", "badge badge-" + data.verdict, VERDICTS[data.verdict] || data.verdict));
    var body = el("div", "md");
    body.innerHTML = data.answer_html; // sanitized server-side by nh3 (allowlist)
    card.appendChild(body);
    if (data.sources && data.sources.length) {
      var list = el("ol", "ask-sources small");
      data.sources.forEach(function (s) {
        var li = el("li");
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

  document.getElementById("ask-new").addEventListener("click", function () {
    conversationId = null;
    form.dataset.conversation = "";
    while (log.firstChild) log.removeChild(log.firstChild);
  });
})();
