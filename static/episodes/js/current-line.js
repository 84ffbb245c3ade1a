/*
 * The line being said. While the video plays, player.js sends "player:time" events; the last line
 * whose time has come is marked current (class line--current, aria-current). With "Follow the video"
 * on (off by default, remembered in localStorage), the current line is scrolled into view, except
 * while the reader scrolls or selects text.
 */
(function () {
  "use strict";

  const STORAGE_KEY = "podcast:follow-transcript";
  const READER_PAUSE_MS = 3000; // how long following waits after the reader scrolls
  const OWN_SCROLL_MS = 1500; // scroll events this soon after scrolling to a line are ours, not the reader's

  const transcript = document.getElementById("transcript");
  if (!transcript) {
    return;
  }

  const lines = Array.from(transcript.querySelectorAll(".line[data-sec]"));
  const times = lines.map(function (line) {
    return Number(line.dataset.sec);
  });
  const toggle = document.getElementById("transcript-follow");
  const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
  let current = null;
  let ownScrollUntil = 0;
  let readerScrolledAt = -Infinity;

  /* The last line (in reading order) whose time is at or before ``sec``. */
  function lineAt(sec) {
    let found = null;
    for (let i = 0; i < lines.length; i++) {
      if (times[i] <= sec) {
        found = lines[i];
      }
    }
    return found;
  }

  function setCurrent(line) {
    if (line === current) {
      return;
    }
    if (current) {
      current.classList.remove("line--current");
      current.removeAttribute("aria-current");
    }
    current = line;
    if (line) {
      line.classList.add("line--current");
      line.setAttribute("aria-current", "true");
      if (isFollowing() && !readerIsBusy()) {
        reveal(line);
      }
    }
  }

  function readerIsBusy() {
    const selection = document.getSelection();
    return performance.now() - readerScrolledAt < READER_PAUSE_MS || (selection !== null && !selection.isCollapsed);
  }

  function isWellInView(line) {
    const box = line.getBoundingClientRect();
    return box.top >= window.innerHeight * 0.1 && box.bottom <= window.innerHeight * 0.9;
  }

  function reveal(line) {
    // A line hidden by the in-episode search has no box to scroll to.
    if (line.getClientRects().length === 0 || isWellInView(line)) {
      return;
    }
    ownScrollUntil = performance.now() + OWN_SCROLL_MS;
    // "auto" follows the page's scroll-behavior, which site.css makes smooth only without reduced motion.
    line.scrollIntoView({ block: "center", behavior: reduceMotion.matches ? "auto" : "smooth" });
  }

  function isFollowing() {
    return toggle !== null && toggle.checked;
  }

  function stored() {
    try {
      return window.localStorage.getItem(STORAGE_KEY);
    } catch {
      return null; // storage disabled: the toggle simply starts off
    }
  }

  function store(value) {
    try {
      window.localStorage.setItem(STORAGE_KEY, value);
    } catch {
      // storage disabled: the choice lasts for this page only
    }
  }

  document.addEventListener("player:time", function (event) {
    setCurrent(lineAt(event.detail.sec));
  });

  window.addEventListener(
    "scroll",
    function () {
      if (performance.now() > ownScrollUntil) {
        readerScrolledAt = performance.now();
      }
    },
    { passive: true },
  );

  if (toggle) {
    toggle.checked = stored() === "1";
    toggle.addEventListener("change", function () {
      store(toggle.checked ? "1" : "0");
      if (toggle.checked && current) {
        reveal(current); // the reader just asked for it: no waiting
      }
    });
    toggle.closest("[hidden]")?.removeAttribute("hidden");
  }
})();
