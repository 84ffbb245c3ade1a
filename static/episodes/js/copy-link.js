/*
 * "Copy link to this moment": a small button on each transcript line that puts the line's permalink
 * (this page's absolute URL with #s3-l12) on the clipboard. The buttons are added here, which keeps the
 * page light and leaves nothing broken without JavaScript; one listener serves them all. Where the
 * clipboard is unavailable, the link is shown selected, for the reader to copy.
 */
(function () {
  "use strict";

  const LABEL = "Copy link to this moment";
  const COPIED = "Copied";
  const FIELD_LABEL = "Link to this moment";
  const SELECTED = "Link selected: press Ctrl+C (⌘C on a Mac) to copy it";
  const FEEDBACK_MS = 2000;
  const SVG = "http://www.w3.org/2000/svg";

  const transcript = document.getElementById("transcript");
  if (!transcript) {
    return;
  }

  const announcer = document.createElement("p");
  let done = null; // the visible "Copied" of the last copy
  let doneTimer = null;

  function icon() {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 16 16");
    svg.setAttribute("width", "16");
    svg.setAttribute("height", "16");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", "M5.5 5.5h8v8h-8zM10.5 5.5v-3h-8v8h3");
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", "currentColor");
    path.setAttribute("stroke-width", "1.5");
    svg.append(path);
    return svg;
  }

  function button() {
    const copy = document.createElement("button");
    copy.type = "button";
    copy.className = "copy-link";
    copy.title = LABEL;
    copy.setAttribute("aria-label", LABEL);
    copy.append(icon());
    return copy;
  }

  /* Each line's permalink and a copy button, side by side in the line's link column. */
  function addButtons() {
    const model = button();
    for (const line of transcript.querySelectorAll(".line[id]")) {
      const tools = document.createElement("span");
      tools.className = "line__tools";
      const permalink = line.querySelector(".permalink");
      if (permalink) {
        permalink.replaceWith(tools);
        tools.append(permalink);
      } else {
        line.append(tools);
      }
      tools.append(model.cloneNode(true));
    }
  }

  function permalinkOf(line) {
    return location.origin + location.pathname + "#" + encodeURIComponent(line.id);
  }

  function writeToClipboard(text) {
    if (!navigator.clipboard || !navigator.clipboard.writeText) {
      return Promise.reject(new Error("No clipboard here."));
    }
    return navigator.clipboard.writeText(text);
  }

  function say(message) {
    announcer.textContent = "";
    announcer.textContent = message;
  }

  function showCopied(copy) {
    clearTimeout(doneTimer);
    done?.remove();
    done = document.createElement("span");
    done.className = "copy-link__done";
    done.setAttribute("aria-hidden", "true"); // the announcer reads it out
    done.textContent = COPIED;
    copy.after(done);
    say(COPIED);
    doneTimer = setTimeout(function () {
      done.remove();
    }, FEEDBACK_MS);
  }

  /* Without a clipboard: the link in a field, selected; it goes away when the reader leaves it. */
  function showSelected(copy, url) {
    const field = document.createElement("input");
    field.type = "text";
    field.readOnly = true;
    field.className = "copy-link__url";
    field.value = url;
    field.setAttribute("aria-label", FIELD_LABEL);
    field.addEventListener("blur", function () {
      field.remove();
    });
    field.addEventListener("keydown", function (event) {
      if (event.key === "Escape" || event.key === "Enter") {
        copy.focus();
      }
    });
    copy.after(field);
    field.focus();
    field.select();
    say(SELECTED);
  }

  transcript.addEventListener("click", function (event) {
    const copy = event.target.closest(".copy-link");
    if (!copy) {
      return;
    }
    const url = permalinkOf(copy.closest(".line"));
    writeToClipboard(url).then(
      function () {
        showCopied(copy);
      },
      function () {
        showSelected(copy, url);
      },
    );
  });

  announcer.className = "visually-hidden";
  announcer.setAttribute("role", "status");
  transcript.append(announcer);
  addButtons();
})();
