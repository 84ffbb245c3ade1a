/*
 * Search within one episode: the box above the transcript shows only the lines that contain what the
 * reader types, ignoring case and accents ("raphael" finds "Raphaël"), with the matches in <mark>, and
 * hides the chapters left empty. Escape clears it. Marks are built from text nodes, so transcript text
 * is never parsed as HTML.
 */
(function () {
  "use strict";

  const DEBOUNCE_MS = 200;
  const MIN_LENGTH = 2; // a single letter would match nearly every line
  const COMBINING_MARKS = /\p{M}/gu;
  const ASCII = /^[\x00-\x7f]*$/;

  const transcript = document.getElementById("transcript");
  const box = document.querySelector(".transcript-search");
  if (!transcript || !box) {
    return;
  }

  const input = box.querySelector("input");
  const status = box.querySelector(".transcript-search__status");
  const chapters = Array.from(transcript.querySelectorAll(".chapter"));
  let entries = null; // built on the first search, so a long transcript costs nothing until then
  let timer = null;

  /*
   * ``text`` without case and accents, and ``origin``: for each folded character, the index in ``text``
   * of the character it comes from (null when folding keeps every index, as for ASCII).
   */
  function fold(text) {
    if (ASCII.test(text)) {
      return { folded: text.toLowerCase(), origin: null };
    }
    let folded = "";
    const origin = [];
    let index = 0;
    for (const char of text) {
      // by code point, so a surrogate pair stays whole
      const piece = char.normalize("NFD").replace(COMBINING_MARKS, "").toLowerCase();
      for (let k = 0; k < piece.length; k++) {
        origin.push(index);
      }
      folded += piece;
      index += char.length;
    }
    return { folded: folded, origin: origin };
  }

  function entriesOf() {
    if (!entries) {
      entries = Array.from(transcript.querySelectorAll(".line"), function (line) {
        const text = line.querySelector(".text");
        const original = text ? text.textContent : "";
        return { line: line, text: text, original: original, index: fold(original), marked: false };
      });
    }
    return entries;
  }

  /* The range [start, end) of the original text that the folded range [from, to) comes from. */
  function originalRange(entry, from, to) {
    const origin = entry.index.origin;
    if (!origin) {
      return [from, to];
    }
    const last = origin[to - 1];
    return [origin[from], last + String.fromCodePoint(entry.original.codePointAt(last)).length];
  }

  function matchesIn(entry, query) {
    const ranges = [];
    const folded = entry.index.folded;
    for (let at = folded.indexOf(query); at !== -1; at = folded.indexOf(query, at + query.length)) {
      ranges.push(originalRange(entry, at, at + query.length));
    }
    return ranges;
  }

  function highlight(entry, ranges) {
    const parts = [];
    let position = 0;
    for (const [from, to] of ranges) {
      if (to <= position) {
        continue; // two matches inside one character that folds to several
      }
      const begin = Math.max(from, position);
      const mark = document.createElement("mark");
      mark.textContent = entry.original.slice(begin, to);
      parts.push(document.createTextNode(entry.original.slice(position, begin)), mark);
      position = to;
    }
    parts.push(document.createTextNode(entry.original.slice(position)));
    entry.text.replaceChildren(...parts);
    entry.marked = true;
  }

  function unmark(entry) {
    if (entry.marked) {
      entry.text.textContent = entry.original;
      entry.marked = false;
    }
  }

  function describe(count) {
    if (count === 0) {
      return "No lines match";
    }
    return count === 1 ? "1 line matches" : count.toLocaleString("en") + " lines match";
  }

  function show(query) {
    const folded = fold(query.trim()).folded;
    if (folded.length < MIN_LENGTH) {
      clear();
      return;
    }
    let count = 0;
    for (const entry of entriesOf()) {
      const ranges = entry.text ? matchesIn(entry, folded) : [];
      entry.line.hidden = ranges.length === 0;
      if (ranges.length) {
        count++;
        highlight(entry, ranges);
      } else {
        unmark(entry);
      }
    }
    for (const chapter of chapters) {
      chapter.hidden = chapter.querySelector(".line:not([hidden])") === null;
    }
    transcript.classList.add("transcript--filtered");
    status.textContent = describe(count);
  }

  function clear() {
    for (const entry of entries || []) {
      entry.line.hidden = false;
      unmark(entry);
    }
    for (const chapter of chapters) {
      chapter.hidden = false;
    }
    transcript.classList.remove("transcript--filtered");
    status.textContent = "";
  }

  function showNow() {
    clearTimeout(timer);
    show(input.value);
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(showNow, DEBOUNCE_MS);
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      input.value = "";
      showNow();
    } else if (event.key === "Enter") {
      event.preventDefault();
      showNow();
    }
  });

  box.hidden = false;
  if (input.value) {
    showNow(); // the browser restored the box's text (back/forward)
  }
})();
