/*
 * The episode's video: YouTube's IFrame Player, loaded only when the reader asks for it.
 *
 * Until then the page shows a poster from our own media (templates/episodes/_player.html), so no
 * request leaves for YouTube on page load. The script turns the poster's link to YouTube into a play
 * button; timestamp links to this video seek the player instead of leaving the page (a click before
 * the player exists loads it at that second); a permalink to a line (#s3-l12) or a chapter (#s3)
 * makes the play button start there. While the video plays, the time goes out as "player:time"
 * events on the document (current-line.js marks the line being said).
 */
(function () {
  "use strict";

  const API_URL = "https://www.youtube.com/iframe_api";
  const PLAYER_HOST = "https://www.youtube-nocookie.com";
  const POLL_MS = 500;
  const LABEL_PLAY = "Play video";
  const LABEL_PLAY_FROM = "Play from ";
  const LABEL_LOADING = "Loading video…";

  const slot = document.querySelector(".player[data-video-id]");
  const link = slot && slot.querySelector("a.player__start");
  if (!link) {
    return;
  }

  const videoId = slot.dataset.videoId;
  const start = upgradeToButton(link);
  const label = start.querySelector(".player__label");
  let startAt = { sec: 0, url: link.href };
  let ready = null; // the promise of the YT.Player, from the first request on
  let apiReady = null;
  let poll = null;
  let playing = false;
  let slotInView = true;

  function upgradeToButton(anchor) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = anchor.className;
    button.append(...anchor.childNodes);
    anchor.replaceWith(button);
    return button;
  }

  /* The timestamp link of the line or chapter heading that the URL's fragment names, if any. */
  function timestampInHash() {
    let id = "";
    try {
      id = decodeURIComponent(location.hash.slice(1));
    } catch {
      return null; // a malformed fragment names nothing
    }
    const target = id ? document.getElementById(id) : null;
    if (!target || !target.matches(".line[data-sec], .chapter > h3")) {
      return null;
    }
    return target.querySelector("a.ts[data-sec]");
  }

  function startFromHash() {
    if (ready) {
      return; // the video is loaded: a permalink then only scrolls the page
    }
    const ts = timestampInHash();
    startAt = ts ? { sec: Number(ts.dataset.sec), url: ts.href } : { sec: 0, url: link.href };
    label.textContent = ts ? LABEL_PLAY_FROM + ts.textContent.trim() : LABEL_PLAY;
  }

  function loadApi() {
    if (!apiReady) {
      apiReady = new Promise(function (resolve, reject) {
        if (window.YT && window.YT.Player) {
          resolve(window.YT);
          return;
        }
        const previous = window.onYouTubeIframeAPIReady;
        window.onYouTubeIframeAPIReady = function () {
          if (typeof previous === "function") {
            previous();
          }
          resolve(window.YT);
        };
        const script = document.createElement("script");
        script.src = API_URL;
        script.async = true;
        script.onerror = function () {
          apiReady = null;
          reject(new Error("The YouTube player API did not load."));
        };
        document.head.append(script);
      });
    }
    return apiReady;
  }

  function createPlayer(YT, sec) {
    return new Promise(function (resolve) {
      const target = document.createElement("div");
      start.before(target); // the poster stays on top until the video is ready
      new YT.Player(target, {
        host: PLAYER_HOST,
        videoId: videoId,
        playerVars: { autoplay: 1, start: Math.floor(sec), playsinline: 1, rel: 0 },
        events: {
          onReady: function (event) {
            showVideo();
            resolve(event.target);
          },
          onStateChange: function (event) {
            stateChanged(YT, event.target, event.data);
          },
        },
      });
    });
  }

  function showVideo() {
    const hadFocus = document.activeElement === start;
    start.remove();
    slot.classList.remove("player--loading");
    const frame = slot.querySelector("iframe");
    if (hadFocus && frame) {
      frame.focus(); // keyboard readers land in the video they asked for
    }
  }

  /* The player, created (starting at ``sec``) on the first call. */
  function load(sec) {
    if (!ready) {
      slot.classList.add("player--loading");
      label.textContent = LABEL_LOADING;
      ready = loadApi().then(function (YT) {
        return createPlayer(YT, sec);
      });
      ready.catch(function () {
        ready = null;
        slot.classList.remove("player--loading");
        startFromHash();
      });
    }
    return ready;
  }

  /* Play from ``sec``; where the player cannot load (blocked, offline), go to ``fallbackUrl`` as links would. */
  function seek(sec, fallbackUrl) {
    load(sec).then(
      function (player) {
        player.seekTo(sec, true);
        player.playVideo();
        announce(sec);
      },
      function () {
        window.location.assign(fallbackUrl);
      },
    );
  }

  function announce(sec) {
    document.dispatchEvent(new CustomEvent("player:time", { detail: { sec: sec } }));
  }

  function stateChanged(YT, player, state) {
    playing = state === YT.PlayerState.PLAYING;
    clearInterval(poll);
    poll = null;
    if (playing) {
      poll = setInterval(function () {
        announce(player.getCurrentTime());
      }, POLL_MS);
    }
    announce(player.getCurrentTime());
    updateDock();
  }

  /* Scrolled away from a playing video, the reader keeps it in a corner; it stays there when paused. */
  function updateDock() {
    const docked = slot.classList.contains("player--docked");
    slot.classList.toggle("player--docked", !slotInView && (playing || docked));
  }

  /* A plain click on a link to this video at some second; modified clicks keep their usual meaning. */
  function timestampClicked(event) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return null;
    }
    const ts = event.target.closest("a.ts[data-sec]");
    return ts && new URL(ts.href).searchParams.get("v") === videoId ? ts : null;
  }

  start.addEventListener("click", function () {
    seek(startAt.sec, startAt.url);
  });

  document.addEventListener("click", function (event) {
    const ts = timestampClicked(event);
    if (ts) {
      event.preventDefault();
      seek(Number(ts.dataset.sec), ts.href);
    }
  });

  window.addEventListener("hashchange", startFromHash);

  if ("IntersectionObserver" in window) {
    new IntersectionObserver(function (entries) {
      slotInView = entries[entries.length - 1].isIntersecting;
      updateDock();
    }).observe(slot);
  }

  startFromHash();
})();
