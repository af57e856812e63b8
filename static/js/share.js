// Enhances share links and snippets: copy buttons, and the device's own share sheet (Web
// Share API) where the browser has it. Without JavaScript the links and boxes work as they are.
(function () {
  "use strict";
  var canCopy = Boolean(navigator.clipboard && window.isSecureContext);
  document.querySelectorAll(".share__actions").forEach(function (actions) {
    var status = actions.querySelector(".share__status");
    var copy = actions.querySelector("[data-copy]");
    var share = actions.querySelector("[data-web-share]");
    var shown = false;
    if (copy && canCopy) {
      copy.addEventListener("click", function () {
        var box = document.getElementById(copy.getAttribute("data-copy"));
        navigator.clipboard.writeText(box.value).then(function () {
          status.textContent = copy.getAttribute("data-copied");
        });
      });
      shown = true;
    } else if (copy) {
      copy.hidden = true;
    }
    if (share && navigator.share) {
      share.addEventListener("click", function () {
        navigator.share({ title: share.getAttribute("data-title"), url: share.getAttribute("data-url") })
          .catch(function () { /* the person closed the share sheet */ });
      });
      shown = true;
    } else if (share) {
      share.hidden = true;
    }
    actions.hidden = !shown;
  });
})();
