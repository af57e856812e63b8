// In a frame, tells the framing page how tall the widget is, so that embed.js can size the
// iframe to fit: {type: "rally:height", height: <CSS pixels>}, on load and on every resize.
(function () {
  "use strict";
  if (window.parent === window) {
    return;
  }
  // A sandbox without allow-same-origin (WordPress frames sites it does not know that way)
  // cannot send the form: stay silent, and WordPress keeps showing its link to the page.
  if (window.origin === "null") {
    return;
  }
  let sent = 0;

  function postHeight() {
    // The html element's own box, not documentElement.scrollHeight: that one is never less
    // than the frame's height, so the frame could grow but never shrink again.
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === sent) {
      return;
    }
    sent = height;
    // "*": the parent's origin is unknown here (any site may frame the widget), and a
    // height is no secret; embed.js checks that the message comes from this frame.
    window.parent.postMessage({ type: "rally:height", height: height }, "*");
  }

  window.addEventListener("load", postHeight);
  window.addEventListener("resize", postHeight);
  if (typeof ResizeObserver === "function") {
    new ResizeObserver(postHeight).observe(document.documentElement);
  }
  postHeight();
})();
