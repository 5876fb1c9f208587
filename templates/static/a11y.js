// Keyboard access to boxes that scroll sideways (code blocks, published/corrected outputs):
// a scrolled region must be focusable to be scrolled without a mouse (WCAG 2.1.1). Only the
// boxes that actually overflow join the Tab order; answers added later (Ask) are checked too.
(function () {
  "use strict";
  function mark(root) {
    var boxes = root.querySelectorAll ? root.querySelectorAll("pre") : [];
    Array.prototype.forEach.call(boxes, function (box) {
      if (box.hasAttribute("tabindex")) return;
      if (box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1) {
        box.tabIndex = 0;
        if (!box.hasAttribute("aria-label")) box.setAttribute("aria-label", "Code (scrolls)");
      }
    });
  }
  function all() { mark(document); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all);
  else all();
  window.addEventListener("resize", all);
  new MutationObserver(function () { all(); }).observe(document.body, { childList: true, subtree: true });
})();
