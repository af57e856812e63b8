// Rally's one-line embed for allied sites:
//   <script src="https://<rally>/static/js/embed.js" data-campaign="<slug>"
//           data-referrer="<ally code>" data-lang="ar" data-title="..." async></script>
// puts the campaign's widget in an iframe right after the script, and sizes the iframe from
// the height the widget posts. It sets no cookie and leaves no global behind.
(function () {
  "use strict";
  // As the server validates them (campaigns/loader.py, signatures/attribution.py).
  const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$/;
  const CODE = /^[A-Za-z0-9_-]{1,40}$/;
  const LANGUAGE = /^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,3}$/;
  const MIN_HEIGHT = 100;
  const MAX_HEIGHT = 5000;
  const INITIAL_HEIGHT = 800;
  const DONE = "data-rally-embedded";

  function scriptUrl(script) {
    try {
      return new URL(script.src, document.baseURI);
    } catch (error) {
      return null;
    }
  }

  function isEmbedScript(script) {
    const url = scriptUrl(script);
    return url !== null && /\/embed\.js$/.test(url.pathname);
  }

  // Only our own widget's messages, and only the one thing they may say (case 31): another
  // frame or the host page itself can post anything, but not from this frame and our origin.
  function heightFrom(event, frame, origin) {
    if (event.source !== frame.contentWindow || event.origin !== origin) {
      return null;
    }
    const data = event.data;
    if (data === null || typeof data !== "object" || data.type !== "rally:height") {
      return null;
    }
    if (typeof data.height !== "number" || !Number.isFinite(data.height)) {
      return null;
    }
    return Math.round(Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, data.height)));
  }

  function embed(script) {
    if (script.hasAttribute(DONE) || !script.parentNode) {
      return;
    }
    script.setAttribute(DONE, "");
    const slug = script.getAttribute("data-campaign") || "";
    if (!SLUG.test(slug)) {
      console.warn("Rally embed: data-campaign must be a campaign's address name (slug).");
      return;
    }
    // The widget comes from wherever this script came from: the snippet names one server.
    const origin = scriptUrl(script).origin;
    const src = new URL("/embed/" + slug, origin);
    const referrer = script.getAttribute("data-referrer") || "";
    const language = script.getAttribute("data-lang") || "";
    if (CODE.test(referrer)) {
      src.searchParams.set("referrer", referrer);
    }
    if (LANGUAGE.test(language)) {
      src.searchParams.set("lang", language);
    }

    // No sandbox attribute: the frame is our own page, which the host trusted by adding
    // this script; and its form needs scripts, forms, popups and its own origin anyway
    // (a sandbox without allow-same-origin sends "Origin: null", which the widget refuses).
    const frame = document.createElement("iframe");
    frame.src = src.href;
    frame.title = script.getAttribute("data-title") || "Petition";
    frame.setAttribute("loading", "lazy");
    frame.style.display = "block";
    frame.style.width = "100%";
    frame.style.border = "0";
    frame.style.height = INITIAL_HEIGHT + "px";
    script.parentNode.insertBefore(frame, script.nextSibling);

    window.addEventListener("message", function (event) {
      const height = heightFrom(event, frame, origin);
      if (height !== null) {
        frame.style.height = height + "px";
      }
    });
  }

  // An async script runs when it arrives, so with several snippets on one page each run
  // also takes any other snippet not yet done: every snippet gets its widget exactly once.
  const current = document.currentScript;
  if (current && isEmbedScript(current)) {
    embed(current);
  }
  document.querySelectorAll("script[data-campaign]").forEach(function (script) {
    if (isEmbedScript(script)) {
      embed(script);
    }
  });
})();
